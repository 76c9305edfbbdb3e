// The page's view state in its URL: compact enough for 10 000 runs, one history entry per view.
"use strict";

(function () {
  // Query parameters this file owns; every other parameter is a view's own (graph.js keeps g_*,
  // hparams.js h_*, the histogram mode hmode), written with `saveParams` and preserved here.
  const OWN = ["tab", "off", "on", "offz", "onz", "runs", "tags", "smooth", "x", "logy", "outliers",
    "fold", "color", "group", "band", "combine", "pin", "logxc", "logyc", "big", "tip"];
  // Up to this many run names are listed one parameter each; more are packed into one
  // compressed parameter, so 10 000 unticked runs still make a URL a browser keeps.
  const PLAIN_NAMES = 20;

  function clamp(v, lo, hi, dflt) { return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : dflt; }

  async function pack(names) {
    const bytes = new TextEncoder().encode(names.join("\n"));
    const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate-raw"));
    const packed = new Uint8Array(await new Response(stream).arrayBuffer());
    let s = "";
    packed.forEach((b) => { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function unpack(text) {
    try {
      const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
      const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
      return (await new Response(stream).text()).split("\n").filter(Boolean);
    } catch (e) {
      return [];  // a damaged link selects as if the parameter were absent
    }
  }

  async function read(state, tabs, search) {
    const q = new URLSearchParams(search);
    state.tab = tabs.includes(q.get("tab")) ? q.get("tab") : "scalars";
    state.off = new Set([...q.getAll("off"), ...(q.has("offz") ? await unpack(q.get("offz")) : [])]);
    state.on = q.has("on") || q.has("onz")
      ? new Set([...q.getAll("on").filter(Boolean), ...(q.has("onz") ? await unpack(q.get("onz")) : [])]) : null;
    state.runFilter = q.get("runs") || "";
    state.tagFilter = q.get("tags") || "";
    state.smoothing = q.has("smooth") ? clamp(parseFloat(q.get("smooth")), 0, 0.99, 0.6) : 0.6;
    state.xaxis = ["step", "relative", "wall"].includes(q.get("x")) ? q.get("x") : "step";
    state.logy = q.get("logy") === "1";
    state.outliers = q.get("outliers") === "1";
    state.folded = new Set(q.getAll("fold"));
    state.colorBy = q.get("color") || "";
    state.groupBy = q.get("group") || "";
    state.band = q.get("band") === "minmax" ? "minmax" : "std";
    state.combine = q.get("combine") || "";
    state.tipSort = q.get("tip") === "near" ? "near" : "value";
    state.pinned = new Set(q.getAll("pin"));
    state.logx = new Set(q.getAll("logxc"));
    state.logyTags = new Set(q.getAll("logyc"));
    state.enlarged = q.get("big") || "";
  }

  async function names(p, key, set) {
    if (set.size <= PLAIN_NAMES) set.forEach((r) => p.append(key, r));
    else p.set(key + "z", await pack([...set].sort()));
  }

  let saving = Promise.resolve();
  // Write the state into the URL; `push` makes it a history entry (tabs and other big view
  // changes), so Back returns to the previous view inside flowboard.
  function save(state, push) {
    saving = saving.then(async () => {
      const p = new URLSearchParams(location.search);
      OWN.forEach((k) => p.delete(k));
      if (state.tab !== "scalars") p.set("tab", state.tab);
      await names(p, "off", state.off);
      if (state.on) {
        if (state.on.size) await names(p, "on", state.on); else p.set("on", "");
      }
      if (state.runFilter) p.set("runs", state.runFilter);
      if (state.tagFilter) p.set("tags", state.tagFilter);
      if (state.smoothing !== 0.6) p.set("smooth", String(state.smoothing));
      if (state.xaxis !== "step") p.set("x", state.xaxis);
      if (state.logy) p.set("logy", "1");
      if (state.outliers) p.set("outliers", "1");
      state.folded.forEach((g) => p.append("fold", g));
      if (state.colorBy) p.set("color", state.colorBy);
      if (state.groupBy) p.set("group", state.groupBy);
      if (state.band !== "std") p.set("band", state.band);
      if (state.combine) p.set("combine", state.combine);
      if (state.tipSort !== "value") p.set("tip", state.tipSort);
      state.pinned.forEach((t) => p.append("pin", t));
      state.logx.forEach((t) => p.append("logxc", t));
      state.logyTags.forEach((t) => p.append("logyc", t));
      if (state.enlarged) p.set("big", state.enlarged);
      const s = p.toString();
      const url = s ? "?" + s : location.pathname;
      if (push && url !== location.search) history.pushState(null, "", url);
      else history.replaceState(null, "", url);
    });
    return saving;
  }

  // A view's own parameters: each of `values` replaces its parameter in the URL (null or
  // undefined removes it). Queued with `save`, so neither write loses the other's.
  function saveParams(values) {
    saving = saving.then(() => {
      const p = new URLSearchParams(location.search);
      Object.entries(values).forEach(([k, v]) => {
        p.delete(k);
        if (v !== null && v !== undefined) p.set(k, v);
      });
      const s = p.toString();
      history.replaceState(history.state, "", s ? "?" + s : location.pathname);
    });
    return saving;
  }

  window.flowboardUrl = { read, save, saveParams };
})();
