// HParams table: one row per ticked run with hparams, sortable by any column. Only the rows in
// view (and a margin) are in the page, so thousands of runs scroll and sort without delay.
"use strict";

(function () {
  const fb = window.flowboard;
  const hp = (fb.hparams = fb.hparams || {});
  const { el } = fb;
  const ROW = 33;        // px per row: fixed (CSS keeps cells on one line) so rows can be skipped
  const MARGIN = 20;     // rows drawn beyond each edge of the view
  const ALL_UNDER = 150; // fewer rows than this are all drawn

  function sortedRows(rows, sort) {
    if (!sort.key) return rows;
    const sign = sort.desc ? -1 : 1;
    const keyed = rows.map((r, i) => [r, hp.cellValue(r, sort.key), i]);
    keyed.sort(([, a, i], [, b, j]) => {
      if (a === null || b === null) return hp.compare(a, b) || i - j;  // missing stays last
      return sign * hp.compare(a, b) || i - j;                          // ties keep run order
    });
    return keyed.map(([r]) => r);
  }

  // Widths from the longest text of each column, so rows drawn later never shift the columns;
  // a long header is cut short (its full name shows on hover) rather than widening the column.
  function widths(cols, rows) {
    const chars = (key, label) => rows.reduce((m, r) => Math.max(m, hp.format(hp.cellValue(r, key)).length),
      Math.min(label.length + 2, 12));
    return [Math.min(380, 40 + 7.2 * chars("run", "Run")),
      ...cols.map((c) => Math.max(64, Math.min(260, 26 + 7.4 * chars(c.key, c.label))))];
  }

  function header(key, label, numeric, kind, sort, onSort) {
    const active = sort.key === key;
    const button = el("button", { class: "sort", type: "button", title: "Sort by " + label },
      el("span", { class: "label", text: label }),
      el("span", { class: "arrow", "aria-hidden": "true", text: active ? (sort.desc ? "▼" : "▲") : "" }));
    button.addEventListener("click", () => onSort({ key, desc: active ? !sort.desc : false }));
    return el("th", { class: (numeric ? "num " : "") + kind, "data-key": key,
      "aria-sort": active ? (sort.desc ? "descending" : "ascending") : "none" }, button);
  }

  function rowNode(r, cols) {
    return el("tr", { "data-run": r.run },
      el("td", { class: "run", title: r.run }, el("span", { class: "chip", style: "background:" + fb.runColor(r.run) }),
        el("span", { class: "run-name", text: r.run })),
      ...cols.map((c) => {
        const v = hp.cellValue(r, c.key);
        return el("td", { class: (c.numeric ? "num " : "") + c.kind + (v === null ? " missing" : ""),
          "data-key": c.key, text: hp.format(v), title: v === null ? "not logged" : String(v) });
      }));
  }

  function spacer(rows, span) {
    return el("tr", { class: "hp-spacer", "aria-hidden": "true" },
      el("td", { colspan: span, style: `height:${rows * ROW}px` }));
  }

  // Draw the rows in view; called on scroll and after every change.
  function drawWindow(t) {
    const n = t.rows.length;
    let first = 0, last = n;
    if (n >= ALL_UNDER) {
      const top = Math.max(0, t.wrap.scrollTop - t.head.offsetHeight);
      first = Math.max(0, Math.floor(top / ROW) - MARGIN);
      last = Math.min(n, Math.ceil((top + t.wrap.clientHeight) / ROW) + MARGIN);
    }
    if (t.drawn && t.drawn[0] === first && t.drawn[1] === last) return;
    t.drawn = [first, last];
    const span = t.cols.length + 1;
    t.body.replaceChildren(...(first ? [spacer(first, span)] : []),
      ...t.rows.slice(first, last).map((r) => rowNode(r, t.cols)),
      ...(last < n ? [spacer(n - last, span)] : []));
  }

  // `rows` are drawn; column widths come from `all` rows and are measured again only when `key`
  // changes, so filtering neither moves the columns nor measures thousands of cells each time.
  hp.drawTable = function (node, { cols, rows, all, key, sort, onSort }) {
    if (!rows.length) {
      node.replaceChildren(el("div", { class: "empty-state" },
        el("div", { class: "empty-title", text: "No run with hparams ticked" }),
        el("div", { class: "empty-hint", text: "Widen the filters, tick a run in the list, or clear the run filter." })));
      node.hpTable = null;
      return;
    }
    let t = node.hpTable;
    if (!t) {
      t = node.hpTable = { body: el("tbody"), head: el("thead"), colgroup: el("colgroup") };
      t.table = el("table", { class: "hparams-table" }, t.colgroup, t.head, t.body);
      t.wrap = el("div", { class: "hparams-wrap" }, t.table);
      t.body.addEventListener("mouseover", (e) => {
        const tr = e.target.closest("tr[data-run]");
        hp.highlight(tr ? tr.dataset.run : null);
      });
      t.body.addEventListener("mouseleave", () => hp.highlight(null));
      let queued = false;
      t.wrap.addEventListener("scroll", () => {
        if (queued) return;
        queued = true;
        requestAnimationFrame(() => { queued = false; drawWindow(t); });
      });
    }
    if (node.firstChild !== t.wrap) node.replaceChildren(t.wrap);
    if (t.widthKey !== key) {
      t.widthKey = key;
      const px = widths(cols, all);
      t.colgroup.replaceChildren(...px.map((w) => el("col", { style: `width:${w.toFixed(0)}px` })));
      t.table.style.width = px.reduce((a, b) => a + b, 0).toFixed(0) + "px";
    }
    t.head.replaceChildren(el("tr", {}, header("run", "Run", false, "run", sort, onSort),
      ...cols.map((c) => header(c.key, c.label, c.numeric, c.kind, sort, onSort))));
    t.rows = sortedRows(rows, sort);
    t.cols = cols;
    t.drawn = null;
    drawWindow(t);
  };
})();
