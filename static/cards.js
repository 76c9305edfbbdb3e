// What the card views share: cards drawn only while in view, the plotly layout of the theme,
// and the one "did the runs' tags change" check.
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

  // The runs and the names of their tags, as a string to compare: a view lays its cards out
  // again only when this changes (a tags answer maps run -> [tag] or run -> {tag: info}).
  function tagLayout(tags) {
    return JSON.stringify(Object.entries(tags).map(([run, t]) => [run, Array.isArray(t) ? t : Object.keys(t)]));
  }

  Object.assign(fb, { InView, plotLayout, rgba, tagLayout });
})();
