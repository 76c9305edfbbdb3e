// flowboard graph tab: a minimap of the whole picture when it is larger than the canvas.
// Boxes and clusters are read from the laid-out SVG (<rect>s in its coordinates) and drawn on a
// small canvas; the visible part is a frame that can be clicked or dragged to move the view.
"use strict";

(function () {
  const SIZE = 180;  // longest side of the minimap, CSS pixels

  // make(host, onMove): a minimap in `host`; onMove(cx, cy) centres the view on picture coords.
  function make(host, onMove) {
    const canvas = document.createElement("canvas");
    canvas.className = "g-minimap";
    canvas.hidden = true;
    canvas.setAttribute("aria-label", "Minimap: click or drag to move the view");
    host.append(canvas);
    let rects = [], box = null, k = 1, frame = null;

    function toPicture(e) {
      const r = canvas.getBoundingClientRect();
      return [box.x + (e.clientX - r.left) / k, box.y + (e.clientY - r.top) / k];
    }
    let dragging = false;
    canvas.addEventListener("pointerdown", (e) => {
      if (!box) return;
      e.stopPropagation();
      dragging = true;
      canvas.setPointerCapture(e.pointerId);
      onMove(...toPicture(e));
    });
    canvas.addEventListener("pointermove", (e) => { if (dragging) onMove(...toPicture(e)); });
    canvas.addEventListener("pointerup", () => { dragging = false; });
    canvas.addEventListener("click", (e) => e.stopPropagation());
    canvas.addEventListener("wheel", (e) => e.stopPropagation());

    // Read boxes once per picture: graphviz puts everything under one translated <g>.
    function load(svg, pictureBox) {
      box = pictureBox;
      const g = svg.querySelector("g.graph");
      const m = /translate\(([-\d.]+)[ ,]+([-\d.]+)\)/.exec((g && g.getAttribute("transform")) || "");
      const tx = m ? +m[1] : 0, ty = m ? +m[2] : 0;
      rects = [];
      svg.querySelectorAll("g.node > rect, g.cluster > rect").forEach((r) => {
        rects.push([+r.getAttribute("x") + tx, +r.getAttribute("y") + ty, +r.getAttribute("width"),
          +r.getAttribute("height"), r.parentNode.classList.contains("cluster")]);
      });
      k = SIZE / Math.max(box.w, box.h);
      const dpr = window.devicePixelRatio || 1;
      canvas.style.width = Math.max(24, box.w * k) + "px";
      canvas.style.height = Math.max(24, box.h * k) + "px";
      canvas.width = Math.max(24, box.w * k) * dpr;
      canvas.height = Math.max(24, box.h * k) * dpr;
    }

    // Show the frame of the visible part; hidden while the whole picture fits the canvas.
    function update(vb) {
      frame = vb;
      const show = box && rects.length && (vb.w < box.w * 0.98 || vb.h < box.h * 0.98 ||
        vb.x > box.x + 1 || vb.y > box.y + 1);
      canvas.hidden = !show;
      if (!show) return;
      const ctx = canvas.getContext("2d");
      const dpr = window.devicePixelRatio || 1;
      const css = getComputedStyle(canvas);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      rects.forEach(([x, y, w, h, cluster]) => {
        ctx.fillStyle = cluster ? css.getPropertyValue("--g-mini-cluster") : css.getPropertyValue("--g-mini-box");
        ctx.fillRect((x - box.x) * k, (y - box.y) * k, Math.max(1, w * k), Math.max(1, h * k));
      });
      // The visible part, clipped to the minimap (a zoomed-out view can reach past it).
      const w = canvas.width / dpr, h = canvas.height / dpr;
      const x0 = Math.max(0, (frame.x - box.x) * k), y0 = Math.max(0, (frame.y - box.y) * k);
      const x1 = Math.min(w, (frame.x + frame.w - box.x) * k), y1 = Math.min(h, (frame.y + frame.h - box.y) * k);
      ctx.fillStyle = css.getPropertyValue("--g-mini-shade");
      ctx.fillRect(x0, y0, Math.max(2, x1 - x0), Math.max(2, y1 - y0));
      ctx.strokeStyle = css.getPropertyValue("--g-mini-frame");
      ctx.lineWidth = 1.5;
      ctx.strokeRect(x0 + 0.75, y0 + 0.75, Math.max(2, x1 - x0 - 1.5), Math.max(2, y1 - y0 - 1.5));
    }

    function clear() { rects = []; box = null; canvas.hidden = true; }
    return { load, update, clear, canvas };
  }

  window.flowboardGraphMinimap = { make };
})();
