// Many lines drawn straight into a canvas' pixels. A software canvas (no GPU) spends most of a
// sweep chart's redraw rasterising a thousand anti-aliased paths at paint time; writing one
// aliased pixel per step of each segment into an ImageData is a few milliseconds instead.
"use strict";

(function () {
  const fb = window.flowboard;
  const packed = new Map();  // CSS colour -> 0xAABBGGRR, the little-endian RGBA of an ImageData

  function pack(color) {
    let v = packed.get(color);
    if (v === undefined) {
      const n = parseInt(fb.hexColor(color).slice(1), 16);
      v = (0xff000000 | ((n & 0xff) << 16) | (n & 0xff00) | ((n >> 16) & 0xff)) >>> 0;
      packed.set(color, v);
    }
    return v;
  }

  // The part of segment (x0, y0)-(x1, y1) inside [0, w) x [0, h) (Liang–Barsky), so a zoomed-in
  // chart never walks the pixels of segments far off the canvas; null if none of it is inside.
  function clip(x0, y0, x1, y1, w, h) {
    const dx = x1 - x0, dy = y1 - y0;
    let t0 = 0, t1 = 1;
    const edges = [[-dx, x0], [dx, w - 1 - x0], [-dy, y0], [dy, h - 1 - y0]];
    for (const [p, q] of edges) {
      if (p === 0) {
        if (q < 0) return null;
        continue;
      }
      const r = q / p;
      if (p < 0) { if (r > t1) return null; if (r > t0) t0 = r; } else { if (r < t0) return null; if (r < t1) t1 = r; }
    }
    return [x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy];
  }

  // Bresenham's line of `color` into `px` (a w-wide Uint32Array of pixels).
  function segment(px, w, x0, y0, x1, y1, color) {
    let x = Math.round(x0), y = Math.round(y0);
    const xe = Math.round(x1), ye = Math.round(y1);
    const dx = Math.abs(xe - x), dy = -Math.abs(ye - y), sx = x < xe ? 1 : -1, sy = y < ye ? 1 : -1;
    let err = dx + dy;
    for (;;) {
      px[y * w + x] = color;
      if (x === xe && y === ye) return;
      const e2 = 2 * err;
      if (e2 >= dy) { err += dy; x += sx; }
      if (e2 <= dx) { err += dx; y += sy; }
    }
  }

  // Draws `lines` ({x, y, color}: data values) one device pixel wide over what `ctx` holds;
  // `fx`, `fy` map data values to CSS pixels, `dpr` CSS pixels to device pixels. A point that
  // maps to no finite pixel (a NaN, a value <= 0 on a log axis) breaks its line.
  fb.rasterLines = function (ctx, lines, fx, fy, dpr) {
    const w = ctx.canvas.width, h = ctx.canvas.height;
    if (!w || !h) return;
    const image = ctx.getImageData(0, 0, w, h);
    const px = new Uint32Array(image.data.buffer);
    lines.forEach((l) => {
      const color = pack(l.color), xs = l.x, ys = l.y;
      let pen = false, x0 = 0, y0 = 0;
      for (let i = 0; i < xs.length; i++) {
        const x1 = fx(xs[i]) * dpr, y1 = fy(ys[i]) * dpr;
        if (!Number.isFinite(x1) || !Number.isFinite(y1)) { pen = false; continue; }
        if (pen) {
          const part = clip(x0, y0, x1, y1, w, h);
          if (part) segment(px, w, part[0], part[1], part[2], part[3], color);
        } else if (x1 >= 0 && x1 < w && y1 >= 0 && y1 < h && xs.length === 1) {
          px[Math.round(y1) * w + Math.round(x1)] = color;  // a series of one point
        }
        x0 = x1; y0 = y1; pen = true;
      }
    });
    ctx.putImageData(image, 0, 0);
  };
})();
