// PR curves view: per tag one chart, a precision–recall curve per selected run at the step the
// card's slider picks (each run at its step nearest to it), counts in the tooltip.
"use strict";

(function () {
  const fb = window.flowboard;
  const { el } = fb;
  let tags = {};                 // run -> {tag: {displayName, description}}
  const cards = new Map();       // tag -> card; kept across renders with the data it fetched
  const inView = new fb.InView((card) => { if (card.stale) load(card); });

  const { escapeText } = fb.chartScale;

  function runsWith(tag) { return fb.selectedRuns().filter((r) => tags[r] && tags[r][tag]); }

  // What a card's curves depend on: its runs and how many curves each has stored. A card
  // fetches again only when this moves (a few hundred kB per run: not every few seconds).
  function signature(tag) { return runsWith(tag).map((r) => r + "\u0000" + tags[r][tag].count).join("\n"); }

  function render() {
    const container = document.getElementById("tab-pr_curves");
    inView.reset();
    const all = [...new Set(fb.selectedRuns().flatMap((r) => Object.keys(tags[r] || {})))];
    const shown = new Set();
    fb.groupedTags(all, container, (tag, grid) => {
      const card = cardFor(tag);
      shown.add(tag);
      grid.append(card.node);
      inView.watch(card);
      if (card.data) draw(card);  // what it holds shows at once; fresh data follows in view
      card.stale = card.sig !== signature(tag);
    }, "PR curve");
    cards.forEach((c, tag) => { if (!shown.has(tag)) { Plotly.purge(c.plot); cards.delete(tag); } });
  }

  function cardFor(tag) {
    if (cards.has(tag)) return cards.get(tag);
    const info = Object.values(tags).map((t) => t[tag]).find(Boolean) || {};
    const plot = el("div", { class: "chart pr-chart" });
    const slider = el("input", { type: "range", min: 0, max: 0, step: 1, value: 0, "aria-label": "step" });
    const label = el("output");
    const legend = el("div", { class: "pr-legend" });
    const node = el("div", { class: "card", "data-tag": tag },
      el("div", { class: "card-head" },
        el("span", { class: "card-title", text: info.displayName || tag, title: info.description || tag })),
      plot, el("div", { class: "slider-row" }, el("span", { text: "step" }), slider, label), legend);
    const card = { tag, node, plot, slider, label, legend, data: null, steps: [], follow: true,
      visible: false, stale: true };
    slider.addEventListener("input", () => {
      card.follow = +slider.value === card.steps.length - 1;
      draw(card);
    });
    cards.set(tag, card);
    return card;
  }

  async function load(card) {
    card.stale = false;
    card.sig = signature(card.tag);
    const runs = runsWith(card.tag);
    if (!runs.length) return;
    try {
      card.data = await fb.api("plugin/pr_curves/pr_curves", { run: runs, tag: card.tag });
    } catch (e) {
      message(card, e.message);
      return;
    }
    draw(card);
  }

  function message(card, text) {
    Plotly.purge(card.plot);
    card.plot.replaceChildren(el("div", { class: "empty", text }));
    card.legend.replaceChildren();
  }

  // The entry of `entries` (ascending step) whose step is nearest to `step`.
  function nearest(entries, step) {
    let lo = 0, hi = entries.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (entries[mid].step < step) lo = mid; else hi = mid;
    }
    return Math.abs(entries[lo].step - step) <= Math.abs(entries[hi].step - step) ? entries[lo] : entries[hi];
  }

  // The slider runs over every step some run has; it stays on the newest unless moved.
  function draw(card) {
    const runs = runsWith(card.tag).filter((r) => card.data[r] && card.data[r].length);
    const old = card.steps[+card.slider.value];
    card.steps = [...new Set(runs.flatMap((r) => card.data[r].map((e) => e.step)))].sort((a, b) => a - b);
    if (!card.steps.length) {
      message(card, "No PR curve data yet.");
      return;
    }
    card.slider.max = card.steps.length - 1;
    card.slider.disabled = card.steps.length < 2;
    // Kept where it was: the step it showed, or the nearest left once curves were thinned out.
    const at = card.follow || old === undefined ? card.steps.length - 1
      : card.steps.reduce((best, st, i) => (Math.abs(st - old) < Math.abs(card.steps[best] - old) ? i : best), 0);
    card.slider.value = at;
    const step = card.steps[at];
    card.label.textContent = "step " + step;
    const picked = runs.map((run) => ({ run, entry: nearest(card.data[run], step) }));
    const traces = picked.map(({ run, entry: e }) => ({
      x: e.recall, y: e.precision, type: "scatter", mode: e.recall.length === 1 ? "markers" : "lines",
      name: escapeText(run), line: { color: fb.runColor(run), width: 2 }, marker: { color: fb.runColor(run) },
      hoverlabel: { bordercolor: fb.runColor(run) },
      meta: { run, step: e.step },
      customdata: e.thresholds.map((t, i) => [t, e.true_positives[i], e.false_positives[i],
        e.true_negatives[i], e.false_negatives[i]]),
      hovertemplate: `<b>${escapeText(run)}</b> · step ${e.step}<br>precision %{y:.4f}<br>recall %{x:.4f}`
        + "<br>threshold %{customdata[0]:.3f}<br>TP %{customdata[1]} · FP %{customdata[2]}"
        + " · TN %{customdata[3]} · FN %{customdata[4]}<extra></extra>",
    }));
    const unit = [-0.02, 1.02];
    const layout = fb.plotLayout({ x: { title: "recall", range: unit, dtick: 0.2 },
      y: { title: "precision", range: unit, dtick: 0.2 },
      height: 300, margin: { l: 56, r: 12, t: 26, b: 36 } });  // the mode bar above the curves
    layout.hoverlabel = { align: "left", bgcolor: fb.cssVar("--panel"),
      font: { family: fb.cssVar("--font"), color: fb.cssVar("--fg") } };
    if (card.plot.firstChild && !card.plot.data) card.plot.replaceChildren();
    Plotly.react(card.plot, traces, layout, { displaylogo: false, responsive: true,
      modeBarButtonsToRemove: ["lasso2d", "select2d", "toggleSpikelines"] });
    // Which step each run shows, where it is not the slider's.
    card.legend.replaceChildren(...picked.map(({ run, entry }) => el("span", { class: "pr-legend-item", title: run },
      el("span", { class: "chip", style: "background:" + fb.runColor(run) }),
      el("span", { class: "pr-legend-run", text: run }),
      entry.step !== step ? el("span", { class: "muted", text: "step " + entry.step }) : "")));
  }

  async function refresh() {
    const fresh = await fb.api("plugin/pr_curves/tags");
    const changed = fb.tagLayout(fresh) !== fb.tagLayout(tags);  // the counts move the data, not the cards
    tags = fresh;
    if (changed || !cards.size) render();
    else refreshVisible();
  }

  function refreshVisible() {
    cards.forEach((c) => {
      c.stale = c.stale || c.sig !== signature(c.tag);
      if (c.visible && c.stale) load(c);
    });
  }

  fb.views.pr_curves = { render, refresh, refreshVisible };
})();
