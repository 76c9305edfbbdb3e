// flowboard graph tab: the server's dot layout as SVG, pan/zoom, expand scopes, side panel,
// search, input tracing, compute-time colouring and export. View state lives in g_* URL params.
"use strict";

(function () {
  const root = document.getElementById("tab-graphs");
  if (!root) return;
  const q = new URLSearchParams(location.search);
  const state = {
    run: q.get("g_run") || "",
    // null: the server's default view; "": every scope closed; "all"; or comma-separated scopes
    expand: q.has("g_expand") ? q.get("g_expand") : null,
    selected: q.get("g_sel") || "",        // op name in the side panel
    query: q.get("g_q") || "",
    color: q.get("g_color") === "time" ? "time" : "op",
    tag: q.get("g_tag") || "",
    trace: q.get("g_trace") === "1",
  };
  let info = null;        // {runs: [{run, graph, run_metadata}]}
  let view = null;        // last /view answer
  let names = null;       // {run, graph, names, ops, set}
  let vb = null;          // current viewBox {x, y, w, h}
  let box = null;         // the picture's own extent
  let ui = null;          // DOM handles, built on first show
  let loading = 0;        // request counter: late answers of old requests are dropped
  let matchIndex = -1;
  let fitted = false;     // the view still shows the whole picture (no zoom or pan since)
  let pending = null;     // {ctl, timer, expand}: the view request under way (cancellable)
  let anchor = null;      // {name, x, y}: a box to keep at this screen spot across a re-layout
  let lastExpand = null;  // state.expand of the picture shown (Cancel goes back to it)
  let minimap = null;
  const SVGNS = "http://www.w3.org/2000/svg";

  function saveState() {
    const p = new URLSearchParams(location.search);
    ["g_run", "g_expand", "g_sel", "g_q", "g_color", "g_tag", "g_trace"].forEach((k) => p.delete(k));
    if (state.run) p.set("g_run", state.run);
    if (state.expand !== null) p.set("g_expand", state.expand);
    if (state.selected) p.set("g_sel", state.selected);
    if (state.query) p.set("g_q", state.query);
    if (state.color !== "op") p.set("g_color", state.color);
    if (state.tag) p.set("g_tag", state.tag);
    if (state.trace) p.set("g_trace", "1");
    const s = p.toString();
    history.replaceState(null, "", s ? "?" + s : location.pathname);
  }

  function el(tag, attrs, ...kids) { return window.flowboard.el(tag, attrs, ...kids); }

  async function get(path, params, init) {
    return window.flowboard.api("plugin/graphs/" + path, params, init);
  }

  // ---- DOM ----------------------------------------------------------------------------------
  function build() {
    const runSel = el("select", { class: "g-run", "aria-label": "Run" });
    const search = el("input", { type: "search", class: "g-search", placeholder: "Search ops (name or regex)", title: "Enter: next match, Shift+Enter: previous", spellcheck: "false" });
    search.value = state.query;
    const color = el("select", { class: "g-color", "aria-label": "Colour by" },
      el("option", { value: "op", text: "Op type" }),
      el("option", { value: "time", text: "Compute time" }));
    color.title = "Colour boxes by op type or by compute time (from run metadata)";
    color.value = state.color;
    const exports = el("span", { class: "g-export" }, el("span", { class: "muted", text: "Export" }),
      ...["svg", "png", "pdf", "dot"].map((f) => el("button", { class: "g-btn", "data-format": f, text: f.toUpperCase(), title: `Download the current view as ${f.toUpperCase()}${f === "png" ? " (2×)" : ""}` })));
    const bar = el("div", { class: "g-toolbar" }, runSel, search, el("span", { class: "g-count muted" }),
      el("span", { class: "g-spacer" }),
      el("button", { class: "g-btn g-fit", text: "Fit", title: "Fit to screen" }),
      el("button", { class: "g-btn g-collapse", text: "Collapse all" }),
      el("button", { class: "g-btn g-expand-all", text: "Expand all" }),
      color, exports);
    const canvas = el("div", { class: "g-canvas", tabindex: "0" },
      el("div", { class: "g-stage" }), el("div", { class: "g-legend" }),
      el("div", { class: "g-message", hidden: true }), el("div", { class: "g-busy", hidden: true }, el("span", { class: "g-busy-text", text: "Laying out…" }),
        el("button", { class: "g-btn g-cancel", text: "Cancel", title: "Stop waiting and keep the current picture" })),
      el("div", { class: "g-notice", hidden: true }));
    const panel = el("aside", { class: "g-panel", hidden: true });
    root.replaceChildren(bar, el("div", { class: "g-body" }, canvas, panel));
    ui = { runSel, search, color, bar, canvas, panel, stage: canvas.querySelector(".g-stage"),
      legend: canvas.querySelector(".g-legend"), message: canvas.querySelector(".g-message"),
      busy: canvas.querySelector(".g-busy"), count: bar.querySelector(".g-count"),
      notice: canvas.querySelector(".g-notice"), busyText: canvas.querySelector(".g-busy-text") };
    ui.busy.querySelector(".g-cancel").addEventListener("click", (e) => { e.stopPropagation(); cancel(); });
    minimap = window.flowboardGraphMinimap.make(canvas, (cx, cy) => { fitted = false; setViewBox(cx, cy, scale()); });

    runSel.addEventListener("change", () => {
      state.run = runSel.value; state.expand = null; state.selected = ""; state.trace = false; state.tag = "";
      saveState(); loadView(true);
    });
    search.addEventListener("input", () => { state.query = search.value; matchIndex = -1; saveState(); markMatches(); });
    search.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); nextMatch(e.shiftKey ? -1 : 1); } });
    color.addEventListener("change", () => { state.color = color.value; saveState(); loadView(false); });
    bar.querySelector(".g-fit").addEventListener("click", fit);
    bar.querySelector(".g-collapse").addEventListener("click", () => { state.expand = ""; saveState(); loadView(true); });
    bar.querySelector(".g-fit").insertAdjacentElement("afterend", el("button", { class: "g-btn g-default", text: "Default view", title: "The model's scope open, auxiliary scopes apart" }));
    bar.querySelector(".g-default").addEventListener("click", () => { state.expand = null; saveState(); loadView(true); });
    bar.querySelector(".g-expand-all").addEventListener("click", () => { state.expand = "all"; saveState(); loadView(true); });
    exports.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => download(b.dataset.format)));
    bindPanZoom(canvas);
    new ResizeObserver(() => {
      if (fitted) fit(); else if (vb) setViewBox(vb.x + vb.w / 2, vb.y + vb.h / 2, scale());
    }).observe(canvas);
  }

  // ---- loading ------------------------------------------------------------------------------
  async function refresh() {
    if (!ui) build();
    try {
      info = await get("info");
    } catch (e) {
      return showMessage("error", "Could not list runs: " + e.message);
    }
    const runs = info.runs;
    const labels = runs.map((r) => (r.graph ? r.run : r.run + " (no graph)"));
    const before = ui.runSel.value;
    if (labels.join("\n") !== [...ui.runSel.options].map((o) => o.textContent).join("\n")) {
      ui.runSel.replaceChildren(...runs.map((r, i) => el("option", { value: r.run, text: labels[i] })));
    }
    if (!runs.some((r) => r.run === state.run)) {
      const first = runs.find((r) => r.graph) || runs[0];
      state.run = first ? first.run : "";
      saveState();
    }
    ui.runSel.value = state.run;
    if (!runs.length) {
      view = null; clearPicture();
      return showMessage("empty", "No runs yet. Point flowboard at a logdir with event files that hold a graph.");
    }
    const current = runs.find((r) => r.run === state.run);
    if (!view || view.run !== state.run || (current && view.graph !== current.graph) || before !== state.run) {
      await loadView(!view || view.run !== state.run);
    }
  }

  // Ask for the picture of the current state; `reveal` also opens the scopes holding that op.
  // The page stays usable meanwhile: the badge counts seconds and Cancel drops the request.
  async function loadView(refit, reveal) {
    if (!ui) build();
    if (!state.run) return;
    const ticket = ++loading;
    if (pending) { pending.ctl.abort(); clearInterval(pending.timer); }
    const ctl = new AbortController();
    const started = performance.now();
    pending = { ctl, timer: setInterval(() => {
      ui.busyText.textContent = `Laying out… ${Math.round((performance.now() - started) / 1000)} s`;
    }, 500) };
    ui.busyText.textContent = "Laying out…";
    ui.busy.hidden = false;
    let answer;
    try {
      answer = await get("view", { run: state.run, expand: state.expand === null ? undefined : state.expand,
        color: state.color, tag: state.tag || undefined, reveal: reveal || undefined }, { signal: ctl.signal });
    } catch (e) {
      if (ticket !== loading) return;
      endPending();
      if (e.name === "AbortError") return;
      view = null; clearPicture();
      return showMessage("error", e.message);
    }
    if (ticket !== loading) return;
    endPending();
    view = answer;
    if (!view.graph) {
      clearPicture();
      return showMessage("empty", view.message);
    }
    if (reveal || view.notice) { state.expand = view.expanded.join(","); saveState(); }
    lastExpand = state.expand;
    ui.message.hidden = true;
    ui.notice.hidden = !view.notice;
    ui.notice.textContent = view.notice || "";
    draw(refit);
    await ensureNames();
    markMatches();
    if (state.selected && names.set.has(state.selected)) {
      highlightSelected();
      showNode(state.selected);
    } else if (state.selected) {
      state.selected = ""; saveState(); hidePanel();
    }
  }

  // Every op name of the run shown (for search); fetched once per graph.
  async function ensureNames() {
    if (!view || !view.graph) return;
    if (!names || names.graph !== view.graph || names.run !== view.run) {
      const want = { run: view.run, graph: view.graph };
      const n = await get("nodes", { run: want.run });
      names = { ...want, names: n.names, ops: n.ops, set: new Set(n.names) };
    }
  }

  function endPending() {
    if (pending) clearInterval(pending.timer);
    pending = null;
    ui.busy.hidden = true;
  }

  function cancel() {
    if (!pending) return;
    loading++;  // the answer, if any, is dropped
    pending.ctl.abort();
    endPending();
    anchor = null;
    state.expand = lastExpand;
    saveState();
  }

  function showMessage(kind, text) {
    ui.message.hidden = false;
    ui.message.className = "g-message g-" + kind;
    ui.message.replaceChildren(el("strong", { text: kind === "error" ? "Cannot show this graph" : "No graph" }),
      el("p", { text }));
  }

  function clearPicture() {
    ui.stage.replaceChildren(); ui.legend.replaceChildren(); ui.count.textContent = ""; hidePanel(); vb = null;
    ui.notice.hidden = true;
    if (minimap) minimap.clear();
  }

  // ---- drawing ------------------------------------------------------------------------------
  function draw(refit) {
    // The SVG comes from graphviz (names escaped there); parse it as XML, never as HTML.
    const doc = new DOMParser().parseFromString(view.svg, "image/svg+xml");
    const svg = document.importNode(doc.documentElement, true);
    if (svg.nodeName !== "svg") return showMessage("error", "The server sent an unreadable picture.");
    const [x, y, w, h] = svg.getAttribute("viewBox").split(/[\s,]+/).map(Number);
    const old = vb;
    box = { x, y, w, h };
    svg.removeAttribute("width"); svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    svg.classList.add("g-svg");
    if (state.color === "time" && view.tags.length) svg.classList.add("g-heat-mode");
    svg.querySelectorAll("title").forEach((t) => t.remove());
    // The SVG's own <style> would apply to the whole page; graph.css holds the same rules scoped.
    svg.querySelectorAll("style").forEach((t) => t.remove());
    // Browser tooltips: a box's full name (the lean SVG leaves titles out).
    svg.querySelectorAll("g.node").forEach((g) => {
      const u = view.units[g.id];
      if (!u || u.kind === "stub") return;
      const t = document.createElementNS(SVGNS, "title");
      t.textContent = u.kind === "scope" ? u.name + "/" : u.name;
      g.prepend(t);
    });
    ui.stage.replaceChildren(svg);
    view.lookup = null;
    minimap.load(svg, box);
    const keep = anchor;
    anchor = null;
    if (refit || !old) fit();
    else if (keep && placeAnchor(keep, old)) fitted = false;
    else if (fitted) fit();
    else setViewBox(old.x + old.w / 2, old.y + old.h / 2, old.w / ui.canvas.clientWidth);
    drawLegend();
    ui.count.textContent = `${view.op_count} ops`;
    if (state.trace && state.selected) trace(state.selected);
  }

  // After a re-layout, put the box (or the cluster it opened into) where it was on screen, at
  // the same zoom, so expanding or collapsing a scope does not lose the user's place.
  function placeAnchor(keep, old) {
    const s = old.w / Math.max(1, ui.canvas.clientWidth);
    // The cluster the scope opened into, the box itself, or (a series) its first member.
    const names = [keep.name, ...(keep.members || [])];
    const cid = Object.keys(view.clusters).find((c) => view.clusters[c] === keep.name);
    const uid = names.map((n) => Object.keys(view.units).find((u) => view.units[u].kind !== "stub" && view.units[u].name === n)).find(Boolean);
    const g = document.getElementById(cid || uid || "");
    if (!g) return false;
    setViewBox(box.x + box.w / 2, box.y + box.h / 2, s);
    const r = g.getBoundingClientRect();
    const p = toUser(r.left, r.top);
    const c = ui.canvas.getBoundingClientRect();
    setViewBox(p.x - (keep.x - c.left - c.width / 2) * s, p.y - (keep.y - c.top - c.height / 2) * s, s);
    return true;
  }

  function remember(name, g, members) {
    if (!g || !vb) return;
    const r = g.getBoundingClientRect();
    anchor = { name, members, x: r.left, y: r.top };
  }

  function drawLegend() {
    ui.color.querySelector('option[value="time"]').disabled = !view.tags.length;
    if (state.color === "time" && view.tags.length) {
      const max = Math.max(0, ...Object.values(view.units).map((u) => u.time_us || 0));
      ui.legend.replaceChildren(el("span", { class: "g-heat" }),
        el("span", { text: `0 – ${formatTime(max)} compute (${view.tag})` }));
      return;
    }
    ui.legend.replaceChildren(...view.legend.map((c) =>
      el("span", { class: "g-key" }, el("span", { class: "g-swatch cat-" + c.category, style: "background:" + c.color }),
        el("span", { text: c.category }))));
  }

  function formatTime(us) {
    if (us >= 1e6) return (us / 1e6).toFixed(2) + " s";
    if (us >= 1e3) return (us / 1e3).toFixed(2) + " ms";
    return Math.round(us) + " µs";
  }

  // ---- pan and zoom -------------------------------------------------------------------------
  function svgEl() { return ui.stage.querySelector("svg"); }
  function scale() { return vb ? vb.w / Math.max(1, ui.canvas.clientWidth) : 1; }  // user units per pixel

  function setViewBox(cx, cy, s) {
    const svg = svgEl();
    if (!svg) return;
    const cw = Math.max(1, ui.canvas.clientWidth), ch = Math.max(1, ui.canvas.clientHeight);
    vb = { x: cx - (cw * s) / 2, y: cy - (ch * s) / 2, w: cw * s, h: ch * s };
    svg.setAttribute("viewBox", `${vb.x} ${vb.y} ${vb.w} ${vb.h}`);
    if (minimap) minimap.update(vb);
  }

  function fit() {
    if (!box || !svgEl()) return;
    const cw = Math.max(1, ui.canvas.clientWidth), ch = Math.max(1, ui.canvas.clientHeight);
    // Never blow a small graph up past 1.5× its natural size; keep a little margin.
    const s = Math.max(box.w / cw, box.h / ch, 1 / 1.5) * 1.02;
    setViewBox(box.x + box.w / 2, box.y + box.h / 2, s);
    fitted = true;
  }

  function toUser(clientX, clientY) {
    const r = ui.canvas.getBoundingClientRect();
    return { x: vb.x + (clientX - r.left) * scale(), y: vb.y + (clientY - r.top) * scale(), r };
  }

  function bindPanZoom(canvas) {
    canvas.addEventListener("wheel", (e) => {
      if (!vb) return;
      e.preventDefault();
      fitted = false;
      const k = Math.exp(e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
      const p = toUser(e.clientX, e.clientY);
      const s = Math.min(Math.max(scale() * k, 0.02), Math.max(box.w, box.h) / 50);
      const fx = (e.clientX - p.r.left) / p.r.width, fy = (e.clientY - p.r.top) / p.r.height;
      setViewBox(p.x - (fx - 0.5) * p.r.width * s, p.y - (fy - 0.5) * p.r.height * s, s);
    }, { passive: false });
    let drag = null;
    canvas.addEventListener("pointerdown", (e) => {
      if (!vb || e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, vx: vb.x + vb.w / 2, vy: vb.y + vb.h / 2, moved: false };
    });
    window.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) { drag.moved = true; fitted = false; canvas.classList.add("g-dragging"); }
      setViewBox(drag.vx - dx * scale(), drag.vy - dy * scale(), scale());
    });
    window.addEventListener("pointerup", () => {
      if (drag && drag.moved) canvas.dataset.dragged = "1";
      drag = null; canvas.classList.remove("g-dragging");
    });
    canvas.addEventListener("click", (e) => {
      if (canvas.dataset.dragged) { delete canvas.dataset.dragged; return; }
      onClick(e);
    });
    canvas.addEventListener("keydown", (e) => {
      if (!vb) return;
      const step = 60 * scale();
      const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (moves[e.key]) { e.preventDefault(); setViewBox(vb.x + vb.w / 2 + moves[e.key][0], vb.y + vb.h / 2 + moves[e.key][1], scale()); }
      if (e.key === "+" || e.key === "=") setViewBox(vb.x + vb.w / 2, vb.y + vb.h / 2, scale() / 1.25);
      if (e.key === "-") setViewBox(vb.x + vb.w / 2, vb.y + vb.h / 2, scale() * 1.25);
      if (e.key === "0") fit();
    });
  }

  // ---- clicks, expansion, selection ---------------------------------------------------------
  function onClick(e) {
    if (!view || !view.graph) return;
    const node = e.target.closest("g.node");
    if (node && view.units[node.id]) {
      const u = view.units[node.id];
      if (u.kind === "scope") { remember(u.name, node, u.members); return expand(u.name); }
      if (u.kind === "stub") return focusUnit(u.target);
      return select(u.name, false);
    }
    const cluster = e.target.closest("g.cluster");
    if (cluster && e.target.nodeName === "text" && view.clusters[cluster.id]) {
      remember(view.clusters[cluster.id], cluster);
      return collapse(view.clusters[cluster.id]);
    }
    if (!e.target.closest(".g-panel")) { state.selected = ""; state.trace = false; saveState(); hidePanel(); clearMarks("g-selected"); untrace(); }
  }

  function expandedList() {
    if (state.expand === null || state.expand === "all") return view ? view.expanded.slice() : [];
    return state.expand ? state.expand.split(",").filter(Boolean) : [];
  }

  function expand(scope) {
    const set = new Set(expandedList());
    set.add(scope);
    state.expand = [...set].join(",");
    saveState();
    return loadView(false);
  }

  function collapse(scope) {
    // Series and blocks are not path prefixes of what they hold: walk the server's parents.
    const parents = (view && view.parents) || {};
    const inside = (s) => { for (let p = s; p; p = parents[p]) if (p === scope) return true; return false; };
    const keep = expandedList().filter((s) => !inside(s));
    state.expand = keep.join(",");
    saveState();
    return loadView(false);
  }

  // The box that stands for op `name` now: the op itself, the closed scope holding it, or the
  // series or block covering one of its scopes.
  function unitOf(name) {
    if (!view.lookup) {
      view.lookup = {};
      Object.entries(view.units).forEach(([id, u]) => {
        if (u.kind === "stub") return;
        view.lookup[u.kind + ":" + u.name] = id;
        (u.covers || []).forEach((c) => { view.lookup["cover:" + c] = id; });
      });
    }
    const byName = view.lookup;
    if (byName["op:" + name]) return byName["op:" + name];
    const parts = name.split("/");
    for (let k = parts.length; k > 0; k--) {
      const path = parts.slice(0, k).join("/");
      const id = byName["scope:" + path] || byName["cover:" + path];
      if (id) return id;
    }
    return null;
  }

  async function select(name, centre) {
    state.selected = name;
    saveState();
    const id = unitOf(name);
    if (!id || view.units[id].kind !== "op") {
      state.expand = expandedList().join(",");
      await loadView(false, name);  // the server opens the scopes, series and blocks holding it
    }
    highlightSelected();
    if (centre) centreOn(unitOf(name));
    showNode(name);
    if (state.trace) trace(name); else untrace();
  }

  function focusUnit(id) {
    const u = view.units[id];
    if (!u) return;
    if (u.kind === "op") return select(u.name, true);
    clearMarks("g-selected");
    mark([id], "g-selected");
    centreOn(id);
  }

  function centreOn(id) {
    const g = id && document.getElementById(id);
    if (!g || !vb) return;
    const r = g.getBoundingClientRect();
    const p = toUser(r.left + r.width / 2, r.top + r.height / 2);
    // Zoom in far enough to read the box, never out.
    fitted = false;
    setViewBox(p.x, p.y, Math.min(scale(), 0.75));
  }

  function mark(ids, cls) { ids.forEach((id) => { const g = document.getElementById(id); if (g) g.classList.add(cls); }); }
  function clearMarks(cls) { ui.stage.querySelectorAll("." + cls).forEach((g) => g.classList.remove(cls)); }

  function highlightSelected() {
    clearMarks("g-selected");
    const id = state.selected && unitOf(state.selected);
    if (id) mark([id], "g-selected");
  }

  // ---- search -------------------------------------------------------------------------------
  function matcher() {
    if (!state.query) return null;
    try { return new RegExp(state.query, "i"); } catch (e) {
      const needle = state.query.toLowerCase();
      return { test: (s) => s.toLowerCase().includes(needle) };
    }
  }

  function matches() {
    const re = matcher();
    return re && names ? names.names.filter((n) => re.test(n)) : [];
  }

  function markMatches() {
    if (!ui || !view || !view.graph) return;
    clearMarks("g-match");
    const found = matches();
    ui.count.textContent = state.query ? `${found.length} of ${view.op_count} ops match` : `${view.op_count} ops`;
    mark([...new Set(found.map(unitOf).filter(Boolean))], "g-match");
  }

  async function nextMatch(dir) {
    await ensureNames();  // Enter may come before the names have arrived
    const found = matches();
    if (!found.length) return;
    matchIndex = (matchIndex + dir + found.length) % found.length;
    await select(found[matchIndex], true);
    markMatches();
    ui.count.textContent = `${matchIndex + 1} / ${found.length} matches`;
  }

  // ---- trace inputs -------------------------------------------------------------------------
  async function trace(name) {
    let answer;
    try { answer = await get("trace", { run: state.run, name }); } catch (e) { return; }
    const ids = new Set([name, ...answer.ancestors].map(unitOf).filter(Boolean));
    untrace();
    svgEl().classList.add("g-tracing");
    mark([...ids], "g-traced");
    Object.entries(view.edges).forEach(([eid, [a, b]]) => { if (ids.has(a) && ids.has(b)) mark([eid], "g-traced"); });
  }

  function untrace() {
    const svg = svgEl();
    if (svg) svg.classList.remove("g-tracing");
    clearMarks("g-traced");
  }

  // ---- side panel ---------------------------------------------------------------------------
  function hidePanel() { if (ui) { ui.panel.hidden = true; ui.panel.replaceChildren(); } }

  async function showNode(name) {
    let n;
    try { n = await get("node", { run: state.run, name, tag: state.tag || undefined }); } catch (e) {
      ui.panel.hidden = false;
      ui.panel.replaceChildren(el("p", { class: "g-error", text: e.message }));
      return;
    }
    if (state.selected !== name) return;
    const rows = [["Op", n.op], ["Device", n.device || "—"]];
    if (n.time_us !== undefined) rows.push(["Compute time", formatTime(n.time_us)]);
    const attrs = Object.entries(n.attrs);
    const traceBtn = el("button", { class: "g-btn" + (state.trace ? " g-on" : ""), text: state.trace ? "Stop tracing" : "Trace inputs" });
    traceBtn.addEventListener("click", () => {
      state.trace = !state.trace; saveState();
      traceBtn.textContent = state.trace ? "Stop tracing" : "Trace inputs";
      traceBtn.classList.toggle("g-on", state.trace);
      if (state.trace) trace(name); else untrace();
    });
    const close = el("button", { class: "g-close", title: "Close", "aria-label": "Close", text: "×" });
    close.addEventListener("click", () => { state.selected = ""; state.trace = false; saveState(); hidePanel(); clearMarks("g-selected"); untrace(); });
    const actions = el("div", { class: "g-actions" }, traceBtn);
    if (n.scope) {
      const up = el("button", { class: "g-btn", text: "Collapse " + n.scope.split("/").pop() });
      up.addEventListener("click", () => collapse(n.scope));
      actions.append(up);
    }
    ui.panel.replaceChildren(
      el("div", { class: "g-panel-head" }, el("h3", { class: "g-name", text: n.name }), close),
      el("dl", { class: "g-facts" }, ...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })])),
      actions,
      section("Attributes", attrs.length ? el("dl", { class: "g-attrs" },
        ...attrs.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })])) : el("p", { class: "muted", text: "none" })),
      section(`Inputs (${n.inputs.length})`, links(n.inputs)),
      section(`Outputs (${n.outputs.length})`, links(n.outputs)));
    ui.panel.hidden = false;
  }

  function section(title, body) { return el("section", {}, el("h4", { text: title }), body); }

  function links(items) {
    if (!items.length) return el("p", { class: "muted", text: "none" });
    return el("ul", { class: "g-links" }, ...items.map((it) => {
      const b = el("button", { class: "g-link", title: it.name }, el("span", { text: it.name + (it.output > 0 ? ":" + it.output : "") }));
      if (it.control) b.append(el("span", { class: "g-tag", text: "control" }));
      else if (it.shape) b.append(el("span", { class: "g-shape", text: it.shape }));
      b.addEventListener("click", () => select(it.name, true));
      return el("li", {}, b);
    }));
  }

  // ---- export -------------------------------------------------------------------------------
  function download(format) {
    if (!view || !view.graph) return;
    const p = new URLSearchParams({ run: state.run, format, color: state.color });
    if (state.expand !== null) p.set("expand", state.expand);
    if (state.tag) p.set("tag", state.tag);
    const a = el("a", { href: "data/plugin/graphs/export?" + p, download: "" });
    document.body.append(a);
    a.click();
    a.remove();
  }

  function render() { if (!ui) refresh(); }

  window.flowboard.views.graphs = { refresh, render };
  document.addEventListener("flowboard:tab", (e) => {
    if (e.detail.tab === "graphs" && !ui) refresh();
  });
})();
