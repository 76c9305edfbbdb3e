// Downloads of scalars: every point of the given runs and tags, as CSV or JSON.
"use strict";

(function () {
  const fb = window.flowboard;
  const { el } = fb;

  // A form post, so the browser streams the file to disk however big it is.
  function postDownload(runs, tags, format) {
    const field = (name) => (value) => el("input", { type: "hidden", name, value });
    const form = el("form", { method: "post", action: "data/plugin/scalars/export", hidden: true },
      runs.map(field("run")), tags.map(field("tag")), field("format")(format));
    document.body.append(form);
    form.submit();
    form.remove();
  }

  // One run and tag gives TensorBoard's file, as its own download button does; more give one
  // file of them all.
  async function downloadScalars(runs, tags, format) {
    if (runs.length !== 1 || tags.length !== 1) { postDownload(runs, tags, format); return; }
    const params = new URLSearchParams({ run: runs[0], tag: tags[0] });
    if (format === "csv") params.set("format", "csv");
    const resp = await fetch("data/plugin/scalars/scalars?" + params);
    const a = el("a", { href: URL.createObjectURL(await resp.blob()),
      download: tags[0].replace(/[^\w.-]+/g, "_") + "." + format });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }

  fb.downloadScalars = downloadScalars;
})();
