// Projector view: a run's embeddings in 2-D or 3-D (PCA computed by the server), points coloured
// by a metadata column, label and sprite thumbnail on hover, a search that highlights matches.
"use strict";

(function () {
  const fb = window.flowboard;
  const { el } = fb;
  const MAX_CATEGORIES = 20;  // more distinct values than this: the rest share one grey "other"
  const ui = { key: "", dims: 2, colorBy: "", search: "" };  // what the user picked
  let listing = { runs: {}, errors: {} };
  let shown = null;  // {key, dims, data} of the projection drawn
  let sheet = null;  // the sprite sheet of the shown embedding: {url, image}

  const keyOf = (run, name) => run + "\u0000" + name;
  const runOf = (key) => key.split("\u0000")[0];
  const nameOf = (key) => key.split("\u0000")[1];

  // The embeddings of the selected runs whose tag passes the tag filter, as [key, label] choices.
  function choices() {
    return fb.selectedRuns().flatMap((run) => (listing.runs[run] || []).filter((e) => fb.tagMatches(e.tag))
      .map((e) => [keyOf(run, e.name), `${run} · ${e.tag} (step ${e.step}, ${e.shape[0]}×${e.shape[1]})`]));
  }

  function render() {
    const container = document.getElementById("tab-projector");
    const old = container.querySelector(".projector-plot");
    if (old && old.data) Plotly.purge(old);  // frees its WebGL context in 3-D
    const options = choices();
    const errors = Object.entries(listing.errors).filter(([run]) => fb.selectedRuns().includes(run));
    const notes = errors.map(([, msg]) => el("div", { class: "projector-note", text: msg }));
    if (!options.length) {
      const tags = fb.selectedRuns().flatMap((run) => (listing.runs[run] || []).map((e) => e.tag));
      container.replaceChildren(...notes, fb.emptyState(tags, "embedding"));
      if (fb.state.loaded && fb.selectedRuns().length && !tags.length) {
        container.querySelector(".empty-hint").textContent =
          "None of the selected runs has a projector_config.pbtxt; log one with writer.add_embedding(mat, metadata=labels).";
      }
      shown = null;
      return;
    }
    if (!options.some(([k]) => k === ui.key)) ui.key = options[0][0];
    const select = el("select", { class: "projector-embedding", "aria-label": "Embedding" },
      options.map(([k, label]) => el("option", { value: k, text: label, selected: k === ui.key })));
    select.addEventListener("change", () => { ui.key = select.value; ui.colorBy = ""; load(); });
    const dims = [2, 3].map((d) => el("button", {
      type: "button", class: "segment", "data-dims": d, "aria-pressed": String(d === ui.dims), text: d + "-D" }));
    dims.forEach((b) => b.addEventListener("click", () => {
      ui.dims = +b.dataset.dims;
      dims.forEach((x) => x.setAttribute("aria-pressed", String(x === b)));
      load();
    }));
    const search = el("input", { type: "search", class: "projector-search", placeholder: "Search metadata (regex)",
      "aria-label": "Search metadata", value: ui.search });
    search.addEventListener("input", fb.debounce(() => { ui.search = search.value; fb.regex(ui.search, search); draw(); }, 150));
    container.replaceChildren(...notes,
      el("div", { class: "view-controls projector-controls" },
        el("label", { class: "projector-field" }, el("span", { class: "muted", text: "Embedding" }), select),
        el("div", { class: "segmented", role: "group", "aria-label": "Dimensions" }, dims),
        el("label", { class: "projector-field" }, el("span", { class: "muted", text: "Colour by" }),
          el("select", { class: "projector-color", "aria-label": "Colour by" })),
        el("label", { class: "projector-field projector-find" }, search)),
      el("div", { class: "projector-body" },
        el("div", { class: "card projector-card" }, el("div", { class: "projector-plot chart" }),
          el("div", { class: "projector-status muted" })),
        el("aside", { class: "card projector-side" },
          el("div", { class: "projector-variance" }),
          el("div", { class: "projector-hover" }, el("div", { class: "muted", text: "Hover a point to see its metadata." })))));
    container.querySelector(".projector-color").addEventListener("change", (e) => { ui.colorBy = e.target.value; draw(); });
    if (shown && shown.key === ui.key && shown.dims === ui.dims) draw();
    else load();
  }

  async function load() {
    const key = ui.key, dims = ui.dims;
    const status = document.querySelector("#tab-projector .projector-status");
    if (status) status.textContent = "Projecting…";
    try {
      const data = await fb.api("plugin/projector/projection", { run: runOf(key), tag: nameOf(key), dims });
      if (key !== ui.key || dims !== ui.dims) return;  // another choice came meanwhile
      shown = { key, dims, data };
      sheet = null;
      if (data.sprite) {
        const url = "data/plugin/projector/sprite?" + new URLSearchParams({ run: runOf(key), tag: nameOf(key) });
        const image = new Image();
        image.src = url;
        sheet = { url, image };
      }
      draw();
    } catch (e) {
      if (status) status.textContent = e.message;
    }
  }

  // Colour of each point and the legend's groups: the palette in order of frequency for
  // categories; a numeric column with many values gets a continuous scale instead.
  function colouring(data) {
    const col = Math.max(0, data.columns.indexOf(ui.colorBy));
    const values = data.metadata[col] || [];
    if (!values.length) return { groups: [["", null]], of: () => "", numeric: null };
    const counts = new Map();
    values.forEach((v) => counts.set(v, (counts.get(v) || 0) + 1));
    if (counts.size > MAX_CATEGORIES && values.every((v) => v.trim() !== "" && Number.isFinite(Number(v)))) {
      return { groups: [["", null]], of: () => "", numeric: values.map(Number) };
    }
    const ranked = [...counts.keys()].sort((a, b) => counts.get(b) - counts.get(a) || (a < b ? -1 : 1));
    const named = new Set(ranked.slice(0, counts.size > MAX_CATEGORIES ? MAX_CATEGORIES - 1 : MAX_CATEGORIES));
    const groups = ranked.filter((v) => named.has(v)).sort(naturalCompare).map((v, i) => [v, fb.paletteColor(i)]);
    if (named.size < counts.size) groups.push(["(other)", fb.cssVar("--muted")]);
    return { groups, of: (i) => (named.has(values[i]) ? values[i] : "(other)"), numeric: null };
  }

  function naturalCompare(a, b) {
    const x = Number(a), y = Number(b);
    if (a !== "" && b !== "" && Number.isFinite(x) && Number.isFinite(y)) return x - y;
    return a < b ? -1 : a > b ? 1 : 0;
  }

  // Metadata as plotly text: its labels and legends read a few HTML tags, which labels must not be.
  const plain = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

  // The label shown on hover: the colour column's value, else the first column's.
  function labelOf(data, i) {
    const col = Math.max(0, data.columns.indexOf(ui.colorBy));
    return data.metadata.length ? data.metadata[col][i] : "point " + data.index[i];
  }

  function matches(data) {
    if (!ui.search) return null;
    const re = fb.regex(ui.search);
    return data.index.map((_, i) => data.metadata.some((column) => re.test(column[i])));
  }

  function draw() {
    const root = document.getElementById("tab-projector");
    const plot = root.querySelector(".projector-plot");
    if (!shown || !plot || shown.key !== ui.key) return;
    const data = shown.data, three = data.dims === 3;
    const picker = root.querySelector(".projector-color");
    if (!data.columns.includes(ui.colorBy)) ui.colorBy = data.columns[0] || "";
    picker.replaceChildren(...(data.columns.length ? data.columns : ["(no metadata)"]).map((c) =>
      el("option", { value: c, text: c, selected: c === ui.colorBy })));
    picker.disabled = !data.columns.length;
    const colours = colouring(data), hit = matches(data);
    const axes = data.coords, colourOf = new Map(colours.groups);
    // While searching, matches are drawn last and whole, the rest faintly behind them.
    const members = new Map(colours.groups.map(([g]) => [g, []])), found = [];
    for (let i = 0; i < data.points; i++) (hit && hit[i] ? found : members.get(colours.of(i))).push(i);
    const numeric = colours.numeric && { colorscale: "Viridis", cmin: Math.min(...colours.numeric),
      cmax: Math.max(...colours.numeric), colorbar: { thickness: 10, title: { text: ui.colorBy, side: "right" } } };
    const trace = (rows, name, meta, colour, opacity) => ({
      type: three ? "scatter3d" : "scatter", mode: "markers", name, meta,
      x: rows.map((i) => axes[0][i]), y: rows.map((i) => axes[1][i]),
      ...(three ? { z: rows.map((i) => axes[2][i]) } : {}),
      customdata: rows, text: rows.map((i) => plain(labelOf(data, i))), hovertemplate: "<b>%{text}</b><extra></extra>",
      marker: { size: three ? 3 : 6, color: numeric ? rows.map((i) => colours.numeric[i]) : colour, opacity,
        line: { width: 0 }, ...(numeric || {}), showscale: Boolean(numeric) && name !== "matches" },
    });
    const traces = colours.groups.map(([group, colour]) =>
      trace(members.get(group), plain(group) || "points", "points", colour || fb.cssVar("--accent"), hit ? 0.12 : 0.85));
    if (hit) {
      const match = trace(found, "matches", "points", found.map((i) => colourOf.get(colours.of(i)) || fb.cssVar("--accent")), 1);
      Object.assign(match.marker, { size: three ? 5 : 9, line: { width: three ? 0 : 1.5, color: fb.cssVar("--fg") } });
      traces.push(match);
    }
    const pct = (k) => `PC${k + 1} (${(100 * data.explained[k]).toFixed(1)}%)`;
    const layout = fb.plotLayout({ x: { title: pct(0) }, y: { title: pct(1) }, height: 560,
      margin: { l: 56, r: 12, t: 30, b: 40 }, showlegend: !colours.numeric && colours.groups.length > 1,
      legend: { itemsizing: "constant", font: { size: 11 } } });
    if (three) {
      layout.scene = { xaxis: sceneAxis(pct(0)), yaxis: sceneAxis(pct(1)), zaxis: sceneAxis(pct(2)),
        aspectmode: "cube", bgcolor: "rgba(0,0,0,0)" };
      layout.margin = { l: 0, r: 0, t: 0, b: 0 };
    }
    Plotly.react(plot, traces, layout, { displaylogo: false, responsive: true });
    if (!plot.dataset.hover) {
      plot.dataset.hover = "1";
      plot.on("plotly_hover", (ev) => { const p = ev.points[0]; if (p) showPoint(p.customdata); });
    }
    root.querySelector(".projector-status").textContent = statusLine(data, hit ? found.length : null);
    root.querySelector(".projector-variance").replaceChildren(
      el("div", { class: "projector-side-title", text: "Explained variance" }),
      ...data.explained.map((v, k) => el("div", { class: "projector-bar" },
        el("span", { text: "PC" + (k + 1) }),
        el("span", { class: "projector-bar-track" }, el("span", { class: "projector-bar-fill", style: `width:${(100 * v).toFixed(1)}%` })),
        el("output", { text: (100 * v).toFixed(1) + "%" }))));
  }

  // An axis of a 3-D scene in the current theme (the mesh view's too).
  function sceneAxis(title) {
    const grid = fb.cssVar("--grid");
    return { title: { text: title }, gridcolor: grid, zerolinecolor: grid, color: fb.cssVar("--axis"),
      backgroundcolor: "rgba(0,0,0,0)", showspikes: false };
  }

  function statusLine(data, found) {
    let s = `${data.points.toLocaleString()} points`;
    if (data.points < data.total - data.skipped_nonfinite) {
      s += ` (a fixed sample of ${data.total.toLocaleString()}: at most ${data.max_points.toLocaleString()} are projected)`;
    }
    if (data.skipped_nonfinite) s += ` · ${data.skipped_nonfinite} with NaN or infinite values left out`;
    if (found !== null) s += ` · ${found} match`;
    if (data.warning) s += ` · ${data.warning}`;
    return s;
  }

  // The hovered point's metadata, and its image cut from the sprite sheet.
  function showPoint(i) {
    const data = shown && shown.data, box = document.querySelector("#tab-projector .projector-hover");
    if (!data || !box || i === undefined) return;
    const row = data.index[i], items = [el("div", { class: "projector-side-title", text: "Point " + row })];
    if (data.sprite && sheet && sheet.image.naturalWidth) {
      const { width: w, height: h, per_row: perRow } = data.sprite, scale = 96 / Math.max(w, h);
      const col = row % perRow, line = Math.floor(row / perRow);
      items.push(el("div", { class: "projector-thumb", role: "img", "aria-label": "image of point " + row,
        style: `width:${w * scale}px;height:${h * scale}px;background-image:url("${sheet.url}");`
          + `background-size:${sheet.image.naturalWidth * scale}px ${sheet.image.naturalHeight * scale}px;`
          + `background-position:${-col * w * scale}px ${-line * h * scale}px` }));
    }
    const table = el("dl", { class: "projector-meta" });
    data.columns.forEach((c, k) => table.append(el("dt", { text: c }), el("dd", { text: data.metadata[k][i] })));
    items.push(table);
    box.replaceChildren(...items);
  }

  async function refresh() {
    const fresh = await fb.api("plugin/projector/embeddings");
    const changed = JSON.stringify(fresh) !== JSON.stringify(listing);
    listing = fresh;
    if (changed || !document.querySelector("#tab-projector .projector-body")) {
      shown = changed ? null : shown;
      render();
    }
  }

  fb.views.projector = { render, refresh, refreshVisible() {} };
  fb.sceneAxis = sceneAxis;
})();
