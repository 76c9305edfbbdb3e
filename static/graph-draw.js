// flowboard graph tab: drawing the server's SVG, the legend, and pan and zoom of the picture.
// `make(g)` works on the tab's shared object `g` (state, ui, view; see graph.js).
"use strict";

(function () {
  const SVGNS = "http://www.w3.org/2000/svg";

  function make(g) {
    let vb = null;          // current viewBox {x, y, w, h}
    let box = null;         // the picture's own extent
    let fitted = false;     // the view still shows the whole picture (no zoom or pan since)
    let anchor = null;      // {name, x, y}: a box to keep at this screen spot across a re-layout
    const el = g.el;

    function draw(refit) {
      const { ui, view, state } = g;
      // The SVG comes from graphviz (names escaped there); parse it as XML, never as HTML.
      const doc = new DOMParser().parseFromString(view.svg, "image/svg+xml");
      const svg = document.importNode(doc.documentElement, true);
      if (svg.nodeName !== "svg") return g.showMessage("error", "The server sent an unreadable picture.");
      const [x, y, w, h] = svg.getAttribute("viewBox").split(/[\s,]+/).map(Number);
      const old = vb;
      box = { x, y, w, h };
      svg.removeAttribute("width"); svg.removeAttribute("height");
      svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
      svg.classList.add("g-svg");
      if (state.color === "time" && view.tags.length) svg.classList.add("g-heat-mode");
      svg.querySelectorAll("title").forEach((t) => t.remove());
      // The SVG's own <style> would apply to the whole page; graph.css holds the same rules scoped.
      svg.querySelectorAll("style").forEach((t) => t.remove());
      // Browser tooltips: a box's full name (the lean SVG leaves titles out).
      svg.querySelectorAll("g.node").forEach((node) => {
        const u = view.units[node.id];
        if (!u || u.kind === "stub") return;
        const t = document.createElementNS(SVGNS, "title");
        t.textContent = u.kind === "scope" ? u.name + "/" : u.name;
        node.prepend(t);
      });
      ui.stage.replaceChildren(svg);
      view.lookup = null;
      g.minimap.load(svg, box);
      const keep = anchor;
      anchor = null;
      if (refit || !old) fit();
      else if (keep && placeAnchor(keep, old)) fitted = false;
      else if (fitted) fit();
      else setViewBox(old.x + old.w / 2, old.y + old.h / 2, old.w / ui.canvas.clientWidth);
      drawLegend();
      ui.count.textContent = count(view.op_count);
      ui.search.placeholder = `Search ${view.kind === "keras" ? "layers" : "ops"} (name or regex)`;
      if (state.trace && state.selected) g.inspect.trace(state.selected);
    }

    // "12 ops", or "5 layers" for a Keras model's layer graph.
    function count(n) { return `${n} ${g.view && g.view.kind === "keras" ? "layers" : "ops"}`; }

    // After a re-layout, put the box (or the cluster it opened into) where it was on screen, at
    // the same zoom, so expanding or collapsing a scope does not lose the user's place.
    function placeAnchor(keep, old) {
      const { ui, view } = g;
      const s = old.w / Math.max(1, ui.canvas.clientWidth);
      // The cluster the scope opened into, the box itself, or (a series) its first member.
      const names = [keep.name, ...(keep.members || [])];
      const cid = Object.keys(view.clusters).find((c) => view.clusters[c] === keep.name);
      const uid = names.map((n) => Object.keys(view.units).find((u) => view.units[u].kind !== "stub" && view.units[u].name === n)).find(Boolean);
      const node = document.getElementById(cid || uid || "");
      if (!node) return false;
      setViewBox(box.x + box.w / 2, box.y + box.h / 2, s);
      const r = node.getBoundingClientRect();
      const p = toUser(r.left, r.top);
      const c = ui.canvas.getBoundingClientRect();
      setViewBox(p.x - (keep.x - c.left - c.width / 2) * s, p.y - (keep.y - c.top - c.height / 2) * s, s);
      return true;
    }

    function remember(name, node, members) {
      if (!node || !vb) return;
      const r = node.getBoundingClientRect();
      anchor = { name, members, x: r.left, y: r.top };
    }

    function drawLegend() {
      const { ui, view, state } = g;
      ui.color.querySelector('option[value="time"]').disabled = !view.tags.length;
      if (state.color === "time" && view.tags.length) {
        const max = Math.max(0, ...Object.values(view.units).map((u) => u.time_us || 0));
        ui.legend.replaceChildren(el("span", { class: "g-heat" }),
          el("span", { text: `0 – ${formatTime(max)} compute (${view.tag})` }));
        return;
      }
      ui.legend.replaceChildren(...view.legend.map((c) =>
        el("span", { class: "g-key" }, el("span", { class: "g-swatch cat-" + c.category, style: "background:" + c.color }),
          el("span", { text: c.category }))));
    }

    function formatTime(us) {
      if (us >= 1e6) return (us / 1e6).toFixed(2) + " s";
      if (us >= 1e3) return (us / 1e3).toFixed(2) + " ms";
      return Math.round(us) + " µs";
    }

    // ---- pan and zoom -----------------------------------------------------------------------
    function svgEl() { return g.ui.stage.querySelector("svg"); }
    function scale() { return vb ? vb.w / Math.max(1, g.ui.canvas.clientWidth) : 1; }  // user units per pixel

    function setViewBox(cx, cy, s) {
      const svg = svgEl();
      if (!svg) return;
      const cw = Math.max(1, g.ui.canvas.clientWidth), ch = Math.max(1, g.ui.canvas.clientHeight);
      vb = { x: cx - (cw * s) / 2, y: cy - (ch * s) / 2, w: cw * s, h: ch * s };
      svg.setAttribute("viewBox", `${vb.x} ${vb.y} ${vb.w} ${vb.h}`);
      if (g.minimap) g.minimap.update(vb);
    }

    function fit() {
      if (!box || !svgEl()) return;
      const cw = Math.max(1, g.ui.canvas.clientWidth), ch = Math.max(1, g.ui.canvas.clientHeight);
      // Never blow a small graph up past 1.5× its natural size; keep a little margin.
      const s = Math.max(box.w / cw, box.h / ch, 1 / 1.5) * 1.02;
      setViewBox(box.x + box.w / 2, box.y + box.h / 2, s);
      fitted = true;
    }

    // The canvas changed size: keep the whole picture in view, or the same centre and zoom.
    function resized() {
      if (fitted) fit(); else if (vb) setViewBox(vb.x + vb.w / 2, vb.y + vb.h / 2, scale());
    }

    // Centre the view on picture point (cx, cy) at the current zoom (the minimap's move).
    function moveTo(cx, cy) { fitted = false; setViewBox(cx, cy, scale()); }

    function clear() { vb = null; }
    function dropAnchor() { anchor = null; }

    function toUser(clientX, clientY) {
      const r = g.ui.canvas.getBoundingClientRect();
      return { x: vb.x + (clientX - r.left) * scale(), y: vb.y + (clientY - r.top) * scale(), r };
    }

    function centreOn(id) {
      const node = id && document.getElementById(id);
      if (!node || !vb) return;
      const r = node.getBoundingClientRect();
      const p = toUser(r.left + r.width / 2, r.top + r.height / 2);
      // Zoom in far enough to read the box, never out.
      fitted = false;
      setViewBox(p.x, p.y, Math.min(scale(), 0.75));
    }

    function bindPanZoom(canvas, onClick) {
      canvas.addEventListener("wheel", (e) => {
        if (!vb) return;
        e.preventDefault();
        fitted = false;
        const k = Math.exp(e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
        const p = toUser(e.clientX, e.clientY);
        const s = Math.min(Math.max(scale() * k, 0.02), Math.max(box.w, box.h) / 50);
        const fx = (e.clientX - p.r.left) / p.r.width, fy = (e.clientY - p.r.top) / p.r.height;
        setViewBox(p.x - (fx - 0.5) * p.r.width * s, p.y - (fy - 0.5) * p.r.height * s, s);
      }, { passive: false });
      let drag = null;
      canvas.addEventListener("pointerdown", (e) => {
        if (!vb || e.button !== 0) return;
        drag = { x: e.clientX, y: e.clientY, vx: vb.x + vb.w / 2, vy: vb.y + vb.h / 2, moved: false };
      });
      window.addEventListener("pointermove", (e) => {
        if (!drag) return;
        const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
        if (!drag.moved && Math.hypot(dx, dy) < 4) return;
        if (!drag.moved) { drag.moved = true; fitted = false; canvas.classList.add("g-dragging"); }
        setViewBox(drag.vx - dx * scale(), drag.vy - dy * scale(), scale());
      });
      window.addEventListener("pointerup", () => {
        if (drag && drag.moved) canvas.dataset.dragged = "1";
        drag = null; canvas.classList.remove("g-dragging");
      });
      canvas.addEventListener("click", (e) => {
        if (canvas.dataset.dragged) { delete canvas.dataset.dragged; return; }
        onClick(e);
      });
      canvas.addEventListener("keydown", (e) => {
        if (!vb) return;
        const step = 60 * scale();
        const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
        if (moves[e.key]) { e.preventDefault(); setViewBox(vb.x + vb.w / 2 + moves[e.key][0], vb.y + vb.h / 2 + moves[e.key][1], scale()); }
        if (e.key === "+" || e.key === "=") setViewBox(vb.x + vb.w / 2, vb.y + vb.h / 2, scale() / 1.25);
        if (e.key === "-") setViewBox(vb.x + vb.w / 2, vb.y + vb.h / 2, scale() * 1.25);
        if (e.key === "0") fit();
      });
    }

    return { draw, count, remember, dropAnchor, formatTime, svgEl, fit, resized, moveTo, clear, centreOn,
      bindPanZoom };
  }

  window.flowboardGraphDraw = { make };
})();
