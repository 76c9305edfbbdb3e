// Scalars view: a chart per tag (and one for tags combined by a pattern), pinned charts first,
// each drawing the selected runs (or their groups), fetched only when something changed.
"use strict";

(function () {
  const fb = window.flowboard;
  const { state, el } = fb;
  const { ChartData, smoothed, timeUnit, xValues, groupLines } = fb.scalarData;
  const COMBINED = "\u0000combined";  // the key of the chart of combined tags
  let tags = {};                       // run -> [tag]
  const cards = new Map();             // key -> card
  let layoutKey = "";
  // The tags, with the tick of the server's scalars they are as new as.
  async function fetchTags() {
    const resp = await fetch("data/plugin/scalars/tags");
    if (!resp.ok) throw new Error(resp.statusText);
    return { clock: Number(resp.headers.get("X-Scalars-Clock") || 0), tags: await resp.json() };
  }
  // The tags are asked for as the page starts, beside the status and runs.
  let early = new URLSearchParams(location.search).get("tab") ? null : fetchTags().catch(() => null);
  const inView = new fb.InView((c) => { if (c.dirty) update(c); });
  let frameQueued = false, fetchQueued = false;
  let gen = 0;                         // bumped by every change the charts must show

  function allTags() {
    const set = new Set();
    Object.values(tags).forEach((ts) => ts.forEach((t) => set.add(t)));
    return [...set].sort();
  }

  function combinedTags() {
    return state.combine ? allTags().filter((t) => fb.regex(state.combine).test(t)) : [];
  }

  function runsWith(card) {
    return fb.selectedRuns().filter((r) => card.tags.some((t) => (tags[r] || []).includes(t)));
  }

  // -- cards -----------------------------------------------------------------------------
  function button(text, title, onClick) {
    const b = el("button", { type: "button", text, title });
    b.addEventListener("click", onClick);
    return b;
  }

  function makeCard(key, cardTags, title) {
    const host = el("div", { class: "chart-host loading" }, el("div", { class: "spinner" }));
    const menu = el("div", { class: "menu", hidden: true });
    const node = el("div", { class: "card", "data-tag": key === COMBINED ? "" : key, "data-key": key },
      el("div", { class: "card-head" }, el("span", { class: "card-title", text: title, title }),
        el("span", { class: "card-actions" },
          button("fit", "Fit the axes to the data (y to what the zoom shows)", () => card.chart.fit(true)),
          button("⤢", "Enlarge (again to shrink)", () => toggleEnlarge(card)),
          button("⋯", "Scale and pin", () => { menu.hidden = !menu.hidden; }),
          button("CSV", "Download every point as CSV", () => fb.downloadScalars(runsWith(card), card.tags, "csv")),
          button("JSON", "Download every point as JSON", () => fb.downloadScalars(runsWith(card), card.tags, "json"))),
        menu),
      host);
    const card = { key, tags: cardTags, node, host, menu, visible: false, dirty: true,
      data: new ChartData(cardTags), zoom: null };
    [["logx", "Log x axis", state.logx], ["logy", "Log y axis", state.logyTags], ["pin", "Pin to top", state.pinned]]
      .forEach(([name, label, set]) => {
        const box = el("input", { type: "checkbox", "data-option": name });
        box.checked = set.has(key);
        box.addEventListener("change", () => {
          if (box.checked) set.add(key); else set.delete(key);
          menu.hidden = true;
          fb.saveState(name === "pin");
          if (name === "pin") render(); else draw(card);
        });
        menu.append(el("label", { class: "check" }, box, label));
      });
    card.chart = new fb.Chart(host, {
      onZoom: (range) => {
        if (state.xaxis !== "step") return;
        card.zoom = range && [Math.floor(range[0]), Math.ceil(range[1])];
        update(card);
      },
      onHover: (x) => linkCursor(card, x),
    });
    return card;
  }

  // The step cursor follows the mouse across the charts of the hovered chart's tag group.
  function linkCursor(card, x) {
    const group = card.node.closest(".grid");
    cards.forEach((c) => { if (c !== card && c.visible && c.node.closest(".grid") === group) c.chart.showCursor(x); });
  }

  function toggleEnlarge(card) {
    state.enlarged = state.enlarged === card.key ? "" : card.key;
    fb.saveState(true);
    applyEnlarged();
  }

  function applyEnlarged() {
    cards.forEach((c) => {
      const big = c.key === state.enlarged;
      if (c.node.classList.contains("enlarged") === big) return;
      c.node.classList.toggle("enlarged", big);
      if (big) c.node.scrollIntoView({ block: "nearest" });
      draw(c);
    });
  }

  function cardFor(key, cardTags, title) {
    let c = cards.get(key);
    if (!c || c.tags.join("\n") !== cardTags.join("\n")) {
      if (c) c.chart.purge();
      c = makeCard(key, cardTags, title);
      cards.set(key, c);
    }
    return c;
  }

  function currentLayoutKey() {
    return JSON.stringify([allTags().filter(fb.tagMatches), combinedTags(), [...state.pinned], state.loaded,
      Object.keys(tags).length > 0]);
  }

  // -- layout: rebuilt only when the set of charts changes; otherwise charts just update --------
  function render() {
    const container = document.getElementById("tab-scalars");
    const shown = allTags().filter(fb.tagMatches);
    const combined = combinedTags();
    const key = currentLayoutKey();
    if (key !== layoutKey || !container.firstChild) {
      layoutKey = key;
      layout(container, shown, combined);
    }
    applyEnlarged();
    scheduleRedraw(true);
  }

  // Cards a group shows before "Show more": a run with 100 000 tags must not make 100 000
  // cards (the page would stall for minutes); each click shows this many more.
  const CARDS_PER_PAGE = 30;
  const CARDS_AT_FIRST = 300;  // over all groups, shared out (at least 6 each)
  const pages = new Map();  // group -> pages of cards shown

  function layout(container, shown, combined) {
    inView.reset();
    const keep = new Set();
    const boxes = [];
    const add = (grid, key, cardTags, title) => {
      const c = cardFor(key, cardTags, title);
      keep.add(key);
      grid.append(c.node);
      inView.watch(c);
    };
    const pinned = [...state.pinned].filter((t) => t === COMBINED ? combined.length : shown.includes(t));
    if (combined.length || pinned.length) {
      const grid = el("div", { class: "grid" });
      if (combined.length) add(grid, COMBINED, combined, "/" + state.combine + "/ · " + combined.length + " tags");
      pinned.filter((t) => t !== COMBINED).forEach((t) => add(grid, t, [t], t));
      boxes.push(fb.groupBox("\u0000pinned", grid.childElementCount, grid, "Pinned"));
    }
    const groups = new Map();
    shown.filter((t) => !state.pinned.has(t)).forEach((t) => {
      const g = fb.groupOf(t);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g).push(t);
    });
    [...groups.keys()].sort().forEach((g) => {
      const grid = el("div", { class: "grid" });
      const all = groups.get(g);
      const first = Math.max(6, Math.min(CARDS_PER_PAGE, Math.floor(CARDS_AT_FIRST / groups.size)));
      const count = Math.min(all.length, first + ((pages.get(g) || 1) - 1) * CARDS_PER_PAGE);
      all.slice(0, count).forEach((t) => add(grid, t, [t], t));
      const box = fb.groupBox(g, all.length, grid);
      if (count < all.length) {
        const more = el("button", { class: "link more-cards",
          text: `Show ${Math.min(CARDS_PER_PAGE, all.length - count)} more of ${all.length - count}` });
        more.addEventListener("click", () => {
          pages.set(g, (pages.get(g) || 1) + 1);
          layoutKey = null;
          render();
        });
        box.append(more);
      }
      boxes.push(box);
    });
    cards.forEach((c, k) => { if (!keep.has(k)) { c.chart.purge(); cards.delete(k); } });
    if (!boxes.length) boxes.push(fb.emptyState(allTags(), "scalar"));
    container.replaceChildren(...boxes);
  }

  // -- data and drawing ------------------------------------------------------------------
  // The pixel width a chart asks for, in steps of 100: a scrollbar coming or going must not
  // make every chart fetch its data again.
  function plotWidth(c) { return Math.max(100, Math.ceil(((c.host.clientWidth || 600) - 64) / 100) * 100); }

  // Fetch what the chart lacks (nothing, when the server's clock has not moved), then draw;
  // `quiet`: draw only if something new arrived (a timed refresh).
  async function update(c, quiet) {
    if (!c.visible || c.node.offsetParent === null) { c.dirty = true; return; }
    c.dirty = false;
    const runs = runsWith(c);
    let news = true;
    try {
      news = await c.data.sync(runs, plotWidth(c), state.xaxis === "step" ? c.zoom : null);
      c.error = null;
    } catch (e) {
      c.error = e.message;
    }
    if (quiet && !news && !c.error) return;
    draw(c);
  }

  function lineFor(c, run, tag, xmode, unit) {
    const s = c.data.get(run, tag);
    if (!s || !s.step.length) return null;
    if (s.xm !== xmode + unit) { s.xv = xValues(s, xmode, unit); s.xm = xmode + unit; }
    return { run, tag, label: c.tags.length > 1 ? run + " · " + tag : run, color: fb.runColor(run),
      dash: c.tags.length > 1 ? c.tags.indexOf(tag) : 0, x: s.xv, y: smoothed(s, state.smoothing),
      raw: s.value, step: s.step, wall: s.wall, kind: "smoothed" };
  }

  function draw(c) {
    if (!c.visible) { c.dirty = true; return; }
    const now = gen;
    const done = () => { c.doneGen = now; };
    const runs = runsWith(c);
    if (c.error) {
      c.host.classList.remove("loading");
      c.host.dataset.error = c.error;
    } else {
      delete c.host.dataset.error;
    }
    const ready = runs.filter((r) => c.data.has(r));
    if (!runs.length) {
      c.host.classList.remove("loading");
      c.chart.update({ lines: [], x: { type: "linear", title: "" }, y: { type: "linear" }, height: chartHeight(c) }).then(done);
      c.host.dataset.empty = "No selected run has this tag.";
      return;
    }
    delete c.host.dataset.empty;
    if (!ready.length) {  // the spinner stays until data arrives
      if (c.error) done();
      return;
    }
    c.host.classList.remove("loading");
    let unit = [1, 1, "seconds"];
    if (state.xaxis === "relative") {
      let longest = 0;
      ready.forEach((r) => c.tags.forEach((t) => {
        const s = c.data.get(r, t);
        if (s && s.wall.length) longest = Math.max(longest, s.wall[s.wall.length - 1] - s.wall[0]);
      }));
      unit = timeUnit(longest);
    }
    let lines = [];
    ready.forEach((r) => c.tags.forEach((t) => { const l = lineFor(c, r, t, state.xaxis, unit[1]); if (l) lines.push(l); }));
    let bands = [];
    if (state.groupBy) [lines, bands] = groupLines(lines, c.tags.length > 1);
    const logx = state.logx.has(c.key), logy = state.logy || state.logyTags.has(c.key);
    const xtitle = { step: "step", relative: "relative time (" + unit[2] + ")", wall: "" }[state.xaxis];
    c.chart.update({ lines, bands, outliers: state.outliers, height: chartHeight(c),
      x: { type: logx ? "log" : state.xaxis === "wall" ? "date" : "linear", title: xtitle },
      y: { type: logy ? "log" : "linear" } }).then(done);
  }

  function chartHeight(c) { return c.node.classList.contains("enlarged") ? 560 : 260; }

  // Redraw the visible charts once per frame, however many inputs fired; `fetch` also asks for
  // runs they lack. Charts out of view are marked and drawn when scrolled to.
  function scheduleRedraw(fetch) {
    gen += 1;
    fetchQueued = fetchQueued || fetch;
    if (frameQueued) return;
    frameQueued = true;
    requestAnimationFrame(() => {
      frameQueued = false;
      const f = fetchQueued;
      fetchQueued = false;
      cards.forEach((c) => {
        if (!c.visible) { c.dirty = true; return; }
        if (f) update(c); else draw(c);
      });
    });
  }

  // Whether every chart in view shows the latest state (for tests and the benchmark).
  function settled() {
    if (frameQueued || fb.pending || (cards.size && !inView.seen)) return false;
    return [...cards.values()].every((c) => !c.visible || c.node.offsetParent === null || c.doneGen === gen);
  }

  // A timed refresh: nothing at all unless the server's scalars changed; then the tags, and
  // the charts in view fetch what changed and redraw only if something did.
  async function refresh(changed) {
    const first = !Object.keys(tags).length;
    if (changed === false && !first && layoutKey) return;
    let fresh = (early && await early) || await fetchTags();
    // Asked for before the status: if the server has read more since, ask again.
    if (early && fresh.clock < state.scalarsClock) fresh = await fetchTags();
    early = null;
    tags = Object.fromEntries(Object.entries(fresh.tags).map(([r, t]) => [r, Object.keys(t)]));
    if (state.colorBy.startsWith("hparam:") || state.groupBy.startsWith("hparam:")) await fb.loadHparams();
    fillKeyChoices();
    if (currentLayoutKey() !== layoutKey || first || changed === undefined) { render(); return; }
    cards.forEach((c) => { if (c.visible) update(c, true); else c.dirty = true; });
  }

  function refreshVisible() { scheduleRedraw(true); }

  // -- settings --------------------------------------------------------------------------
  // Colour and group choices: the run, a name pattern (its first capture group), or an hparam.
  function fillKeyChoices() {
    const names = new Set();
    Object.values(fb.runHparamsNames ? fb.runHparamsNames() : {}).forEach((n) => names.add(n));
    ["color-by", "group-by"].forEach((id) => {
      const select = document.getElementById(id);
      const spec = id === "color-by" ? state.colorBy : state.groupBy;
      const hp = [...names, ...(spec.startsWith("hparam:") ? [spec.slice(7)] : [])];
      const options = [["", id === "color-by" ? "Run" : "Nothing"], ["pattern", "Name pattern"],
        ...[...new Set(hp)].sort().map((n) => ["hparam:" + n, "hparam " + n])];
      const now = JSON.stringify(options);
      if (select.dataset.options !== now) {
        select.dataset.options = now;
        select.replaceChildren(...options.map(([v, t]) => el("option", { value: v, text: t })));
      }
      select.value = spec.startsWith("hparam:") ? spec : spec ? "pattern" : "";
      const input = document.getElementById(id + "-pattern");
      input.hidden = select.value !== "pattern";
      if (select.value === "pattern" && document.activeElement !== input) input.value = spec;
    });
  }

  function bindSettings() {
    const slider = document.getElementById("smoothing"), out = document.getElementById("smoothing-value");
    slider.addEventListener("input", () => {
      state.smoothing = parseFloat(slider.value);
      out.textContent = state.smoothing.toFixed(2);
      fb.saveState();
      scheduleRedraw(false);
    });
    const xaxis = document.getElementById("xaxis");
    xaxis.addEventListener("change", () => {
      state.xaxis = xaxis.value;
      cards.forEach((c) => { c.zoom = null; c.chart.zoom = null; });
      fb.saveState();
      scheduleRedraw(true);
    });
    [["logy", "logy"], ["outliers", "outliers"]].forEach(([id, key]) => {
      const box = document.getElementById(id);
      box.addEventListener("change", () => { state[key] = box.checked; fb.saveState(); scheduleRedraw(false); });
    });
    const keyed = (id, field) => {
      const select = document.getElementById(id), input = document.getElementById(id + "-pattern");
      // hparam names are asked for the first time someone looks at the choices
      select.addEventListener("focus", () => fb.loadHparams(true).then(fillKeyChoices), { once: true });
      const apply = async () => {
        state[field] = select.value === "pattern" ? input.value : select.value;
        input.hidden = select.value !== "pattern";
        if (state[field].startsWith("hparam:")) await fb.loadHparams();
        fb.saveState();
        fb.renderRuns();
        scheduleRedraw(false);
      };
      select.addEventListener("change", apply);
      input.addEventListener("input", fb.debounce(() => { fb.regex(input.value, input); apply(); }, 150));
    };
    keyed("color-by", "colorBy");
    keyed("group-by", "groupBy");
    const band = document.getElementById("band");
    band.addEventListener("change", () => { state.band = band.value; fb.saveState(); scheduleRedraw(false); });
    const tip = document.getElementById("tip-sort");
    tip.addEventListener("change", () => { state.tipSort = tip.value; fb.saveState(); });
    const combine = document.getElementById("combine");
    combine.addEventListener("input", fb.debounce(() => {
      fb.regex(combine.value, combine);
      state.combine = combine.value;
      fb.saveState();
      render();
    }, 150));
    document.getElementById("download-csv").addEventListener("click", () => fb.downloadScalars(fb.selectedRuns(), allTags().filter(fb.tagMatches), "csv"));
    document.getElementById("download-json").addEventListener("click", () => fb.downloadScalars(fb.selectedRuns(), allTags().filter(fb.tagMatches), "json"));
    document.addEventListener("click", (e) => {
      cards.forEach((c) => { if (!c.menu.hidden && !c.node.querySelector(".card-head").contains(e.target)) c.menu.hidden = true; });
    });
  }

  // Inputs show the state read from the URL (at start and on Back/Forward).
  function syncSettings() {
    document.getElementById("smoothing").value = state.smoothing;
    document.getElementById("smoothing-value").textContent = state.smoothing.toFixed(2);
    document.getElementById("xaxis").value = state.xaxis;
    document.getElementById("logy").checked = state.logy;
    document.getElementById("outliers").checked = state.outliers;
    document.getElementById("band").value = state.band;
    document.getElementById("tip-sort").value = state.tipSort;
    document.getElementById("combine").value = state.combine;
    fillKeyChoices();
    if (fb.views.scalars && state.tab === "scalars") render();
  }

  fb.views.scalars = { render, refresh, refreshVisible, cards, settled };
  document.addEventListener("DOMContentLoaded", bindSettings);
  document.addEventListener("flowboard:state", syncSettings);
})();
