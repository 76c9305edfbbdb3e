// flowboard page core: view state in the URL and history, tabs, the runs list, colours, refresh.
"use strict";

(function () {
  const TABS = ["scalars", "custom_scalars", "histograms", "distributions", "images", "audio", "text",
    "pr_curves", "projector", "mesh", "hparams", "graphs"];
  // Always shown, data or not: they say themselves how to log what they show.
  const CORE_TABS = new Set(["scalars", "graphs"]);
  const ROW = 26;              // px per row of the runs list: fixed, so it can be virtualised
  const FILTER_DELAY = 120;    // ms of quiet typing before a filter applies

  // Runs in natural order: numbers inside names compare as numbers, decimals included, so
  // seed=2 comes before seed=10 and lr=0.0003 before lr=0.001.
  function naturalSort(names) {
    const key = new Map(names.map((n) => [n, n.split(/(\d+(?:\.\d+)?(?:e-?\d+)?)/i)]));
    return names.sort((a, b) => {
      const p = key.get(a), q = key.get(b);
      for (let i = 0; i < Math.min(p.length, q.length); i++) {
        if (p[i] === q[i]) continue;
        const x = i % 2 ? parseFloat(p[i]) : NaN, y = i % 2 ? parseFloat(q[i]) : NaN;
        if (x !== y && !Number.isNaN(x) && !Number.isNaN(y)) return x - y;
        return p[i] < q[i] ? -1 : 1;
      }
      return p.length - q.length;
    });
  }

  // plotly loads beside the page's scripts (async); what draws with it waits for this.
  const plotlyReady = window.Plotly ? Promise.resolve() : new Promise((resolve, reject) => {
    const script = document.getElementById("plotly-script");
    script.addEventListener("load", resolve);
    script.addEventListener("error", () => reject(new Error("plotly.min.js did not load")));
  });
  // Views other than the scalars (whose charts wait for plotly themselves) start once it is there.
  const whenDrawable = () => (window.Plotly || state.tab === "scalars" ? null : plotlyReady);

  const state = {
    tab: "scalars",
    off: new Set(),            // runs unticked by the user
    on: null,                  // the only ticked runs, when set (selectRuns, "none")
    runFilter: "", tagFilter: "",
    smoothing: 0.6, xaxis: "step", logy: false, outliers: false,
    folded: new Set(),         // collapsed tag groups
    colorBy: "", groupBy: "", band: "std", combine: "", tipSort: "value",
    pinned: new Set(), logx: new Set(), logyTags: new Set(), enlarged: "",
    runs: [],
    reloadInterval: 5,
    loaded: false,             // the runs list has arrived once
    scalarsClock: 0,           // the server's tick of the newest scalar change
  };

  const readState = (search) => window.flowboardUrl.read(state, TABS, search);
  const saveState = (push) => window.flowboardUrl.save(state, push);

  // -- helpers ---------------------------------------------------------------------------
  async function api(path, params, init) {
    const p = new URLSearchParams();
    Object.entries(params || {}).forEach(([k, v]) => {
      (Array.isArray(v) ? v : [v]).forEach((x) => { if (x !== undefined && x !== null) p.append(k, x); });
    });
    const url = "data/" + path + (p.toString() ? "?" + p : "");
    const resp = await fetch(url, init);
    if (!resp.ok) {
      let msg = resp.statusText;
      try { msg = (await resp.json()).error; } catch (e) { /* not JSON */ }
      throw new Error(msg);
    }
    return init && init.raw ? resp.arrayBuffer() : resp.json();
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k === "style") node.style.cssText = v;
      else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
    });
    children.flat().forEach((c) => node.append(c instanceof Node ? c : document.createTextNode(String(c))));
    return node;
  }

  const regexCache = new Map();
  function regex(text, input) {
    let re = regexCache.get(text);
    if (re === undefined) {
      try { re = new RegExp(text, "i"); } catch (e) { re = null; }
      regexCache.set(text, re);
    }
    if (input) input.classList.toggle("invalid", re === null);
    return re || /(?:)/;
  }

  // -- colours ---------------------------------------------------------------------------
  // Twelve hand-picked hues first, then the golden angle around the wheel at three lightness
  // levels: no two of the first few dozen look alike, in light and dark themes.
  const BASE = ["#4f6df5", "#f76707", "#12b886", "#e64980", "#7950f2", "#fab005",
                "#15aabf", "#82c91e", "#fa5252", "#be4bdb", "#94a3b8", "#a0522d"];
  function paletteColor(i) {
    if (i < BASE.length) return BASE[i];
    const k = i - BASE.length;
    const hue = (k * 137.508 + 20) % 360;
    const light = [56, 44, 66][Math.floor(k / 7) % 3];
    return `hsl(${hue.toFixed(1)}, ${k % 2 ? 62 : 76}%, ${light}%)`;
  }

  // A run keeps the colour it got when first seen (in sorted order), whatever comes or goes.
  const colorIndex = new Map();
  function noteRuns(runs) { runs.forEach((r) => { if (!colorIndex.has(r)) colorIndex.set(r, colorIndex.size); }); }

  const runHparams = {};  // run -> {name: value}, fetched when colouring or grouping by one
  // The key a run is coloured or grouped by: a regex's first capture group (or whole match),
  // or an hparam's value ("hparam:NAME"); null when the run has none.
  function keyOf(run, spec) {
    if (!spec) return null;
    if (spec.startsWith("hparam:")) {
      const v = (runHparams[run] || {})[spec.slice(7)];
      return v === undefined ? null : String(v);
    }
    const m = regex(spec).exec(run);
    return m ? (m.length > 1 && m[1] !== undefined ? m[1] : m[0]) : null;
  }
  const keyIndex = new Map();  // "spec\0key" -> colour index, in order of first sight
  const colorCache = new Map();  // run -> colour, for the current colour-by
  let colorCacheSpec = "";
  function runColor(run) {
    if (colorCacheSpec !== state.colorBy) { colorCache.clear(); colorCacheSpec = state.colorBy; }
    let c = colorCache.get(run);
    if (c === undefined) { c = colorOf(run); colorCache.set(run, c); }
    return c;
  }

  function colorOf(run) {
    const key = keyOf(run, state.colorBy);
    if (key === null) {
      if (!colorIndex.has(run)) noteRuns([run]);
      return paletteColor(colorIndex.get(run));
    }
    const k = state.colorBy + "\0" + key;
    if (!keyIndex.has(k)) keyIndex.set(k, [...keyIndex.keys()].filter((x) => x.startsWith(state.colorBy + "\0")).length);
    return paletteColor(keyIndex.get(k));
  }

  async function loadHparams(force) {
    if (!force && !(state.colorBy + state.groupBy).includes("hparam:")) return;
    const rows = await api("plugin/hparams/table").catch(() => []);
    (Array.isArray(rows) ? rows : rows.rows || []).forEach((r) => { runHparams[r.run] = r.hparams; });
    colorCache.clear();  // colours by an hparam follow its values
  }

  // -- selection -------------------------------------------------------------------------
  function isTicked(run) { return state.on ? state.on.has(run) : !state.off.has(run); }

  function tick(run, on) {
    if (state.on) { if (on) state.on.add(run); else state.on.delete(run); } else if (on) state.off.delete(run); else state.off.add(run);
  }

  let filtered = [];  // runs matching the run filter, sorted
  function applyFilter() {
    const re = regex(state.runFilter, document.getElementById("run-filter"));
    filtered = state.runFilter ? state.runs.filter((r) => re.test(r)) : state.runs;
  }

  function selectedRuns() { return filtered.filter(isTicked); }

  // Make `names` the only ticked runs (null: every run ticked again); used by other views.
  function selectRuns(names) {
    state.off.clear();
    state.on = names ? new Set(names) : null;
    saveState();
    renderRuns();
    flowboard.render();
  }

  function tagMatches(tag) { return regex(state.tagFilter).test(tag); }

  // -- the runs list: only the rows in view exist, so 10 000 runs scroll like 10 -------------
  function renderRuns() {
    const list = document.getElementById("run-list");
    const spacer = list.firstElementChild || list.appendChild(el("li", { class: "spacer-row", "aria-hidden": "true" }));
    spacer.style.height = filtered.length * ROW + "px";
    list.style.height = Math.min(filtered.length * ROW + 2, 420, innerHeight * 0.4) + "px";
    const first = Math.max(0, Math.floor(list.scrollTop / ROW) - 5);
    const last = Math.min(filtered.length, first + Math.ceil((list.clientHeight || 400) / ROW) + 10);
    const rows = [];
    for (let i = first; i < last; i++) {
      const r = filtered[i];
      const box = el("input", { type: "checkbox", "data-run": r });
      box.checked = isTicked(r);
      rows.push(el("li", { class: "run-row", style: `top:${i * ROW}px` }, el("label", { title: r }, box,
        el("span", { class: "chip", style: "background:" + runColor(r) }), el("span", { class: "run-name", text: r }))));
    }
    list.replaceChildren(spacer, ...rows);
    const count = document.getElementById("run-count");
    const n = selectedRuns().length;
    count.textContent = filtered.length === state.runs.length ? `${n} of ${state.runs.length}`
      : `${n} of ${filtered.length} matching (${state.runs.length})`;
  }

  // -- tabs and history ------------------------------------------------------------------
  function showTab(tab, push) {
    state.tab = tab;
    document.querySelectorAll(".tabs button").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === tab)));
    document.querySelectorAll("section.tab").forEach((s) => { s.hidden = s.dataset.tab !== tab; });
    document.getElementById("scalar-settings").hidden = tab !== "scalars";
    // the graph has its own search; the hparams table has no tags
    document.getElementById("tag-filter").hidden = tab === "graphs" || tab === "hparams";
    document.getElementById("scalar-tools").hidden = tab !== "scalars";
    saveState(push);
    document.dispatchEvent(new CustomEvent("flowboard:tab", { detail: { tab } }));
    flowboard.render();
  }

  function currentView() { return flowboard.views[state.tab]; }

  let runsSeen = -1, runsFetched = 0;
  async function refresh() {
    try {
      // On the first load the runs are asked for at once, beside the status.
      const early = state.loaded ? null : api("runs");
      const status = await api("status");
      showProgress(status);
      const changed = status.scalars_clock !== state.scalarsClock;
      state.scalarsClock = status.scalars_clock;
      // The runs list is fetched when the count moves (or once a minute), not every few seconds.
      if (early || status.runs !== runsSeen || Date.now() - runsFetched > 60000) {
        state.runs = naturalSort(await (early || api("runs")));
        runsSeen = status.runs;
        runsFetched = Date.now();
        noteRuns(state.runs);
        applyFilter();
        state.loaded = true;
        renderRuns();
        setTimeout(markEmptyTabs, 1000);  // after the first charts' requests
      }
      const view = currentView();
      await whenDrawable();
      if (view) await view.refresh(changed);
      document.getElementById("status").textContent = "";
    } catch (e) {
      document.getElementById("status").textContent = "Server unreachable: " + e.message;
    }
  }

  // Tabs for kinds of data no run holds stay out of the way (hidden; the open one stays, so
  // a link to it still works). One request says which kinds are present.
  async function markEmptyTabs() {
    const listing = await api("plugins_listing").catch(() => null);
    if (!listing) return;
    document.querySelectorAll(".tabs button").forEach((b) => {
      const tab = b.dataset.tab, empty = listing[tab] && !listing[tab].enabled;
      b.classList.toggle("empty-tab", Boolean(empty));
      b.hidden = Boolean(empty) && !CORE_TABS.has(tab) && tab !== state.tab;
      b.title = empty ? "No " + b.textContent.toLowerCase() + " logged yet" : "";
    });
  }

  function showProgress(s) {
    const box = document.getElementById("progress");
    box.hidden = !s.loading;
    if (s.reload_interval) state.reloadInterval = s.reload_interval;
    if (!s.loading) return;
    const frac = s.bytes_total ? s.bytes_read / s.bytes_total : 0;
    box.querySelector(".fill").style.width = (100 * frac).toFixed(1) + "%";
    box.querySelector(".label").textContent =
      `Loading ${s.runs} run${s.runs === 1 ? "" : "s"} · ${(s.bytes_read / 1e6).toFixed(1)} / ${(s.bytes_total / 1e6).toFixed(1)} MB`;
  }

  // Refresh on a timer following the server's reload interval; faster while loading.
  async function loop() {
    await refresh();
    const loading = !document.getElementById("progress").hidden;
    const secs = loading ? 0.5 : Math.max(1, state.reloadInterval || 5);
    setTimeout(loop, secs * 1000);
  }

  function initTheme() {
    const saved = localStorage.getItem("flowboard-theme");
    const dark = saved ? saved === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
    document.documentElement.dataset.theme = dark ? "dark" : "light";
    document.getElementById("theme-toggle").addEventListener("click", () => {
      const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
      document.documentElement.dataset.theme = next;
      localStorage.setItem("flowboard-theme", next);
      document.dispatchEvent(new CustomEvent("flowboard:theme", { detail: { theme: next } }));
      flowboard.render();
    });
  }

  // `fn` once the calls have paused for `ms`; `flowboard.pending` counts the calls waiting, so
  // the page can tell when what was typed has been applied.
  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      if (timer === null) flowboard.pending += 1;
      clearTimeout(timer);
      timer = setTimeout(() => { timer = null; flowboard.pending -= 1; fn(...args); }, ms);
    };
  }

  function bindInputs() {
    // A tab's data is fetched at once, not at the next timed refresh.
    document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => {
      if (b.dataset.tab === state.tab) return;
      showTab(b.dataset.tab, true);
      refresh();
    }));
    const runFilter = document.getElementById("run-filter");
    runFilter.value = state.runFilter;
    runFilter.addEventListener("input", debounce(() => {
      state.runFilter = runFilter.value; applyFilter(); saveState(); renderRuns(); flowboard.render();
    }, FILTER_DELAY));
    const tagFilter = document.getElementById("tag-filter");
    tagFilter.value = state.tagFilter;
    tagFilter.addEventListener("input", debounce(() => {
      state.tagFilter = tagFilter.value; regex(state.tagFilter, tagFilter); saveState(); flowboard.render();
    }, FILTER_DELAY));
    document.getElementById("runs-all").addEventListener("click", () => selectRuns(null));
    document.getElementById("runs-none").addEventListener("click", () => selectRuns([]));
    const list = document.getElementById("run-list");
    let pending = false;
    list.addEventListener("scroll", () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; renderRuns(); });
    });
    list.addEventListener("change", (e) => {
      const run = e.target.dataset.run;
      if (run === undefined) return;
      tick(run, e.target.checked);
      saveState();
      renderRuns();
      flowboard.render();
    });
    document.getElementById("reload").addEventListener("click", refresh);
    window.addEventListener("popstate", async () => {
      await readState(location.search);
      syncInputs();
      applyFilter();
      renderRuns();
      showTab(state.tab, false);
      document.dispatchEvent(new CustomEvent("flowboard:state"));
      refresh();
    });
  }

  function syncInputs() {
    document.getElementById("run-filter").value = state.runFilter;
    document.getElementById("tag-filter").value = state.tagFilter;
  }

  const cssCache = { theme: null, values: {} };

  window.flowboard = {
    state, api, el, runColor, paletteColor, keyOf, loadHparams, selectedRuns, selectRuns,
    saveState, regex, debounce, renderRuns, tagMatches,
    runHparamsNames() { return [...new Set(Object.values(runHparams).flatMap((h) => Object.keys(h || {})))]; },
    views: {},
    pending: 0,
    plotlyReady,
    render() {
      const v = currentView(), wait = whenDrawable();
      if (v && wait) wait.then(() => { if (v === currentView()) v.render(); });
      else if (v) v.render();
    },
    refreshVisible() { const v = currentView(); if (v && v.refreshVisible) v.refreshVisible(); },
    // Theme colours, read once per theme: reading computed styles forces a style pass, and
    // every chart asks for several on each redraw.
    cssVar(name) {
      const theme = document.documentElement.dataset.theme;
      if (cssCache.theme !== theme) { cssCache.theme = theme; cssCache.values = {}; }
      if (!(name in cssCache.values)) {
        cssCache.values[name] = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
      }
      return cssCache.values[name];
    },
  };

  document.addEventListener("DOMContentLoaded", async () => {
    await readState(location.search);
    initTheme();
    bindInputs();
    document.dispatchEvent(new CustomEvent("flowboard:state"));
    showTab(state.tab, false);
    loop();
  });
})();
