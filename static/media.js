// Histogram, image and text views: one card per tag and selected run, loaded when scrolled into view.
"use strict";

(function () {
  const fb = window.flowboard;
  const { el } = fb;
  const MAX_RIDGES = 30, BINS = 48;

  // A view over tags from `route`, drawing each (tag, run) card with `fill(card)`; `what` names
  // the kind of data in the empty state.
  function cardView(tab, route, fill, what) {
    let tags = {};
    let cards = [];
    let observer = null;

    function render() {
      const container = document.getElementById("tab-" + tab);
      if (observer) observer.disconnect();
      cards.forEach((c) => { if (c.body.data) Plotly.purge(c.body); });
      cards = [];
      observer = new IntersectionObserver((entries) => entries.forEach((e) => {
        const card = cards[e.target.dataset.index];
        card.visible = e.isIntersecting;
        if (card.visible && !card.loaded) load(card);
      }), { rootMargin: "200px" });
      const runs = fb.selectedRuns();
      const all = [...new Set(runs.flatMap((r) => tags[r] || []))];
      fb.groupedTags(all, container, (tag, grid) => runs.filter((r) => (tags[r] || []).includes(tag)).forEach((run) => {
        const body = el("div", { class: "card-body" });
        const node = el("div", { class: "card", "data-tag": tag, "data-run": run, "data-index": cards.length },
          el("div", { class: "card-head" },
            el("span", { class: "chip", style: "background:" + fb.runColor(run) }),
            el("span", { class: "card-title", text: tag, title: tag }),
            el("span", { class: "card-sub", text: run, title: run })),
          body);
        const card = { tag, run, node, body, loaded: false, visible: false, state: {} };
        cards.push(card);
        grid.append(node);
        observer.observe(node);
      }), what);
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
      const next = Object.fromEntries(Object.entries(fresh).map(([r, t]) => [r, Array.isArray(t) ? t : Object.keys(t)]));
      const changed = JSON.stringify(next) !== JSON.stringify(tags);
      tags = next;
      if (changed || !cards.length) render();
      else refreshVisible();
    }

    function refreshVisible() { cards.forEach((c) => { if (c.visible) load(c); }); }

    fb.views[tab] = { render, refresh, refreshVisible };
  }

  // Histograms: a ridge per step (newest in front), counts rebinned onto a common grid.
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

  async function fillHistogram(card) {
    const items = await fb.api("plugin/histograms/histograms", { run: card.run, tag: card.tag });
    const every = Math.max(1, Math.ceil(items.length / MAX_RIDGES));
    const picked = items.filter((_, i) => (items.length - 1 - i) % every === 0);
    let lo = Infinity, hi = -Infinity;
    picked.forEach(([, , b]) => b.forEach(([l, r, c]) => { if (c > 0) { lo = Math.min(lo, l); hi = Math.max(hi, r); } }));
    if (!picked.length || !Number.isFinite(lo)) {
      card.body.replaceChildren(el("div", { class: "empty", text: "Empty histogram." }));
      return;
    }
    if (hi === lo) { lo -= 0.5; hi += 0.5; }
    const width = (hi - lo) / BINS, centers = [...Array(BINS).keys()].map((b) => lo + (b + 0.5) * width);
    const counts = picked.map(([, , b]) => rebin(b, lo, hi));
    const peak = Math.max(...counts.flat()) || 1;
    const color = fb.runColor(card.run), n = picked.length, lift = 0.35;
    const traces = picked.map(([, step], k) => {
      const base = (n - 1 - k) * lift, ys = counts[k].map((c) => base + (c / peak) * 1.2);
      const alpha = 0.25 + 0.6 * (k + 1) / n;
      return { x: [lo, ...centers, hi], y: [base, ...ys, base], type: "scatter", mode: "lines",
        fill: "toself", fillcolor: hexAlpha(color, alpha * 0.35), line: { color: hexAlpha(color, alpha), width: 1 },
        customdata: [0, ...counts[k], 0].map((c) => [step, c]), name: "step " + step,
        hovertemplate: "step %{customdata[0]}<br>x %{x:.4g}<br>count %{customdata[1]:.4g}<extra></extra>" };
    });
    const ticks = picked.map(([, step], k) => [(n - 1 - k) * lift, step])
      .filter((_, k) => k % Math.max(1, Math.ceil(n / 6)) === 0 || k === n - 1);
    const grid = fb.cssVar("--grid"), axis = fb.cssVar("--axis");
    card.body.classList.add("chart");
    Plotly.react(card.body, traces, {
      margin: { l: 56, r: 12, t: 8, b: 30 }, height: 260, showlegend: false, hovermode: "closest",
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: fb.cssVar("--font"), size: 11, color: fb.cssVar("--fg") },
      xaxis: { gridcolor: grid, zeroline: false, linecolor: grid, tickfont: { color: axis } },
      yaxis: { tickvals: ticks.map((t) => t[0]), ticktext: ticks.map((t) => String(t[1])), gridcolor: grid,
        zeroline: false, tickfont: { color: axis }, title: { text: "step", font: { color: axis, size: 11 } } },
    }, { displaylogo: false, responsive: true });
  }

  function hexAlpha(hex, a) {
    const v = parseInt(hex.slice(1), 16);
    return `rgba(${v >> 16},${(v >> 8) & 255},${v & 255},${a.toFixed(3)})`;
  }

  // Images: the images of one step, with a slider over the steps (stays on the newest unless moved).
  async function fillImages(card) {
    const items = await fb.api("plugin/images/images", { run: card.run, tag: card.tag });
    const s = card.state;
    if (!items.length) { card.body.replaceChildren(el("div", { class: "empty", text: "No images." })); return; }
    if (!s.slider) {
      s.frame = el("div", { class: "image-frame" });
      s.slider = el("input", { type: "range", min: 0, step: 1 });
      s.label = el("output");
      s.slider.addEventListener("input", () => { s.follow = +s.slider.value === s.items.length - 1; show(); });
      card.body.replaceChildren(s.frame, el("div", { class: "slider-row" }, el("span", { text: "step" }), s.slider, s.label));
      s.follow = true;
    }
    s.items = items;
    s.slider.max = items.length - 1;
    s.slider.disabled = items.length < 2;
    if (s.follow) s.slider.value = items.length - 1;
    function show() {
      const it = s.items[+s.slider.value];
      s.label.textContent = "step " + it.step;
      s.frame.replaceChildren(...[...Array(it.samples).keys()].map((k) => el("img", {
        alt: `${card.tag} at step ${it.step}`,
        src: "data/plugin/images/individualImage?" + new URLSearchParams(
          { run: card.run, tag: card.tag, index: it.index, sample: k, ts: it.wall_time }) })));
    }
    show();
  }

  // Text: the newest entries first, markdown rendered safely.
  async function fillText(card) {
    const items = await fb.api("plugin/text/text", { run: card.run, tag: card.tag });
    const list = el("div", { class: "text-entries" });
    items.slice(-50).reverse().forEach((it) => list.append(el("div", { class: "text-entry" },
      el("div", { class: "text-step", text: "step " + it.step }), window.flowboardMarkdown.renderText(it.text))));
    card.body.replaceChildren(items.length ? list : el("div", { class: "empty", text: "No text." }));
  }

  // Other views (audio, PR curves, meshes, ...) build on the same cards.
  fb.cardView = cardView;

  cardView("histograms", "histograms", fillHistogram, "histogram");
  cardView("images", "images", fillImages, "image");
  cardView("text", "text", fillText, "text");
})();
