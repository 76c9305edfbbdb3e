// HParams view: one row per selected run with hparams, one column per hparam and metric, sortable.
"use strict";

(function () {
  const fb = window.flowboard;
  const { el } = fb;
  let rows = null;  // null until the first answer
  let seen = "";  // the rows and run list last drawn (run colours follow the run list)
  let sort = { key: null, desc: false };  // key: "run", "h:NAME" or "m:TAG"

  function cellValue(row, key) {
    if (key === "run") return row.run;
    const [kind, name] = [key.slice(0, 1), key.slice(2)];
    const v = (kind === "h" ? row.hparams : row.metrics)[name];
    return v === undefined ? null : v;
  }

  // JSON sends non-finite numbers as strings; they sort and show as numbers.
  function asNumber(v) {
    if (typeof v === "number") return v;
    if (v === "NaN") return NaN;
    if (v === "Infinity") return Infinity;
    if (v === "-Infinity") return -Infinity;
    return null;
  }

  function format(v) {
    if (v === null) return "—";
    if (typeof v === "boolean") return String(v);
    const n = asNumber(v);
    if (n === null) return String(v);
    if (!Number.isFinite(n)) return String(n);
    return Number.isInteger(n) && Math.abs(n) < 1e15 ? String(n) : String(Number(n.toPrecision(6)));
  }

  // Numbers before strings, missing values always last; ties keep the run order.
  function compare(a, b) {
    if (a === null || b === null) return (a === null) - (b === null);
    const x = asNumber(a), y = asNumber(b);
    if (x !== null && y !== null) return Number.isNaN(x) - Number.isNaN(y) || (x < y ? -1 : x > y ? 1 : 0);
    if (x !== null || y !== null) return x !== null ? -1 : 1;
    return String(a).localeCompare(String(b), undefined, { numeric: true });
  }

  function sorted(list) {
    if (!sort.key) return list;
    const sign = sort.desc ? -1 : 1;
    return list.map((r, i) => [r, i]).sort(([a, i], [b, j]) => {
      const va = cellValue(a, sort.key), vb = cellValue(b, sort.key);
      if (va === null || vb === null) return compare(va, vb) || i - j;  // missing stays last
      return sign * compare(va, vb) || i - j;
    }).map(([r]) => r);
  }

  function header(key, label, numeric, kind) {
    const active = sort.key === key;
    const button = el("button", { class: "sort", type: "button", title: "Sort by " + label },
      el("span", { class: "label", text: label }),
      el("span", { class: "arrow", "aria-hidden": "true", text: active ? (sort.desc ? "▼" : "▲") : "" }));
    button.addEventListener("click", () => {
      sort = { key, desc: active ? !sort.desc : false };
      render();
    });
    return el("th", { class: (numeric ? "num " : "") + kind, "data-key": key,
      "aria-sort": active ? (sort.desc ? "descending" : "ascending") : "none" }, button);
  }

  function emptyState(title, hint) {
    return el("div", { class: "empty-state" }, el("div", { class: "empty-title", text: title }),
      el("div", { class: "empty-hint", text: hint }));
  }

  function render() {
    const container = document.getElementById("tab-hparams");
    const selected = new Set(fb.selectedRuns());
    if (!fb.state.loaded || rows === null) {
      container.replaceChildren(el("div", { class: "empty", text: "Loading…" }));
      return;
    }
    const shown = rows.filter((r) => selected.has(r.run));
    if (!rows.length) {
      container.replaceChildren(emptyState("No hparams logged yet — use SummaryWriter.add_hparams(...)",
        "Runs logged with add_hparams(hparam_dict, metric_dict) show up here as rows of a table."));
      return;
    }
    if (!shown.length) {
      container.replaceChildren(emptyState("No run with hparams selected",
        "Tick a run in the list, or clear the run filter."));
      return;
    }
    const names = (pick) => [...new Set(shown.flatMap((r) => Object.keys(pick(r))))].sort();
    const hnames = names((r) => r.hparams), mnames = names((r) => r.metrics);
    // A column is numeric when every value it holds is a number (or missing).
    const numeric = (key) => shown.every((r) => { const v = cellValue(r, key); return v === null || asNumber(v) !== null; });
    const columns = [...hnames.map((n) => ["h:" + n, n, "hparam"]), ...mnames.map((n) => ["m:" + n, n, "metric"])]
      .map(([key, label, kind]) => ({ key, label, kind, numeric: numeric(key) }));
    const head = el("tr", {}, header("run", "Run", false, "run"),
      ...columns.map((c) => header(c.key, c.label, c.numeric, c.kind)));
    const body = sorted(shown).map((r) => el("tr", { "data-run": r.run },
      el("td", { class: "run" }, el("span", { class: "chip", style: "background:" + fb.runColor(r.run) }),
        el("span", { class: "run-name", text: r.run, title: r.run })),
      ...columns.map((c) => {
        const v = cellValue(r, c.key);
        return el("td", { class: (c.numeric ? "num " : "") + c.kind + (v === null ? " missing" : ""),
          "data-key": c.key, text: format(v), title: v === null ? "not logged" : String(v) });
      })));
    const counts = el("div", { class: "hparams-caption muted",
      text: `${shown.length} run${shown.length === 1 ? "" : "s"} · ${hnames.length} hparam${hnames.length === 1 ? "" : "s"} · ${mnames.length} metric${mnames.length === 1 ? "" : "s"}` });
    container.replaceChildren(counts, el("div", { class: "hparams-wrap" },
      el("table", { class: "hparams-table" }, el("thead", {}, head), el("tbody", {}, ...body))));
  }

  async function refresh() {
    rows = await fb.api("plugin/hparams/table");
    const now = JSON.stringify([rows, fb.state.runs]);
    if (now !== seen) render();
    seen = now;
  }

  fb.views.hparams = { render, refresh };
})();
