// Audio view: the clips of one step of each (tag, run), a player and its label per clip, and a
// step slider; the browser fetches only each clip's header until it is played.
"use strict";

(function () {
  const fb = window.flowboard;
  const { el } = fb;

  function clip(card, it, k) {
    const src = "data/plugin/audio/individualAudio?" + new URLSearchParams(
      { run: card.run, tag: card.tag, index: it.index, sample: k, ts: it.wall_time });
    const label = it.labels[k];
    return el("figure", { class: "audio-clip" },
      el("audio", { controls: true, preload: "metadata", src, "aria-label": `${card.tag}, step ${it.step}, clip ${k + 1}` }),
      el("figcaption", {},
        it.samples > 1 ? el("span", { class: "clip-number", text: `${k + 1}/${it.samples}` }) : [],
        label ? window.flowboardMarkdown.renderText(label) : []));
  }

  async function fillAudio(card) {
    const items = await fb.api("plugin/audio/audio", { run: card.run, tag: card.tag });
    if (!items.length) { card.body.replaceChildren(el("div", { class: "empty", text: "No audio." })); return; }
    fb.stepSlider(card, items, "audio-frame", (it) => [...Array(it.samples).keys()].map((k) => clip(card, it, k)));
  }

  fb.cardView("audio", "audio", fillAudio, "audio");
})();
