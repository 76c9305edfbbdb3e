// HParams scatter: any two columns against each other, one point per run, ticked runs in their
// colours (plotly's SVG scatter: its WebGL one compiles shaders with eval, which the CSP forbids).
"use strict";

(function () {
  const fb = window.flowboard;
  const hp = (fb.hparams = fb.hparams || {});

  // plotly reads labels as its own small HTML; names and values are shown as text.
  function escapeText(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function theme() {
    return { fg: fb.cssVar("--fg"), axis: fb.cssVar("--axis"), muted: fb.cssVar("--muted"),
      grid: fb.cssVar("--grid"), panel: fb.cssVar("--panel"), font: fb.cssVar("--font") };
  }

  hp.drawScatter = function (node, { cols, rows, ticked, x, y }) {
    const { asNumber, format, cellValue } = hp;
    const t = theme();
    const cx = cols.find((c) => c.key === x), cy = cols.find((c) => c.key === y);
    const value = (c, r) => {
      const v = cellValue(r, c.key);
      if (!c.numeric) return format(v);
      const n = asNumber(v);
      return n !== null && Number.isFinite(n) && (!c.log || n > 0) ? n : null;  // not drawn
    };
    const hover = `%{text}<br>${escapeText(cx.label)} = %{x}<br>${escapeText(cy.label)} = %{y}<extra></extra>`;
    const trace = (list, marker, name) => ({
      type: "scatter", mode: "markers", name, x: list.map((r) => value(cx, r)), y: list.map((r) => value(cy, r)),
      text: list.map((r) => escapeText(r.run)), customdata: list.map((r) => r.run), marker, hovertemplate: hover,
    });
    const on = rows.filter((r) => ticked.has(r.run)), off = rows.filter((r) => !ticked.has(r.run));
    const data = [
      trace(off, { color: t.muted, opacity: 0.35, size: 6 }, "not ticked"),
      trace(on, { color: on.map((r) => fb.runColor(r.run)), size: 8, line: { width: 1, color: t.panel } }, "ticked"),
    ];
    const axis = (c) => ({
      title: { text: escapeText(c.label), font: { size: 12 } }, automargin: true,
      type: c.numeric ? (c.log ? "log" : "linear") : "category",
      categoryorder: c.numeric ? undefined : "array",
      categoryarray: c.numeric ? undefined : [...c.categories, ...(c.missing ? [hp.MISSING] : [])],
      gridcolor: t.grid, linecolor: t.grid, zeroline: false, color: t.axis, tickfont: { size: 11 },
    });
    const layout = { height: 320, margin: { l: 56, r: 16, t: 8, b: 44 }, showlegend: false, hovermode: "closest",
      xaxis: axis(cx), yaxis: axis(cy), paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: t.fg, family: t.font }, hoverlabel: { namelength: -1 } };
    const sig = JSON.stringify([data, layout]);
    if (node.hpSig === sig) return;
    node.hpSig = sig;
    Plotly.react(node, data, layout, { displaylogo: false, responsive: true,
      modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"] });
  };
})();
