// flowboard graph tab: the server's dot layout of a run's graph (or a Keras model's layers),
// its toolbar and the requests for it. View state lives in g_* URL params. Drawing, pan and zoom
// are in graph-draw.js; selection, search, tracing, the side panel and export in graph-inspect.js;
// they share the object `g` made here.
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
  let info = null;        // {runs: [{run, graph, kind, run_metadata}]}
  let loading = 0;        // request counter: late answers of old requests are dropped
  let pending = null;     // {ctl, timer, expand}: the view request under way (cancellable)
  let lastExpand = null;  // state.expand of the picture shown (Cancel goes back to it)
  // Shared with graph-draw.js and graph-inspect.js. view: the last /view answer; names:
  // {run, graph, names, ops, set} of the graph shown; ui: DOM handles, built on first show.
  const g = { state, view: null, names: null, ui: null, minimap: null, el, get, saveState,
    loadView, ensureNames, showMessage };
  g.draw = window.flowboardGraphDraw.make(g);
  g.inspect = window.flowboardGraphInspect.make(g);

  function saveState() {
    window.flowboardUrl.saveParams({ g_run: state.run || null, g_expand: state.expand,
      g_sel: state.selected || null, g_q: state.query || null,
      g_color: state.color !== "op" ? state.color : null, g_tag: state.tag || null,
      g_trace: state.trace ? "1" : null });
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
    const ui = g.ui = { runSel, search, color, bar, canvas, panel, stage: canvas.querySelector(".g-stage"),
      legend: canvas.querySelector(".g-legend"), message: canvas.querySelector(".g-message"),
      busy: canvas.querySelector(".g-busy"), count: bar.querySelector(".g-count"),
      notice: canvas.querySelector(".g-notice"), busyText: canvas.querySelector(".g-busy-text") };
    ui.busy.querySelector(".g-cancel").addEventListener("click", (e) => { e.stopPropagation(); cancel(); });
    g.minimap = window.flowboardGraphMinimap.make(canvas, g.draw.moveTo);

    runSel.addEventListener("change", () => {
      state.run = runSel.value; state.expand = null; state.selected = ""; state.trace = false; state.tag = "";
      saveState(); loadView(true);
    });
    search.addEventListener("input", () => { state.query = search.value; saveState(); g.inspect.searchChanged(); });
    search.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); g.inspect.nextMatch(e.shiftKey ? -1 : 1); } });
    color.addEventListener("change", () => { state.color = color.value; saveState(); loadView(false); });
    bar.querySelector(".g-fit").addEventListener("click", g.draw.fit);
    bar.querySelector(".g-collapse").addEventListener("click", () => { state.expand = ""; saveState(); loadView(true); });
    bar.querySelector(".g-fit").insertAdjacentElement("afterend", el("button", { class: "g-btn g-default", text: "Default view", title: "The model's scope open, auxiliary scopes apart" }));
    bar.querySelector(".g-default").addEventListener("click", () => { state.expand = null; saveState(); loadView(true); });
    bar.querySelector(".g-expand-all").addEventListener("click", () => { state.expand = "all"; saveState(); loadView(true); });
    exports.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => g.inspect.download(b.dataset.format)));
    g.draw.bindPanZoom(canvas, g.inspect.onClick);
    new ResizeObserver(g.draw.resized).observe(canvas);
  }

  // ---- loading ------------------------------------------------------------------------------
  async function refresh() {
    if (!g.ui) build();
    const ui = g.ui;
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
      g.view = null; clearPicture();
      return showMessage("empty", "No runs yet. Point flowboard at a logdir with event files that hold a graph.");
    }
    const current = runs.find((r) => r.run === state.run);
    const view = g.view;
    if (!view || view.run !== state.run || (current && view.graph !== current.graph) || before !== state.run) {
      await loadView(!view || view.run !== state.run);
    }
  }

  // Ask for the picture of the current state; `reveal` also opens the scopes holding that op.
  // The page stays usable meanwhile: the badge counts seconds and Cancel drops the request.
  async function loadView(refit, reveal) {
    if (!g.ui) build();
    if (!state.run) return;
    const ui = g.ui;
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
      g.view = null; clearPicture();
      return showMessage("error", e.message);
    }
    if (ticket !== loading) return;
    endPending();
    const view = g.view = answer;
    if (!view.graph) {
      clearPicture();
      return showMessage("empty", view.message);
    }
    if (reveal || view.notice) { state.expand = view.expanded.join(","); saveState(); }
    lastExpand = state.expand;
    ui.message.hidden = true;
    ui.notice.hidden = !view.notice;
    ui.notice.textContent = view.notice || "";
    g.draw.draw(refit);
    await ensureNames();
    g.inspect.markMatches();
    if (state.selected && g.names.set.has(state.selected)) {
      g.inspect.highlightSelected();
      g.inspect.showNode(state.selected);
    } else if (state.selected) {
      state.selected = ""; saveState(); g.inspect.hidePanel();
    }
  }

  // Every op name of the run shown (for search); fetched once per graph.
  async function ensureNames() {
    const view = g.view;
    if (!view || !view.graph) return;
    if (!g.names || g.names.graph !== view.graph || g.names.run !== view.run) {
      const want = { run: view.run, graph: view.graph };
      const n = await get("nodes", { run: want.run });
      g.names = { ...want, names: n.names, ops: n.ops, set: new Set(n.names) };
    }
  }

  function endPending() {
    if (pending) clearInterval(pending.timer);
    pending = null;
    g.ui.busy.hidden = true;
  }

  function cancel() {
    if (!pending) return;
    loading++;  // the answer, if any, is dropped
    pending.ctl.abort();
    endPending();
    g.draw.dropAnchor();
    state.expand = lastExpand;
    saveState();
  }

  function showMessage(kind, text) {
    const message = g.ui.message;
    message.hidden = false;
    message.className = "g-message g-" + kind;
    message.replaceChildren(el("strong", { text: kind === "error" ? "Cannot show this graph" : "No graph" }),
      el("p", { text }));
  }

  function clearPicture() {
    const ui = g.ui;
    ui.stage.replaceChildren(); ui.legend.replaceChildren(); ui.count.textContent = ""; g.inspect.hidePanel(); g.draw.clear();
    ui.notice.hidden = true;
    if (g.minimap) g.minimap.clear();
  }

  function render() { if (!g.ui) refresh(); }

  window.flowboard.views.graphs = { refresh, render };
  document.addEventListener("flowboard:tab", (e) => {
    if (e.detail.tab === "graphs" && !g.ui) refresh();
  });
})();
