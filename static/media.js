// Histogram, image and text views, and what other card views share: one card per tag and selected run, loaded when scrolled into view.
"use strict";

(function () {
  const fb = window.flowboard;
  const { el } = fb;
  const MAX_RIDGES = 30, BINS = 48;
  // A bin this many times the second highest of its histogram is a spike (see yCap).
  const SPIKE = 3;

  // A view over tags from `route`, drawing each (tag, run) card with `fill(card)`; `what` names
  // the kind of data in the empty state; `controls()`, if given, makes a bar above the cards.
  function cardView(tab, route, fill, what, controls) {
    let tags = {};
    let cards = [];
    const inView = new fb.InView((card) => { if (!card.loaded) load(card); });

    function render() {
      const container = document.getElementById("tab-" + tab);
      inView.reset();
      cards.forEach((c) => { if (c.body.data) Plotly.purge(c.body); });
      cards = [];
      const runs = fb.selectedRuns();
      const all = [...new Set(runs.flatMap((r) => tags[r] || []))];
      fb.groupedTags(all, container, (tag, grid) => runs.filter((r) => (tags[r] || []).includes(tag)).forEach((run) => {
        const body = el("div", { class: "card-body" });
        const node = el("div", { class: "card", "data-tag": tag, "data-run": run },
          el("div", { class: "card-head" },
            el("span", { class: "chip", style: "background:" + fb.runColor(run) }),
            el("span", { class: "card-title", text: tag, title: tag }),
            el("span", { class: "card-sub", text: run, title: run })),
          body);
        const card = { tag, run, node, body, loaded: false, visible: false, state: {} };
        cards.push(card);
        grid.append(node);
        inView.watch(card);
      }), what);
      if (controls && cards.length) container.prepend(controls());
    }

    async function load(card) {
      card.loaded = true;
      try {
        await fill(card);
      } catch (e) {
        card.body.replaceChildren(el("div", { class: "empty", text: e.message }));
      }
    }

    async function refresh() {
      const fresh = await fb.api("plugin/" + route + "/tags");
      const changed = fb.tagLayout(fresh) !== fb.tagLayout(tags);
      tags = Object.fromEntries(Object.entries(fresh).map(([r, t]) => [r, Array.isArray(t) ? t : Object.keys(t)]));
      if (changed || !cards.length) render();
      else refreshVisible();
    }

    function refreshVisible() { cards.forEach((c) => { if (c.visible) load(c); }); }

    fb.views[tab] = { render, refresh, refreshVisible };
  }

  // Histograms, counts rebinned onto a common grid, in one of two modes for the whole page:
  // "offset", a ridge per step (newest in front), or "overlay", a line per step on one axis.
  const MODES = { offset: "Offset", overlay: "Overlay" };
  let mode = new URLSearchParams(location.search).get("hmode") === "overlay" ? "overlay" : "offset";

  function modeControls() {
    const buttons = Object.entries(MODES).map(([m, label]) => el("button", {
      type: "button", class: "segment", "data-mode": m, "aria-pressed": String(m === mode), text: label }));
    buttons.forEach((b) => b.addEventListener("click", () => {
      if (b.dataset.mode === mode) return;
      mode = b.dataset.mode;
      window.flowboardUrl.saveParams({ hmode: mode === "offset" ? null : mode });
      fb.views.histograms.render();
    }));
    return el("div", { class: "view-controls" }, el("span", { class: "muted", text: "Histogram mode" }),
      el("div", { class: "segmented", role: "group", "aria-label": "Histogram mode" }, buttons));
  }

  function rebin(buckets, lo, hi) {
    const out = new Array(BINS).fill(0), width = (hi - lo) / BINS || 1;
    buckets.forEach(([l, r, c]) => {
      if (!(c > 0)) return;
      if (r <= l) { out[Math.min(BINS - 1, Math.max(0, Math.floor((l - lo) / width)))] += c; return; }
      const first = Math.max(0, Math.floor((l - lo) / width)), last = Math.min(BINS - 1, Math.floor((r - lo) / width));
      for (let b = first; b <= last; b++) {
        const a = Math.max(l, lo + b * width), z = Math.min(r, lo + (b + 1) * width);
        if (z > a) out[b] += c * (z - a) / (r - l);
      }
    });
    return out;
  }

  // How high the y axis goes: the highest bin, unless a few bins tower over the rest of their
  // histogram (ReLU's zeros hold half of all counts): then a little above the highest of the
  // others, so the shape of the rest stays readable; the clipped bins are marked.
  function yCap(counts) {
    const peak = Math.max(...counts.flat());
    const second = Math.max(...counts.map((cs) => [...cs].sort((a, b) => b - a)[1] || 0));
    return second > 0 && peak > SPIKE * second ? second * 1.15 : peak || 1;
  }

  async function fillHistogram(card) {
    const items = await fb.api("plugin/histograms/histograms", { run: card.run, tag: card.tag });
    const every = Math.max(1, Math.ceil(items.length / MAX_RIDGES));
    const picked = items.filter((_, i) => (items.length - 1 - i) % every === 0);
    let lo = Infinity, hi = -Infinity;
    picked.forEach(([, , b]) => b.forEach(([l, r, c]) => { if (c > 0) { lo = Math.min(lo, l); hi = Math.max(hi, r); } }));
    if (!picked.length || !Number.isFinite(lo) || !Number.isFinite(hi)) {
      card.body.replaceChildren(el("div", { class: "empty", text: "Empty histogram." }));
      return;
    }
    if (hi === lo) { lo -= 0.5; hi += 0.5; }
    const width = (hi - lo) / BINS, centers = [...Array(BINS).keys()].map((b) => lo + (b + 0.5) * width);
    const h = { picked, lo, hi, centers, counts: picked.map(([, , b]) => rebin(b, lo, hi)),
      color: fb.runColor(card.run) };
    h.cap = yCap(h.counts);
    const [traces, layout] = mode === "overlay" ? overlay(h) : ridges(h);
    const spikes = spikeMarks(h, mode === "overlay");
    if (spikes) {
      traces.push(spikes);
      layout.annotations = [{ xref: "paper", yref: "paper", x: 1, y: 1, xanchor: "right", yanchor: "top",
        showarrow: false, font: { size: 10, color: fb.cssVar("--muted") },
        text: `▲ clipped: up to ${fb.chartFormat(Math.round(Math.max(...h.counts.flat())))}` }];
    }
    card.body.classList.add("chart");
    card.body.dataset.mode = mode;
    card.body.dataset.cap = h.cap;
    Plotly.react(card.body, traces, layout, { displaylogo: false, responsive: true });
  }

  const hover = "step %{customdata[0]}<br>x %{x:.4g}<br>count %{customdata[1]:.4g}<extra></extra>";

  function ridges({ picked, lo, hi, centers, counts, color, cap }) {
    const n = picked.length, lift = 0.35;
    const traces = picked.map(([, step], k) => {
      const base = (n - 1 - k) * lift, ys = counts[k].map((c) => base + (Math.min(c, cap) / cap) * 1.2);
      const alpha = 0.25 + 0.6 * (k + 1) / n;
      return { x: [lo, ...centers, hi], y: [base, ...ys, base], type: "scatter", mode: "lines",
        fill: "toself", fillcolor: fb.rgba(color, alpha * 0.35), line: { color: fb.rgba(color, alpha), width: 1 },
        customdata: [0, ...counts[k], 0].map((c) => [step, c]), name: "step " + step, hovertemplate: hover };
    });
    const ticks = picked.map(([, step], k) => [(n - 1 - k) * lift, step])
      .filter((_, k) => k % Math.max(1, Math.ceil(n / 6)) === 0 || k === n - 1);
    return [traces, fb.plotLayout({ y: { tickvals: ticks.map((t) => t[0]), ticktext: ticks.map((t) => String(t[1])), title: "step" } })];
  }

  function overlay({ picked, centers, counts, color, cap }) {
    const n = picked.length;
    const traces = picked.map(([, step], k) => ({
      x: centers, y: counts[k], type: "scatter", mode: n === 1 ? "lines+markers" : "lines", name: "step " + step,
      line: { color: fb.rgba(color, 0.15 + 0.85 * ((k + 1) / n) ** 2), width: k === n - 1 ? 2 : 1 },
      customdata: counts[k].map((c) => [step, c]), hovertemplate: hover }));
    return [traces, fb.plotLayout({ y: { title: "count", range: [0, cap * 1.08], rangemode: "tozero" } })];
  }

  // A triangle at the top of each clipped bin (of each ridge), its true count in the tooltip.
  function spikeMarks({ picked, centers, counts, color, cap }, flat) {
    const x = [], y = [], data = [], n = picked.length;
    counts.forEach((cs, k) => cs.forEach((c, b) => {
      if (c <= cap) return;
      x.push(centers[b]);
      y.push(flat ? cap * 1.08 : (n - 1 - k) * 0.35 + 1.2);
      data.push([picked[k][1], c]);
    }));
    if (!x.length) return null;
    return { x, y, customdata: data, type: "scatter", mode: "markers", cliponaxis: false, name: "clipped",
      marker: { symbol: "triangle-up", size: flat ? 8 : 6, color, line: { width: 1, color: fb.cssVar("--panel") } },
      hovertemplate: "step %{customdata[0]}<br>x %{x:.4g}<br>count %{customdata[1]:.4g} (off the scale)<extra></extra>" };
  }

  // A step slider under a card's frame, on the newest step until moved; `show(item)` gives the
  // nodes of the chosen entry, redrawn only when that entry changes (a playing clip keeps playing).
  function stepSlider(card, items, frameClass, show) {
    const s = card.state;
    if (!s.slider) {
      s.frame = el("div", { class: frameClass });
      s.slider = el("input", { type: "range", min: 0, step: 1, "aria-label": "step" });
      s.label = el("output");
      s.slider.addEventListener("input", () => { s.follow = +s.slider.value === s.items.length - 1; s.draw(); });
      card.body.replaceChildren(s.frame, el("div", { class: "slider-row" }, el("span", { text: "step" }), s.slider, s.label));
      s.follow = true;
      s.draw = () => {
        const it = s.items[+s.slider.value], key = JSON.stringify(it);
        s.label.textContent = "step " + it.step;
        if (key !== s.shown) { s.shown = key; s.frame.replaceChildren(...s.show(it)); }
      };
    }
    s.items = items;
    s.show = show;
    s.slider.max = items.length - 1;
    s.slider.disabled = items.length < 2;
    if (s.follow) s.slider.value = items.length - 1;
    s.draw();
  }

  // Images (animated GIFs of videos too): the images of one step, with a step slider.
  async function fillImages(card) {
    const items = await fb.api("plugin/images/images", { run: card.run, tag: card.tag });
    if (!items.length) { card.body.replaceChildren(el("div", { class: "empty", text: "No images." })); return; }
    stepSlider(card, items, "image-frame", (it) => [...Array(it.samples).keys()].map((k) => el("img", {
      alt: `${card.tag} at step ${it.step}`,
      src: "data/plugin/images/individualImage?" + new URLSearchParams(
        { run: card.run, tag: card.tag, index: it.index, sample: k, ts: it.wall_time }) })));
  }

  // Text: the newest entries first, markdown rendered safely.
  async function fillText(card) {
    const items = await fb.api("plugin/text/text", { run: card.run, tag: card.tag });
    const list = el("div", { class: "text-entries" });
    items.slice(-50).reverse().forEach((it) => list.append(el("div", { class: "text-entry" },
      el("div", { class: "text-step", text: "step " + it.step }), window.flowboardMarkdown.renderText(it.text))));
    card.body.replaceChildren(items.length ? list : el("div", { class: "empty", text: "No text." }));
  }

  // Other views (audio, PR curves, meshes, ...) build on the same cards, charts and sliders.
  Object.assign(fb, { cardView, stepSlider });

  cardView("histograms", "histograms", fillHistogram, "histogram", modeControls);
  cardView("images", "images", fillImages, "image");
  cardView("text", "text", fillText, "text");
})();
