// flowboard page core: view state in the URL, tabs, runs list, theme, loading progress, refresh.
"use strict";

(function () {
  const TABS = ["scalars", "histograms", "images", "text", "hparams", "graphs"];
  const PALETTE = ["#4f6df5", "#f76707", "#12b886", "#e64980", "#7950f2", "#fab005",
                   "#15aabf", "#82c91e", "#fa5252", "#be4bdb", "#94a3b8", "#a0522d"];
  // Query parameters this file owns; every other parameter (graph.js keeps g_*) is preserved.
  const OWN = ["tab", "off", "on", "runs", "tags", "smooth", "x", "logy", "outliers", "fold"];

  const q = new URLSearchParams(location.search);
  const state = {
    tab: TABS.includes(q.get("tab")) ? q.get("tab") : "scalars",
    off: new Set(q.getAll("off")),          // runs unticked by the user
    on: q.has("on") ? new Set(q.getAll("on").filter(Boolean)) : null,  // the only ticked runs, if set
    runFilter: q.get("runs") || "",
    tagFilter: q.get("tags") || "",
    smoothing: q.has("smooth") ? clamp(parseFloat(q.get("smooth")), 0, 0.99) : 0.6,
    xaxis: ["step", "relative", "wall"].includes(q.get("x")) ? q.get("x") : "step",
    logy: q.get("logy") === "1",
    outliers: q.get("outliers") === "1",
    folded: new Set(q.getAll("fold")),      // collapsed tag groups
    runs: [],
    reloadInterval: 5,
    loaded: false,                          // the runs list has arrived once
  };

  function clamp(v, lo, hi) { return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : 0.6; }

  function saveState() {
    const p = new URLSearchParams(location.search);
    OWN.forEach((k) => p.delete(k));
    if (state.tab !== "scalars") p.set("tab", state.tab);
    state.off.forEach((r) => p.append("off", r));
    if (state.on) (state.on.size ? state.on : [""]).forEach((r) => p.append("on", r));
    if (state.runFilter) p.set("runs", state.runFilter);
    if (state.tagFilter) p.set("tags", state.tagFilter);
    if (state.smoothing !== 0.6) p.set("smooth", String(state.smoothing));
    if (state.xaxis !== "step") p.set("x", state.xaxis);
    if (state.logy) p.set("logy", "1");
    if (state.outliers) p.set("outliers", "1");
    state.folded.forEach((g) => p.append("fold", g));
    const s = p.toString();
    history.replaceState(null, "", s ? "?" + s : location.pathname);
  }

  async function api(path, params) {
    const p = new URLSearchParams();
    Object.entries(params || {}).forEach(([k, v]) => {
      (Array.isArray(v) ? v : [v]).forEach((x) => { if (x !== undefined && x !== null) p.append(k, x); });
    });
    const url = "data/" + path + (p.toString() ? "?" + p : "");
    const resp = await fetch(url);
    if (!resp.ok) {
      let msg = resp.statusText;
      try { msg = (await resp.json()).error; } catch (e) { /* not JSON */ }
      throw new Error(msg);
    }
    return resp.json();
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

  // A run name that may wrap after its separators (/ , _ -) rather than mid-word; text only.
  function breakableName(name) {
    const parts = String(name).split(/(?<=[\/,_-])/);
    return el("span", {}, parts.flatMap((p, i) => (i ? [document.createElement("wbr"), p] : [p])));
  }

  // Colours follow the sorted run list, so neighbours differ; a run keeps its colour while
  // the list does not change.
  function runColor(run) {
    const i = state.runs.indexOf(run);
    if (i >= 0) return PALETTE[i % PALETTE.length];
    let h = 0;
    for (let k = 0; k < run.length; k++) h = (h * 31 + run.charCodeAt(k)) >>> 0;
    return PALETTE[h % PALETTE.length];
  }

  function regex(text, input) {
    try {
      input && input.classList.remove("invalid");
      return new RegExp(text, "i");
    } catch (e) {
      input && input.classList.add("invalid");
      return /(?:)/;
    }
  }

  function isTicked(run) { return state.on ? state.on.has(run) : !state.off.has(run); }

  function tick(run, on) {
    if (state.on) { if (on) state.on.add(run); else state.on.delete(run); } else if (on) state.off.delete(run); else state.off.add(run);
  }

  function selectedRuns() {
    const re = regex(state.runFilter);
    return state.runs.filter((r) => isTicked(r) && re.test(r));
  }

  // Make `names` the only ticked runs (null: every run ticked again); used by other views.
  function selectRuns(names) {
    state.off.clear();
    state.on = names ? new Set(names) : null;
    saveState();
    renderRuns();
    flowboard.render();
  }

  function tagMatches(tag) { return regex(state.tagFilter).test(tag); }

  // The group of a tag: its prefix before the first "/", or "" for tags without one.
  function groupOf(tag) {
    const i = tag.indexOf("/");
    return i > 0 ? tag.slice(0, i) : "";
  }

  // What an empty view says: why nothing shows and what would make something show.
  function emptyState(tags, what) {
    let title, hint;
    if (!state.loaded) {
      return el("div", { class: "empty", text: "Loading…" });
    } else if (tags.length) {
      title = "No tags match the filter";
      hint = "Nothing matches /" + state.tagFilter + "/ (case-insensitive).";
    } else if (!state.runs.length) {
      title = "No runs yet";
      hint = "Runs appear here as soon as event files show up in the logdir.";
    } else if (!selectedRuns().length) {
      title = "No run selected";
      hint = "Tick a run in the list, or clear the run filter.";
    } else {
      title = "No " + what + " data yet";
      hint = "None of the selected runs has logged " + what + " summaries yet; "
        + "the page refreshes on its own.";
    }
    return el("div", { class: "empty-state" }, el("div", { class: "empty-title", text: title }),
      el("div", { class: "empty-hint", text: hint }));
  }

  // Tags grouped by the prefix before the first "/", each group a collapsible <details>; tags
  // without a prefix share one group, shown first, so a flat list of tags still fills the width.
  function groupedTags(tags, container, makeCards, what) {
    const groups = new Map();
    tags.filter(tagMatches).forEach((t) => {
      const g = groupOf(t);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g).push(t);
    });
    container.replaceChildren();
    if (!groups.size) {
      container.append(emptyState(tags, what || "matching"));
      return;
    }
    [...groups.keys()].sort().forEach((g) => {
      const grid = el("div", { class: "grid" });
      const label = g ? el("span", { class: "group-name", text: g })
        : el("span", { class: "group-name ungrouped", text: "Ungrouped",
          title: "Tags without a prefix" });
      const details = el("details", { class: "group", open: !state.folded.has(g), "data-group": g },
        el("summary", {}, label, el("span", { class: "count", text: groups.get(g).length })),
        grid);
      details.addEventListener("toggle", () => {
        if (details.open) state.folded.delete(g); else state.folded.add(g);
        saveState();
        if (details.open) flowboard.refreshVisible();
      });
      groups.get(g).sort().forEach((t) => makeCards(t, grid));
      container.append(details);
    });
  }

  // Runs list: colour chip, checkbox, regex filter.
  function renderRuns() {
    const list = document.getElementById("run-list");
    const re = regex(state.runFilter, document.getElementById("run-filter"));
    list.replaceChildren(...state.runs.filter((r) => re.test(r)).map((r) => {
      const box = el("input", { type: "checkbox", "data-run": r });
      box.checked = isTicked(r);
      box.addEventListener("change", () => {
        tick(r, box.checked);
        saveState();
        flowboard.render();
      });
      return el("li", {}, el("label", { title: r }, box,
        el("span", { class: "chip", style: "background:" + runColor(r) }), breakableName(r)));
    }));
  }

  function showTab(tab) {
    state.tab = tab;
    document.querySelectorAll(".tabs button").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === tab)));
    document.querySelectorAll("section.tab").forEach((s) => { s.hidden = s.dataset.tab !== tab; });
    document.getElementById("scalar-settings").hidden = tab !== "scalars";
    // the graph has its own search; the hparams table has no tags
    document.getElementById("tag-filter").hidden = tab === "graphs" || tab === "hparams";
    saveState();
    document.dispatchEvent(new CustomEvent("flowboard:tab", { detail: { tab } }));
    flowboard.render();
  }

  function currentView() { return flowboard.views[state.tab]; }

  async function refresh() {
    try {
      const status = await api("status");
      showProgress(status);
      state.runs = await api("runs");
      state.loaded = true;
      renderRuns();
      const view = currentView();
      if (view) await view.refresh();
      document.getElementById("status").textContent = "";
    } catch (e) {
      document.getElementById("status").textContent = "Server unreachable: " + e.message;
    }
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

  function bindInputs() {
    // A tab's data is fetched at once, not at the next timed refresh.
    document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => { showTab(b.dataset.tab); refresh(); }));
    const runFilter = document.getElementById("run-filter");
    runFilter.value = state.runFilter;
    runFilter.addEventListener("input", () => { state.runFilter = runFilter.value; saveState(); renderRuns(); flowboard.render(); });
    const tagFilter = document.getElementById("tag-filter");
    tagFilter.value = state.tagFilter;
    tagFilter.addEventListener("input", () => {
      state.tagFilter = tagFilter.value; regex(state.tagFilter, tagFilter); saveState(); flowboard.render();
    });
    document.getElementById("runs-all").addEventListener("click", () => selectRuns(null));
    document.getElementById("runs-none").addEventListener("click", () => selectRuns([]));
    document.getElementById("reload").addEventListener("click", refresh);
  }

  window.flowboard = {
    state, api, el, runColor, selectedRuns, selectRuns, groupedTags, saveState, regex,
    views: {},
    render() { const v = currentView(); if (v) v.render(); },
    refreshVisible() { const v = currentView(); if (v && v.refreshVisible) v.refreshVisible(); },
    cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); },
  };

  document.addEventListener("DOMContentLoaded", () => {
    initTheme();
    bindInputs();
    showTab(state.tab);
    loop();
  });
})();
