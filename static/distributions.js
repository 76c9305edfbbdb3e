// Distributions view: percentile bands of each histogram tag over steps, as TensorBoard draws
// them: min–max, then the normal distribution's ±1.5σ, ±1σ and ±0.5σ percentiles, nested around
// the median. The server computes the percentiles from every bucket.
"use strict";

(function () {
  const fb = window.flowboard;
  const { el } = fb;
  // Bands as indexes into the nine basis points, outermost first, each drawn over the last.
  const BANDS = [[0, 8], [1, 7], [2, 6], [3, 5]];
  const OPACITY = [0.14, 0.2, 0.28, 0.36];
  const MEDIAN = 4;
  const NAMES = ["min", "−1.5σ", "−1σ", "−0.5σ", "median", "+0.5σ", "+1σ", "+1.5σ", "max"];

  async function fillDistribution(card) {
    const items = await fb.api("plugin/distributions/distributions", { run: card.run, tag: card.tag });
    if (!items.length) {
      card.body.replaceChildren(el("div", { class: "empty", text: "No histograms." }));
      return;
    }
    const steps = items.map((it) => it[1]);
    // Number(): infinities arrive as the strings JSON allows.
    const at = (k) => items.map((it) => Number(it[2][k][1]));
    const bp = (k) => items[0][2][k][0];
    const color = fb.runColor(card.run), mode = steps.length === 1 ? "lines+markers" : "lines";
    const traces = [];
    BANDS.forEach(([lo, hi], b) => {
      const edge = { x: steps, type: "scatter", mode, line: { width: 0, color }, marker: { size: 3, color },
        hoverinfo: "skip" };
      traces.push({ ...edge, y: at(lo), meta: { bp: bp(lo) } });
      traces.push({ ...edge, y: at(hi), meta: { bp: bp(hi) }, fill: "tonexty", fillcolor: fb.rgba(color, OPACITY[b]) });
    });
    const values = items.map((it) => it[2].map(([, v]) => Number(v)));
    traces.push({ x: steps, y: at(MEDIAN), type: "scatter", mode, line: { color, width: 1.5 },
      marker: { size: 4, color }, meta: { bp: bp(MEDIAN) }, customdata: values, name: "median",
      hovertemplate: "step %{x}<br>" + NAMES.map((n, k) => `${n} %{customdata[${k}]:.4g}`).reverse().join("<br>")
        + "<extra></extra>" });
    card.body.classList.add("chart");
    Plotly.react(card.body, traces, fb.plotLayout({ x: { title: "step" }, hovermode: "x" }),
      { displaylogo: false, responsive: true });
  }

  fb.cardView("distributions", "distributions", fillDistribution, "histogram");
})();
