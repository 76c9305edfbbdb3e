// Scalars view: one chart per tag with the selected runs overlaid, smoothing, axes, downloads.
"use strict";

(function () {
  const fb = window.flowboard;
  const { state, el } = fb;
  let tags = {};          // run -> [tag]
  const cards = new Map(); // tag -> card state {node, chart, zoom, data, visible}
  let observer = null;

  // TensorBoard's smoothing: an exponential moving average, debiased so early points are not
  // pulled towards zero; non-finite values pass through unsmoothed.
  function smooth(values, weight) {
    let last = 0, count = 0;
    const constant = values.every((v) => v === values[0]);
    return values.map((v) => {
      if (constant || v === null || !Number.isFinite(v)) return v;
      last = last * weight + (1 - weight) * v;
      count += 1;
      const debias = weight === 1 ? 1 : 1 - Math.pow(weight, count);
      return last / debias;
    });
  }

  function escapeText(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function allTags() {
    const set = new Set();
    Object.values(tags).forEach((ts) => ts.forEach((t) => set.add(t)));
    return [...set];
  }

  function runsWith(tag) {
    return fb.selectedRuns().filter((r) => (tags[r] || []).includes(tag));
  }

  function render() {
    const container = document.getElementById("tab-scalars");
    if (observer) observer.disconnect();
    cards.forEach((c) => { if (c.chart.data) Plotly.purge(c.chart); });
    cards.clear();
    observer = new IntersectionObserver((entries) => entries.forEach((e) => {
      const card = cards.get(e.target.dataset.tag);
      if (!card) return;
      card.visible = e.isIntersecting;
      if (card.visible && !card.loaded) load(card);
    }), { rootMargin: "200px" });
    fb.groupedTags(allTags(), container, (tag, grid) => {
      const chart = el("div", { class: "chart" });
      const csv = el("button", { text: "CSV", title: "Download every point as CSV" });
      const json = el("button", { text: "JSON", title: "Download every point as JSON" });
      const node = el("div", { class: "card", "data-tag": tag },
        el("div", { class: "card-head" }, el("span", { class: "card-title", text: tag, title: tag }),
          el("span", { class: "card-actions" }, csv, json)),
        chart);
      const card = { tag, node, chart, zoom: null, loaded: false, visible: false };
      csv.addEventListener("click", () => download(card, "csv"));
      json.addEventListener("click", () => download(card, "json"));
      cards.set(tag, card);
      grid.append(node);
      observer.observe(node);
    }, "scalar");
  }

  async function refresh() {
    const fresh = await fb.api("plugin/scalars/tags");
    const before = JSON.stringify(Object.entries(tags).map(([r, t]) => [r, Object.keys(t).length]));
    tags = Object.fromEntries(Object.entries(fresh).map(([r, t]) => [r, Object.keys(t)]));
    const after = JSON.stringify(Object.entries(tags).map(([r, t]) => [r, t.length]));
    if (before !== after || cards.size === 0) render();
    else refreshVisible();
  }

  function refreshVisible() {
    cards.forEach((c) => { if (c.visible && c.node.offsetParent !== null) load(c); });
  }

  async function load(card) {
    card.loaded = true;
    const runs = runsWith(card.tag);
    if (!runs.length) {
      if (card.chart.data) Plotly.purge(card.chart);
      card.chart.replaceChildren(el("div", { class: "empty", text: "No selected run has this tag." }));
      return;
    }
    const width = Math.max(100, Math.round(card.chart.clientWidth || 600));
    const params = { tag: card.tag, run: runs, width };
    if (card.zoom) { params.min_step = card.zoom[0]; params.max_step = card.zoom[1]; }
    try {
      const data = await fb.api("series", params);
      card.data = data.runs;
      draw(card);
    } catch (e) {
      card.chart.replaceChildren(el("div", { class: "empty", text: e.message }));
    }
  }

  function xValues(d) {
    if (state.xaxis === "step") return d.step;
    if (state.xaxis === "relative") {
      const t0 = d.wall_time[0];
      return d.wall_time.map((t) => (t - t0) / 3600);
    }
    return d.wall_time.map((t) => new Date(t * 1000));
  }

  function quantile(sorted, q) {
    if (!sorted.length) return NaN;
    const i = (sorted.length - 1) * q, lo = Math.floor(i), hi = Math.ceil(i);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
  }

  function draw(card) {
    const fg = fb.cssVar("--fg"), axis = fb.cssVar("--axis"), grid = fb.cssVar("--grid");
    const raw = [], smoothed = [], all = [];
    Object.entries(card.data).sort().forEach(([run, d]) => {
      const color = fb.runColor(run), x = xValues(d), name = escapeText(run);
      const sm = smooth(d.value, state.smoothing);
      const times = d.wall_time.map((t) => new Date(t * 1000).toLocaleString());
      raw.push({ x, y: d.value, type: "scatter", mode: "lines", name, showlegend: false,
        line: { color, width: 1 }, opacity: 0.25, hoverinfo: "skip", meta: { run, kind: "raw" } });
      smoothed.push({ x, y: sm, type: "scatter", mode: d.step.length === 1 ? "markers" : "lines", name,
        line: { color, width: 2 }, marker: { color, size: 6 }, meta: { run, kind: "smoothed" },
        customdata: d.value.map((v, i) => [v, times[i], d.step[i]]),
        hovertemplate: "<b>%{fullData.name}</b><br>step %{customdata[2]}<br>value %{customdata[0]:.5g}" +
          "<br>smoothed %{y:.5g}<br>%{customdata[1]}<extra></extra>" });
      d.value.forEach((v) => { if (v !== null && Number.isFinite(v) && (!state.logy || v > 0)) all.push(v); });
    });
    const yaxis = { type: state.logy ? "log" : "linear", gridcolor: grid, zerolinecolor: grid,
      linecolor: grid, tickfont: { color: axis }, automargin: true };
    if (state.outliers && all.length > 4) {
      all.sort((a, b) => a - b);
      let lo = quantile(all, 0.05), hi = quantile(all, 0.95);
      if (state.logy) { lo = Math.log10(lo); hi = Math.log10(hi); }
      const pad = (hi - lo) * 0.1 || 1;
      yaxis.range = [lo - pad, hi + pad];
      yaxis.autorange = false;
    }
    const xtitle = { step: "step", relative: "hours", wall: "" }[state.xaxis];
    const layout = {
      uirevision: card.tag + state.xaxis + state.logy + state.outliers,
      margin: { l: 48, r: 12, t: 8, b: 36 }, height: 260,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: fb.cssVar("--font"), size: 11, color: fg },
      hovermode: "closest", showlegend: false,
      hoverlabel: { font: { family: fb.cssVar("--font") } },
      xaxis: { type: state.xaxis === "wall" ? "date" : "linear", gridcolor: grid, zerolinecolor: grid,
        linecolor: grid, tickfont: { color: axis }, title: { text: xtitle, font: { color: axis, size: 11 } } },
      yaxis,
    };
    if (!card.chart.data) card.chart.replaceChildren();
    Plotly.react(card.chart, [...raw, ...smoothed], layout,
      { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] });
    if (!card.bound) {
      card.bound = true;
      card.chart.on("plotly_relayout", (ev) => onZoom(card, ev));
    }
  }

  // A zoom on the step axis fetches that range at full resolution; the zoom itself survives
  // refreshes because the layout's uirevision does not change.
  function onZoom(card, ev) {
    if (state.xaxis !== "step") return;
    if (ev["xaxis.autorange"]) { card.zoom = null; load(card); return; }
    const range = ev["xaxis.range"] || [ev["xaxis.range[0]"], ev["xaxis.range[1]"]];
    const [lo, hi] = range;
    if (lo === undefined || hi === undefined) return;
    card.zoom = [Math.floor(lo), Math.ceil(hi)];
    load(card);
  }

  async function download(card, format) {
    const runs = runsWith(card.tag);
    const all = await Promise.all(runs.map((run) => fb.api("plugin/scalars/scalars", { run, tag: card.tag })));
    let body, type;
    if (format === "json") {
      body = JSON.stringify(runs.length === 1 ? all[0] : Object.fromEntries(runs.map((r, i) => [r, all[i]])));
      type = "application/json";
    } else {
      const one = runs.length === 1;
      const lines = [one ? "Wall time,Step,Value" : "Run,Wall time,Step,Value"];
      runs.forEach((run, i) => all[i].forEach(([w, s, v]) => {
        const row = `${w},${s},${v}`;
        lines.push(one ? row : `"${run.replace(/"/g, '""')}",${row}`);
      }));
      body = lines.join("\n") + "\n";
      type = "text/csv";
    }
    const a = el("a", { href: URL.createObjectURL(new Blob([body], { type })),
      download: card.tag.replace(/[^\w.-]+/g, "_") + "." + format });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }

  function bindSettings() {
    const slider = document.getElementById("smoothing"), out = document.getElementById("smoothing-value");
    slider.value = state.smoothing;
    out.textContent = state.smoothing.toFixed(2);
    slider.addEventListener("input", () => {
      state.smoothing = parseFloat(slider.value);
      out.textContent = state.smoothing.toFixed(2);
      fb.saveState();
      cards.forEach((c) => { if (c.data && c.chart.data) draw(c); });
    });
    const xaxis = document.getElementById("xaxis");
    xaxis.value = state.xaxis;
    xaxis.addEventListener("change", () => {
      state.xaxis = xaxis.value;
      cards.forEach((c) => { c.zoom = null; });
      fb.saveState();
      cards.forEach((c) => { if (c.data) draw(c); });
    });
    [["logy", "logy"], ["outliers", "outliers"]].forEach(([id, key]) => {
      const box = document.getElementById(id);
      box.checked = state[key];
      box.addEventListener("change", () => {
        state[key] = box.checked;
        fb.saveState();
        cards.forEach((c) => { if (c.data) draw(c); });
      });
    });
  }

  fb.views.scalars = { render, refresh, refreshVisible };
  document.addEventListener("DOMContentLoaded", bindSettings);
})();
