// flowboard graph tab: what a user does with the picture — open and close scopes, select an op
// (side panel), search, trace inputs, export. `make(g)` works on the tab's shared object `g`
// (state, ui, view, names, loadView; see graph.js) and its drawing (`g.draw`).
"use strict";

(function () {
  function make(g) {
    const el = g.el;
    let matchIndex = -1;

    // ---- clicks, expansion, selection -------------------------------------------------------
    function onClick(e) {
      const { view, state } = g;
      if (!view || !view.graph) return;
      const node = e.target.closest("g.node");
      if (node && view.units[node.id]) {
        const u = view.units[node.id];
        if (u.kind === "scope") { g.draw.remember(u.name, node, u.members); return expand(u.name); }
        if (u.kind === "stub") return focusUnit(u.target);
        return select(u.name, false);
      }
      const cluster = e.target.closest("g.cluster");
      if (cluster && e.target.nodeName === "text" && view.clusters[cluster.id]) {
        g.draw.remember(view.clusters[cluster.id], cluster);
        return collapse(view.clusters[cluster.id]);
      }
      if (!e.target.closest(".g-panel")) { state.selected = ""; state.trace = false; g.saveState(); hidePanel(); clearMarks("g-selected"); untrace(); }
    }

    function expandedList() {
      const { state, view } = g;
      if (state.expand === null || state.expand === "all") return view ? view.expanded.slice() : [];
      return state.expand ? state.expand.split(",").filter(Boolean) : [];
    }

    function expand(scope) {
      const set = new Set(expandedList());
      set.add(scope);
      g.state.expand = [...set].join(",");
      g.saveState();
      return g.loadView(false);
    }

    function collapse(scope) {
      // Series and blocks are not path prefixes of what they hold: walk the server's parents.
      const parents = (g.view && g.view.parents) || {};
      const inside = (s) => { for (let p = s; p; p = parents[p]) if (p === scope) return true; return false; };
      const keep = expandedList().filter((s) => !inside(s));
      g.state.expand = keep.join(",");
      g.saveState();
      return g.loadView(false);
    }

    // The box that stands for op `name` now: the op itself, the closed scope holding it, or the
    // series or block covering one of its scopes.
    function unitOf(name) {
      const view = g.view;
      if (!view.lookup) {
        view.lookup = {};
        Object.entries(view.units).forEach(([id, u]) => {
          if (u.kind === "stub") return;
          view.lookup[u.kind + ":" + u.name] = id;
          (u.covers || []).forEach((c) => { view.lookup["cover:" + c] = id; });
        });
      }
      const byName = view.lookup;
      if (byName["op:" + name]) return byName["op:" + name];
      const parts = name.split("/");
      for (let k = parts.length; k > 0; k--) {
        const path = parts.slice(0, k).join("/");
        const id = byName["scope:" + path] || byName["cover:" + path];
        if (id) return id;
      }
      return null;
    }

    async function select(name, centre) {
      const state = g.state;
      state.selected = name;
      g.saveState();
      const id = unitOf(name);
      if (!id || g.view.units[id].kind !== "op") {
        state.expand = expandedList().join(",");
        await g.loadView(false, name);  // the server opens the scopes, series and blocks holding it
      }
      highlightSelected();
      if (centre) g.draw.centreOn(unitOf(name));
      showNode(name);
      if (state.trace) trace(name); else untrace();
    }

    function focusUnit(id) {
      const u = g.view.units[id];
      if (!u) return;
      if (u.kind === "op") return select(u.name, true);
      clearMarks("g-selected");
      mark([id], "g-selected");
      g.draw.centreOn(id);
    }

    function mark(ids, cls) { ids.forEach((id) => { const n = document.getElementById(id); if (n) n.classList.add(cls); }); }
    function clearMarks(cls) { g.ui.stage.querySelectorAll("." + cls).forEach((n) => n.classList.remove(cls)); }

    function highlightSelected() {
      clearMarks("g-selected");
      const id = g.state.selected && unitOf(g.state.selected);
      if (id) mark([id], "g-selected");
    }

    // ---- search -----------------------------------------------------------------------------
    function matcher() {
      const query = g.state.query;
      if (!query) return null;
      try { return new RegExp(query, "i"); } catch (e) {
        const needle = query.toLowerCase();
        return { test: (s) => s.toLowerCase().includes(needle) };
      }
    }

    function matches() {
      const re = matcher();
      return re && g.names ? g.names.names.filter((n) => re.test(n)) : [];
    }

    function markMatches() {
      const { ui, view, state } = g;
      if (!ui || !view || !view.graph) return;
      clearMarks("g-match");
      const found = matches();
      ui.count.textContent = state.query ? `${found.length} of ${g.draw.count(view.op_count)} match` : g.draw.count(view.op_count);
      mark([...new Set(found.map(unitOf).filter(Boolean))], "g-match");
    }

    function searchChanged() { matchIndex = -1; markMatches(); }

    async function nextMatch(dir) {
      await g.ensureNames();  // Enter may come before the names have arrived
      const found = matches();
      if (!found.length) return;
      matchIndex = (matchIndex + dir + found.length) % found.length;
      await select(found[matchIndex], true);
      markMatches();
      g.ui.count.textContent = `${matchIndex + 1} / ${found.length} matches`;
    }

    // ---- trace inputs -----------------------------------------------------------------------
    async function trace(name) {
      let answer;
      try { answer = await g.get("trace", { run: g.state.run, name }); } catch (e) { return; }
      const ids = new Set([name, ...answer.ancestors].map(unitOf).filter(Boolean));
      untrace();
      g.draw.svgEl().classList.add("g-tracing");
      mark([...ids], "g-traced");
      Object.entries(g.view.edges).forEach(([eid, [a, b]]) => { if (ids.has(a) && ids.has(b)) mark([eid], "g-traced"); });
    }

    function untrace() {
      const svg = g.draw.svgEl();
      if (svg) svg.classList.remove("g-tracing");
      clearMarks("g-traced");
    }

    // ---- side panel -------------------------------------------------------------------------
    function hidePanel() { if (g.ui) { g.ui.panel.hidden = true; g.ui.panel.replaceChildren(); } }

    function closePanel() { g.state.selected = ""; g.state.trace = false; g.saveState(); hidePanel(); clearMarks("g-selected"); untrace(); }

    async function showNode(name) {
      const { ui, state } = g;
      let n;
      try { n = await g.get("node", { run: state.run, name, tag: state.tag || undefined }); } catch (e) {
        ui.panel.hidden = false;
        ui.panel.replaceChildren(el("p", { class: "g-error", text: e.message }));
        return;
      }
      if (state.selected !== name) return;
      const rows = [["Op", n.op], ["Device", n.device || "—"]];
      if (n.time_us !== undefined) rows.push(["Compute time", g.draw.formatTime(n.time_us)]);
      const attrs = Object.entries(n.attrs);
      const traceBtn = el("button", { class: "g-btn" + (state.trace ? " g-on" : ""), text: state.trace ? "Stop tracing" : "Trace inputs" });
      traceBtn.addEventListener("click", () => {
        state.trace = !state.trace; g.saveState();
        traceBtn.textContent = state.trace ? "Stop tracing" : "Trace inputs";
        traceBtn.classList.toggle("g-on", state.trace);
        if (state.trace) trace(name); else untrace();
      });
      const close = el("button", { class: "g-close", title: "Close", "aria-label": "Close", text: "×" });
      close.addEventListener("click", closePanel);
      const actions = el("div", { class: "g-actions" }, traceBtn);
      if (n.scope) {
        const up = el("button", { class: "g-btn", text: "Collapse " + n.scope.split("/").pop() });
        up.addEventListener("click", () => collapse(n.scope));
        actions.append(up);
      }
      ui.panel.replaceChildren(
        el("div", { class: "g-panel-head" }, el("h3", { class: "g-name", text: n.name }), close),
        el("dl", { class: "g-facts" }, ...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })])),
        actions,
        section("Attributes", attrs.length ? el("dl", { class: "g-attrs" },
          ...attrs.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })])) : el("p", { class: "muted", text: "none" })),
        section(`Inputs (${n.inputs.length})`, links(n.inputs)),
        section(`Outputs (${n.outputs.length})`, links(n.outputs)));
      ui.panel.hidden = false;
    }

    function section(title, body) { return el("section", {}, el("h4", { text: title }), body); }

    function links(items) {
      if (!items.length) return el("p", { class: "muted", text: "none" });
      return el("ul", { class: "g-links" }, ...items.map((it) => {
        const b = el("button", { class: "g-link", title: it.name }, el("span", { text: it.name + (it.output > 0 ? ":" + it.output : "") }));
        if (it.control) b.append(el("span", { class: "g-tag", text: "control" }));
        else if (it.shape) b.append(el("span", { class: "g-shape", text: it.shape }));
        b.addEventListener("click", () => select(it.name, true));
        return el("li", {}, b);
      }));
    }

    // ---- export -----------------------------------------------------------------------------
    function download(format) {
      const { view, state } = g;
      if (!view || !view.graph) return;
      const p = new URLSearchParams({ run: state.run, format, color: state.color });
      if (state.expand !== null) p.set("expand", state.expand);
      if (state.tag) p.set("tag", state.tag);
      const a = el("a", { href: "data/plugin/graphs/export?" + p, download: "" });
      document.body.append(a);
      a.click();
      a.remove();
    }

    return { onClick, highlightSelected, showNode, hidePanel, markMatches, searchChanged, nextMatch,
      trace, untrace, download };
  }

  window.flowboardGraphInspect = { make };
})();
