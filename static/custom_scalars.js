// Custom scalars view: the layout runs wrote with add_custom_scalars. Each category is a
// collapsible group; a multiline chart draws every scalar tag its regexes match (one line per
// run and tag), a margin chart a value line over a band filled from lower to upper. The
// series come as the scalar charts get theirs (fb.scalarData) and are drawn by fb.Chart.
"use strict";

(function () {
  const fb = window.flowboard;
  const { el, state } = fb;
  const { ChartData, smoothed } = fb.scalarData;
  let layout = { categories: [] };
  let layoutText = "";
  const cards = new Map();       // category \0 place \0 chart title -> card
  const openedOnce = new Set();  // categories whose `closed` flag has been applied
  const inView = new fb.InView((c) => { if (c.dirty) update(c); });

  const groupKey = (category) => "custom:" + category.title;

  // -- layout ----------------------------------------------------------------------------
  function render() {
    const container = document.getElementById("tab-custom_scalars");
    inView.reset();
    const keep = new Set();
    // The tag filter keeps the charts whose title or some drawn tag matches it.
    const shown = (chart) => fb.tagMatches(chart.title) || Object.values(chart.tags).flat().some(fb.tagMatches);
    const categories = layout.categories.filter((category) => category.charts.some(shown));
    const boxes = categories.map((category) => {
      // A category written closed starts folded; after that it stays as the user leaves it.
      if (category.closed && !openedOnce.has(category.title)) state.folded.add(groupKey(category));
      openedOnce.add(category.title);
      const grid = el("div", { class: "grid" });
      category.charts.forEach((chart, k) => {
        if (!shown(chart)) return;
        // Two runs may give one title to different charts: both are kept, so the key has its place.
        const c = cardFor([category.title, k, chart.title].join("\u0000"), chart);
        keep.add(c.key);
        grid.append(c.node);
        inView.watch(c);
        c.dirty = true;
      });
      return fb.groupBox(groupKey(category), grid.childElementCount, grid, category.title || "Untitled");
    });
    cards.forEach((c, k) => { if (!keep.has(k)) { c.chart.purge(); cards.delete(k); } });
    if (!boxes.length && layout.categories.length) {
      boxes.push(fb.emptyState(["\u0000"], "custom scalars"));  // some chart, none matching the filter
    } else if (!boxes.length) {
      boxes.push(el("div", { class: "empty-state" },
        el("div", { class: "empty-title", text: state.loaded ? "No custom scalars layout" : "Loading…" }),
        el("div", { class: "empty-hint", text: "A run shows charts here once it has written a layout with "
          + "add_custom_scalars({category: {title: ['Multiline', [tag regexes]] or "
          + "['Margin', [value, lower, upper]]}})." })));
    }
    container.replaceChildren(smoothingBar(), ...boxes);
  }

  function cardFor(key, chart) {
    const spec = JSON.stringify(chart);
    let c = cards.get(key);
    if (c && c.spec === spec) return c;
    if (c) c.chart.purge();
    const host = el("div", { class: "chart-host loading" }, el("div", { class: "spinner" }));
    const note = chart.invalid && chart.invalid.length
      ? el("div", { class: "custom-note", text: "Not a valid regular expression: " + chart.invalid.join(", ") }) : "";
    const node = el("div", { class: "card", "data-key": key, "data-chart": chart.title, "data-kind": chart.kind },
      el("div", { class: "card-head" }, el("span", { class: "card-title", text: chart.title, title: describe(chart) })),
      note, host, el("div", { class: "custom-legend" }));
    const tags = [...new Set(Object.values(chart.tags).flat())].sort();
    c = { key, spec, def: chart, node, host, tags, data: new ChartData(tags.length ? tags : [""]), zoom: null,
      visible: false, dirty: true };
    c.chart = new fb.Chart(host, {
      onZoom: (range) => { c.zoom = range && [Math.floor(range[0]), Math.ceil(range[1])]; update(c); },
    });
    cards.set(key, c);
    return c;
  }

  function describe(chart) {
    if (chart.kind === "margin") return chart.series.map((s) => `${s.value} between ${s.lower} and ${s.upper}`).join("\n");
    return "Tags matching " + chart.patterns.map((p) => "/" + p + "/").join(" or ");
  }

  // The smoothing of multiline charts: the Scalars tab's, changeable here too.
  function smoothingBar() {
    const slider = el("input", { type: "range", min: 0, max: 0.99, step: 0.01, value: state.smoothing });
    const out = el("output", { text: state.smoothing.toFixed(2) });
    slider.addEventListener("input", () => {
      state.smoothing = parseFloat(slider.value);
      out.textContent = state.smoothing.toFixed(2);
      fb.saveState();
      const side = document.getElementById("smoothing");  // the Scalars tab's slider follows
      if (side) { side.value = slider.value; document.getElementById("smoothing-value").textContent = out.textContent; }
      cards.forEach((c) => { if (c.visible) draw(c); else c.dirty = true; });
    });
    return el("div", { class: "toolbar custom-toolbar" }, el("label", { class: "custom-smoothing" },
      el("span", { text: "Smoothing" }), slider, out));
  }

  // -- data and drawing ------------------------------------------------------------------
  function runsOf(c) { return fb.selectedRuns().filter((r) => c.def.tags[r]); }

  function plotWidth(c) { return Math.max(100, Math.ceil(((c.host.clientWidth || 600) - 64) / 100) * 100); }

  // Fetch what changed (nothing if the server's scalars have not moved), then draw.
  async function update(c, quiet) {
    if (!c.visible || c.node.offsetParent === null) { c.dirty = true; return; }
    c.dirty = false;
    let news = true;
    try {
      news = await c.data.sync(runsOf(c), plotWidth(c), c.zoom);
      c.error = null;
    } catch (e) {
      c.error = e.message;
    }
    if (quiet && !news && !c.error) return;
    draw(c);
  }

  function draw(c) {
    const runs = runsOf(c).filter((r) => c.data.has(r));
    c.host.classList.remove("loading");
    if (c.error) c.host.dataset.error = c.error; else delete c.host.dataset.error;
    if (!runsOf(c).length) c.host.dataset.empty = "No selected run has these tags.";
    else delete c.host.dataset.empty;
    const { lines, bands } = c.def.kind === "margin" ? marginModel(c, runs) : multilineModel(c, runs);
    c.chart.update({ lines, bands, outliers: false, height: 260,
      x: { type: "linear", title: "step" }, y: { type: "linear" } });
    dashLegend(c, lines);
  }

  // Lines of several runs and tags: colour says the run, the dash says the tag (as chart.js
  // dashes them), named under the chart.
  const DASH_ARRAYS = ["", "6 4", "2 3", "8 3 2 3", "12 4"];
  function dashLegend(c, lines) {
    const tags = [...new Set(lines.filter((l) => l.dash).map((l) => l.tag))];
    const items = tags.length ? [...new Set(lines.map((l) => l.tag))] : [];
    c.node.querySelector(".custom-legend").replaceChildren(...items.map((tag) => {
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.setAttribute("width", "28");
      svg.setAttribute("height", "8");
      const stroke = document.createElementNS(svg.namespaceURI, "line");
      Object.entries({ x1: 0, y1: 4, x2: 28, y2: 4, "stroke-width": 2,
        "stroke-dasharray": DASH_ARRAYS[c.tags.indexOf(tag) % DASH_ARRAYS.length] })
        .forEach(([k, v]) => stroke.setAttribute(k, v));
      svg.append(stroke);
      return el("span", { class: "custom-legend-item" }, svg, el("span", { text: tag }));
    }));
  }

  function line(run, tag, s, color, label, y, dash) {
    return { run, tag, label, color, dash, x: s.step, y, raw: s.value, step: s.step, wall: s.wall, kind: "smoothed" };
  }

  const present = (s) => s && s.step.length;

  // One line per (run, matching tag): coloured by run, dashed by tag; a chart of one run
  // colours its tags instead, so they stay apart.
  function multilineModel(c, runs) {
    const lines = [];
    runs.forEach((run) => c.def.tags[run].forEach((tag) => {
      const s = c.data.get(run, tag);
      if (!present(s)) return;
      const k = c.tags.indexOf(tag);
      const one = runs.length === 1;
      lines.push(line(run, tag, s, one ? fb.paletteColor(k) : fb.runColor(run), one ? tag : run + " · " + tag,
        smoothed(s, state.smoothing), one ? 0 : k));
    }));
    return { lines, bands: [] };
  }

  // Per run and series: the value as drawn, over a band from lower to upper (upper taken at
  // lower's steps, as the two may have been thinned to different points).
  function marginModel(c, runs) {
    const lines = [], bands = [];
    runs.forEach((run) => c.def.series.forEach((ser, k) => {
      const value = c.data.get(run, ser.value), lo = c.data.get(run, ser.lower), hi = c.data.get(run, ser.upper);
      const color = runs.length === 1 && c.def.series.length > 1 ? fb.paletteColor(k) : fb.runColor(run);
      const band = present(lo) && present(hi)
        ? { group: run, tag: ser.value, color, fill: fb.fade(color, 0.2), x: lo.step, lo: lo.value, hi: at(hi, lo.step) } : null;
      if (band) bands.push(band);
      if (present(value)) {
        const l = line(run, ser.value, value, color, runs.length > 1 ? run + " · " + ser.value : ser.value, value.value, 0);
        l.margin = band;  // the tooltip shows lower and upper beside the value
        lines.push(l);
      }
    }));
    return { lines, bands };
  }

  // s's values at `steps`, linearly between its points, held flat past its ends.
  function at(s, steps) {
    const out = new Float64Array(steps.length);
    let j = 0;
    for (let i = 0; i < steps.length; i++) {
      const x = steps[i];
      while (j < s.step.length - 1 && s.step[j + 1] <= x) j++;
      if (x <= s.step[0]) out[i] = s.value[0];
      else if (j >= s.step.length - 1) out[i] = s.value[s.step.length - 1];
      else out[i] = s.value[j] + (s.value[j + 1] - s.value[j]) * (x - s.step[j]) / (s.step[j + 1] - s.step[j]);
    }
    return out;
  }



  // A timed refresh: the layout (and which tags each chart draws) again; charts in view fetch
  // what changed and redraw only if something did.
  async function refresh() {
    const fresh = await fb.api("plugin/custom_scalars/charts");
    const text = JSON.stringify(fresh);
    if (text !== layoutText || !document.getElementById("tab-custom_scalars").firstChild) {
      layout = fresh;
      layoutText = text;
      render();
      return;
    }
    cards.forEach((c) => { if (c.visible) update(c, true); else c.dirty = true; });
  }

  function refreshVisible() { cards.forEach((c) => { if (c.visible) update(c); else c.dirty = true; }); }

  fb.views.custom_scalars = { render, refresh, refreshVisible };
})();
