// HParams filters card: a min–max pair per numeric column and a toggle per category. The inputs
// are built once per answer and updated in place, so a redraw never takes a half-typed bound.
"use strict";

(function () {
  const fb = window.flowboard;
  const hp = (fb.hparams = fb.hparams || {});
  const { el } = fb;

  function rounded(v) {
    return v === null || v === undefined ? "" : String(Number(v.toPrecision(6)));
  }

  function rangeInputs(col, current, onFilter) {
    const input = (bound) => el("input", { type: "number", step: "any", class: "hp-bound", "data-key": col.key,
      "data-bound": bound, "aria-label": `${col.label} ${bound === "lo" ? "minimum" : "maximum"}`,
      placeholder: rounded(col[bound === "lo" ? "min" : "max"]) });
    const lo = input("lo"), hi = input("hi");
    [lo, hi].forEach((box) => box.addEventListener("change", () => {
      const bounds = [lo, hi].map((i) => (i.value.trim() === "" ? null : Number(i.value)));
      const bad = bounds.some((b) => b !== null && !Number.isFinite(b));
      box.classList.toggle("invalid", bad);
      if (bad) return;
      const was = current() || {};
      // bounds typed over a brushed range keep its choice about runs without a value
      onFilter(bounds.every((b) => b === null) && !was.missing ? null
        : { ...was, lo: bounds[0], hi: bounds[1] });
    }));
    return el("span", { class: "hp-range" }, lo, el("span", { class: "muted", text: "–" }), hi);
  }

  function categoryToggles(col, current, onFilter) {
    const cats = [...col.categories, ...(col.missing ? [hp.MISSING] : [])];
    return el("span", { class: "hp-cats" }, ...cats.map((cat) => {
      const b = el("button", { type: "button", class: "hp-cat", "data-key": col.key, text: cat, title: cat });
      b.addEventListener("click", () => {
        const f = current();
        const now = new Set(f && f.in ? f.in : []);
        if (now.has(cat)) now.delete(cat); else now.add(cat);
        onFilter(now.size ? { in: [...now] } : null);
      });
      return b;
    }));
  }

  // `onFilter(key, filter or null)` is called with a column's new filter.
  hp.drawFilters = function (node, { cols, filters, key, onFilter }) {
    node.hpFilters = filters;
    if (node.hpKey !== key) {
      node.hpKey = key;
      node.replaceChildren(...cols.map((c) => {
        const current = () => node.hpFilters[c.key];
        const set = (f) => onFilter(c.key, f);
        return el("div", { class: "hp-filter", "data-key": c.key },
          el("span", { class: "hp-filter-name " + c.kind, text: c.label, title: c.label }),
          c.numeric ? rangeInputs(c, current, set) : categoryToggles(c, current, set));
      }));
    }
    node.querySelectorAll(".hp-filter").forEach((row) => {
      const f = filters[row.dataset.key];
      row.classList.toggle("active", Boolean(f));
      row.querySelectorAll(".hp-bound").forEach((box) => {
        if (box !== document.activeElement) box.value = rounded(f && f[box.dataset.bound]);
      });
      row.querySelectorAll(".hp-cat").forEach((b) => {
        const on = Boolean(f && f.in && f.in.includes(b.textContent));
        b.classList.toggle("on", on);
        b.setAttribute("aria-pressed", String(on));
      });
    });
  };
})();
