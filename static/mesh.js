// Mesh view: point clouds and meshes in 3-D, one card per mesh and run, with a step slider.
"use strict";

(function () {
  const fb = window.flowboard;
  const { el } = fb;

  const rgb = (c, i) => `rgb(${c[0][i]},${c[1][i]},${c[2][i]})`;

  // Triangles as plotly's mesh3d (vertex colours if logged, else the run's colour); without
  // faces, the vertices as a point cloud.
  function traces(m, run) {
    const [x, y, z] = m.vertices, colour = fb.runColor(run);
    const colours = m.colors ? x.map((_, i) => rgb(m.colors, i)) : null;
    if (m.faces) {
      const [i, j, k] = m.faces;
      return [{ type: "mesh3d", x, y, z, i, j, k, flatshading: true, hoverinfo: "x+y+z",
        ...(colours ? { vertexcolor: colours } : { color: colour }),
        lighting: { ambient: 0.55, diffuse: 0.8, specular: 0.15 } }];
    }
    return [{ type: "scatter3d", mode: "markers", x, y, z, hoverinfo: "x+y+z",
      marker: { size: x.length > 20000 ? 1.5 : 3, color: colours || colour, line: { width: 0 } } }];
  }

  function layout() {
    const ax = (t) => ({ ...fb.sceneAxis(t), nticks: 5 });
    const base = fb.plotLayout({ margin: { l: 0, r: 0, t: 0, b: 0 }, height: 320 });
    delete base.xaxis; delete base.yaxis;
    return { ...base, scene: { xaxis: ax("x"), yaxis: ax("y"), zaxis: ax("z"), aspectmode: "data",
      bgcolor: "rgba(0,0,0,0)" } };
  }

  // The newest step first; the step slider (shared with the image view) fetches the others.
  async function fillMesh(card) {
    const s = card.state;
    if (!s.plot) {
      s.plot = el("div", { class: "mesh-plot" });
      s.info = el("div", { class: "mesh-info muted" });
      s.sample = el("select", { class: "mesh-sample", "aria-label": "Mesh of the batch", hidden: true });
      s.sample.addEventListener("change", () => draw(card, s.step));
    }
    const newest = await fb.api("plugin/mesh/mesh", { run: card.run, tag: card.tag, sample: +s.sample.value || 0 });
    s.known = newest;
    fb.stepSlider(card, newest.steps.map((step) => ({ step })), "mesh-frame", (it) => {
      queueMicrotask(() => draw(card, it.step));  // once the plot is in the page, so it has its size
      return [s.plot, s.info, s.sample];
    });
  }

  async function draw(card, step) {
    const s = card.state;
    s.step = step;
    const sample = +s.sample.value || 0;
    const m = s.known && s.known.step === step && s.known.sample === sample ? s.known
      : await fb.api("plugin/mesh/mesh", { run: card.run, tag: card.tag, step, sample });
    if (s.step !== step) return;  // the slider moved on meanwhile
    if (s.sample.options.length !== m.samples) {
      s.sample.replaceChildren(...[...Array(m.samples).keys()].map((k) => el("option", { value: k, text: "mesh " + k })));
      s.sample.value = m.sample;
    }
    s.sample.hidden = m.samples < 2;
    Plotly.react(s.plot, traces(m, card.run), layout(), { displaylogo: false, responsive: true });
    const faces = m.faces ? `${m.faces[0].length.toLocaleString()} faces` : "point cloud";
    const sampled = m.points < m.vertex_count ? ` (${m.points.toLocaleString()} drawn, a fixed sample)` : "";
    s.info.textContent = `${m.vertex_count.toLocaleString()} vertices${sampled} · ${faces}`;
  }

  fb.cardView("mesh", "mesh", fillMesh, "mesh");
})();
