// HParams view: every run's hparams and final metrics as parallel coordinates, a scatter of any
// two columns and a sortable table, with range filters that decide which runs are ticked on every
// tab. The parts are drawn by hparams-parcoords.js, -scatter.js, -filters.js and -table.js; this
// file holds the data, the filters and the view state (h_* URL parameters).
"use strict";

(function () {
  const fb = window.flowboard;
  const hp = (fb.hparams = fb.hparams || {});
  const { el } = fb;
  const MISSING = "—";

  const view = {
    rows: null,    // the server's answer; null until the first one arrives
    cols: [],      // its columns
    version: 0,    // counts the answers that changed something
    seen: "",      // that answer and the run list as last drawn
    passing: undefined,  // the runs passing the filters, as last applied ("\n"-joined; null: none set)
    sort: null,    // {key, desc}: key "run", "h:NAME" or "m:TAG", or null
    filters: {},   // key -> {lo, hi, missing} or {in: [labels]}
    x: null, y: null,  // the scatter's columns, when chosen
  };
  let parts = null;  // the tab's nodes, kept between renders

  // View state from the URL: at load, and again when Back or Forward changes it.
  function readUrl() {
    const q = new URLSearchParams(location.search);
    view.sort = { key: q.get("h_sort") || null, desc: q.get("h_desc") === "1" };
    view.filters = parseFilters(q.get("h_filter"));
    view.x = q.get("h_x") || null;
    view.y = q.get("h_y") || null;
  }
  readUrl();
  document.addEventListener("flowboard:state", () => {
    readUrl();
    if (!view.rows) return;
    // the runs the URL ticks stand; later answers apply the filters again
    const active = activeFilters(view.cols);
    view.passing = active.length ? passingRuns(active).join("\n") : null;
    if (fb.state.tab === "hparams") render();
  });
  let resizing = 0;  // the plots take the card's width: drawn again once a resize settles
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => { if (fb.state.tab === "hparams") render(); }, 150);
  });

  function parseFilters(text) {
    try {
      const parsed = JSON.parse(text || "{}");
      return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : {};
    } catch (e) {
      return {};  // a hand-edited URL must not break the page
    }
  }

  // -- values ------------------------------------------------------------------------------
  // JSON sends non-finite numbers as strings; they sort and show as numbers.
  function asNumber(v) {
    if (typeof v === "number") return v;
    if (v === "NaN") return NaN;
    if (v === "Infinity") return Infinity;
    if (v === "-Infinity") return -Infinity;
    return null;
  }

  function format(v) {
    if (v === null || v === undefined) return MISSING;
    if (typeof v === "boolean") return String(v);
    const n = asNumber(v);
    if (n === null) return String(v);
    if (!Number.isFinite(n)) return String(n);
    return Number.isInteger(n) && Math.abs(n) < 1e15 ? String(n) : String(Number(n.toPrecision(6)));
  }

  function cellValue(row, key) {
    if (key === "run") return row.run;
    const v = (key[0] === "h" ? row.hparams : row.metrics)[key.slice(2)];
    return v === undefined ? null : v;
  }

  // Numbers before strings, missing values always last.
  function compare(a, b) {
    if (a === null || b === null) return (a === null) - (b === null);
    const x = asNumber(a), y = asNumber(b);
    if (x !== null && y !== null) return Number.isNaN(x) - Number.isNaN(y) || (x < y ? -1 : x > y ? 1 : 0);
    if (x !== null || y !== null) return x !== null ? -1 : 1;
    return String(a).localeCompare(String(b), undefined, { numeric: true });
  }

  // Columns in the order the server gives (the order the runs logged them), hparams before
  // metrics; the runs with the most columns set it, so one run logging a few of them does not
  // reorder the rest. A column is numeric when every value it holds is a number; a positive one
  // spanning two decades or more is drawn on log axes (learning rates); the rest are categories.
  function columns(rows) {
    const cols = new Map();
    [["h:", "hparam", (r) => r.hparams], ["m:", "metric", (r) => r.metrics]].forEach(([p, kind, pick]) => {
      const names = rows.map((r) => Object.keys(pick(r)));
      names.sort((a, b) => b.length - a.length).forEach((list) => list.forEach((n) => {
        if (!cols.has(p + n)) cols.set(p + n, { key: p + n, label: n, kind });
      }));
    });
    cols.forEach((c) => {
      const values = rows.map((r) => cellValue(r, c.key));
      c.numeric = values.every((v) => v === null || asNumber(v) !== null);
      c.missing = values.some((v) => v === null || (c.numeric && !Number.isFinite(asNumber(v))));
      if (c.numeric) {
        const finite = values.map(asNumber).filter((n) => n !== null && Number.isFinite(n));
        c.min = finite.length ? Math.min(...finite) : null;
        c.max = finite.length ? Math.max(...finite) : null;
        c.log = c.min > 0 && c.max / c.min >= 100;
      } else {
        c.categories = [...new Set(values.filter((v) => v !== null).map(format))].sort(compare);
      }
    });
    return [...cols.values()];
  }

  function matches(col, filter, v) {
    if (filter.in) return filter.in.includes(format(v));
    const n = asNumber(v);
    if (n === null || !Number.isFinite(n)) return Boolean(filter.missing);
    return (filter.lo === null || filter.lo === undefined || n >= filter.lo)
      && (filter.hi === null || filter.hi === undefined || n <= filter.hi);
  }

  // Filters on columns this logdir lacks (a URL from elsewhere) are kept but do not apply.
  function activeFilters(cols) {
    return cols.filter((c) => view.filters[c.key]).map((c) => [c, view.filters[c.key]]);
  }

  function passes(row, active) {
    return active.every(([c, f]) => matches(c, f, cellValue(row, c.key)));
  }

  // -- state changes -----------------------------------------------------------------------
  function saveUrl() {
    window.flowboardUrl.saveParams({ h_sort: view.sort.key || null,
      h_desc: view.sort.key && view.sort.desc ? "1" : null,
      h_filter: Object.keys(view.filters).length ? JSON.stringify(view.filters) : null,
      h_x: view.x || null, h_y: view.y || null });
  }

  // New filters tick exactly the runs that pass them (every run again once none is left), on
  // the Scalars tab as everywhere else; selectRuns redraws the current view.
  function setFilters(filters) {
    view.filters = filters;
    saveUrl();
    const active = activeFilters(view.cols);
    const names = active.length ? passingRuns(active) : null;
    view.passing = names && names.join("\n");
    fb.selectRuns(names);
  }

  function passingRuns(active) {
    return view.rows.filter((r) => passes(r, active)).map((r) => r.run);
  }

  function setFilter(key, filter) {
    const next = { ...view.filters };
    if (filter) next[key] = filter; else delete next[key];
    setFilters(next);
  }

  // -- drawing -----------------------------------------------------------------------------
  function emptyState(title, hint) {
    return el("div", { class: "empty-state" }, el("div", { class: "empty-title", text: title }),
      el("div", { class: "empty-hint", text: hint }));
  }

  function skeleton() {
    const card = (cls, title, extra, body) => el("section", { class: "hp-card " + cls },
      el("div", { class: "hp-card-head" }, el("span", { class: "hp-card-title", text: title }), ...extra), body);
    const p = { caption: el("div", { class: "hparams-caption muted" }) };
    p.pc = el("div", { class: "hp-plot hp-parcoords" });
    p.x = el("select", { class: "hp-axis", "data-axis": "x", "aria-label": "Scatter x axis" });
    p.y = el("select", { class: "hp-axis", "data-axis": "y", "aria-label": "Scatter y axis" });
    p.scatter = el("div", { class: "hp-plot hp-scatter" });
    p.filters = el("div", { class: "hp-filters" });
    p.clear = el("button", { class: "link hp-clear", type: "button", text: "clear all" });
    p.table = el("div", { class: "hp-table" });
    [p.x, p.y].forEach((s) => s.addEventListener("change", () => {
      view[s.dataset.axis] = s.value;
      saveUrl();
      render();
    }));
    p.clear.addEventListener("click", () => setFilters({}));
    p.root = el("div", { class: "hparams-view" }, p.caption,
      card("hp-pc-card", "Parallel coordinates", [el("span", { class: "muted hp-hint",
        text: "drag along an axis to keep a range · click it to clear" })], p.pc),
      el("div", { class: "hp-row" },
        card("hp-scatter-card", "Scatter", [el("label", {}, "x ", p.x), el("label", {}, "y ", p.y)], p.scatter),
        card("hp-filter-card", "Filters", [p.clear], p.filters)),
      p.table);
    return p;
  }

  function fillAxisSelect(select, cols, value) {
    select.replaceChildren(...cols.map((c) => el("option", { value: c.key, text: c.label })));
    select.value = value;
  }

  function render() {
    const container = document.getElementById("tab-hparams");
    if (!fb.state.loaded || view.rows === null) {
      container.replaceChildren(el("div", { class: "empty", text: "Loading…" }));
      return;
    }
    if (!view.rows.length) {
      container.replaceChildren(emptyState("No hparams logged yet — use SummaryWriter.add_hparams(...)",
        "Runs logged with add_hparams(hparam_dict, metric_dict) show up here as rows of a table."));
      return;
    }
    const re = fb.regex(fb.state.runFilter);
    const candidates = view.rows.filter((r) => re.test(r.run));
    if (!candidates.length) {
      container.replaceChildren(emptyState("No run with hparams matches the run filter",
        "Clear the run filter to see the runs with hparams."));
      return;
    }
    if (!view.cols.length) {
      container.replaceChildren(emptyState("The runs logged hparams without values",
        "add_hparams(hparam_dict, metric_dict) needs at least one hparam or metric."));
      return;
    }
    if (!parts) parts = skeleton();
    if (container.firstChild !== parts.root) container.replaceChildren(parts.root);
    const cols = view.cols;
    const ticked = new Set(fb.selectedRuns());
    const shown = candidates.filter((r) => ticked.has(r.run));
    const active = activeFilters(cols);
    const passing = active.length ? candidates.filter((r) => passes(r, active)).length : null;
    const hn = cols.filter((c) => c.kind === "hparam").length, mn = cols.length - hn;
    const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
    parts.caption.textContent = [plural(candidates.length, "run"), plural(hn, "hparam"), plural(mn, "metric"),
      `${shown.length} ticked`].concat(passing === null ? [] : [`${passing} pass the filters`]).join(" · ");
    parts.clear.hidden = !active.length;
    // Unless chosen: the first numeric hparam that varies against the first metric.
    const pick = (key, ...choices) => (cols.some((c) => c.key === key) ? key : (choices.find(Boolean) || cols[0]).key);
    const varies = (c) => (c.numeric ? c.min !== c.max : c.categories.length > 1);
    const x = pick(view.x, cols.find((c) => c.kind === "hparam" && c.numeric && varies(c)),
      cols.find((c) => c.kind === "hparam"));
    const y = pick(view.y, cols.find((c) => c.kind === "metric" && c.numeric), cols.find((c) => c.key !== x));
    fillAxisSelect(parts.x, cols, x);
    fillAxisSelect(parts.y, cols, y);
    const key = JSON.stringify([view.version, fb.state.runFilter, document.documentElement.dataset.theme]);
    hp.drawParcoords(parts.pc, { cols, rows: candidates, filters: view.filters, onFilters: setFilters, key });
    hp.drawScatter(parts.scatter, { cols, rows: candidates, ticked, x, y,
      key: key + candidates.map((r) => (ticked.has(r.run) ? "1" : "0")).join("") });
    hp.drawFilters(parts.filters, { cols, filters: view.filters, key, onFilter: setFilter });
    hp.drawTable(parts.table, { cols, rows: shown, all: candidates, key, sort: view.sort, onSort(sort) {
      view.sort = sort;
      saveUrl();
      render();
    } });
  }

  // A run's line and dot stand out while its table row is under the pointer.
  let lit = [];
  hp.highlight = function (run) {
    lit.forEach((n) => n.classList.remove("hp-hl"));
    lit = [];
    if (!run || !parts) return;
    const same = `[data-run="${CSS.escape(run)}"]`;
    lit = [...parts.pc.querySelectorAll("path" + same), ...parts.scatter.querySelectorAll("circle" + same)];
    lit.forEach((n) => { n.classList.add("hp-hl"); n.parentNode.append(n); });  // drawn last: on top
  };

  async function refresh() {
    const rows = await fb.api("plugin/hparams/table");
    const now = JSON.stringify([rows, fb.state.runs]);
    if (now === view.seen) return;
    view.seen = now;
    view.rows = rows;
    view.cols = columns(rows);
    view.version += 1;
    // While filters are set they keep choosing the runs: a new run, or one whose metrics arrive,
    // is ticked once it passes. The first answer only notes what passes, so ticks a link
    // carries are kept.
    const active = activeFilters(view.cols);
    const names = active.length ? passingRuns(active) : null;
    const passing = names && names.join("\n");
    const changed = view.passing !== undefined && passing !== null && passing !== view.passing;
    view.passing = passing;
    if (changed) fb.selectRuns(names); else render();
  }

  Object.assign(hp, { MISSING, asNumber, format, cellValue, compare, matches, view });
  fb.views.hparams = { render, refresh };
})();
