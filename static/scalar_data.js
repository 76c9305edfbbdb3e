// Scalar data of the charts: each chart keeps what it fetched and asks the server only for what
// changed since (runs it lacks, points appended), and the maths drawn from it (smoothing, the
// x axis, group means and bands).
"use strict";

(function () {
  const fb = window.flowboard;
  const EMPTY = { step: new Float64Array(0), wall: new Float64Array(0), value: new Float32Array(0), version: 0 };

  // Reads the chart route's answer (format written above `chart_data` in dashboard/charts.py).
  function decode(buf) {
    const view = new DataView(buf);
    const size = view.getUint32(0, true);
    const head = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, size)));
    let pos = 4 + size;
    const take = (Type, n) => { const a = new Type(buf.slice(pos, pos + 4 * n)); pos += 4 * n; return a; };
    head.series.forEach((s) => {
      const ds = take(Uint32Array, s.n), dw = take(Float32Array, s.n);
      s.value = take(Float32Array, s.n);
      s.step = new Float64Array(s.n);
      s.wall = new Float64Array(s.n);
      for (let i = 0; i < s.n; i++) { s.step[i] = ds[i] + s.step0; s.wall[i] = dw[i] + s.wall0; }
    });
    return head;
  }

  function firstAtOrAfter(steps, step) {
    let lo = 0, hi = steps.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (steps[mid] < step) lo = mid + 1; else hi = mid; }
    return lo;
  }

  function concat(Type, a, n, b) {
    const out = new Type(n + b.length);
    out.set(a.subarray(0, n));
    out.set(b, n);
    return out;
  }

  const key = (run, tag) => run + "\u0000" + tag;

  // What one chart holds: (run, tag) -> columns, as of the server's tick `clock`, drawn with
  // buckets of `bucket` steps for the pixel width and zoom window in `params`.
  class ChartData {
    constructor(tags) {
      this.tags = tags;
      this.series = new Map();
      this.clock = 0;
      this.bucket = 0;
      this.params = "";
      this.busy = null;
      this.again = false;
      this.bytes = 0;
    }

    has(run) { return this.tags.every((t) => this.series.has(key(run, t))); }

    get(run, tag) { return this.series.get(key(run, tag)); }

    // Bring the chart up to date for `runs`: nothing is asked if it holds them all and the
    // server's clock has not moved; otherwise one request for every run, new ones last.
    // True when something new arrived.
    async sync(runs, width, zoom) {
      if (this.busy) { this.again = true; return this.busy; }
      const params = width + ":" + (zoom ? zoom.join(",") : "");
      if (params !== this.params) { this.series.clear(); this.clock = 0; this.bucket = 0; this.params = params; }
      const known = runs.filter((r) => this.has(r)), fresh = runs.filter((r) => !this.has(r));
      if (!fresh.length && this.clock >= fb.state.scalarsClock) return false;
      if (!known.length && !fresh.length) return false;
      const body = { runs: [...known, ...fresh], tags: this.tags, width, since: this.clock,
        known: known.length, bucket: this.bucket };
      if (zoom) { body.min_step = zoom[0]; body.max_step = zoom[1]; }
      this.busy = this.fetch(body);
      let news;
      try {
        news = await this.busy;
      } finally {
        this.busy = null;
      }
      if (this.again) { this.again = false; news = (await this.sync(runs, width, zoom)) || news; }
      return news;
    }

    async fetch(body) {
      const buf = await fb.api("plugin/scalars/chart", null, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), raw: true });
      this.bytes += buf.byteLength;
      const head = decode(buf);
      if (head.bucket !== this.bucket) {  // buckets changed: the answer holds every series afresh
        this.series.forEach((s, k) => { if (!head.series.some((x) => key(x.run, x.tag) === k)) this.series.delete(k); });
      }
      let news = head.series.length > 0;
      head.missing.forEach(([run, tag]) => {
        if (this.series.get(key(run, tag)) !== EMPTY) news = true;
        this.series.set(key(run, tag), EMPTY);
      });
      head.series.forEach((s) => {
        const old = this.series.get(key(s.run, s.tag));
        let step = s.step, wall = s.wall, value = s.value;
        if (s.from !== null && old) {
          const n = firstAtOrAfter(old.step, s.from);
          step = concat(Float64Array, old.step, n, s.step);
          wall = concat(Float64Array, old.wall, n, s.wall);
          value = concat(Float32Array, old.value, n, s.value);
        }
        this.series.set(key(s.run, s.tag), { step, wall, value, version: s.version, total: s.total });
      });
      this.clock = head.clock;
      this.bucket = head.bucket;
      return news;
    }
  }

  // TensorBoard's smoothing: an exponential moving average, debiased so early points are not
  // pulled towards zero; non-finite values pass through unsmoothed. Kept with the series for
  // as long as the weight and the series stay the same.
  function smoothed(s, weight) {
    if (s.smW === weight && s.sm) return s.sm;
    const values = s.value, out = new Float64Array(values.length);
    let last = 0, power = 1, constant = true;  // power: weight ** (points averaged so far)
    for (let i = 1; i < values.length && constant; i++) constant = values[i] === values[0];
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (constant || !Number.isFinite(v) || weight === 0) { out[i] = v; continue; }
      last = last * weight + (1 - weight) * v;
      power *= weight;
      out[i] = last / (1 - power);
    }
    s.sm = out;
    s.smW = weight;
    return out;
  }

  const UNITS = [[120, 1, "seconds"], [7200, 60, "minutes"], [172800, 3600, "hours"], [Infinity, 86400, "days"]];

  // The unit relative time reads best in, for runs lasting up to `secs`.
  function timeUnit(secs) { return UNITS.find(([limit]) => secs < limit); }

  // x values of a series for the chosen axis: steps, time since the run's first point (in
  // `unit` seconds), or wall time as milliseconds for a date axis.
  function xValues(s, mode, unit) {
    if (mode === "step") return s.step;
    const out = new Float64Array(s.wall.length);
    const t0 = s.wall.length ? s.wall[0] : 0;
    for (let i = 0; i < out.length; i++) out[i] = mode === "wall" ? s.wall[i] * 1000 : (s.wall[i] - t0) / unit;
    return out;
  }

  // Each group's members on the union of their x values (each member interpolated within its
  // own range): mean, and the band as mean ± std or min..max.
  function aggregate(members, band) {
    const all = [];
    members.forEach((m) => m.x.forEach((v) => all.push(v)));
    all.sort((a, b) => a - b);
    const xs = [];
    all.forEach((v) => { if (!xs.length || xs[xs.length - 1] !== v) xs.push(v); });
    const n = xs.length;
    const sum = new Float64Array(n), sq = new Float64Array(n), cnt = new Float64Array(n);
    const lo = new Float64Array(n).fill(Infinity), hi = new Float64Array(n).fill(-Infinity);
    members.forEach((m) => {
      let j = 0;
      for (let i = 0; i < n; i++) {
        const x = xs[i];
        if (x < m.x[0] || x > m.x[m.x.length - 1]) continue;
        while (j < m.x.length - 1 && m.x[j + 1] < x) j++;
        let y;
        if (m.x[j] === x) y = m.y[j];
        else if (j + 1 < m.x.length && m.x[j + 1] === x) y = m.y[j + 1];
        else y = m.y[j] + (m.y[j + 1] - m.y[j]) * (x - m.x[j]) / (m.x[j + 1] - m.x[j]);
        if (!Number.isFinite(y)) continue;
        sum[i] += y; sq[i] += y * y; cnt[i] += 1;
        if (y < lo[i]) lo[i] = y;
        if (y > hi[i]) hi[i] = y;
      }
    });
    const mean = new Float64Array(n), bandLo = new Float64Array(n), bandHi = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      mean[i] = cnt[i] ? sum[i] / cnt[i] : NaN;
      const sd = cnt[i] ? Math.sqrt(Math.max(0, sq[i] / cnt[i] - mean[i] * mean[i])) : NaN;
      bandLo[i] = band === "minmax" ? lo[i] : mean[i] - sd;
      bandHi[i] = band === "minmax" ? hi[i] : mean[i] + sd;
    }
    return { x: Float64Array.from(xs), mean, lo: bandLo, hi: bandHi, count: cnt };
  }

  // Runs sharing a key (a pattern's capture or an hparam's value: the "group by" setting)
  // become one mean line with a band; runs without a key stay lines of their own.
  // `multiTag`: the chart draws several tags, so a group is one per (key, tag).
  function groupLines(lines, multiTag) {
    const state = fb.state;
    const groups = new Map(), alone = [];
    lines.forEach((l) => {
      const k = fb.keyOf(l.run, state.groupBy);
      if (k === null) { alone.push(l); return; }
      const id = k + "\u0000" + l.tag;
      if (!groups.has(id)) groups.set(id, { key: k, tag: l.tag, members: [] });
      groups.get(id).members.push(l);
    });
    const means = [], bands = [];
    [...groups.values()].sort((a, b) => a.key.localeCompare(b.key, undefined, { numeric: true })).forEach((g) => {
      const agg = aggregate(g.members, state.band);
      const color = groupColor(g.key);
      const label = (multiTag ? g.key + " · " + g.tag : g.key) + " (" + g.members.length + ")";
      means.push({ run: label, group: g.key, tag: g.tag, label, color, dash: g.members[0].dash, x: agg.x,
        y: agg.mean, raw: agg.mean, step: agg.x, wall: new Float64Array(0), kind: "mean", members: g.members.length });
      bands.push({ group: g.key, tag: g.tag, color, fill: fb.fade(color), x: agg.x, lo: agg.lo, hi: agg.hi });
    });
    return [[...means, ...alone], bands];
  }

  const groupColors = new Map();  // a group keeps its colour as others come and go
  function groupColor(k) {
    if (!groupColors.has(k)) groupColors.set(k, fb.paletteColor(groupColors.size));
    return groupColors.get(k);
  }



  fb.scalarData = { ChartData, smoothed, timeUnit, xValues, aggregate, groupLines, EMPTY };
})();
