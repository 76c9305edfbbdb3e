// What scalar charts compute before drawing: the value range of the lines (outliers cut on
// request, a constant series given room), the nearest point to a step, and number formats.
"use strict";

(function () {
  const fb = window.flowboard;

  function escapeText(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  // Sensible digits for a value in a table: up to 6 significant, no exponent for everyday sizes.
  function fmt(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-4 || a >= 1e7) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
  }

  function nearest(xs, x) {
    let lo = 0, hi = xs.length - 1;
    if (hi < 0) return -1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] < x) lo = mid; else hi = mid;
    }
    return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
  }

  // A few thousand evenly spaced values stand in for all of them when cutting outliers.
  function sample(lines, keep) {
    const total = lines.reduce((n, l) => n + l.raw.length, 0);
    const every = Math.max(1, Math.floor(total / 20000));
    const out = [];
    let k = 0;
    lines.forEach((l) => { for (let i = 0; i < l.raw.length; i++, k++) if (k % every === 0 && keep(l.raw[i])) out.push(l.raw[i]); });
    return out.sort((a, b) => a - b);
  }

  function quantile(sorted, q) {
    const i = (sorted.length - 1) * q, lo = Math.floor(i), hi = Math.ceil(i);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
  }

  // [lo, hi] of the values, in the axis' units (log10 for a log axis). A constant series gets a
  // range around its value, so its axis shows that value instead of -1..1.
  function extent(values, log, outliers, lines) {
    let lo = Infinity, hi = -Infinity;
    const keep = (v) => Number.isFinite(v) && (!log || v > 0);
    if (outliers && lines) {
      const s = sample(lines, keep);
      if (s.length > 4) { lo = quantile(s, 0.05); hi = quantile(s, 0.95); }
    }
    if (lo === Infinity) {
      values.forEach((arr) => { for (let i = 0; i < arr.length; i++) { const v = arr[i]; if (keep(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } } });
    }
    if (lo === Infinity) return null;
    if (log) { lo = Math.log10(lo); hi = Math.log10(hi); }
    if (hi === lo) {
      const pad = log ? 0.05 : Math.abs(lo) * 0.1 || 1;
      return [lo - pad, hi + pad];
    }
    const pad = (hi - lo) * 0.05;
    return [lo - pad, hi + pad];
  }

  // Seconds as the unit that suits them: "45 s", "12.5 min", "3.2 h", "2.1 d".
  fb.duration = function (secs) {
    const a = Math.abs(secs);
    if (a < 120) return secs.toFixed(a < 10 ? 1 : 0) + " s";
    if (a < 7200) return (secs / 60).toFixed(1) + " min";
    if (a < 172800) return (secs / 3600).toFixed(1) + " h";
    return (secs / 86400).toFixed(1) + " d";
  };
  fb.chartScale = { escapeText, fmt, nearest, extent };
  fb.chartFormat = fmt;
})();
