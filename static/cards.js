// What the card views share: tags in collapsible groups, the empty state, cards drawn only
// while in view, the plotly layout of the theme, and the one "did the runs' tags change" check.
"use strict";

(function () {
  const fb = window.flowboard;

  // Watches a view's cards: `card.visible` follows the viewport (with a margin, so a card
  // scrolled to is ready) and `onVisible(card)` runs each time one comes into view. `reset()`
  // starts a new layout; `seen` says whether the cards' visibility is known since then.
  class InView {
    constructor(onVisible) {
      this.onVisible = onVisible;
      this.cards = new Map();  // node -> card
      this.observer = null;
      this.seen = false;
    }

    reset() {
      if (this.observer) this.observer.disconnect();
      this.cards.clear();
      this.seen = false;
      this.observer = new IntersectionObserver((entries) => entries.forEach((e) => {
        this.seen = true;
        const card = this.cards.get(e.target);
        if (!card) return;
        card.visible = e.isIntersecting;
        if (card.visible) this.onVisible(card);
      }), { rootMargin: "200px" });
    }

    watch(card) {
      if (!this.observer) this.reset();
      this.cards.set(card.node, card);
      this.observer.observe(card.node);
    }
  }

  // The plotly layout of a chart in the current theme; `x` and `y` add to the axes (a string
  // `title` becomes a styled one), the rest to the layout. Every chart of the page uses it.
  function plotLayout({ x = {}, y = {}, ...rest } = {}) {
    const grid = fb.cssVar("--grid"), axis = fb.cssVar("--axis"), font = fb.cssVar("--font");
    const ax = ({ title, ...extra }) => ({ gridcolor: grid, zeroline: false, linecolor: grid,
      tickfont: { color: axis }, automargin: true, ...extra,
      ...(title ? { title: { text: title, font: { color: axis, size: 11 } } } : {}) });
    return { margin: { l: 56, r: 12, t: 8, b: 30 }, height: 260, showlegend: false, hovermode: "closest",
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: font, size: 11, color: fb.cssVar("--fg") }, hoverlabel: { font: { family: font } },
      modebar: { bgcolor: "rgba(0,0,0,0)", color: axis, activecolor: fb.cssVar("--accent") },
      xaxis: ax(x), yaxis: ax(y), ...rest };
  }

  function rgba(hex, a) {
    const v = parseInt(hex.slice(1), 16);
    return `rgba(${v >> 16},${(v >> 8) & 255},${v & 255},${a.toFixed(3)})`;
  }

  // Any CSS colour (hex, hsl, a name) as "#rrggbb": a canvas reads fill styles back that way.
  const probe = document.createElement("canvas").getContext("2d");
  function hexColor(color) {
    probe.fillStyle = color;
    return probe.fillStyle;
  }

  // `color` faded to `alpha`, for bands under their line.
  function fade(color, alpha = 0.18) { return rgba(hexColor(color), alpha); }

  // The runs and the names of their tags, as a string to compare: a view lays its cards out
  // again only when this changes (a tags answer maps run -> [tag] or run -> {tag: info}).
  function tagLayout(tags) {
    return JSON.stringify(Object.entries(tags).map(([run, t]) => [run, Array.isArray(t) ? t : Object.keys(t)]));
  }

  // The group of a tag: its prefix before the first "/", or "" for tags without one.
  function groupOf(tag) {
    const i = tag.indexOf("/");
    return i > 0 ? tag.slice(0, i) : "";
  }

  // What an empty view says: why nothing shows and what would make something show.
  function emptyState(tags, what) {
    let title, hint;
    if (!fb.state.loaded) {
      return fb.el("div", { class: "empty" }, fb.el("span", { class: "spinner" }), "Loading…");
    } else if (tags.length) {
      title = "No tags match the filter";
      hint = "Nothing matches /" + fb.state.tagFilter + "/ (case-insensitive).";
    } else if (!fb.state.runs.length) {
      title = "No runs yet";
      hint = "Runs appear here as soon as event files show up in the logdir.";
    } else if (!fb.selectedRuns().length) {
      title = "No run selected";
      hint = "Tick a run in the list, or clear the run filter.";
    } else {
      title = "No " + what + " data yet";
      hint = "None of the selected runs has logged " + what + " summaries yet; "
        + "the page refreshes on its own.";
    }
    return fb.el("div", { class: "empty-state" }, fb.el("div", { class: "empty-title", text: title }),
      fb.el("div", { class: "empty-hint", text: hint }));
  }

  // One collapsible <details> per group of tags; `label` null for the ungrouped ones.
  function groupBox(g, count, grid, label) {
    const name = label ? fb.el("span", { class: "group-name", text: label })
      : g ? fb.el("span", { class: "group-name", text: g })
        : fb.el("span", { class: "group-name ungrouped", text: "Ungrouped", title: "Tags without a prefix" });
    const details = fb.el("details", { class: "group", open: !fb.state.folded.has(g), "data-group": g },
      fb.el("summary", {}, name, fb.el("span", { class: "count", text: count })), grid);
    details.addEventListener("toggle", () => {
      // An open <details> also fires "toggle" once when it is made: not a change, and with
      // many groups, saving the URL and refreshing every chart for each would stall the page.
      if (details.open !== fb.state.folded.has(g)) return;
      if (details.open) fb.state.folded.delete(g); else fb.state.folded.add(g);
      fb.saveState();
      if (details.open) fb.refreshVisible();
    });
    return details;
  }

  // Tags grouped by the prefix before the first "/", each group a collapsible <details>; tags
  // without a prefix share one group, shown first, so a flat list of tags still fills the width.
  function groupedTags(tags, container, makeCards, what) {
    const groups = new Map();
    tags.filter(fb.tagMatches).forEach((t) => {
      const g = groupOf(t);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g).push(t);
    });
    container.replaceChildren();
    if (!groups.size) {
      container.append(emptyState(tags, what || "matching"));
      return;
    }
    [...groups.keys()].sort().forEach((g) => {
      const grid = fb.el("div", { class: "grid" });
      groups.get(g).sort().forEach((t) => makeCards(t, grid));
      container.append(groupBox(g, groups.get(g).length, grid));
    });
  }

  Object.assign(fb, { InView, plotLayout, rgba, hexColor, fade, tagLayout, groupOf, emptyState, groupBox, groupedTags });
})();
