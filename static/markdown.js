// A small, safe markdown renderer: builds DOM nodes and text only (never parses HTML).
"use strict";

(function () {
  const BLOCK = /^(```|#{1,6}\s|\s*([-*+]|\d+[.)])\s+|>)/;
  // A GitHub table's delimiter row: `---`, `:--` (left), `:-:` (centre), `--:` (right).
  const DELIMITER = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
  const ALIGN = { "::": "center", ":-": "left", "-:": "right" };
  const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*|__[^_]+__)|(\*[^*\s][^*]*\*|_[^_\s][^_]*_)|(\[[^\]]+\]\([^)\s]+\))/.source;

  function node(tag, cls) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    return n;
  }

  function inline(text, parent) {
    let last = 0, m;
    const re = new RegExp(INLINE, "g");  // one per call: emphasis recurses
    while ((m = re.exec(text))) {
      parent.append(document.createTextNode(text.slice(last, m.index)));
      const t = m[0];
      if (m[1]) { const c = node("code"); c.textContent = t.slice(1, -1); parent.append(c); }
      else if (m[2]) { const b = node("strong"); inline(t.slice(2, -2), b); parent.append(b); }
      else if (m[3]) { const i = node("em"); inline(t.slice(1, -1), i); parent.append(i); }
      else {
        const label = t.slice(1, t.indexOf("]")), url = t.slice(t.indexOf("](") + 2, -1);
        if (/^(https?:|mailto:)/i.test(url)) {
          const a = node("a");
          a.href = url;
          a.rel = "noopener noreferrer";
          a.target = "_blank";
          a.textContent = label;
          parent.append(a);
        } else {
          parent.append(document.createTextNode(t));
        }
      }
      last = m.index + t.length;
    }
    parent.append(document.createTextNode(text.slice(last)));
  }

  // The cells of a table row: split at pipes, except `\|` and pipes inside `code` (as
  // TensorBoard's markdown does); the outer pipes are optional.
  function cells(line) {
    const s = line.trim(), out = [];
    const code = [];  // [start, end) of each code span
    for (let m, re = /`[^`]*`/g; (m = re.exec(s));) code.push([m.index, m.index + m[0].length]);
    let cell = "";
    for (let k = 0; k < s.length; k++) {
      if (s[k] === "\\" && s[k + 1] === "|") { cell += "|"; k++; continue; }
      if (s[k] === "|" && !code.some(([a, b]) => k > a && k < b)) { out.push(cell); cell = ""; continue; }
      cell += s[k];
    }
    out.push(cell);
    if (out.length > 1 && s.startsWith("|")) out.shift();
    if (out.length > 1 && s.endsWith("|") && !s.endsWith("\\|") && out[out.length - 1] === "") out.pop();
    return out.map((c) => c.trim());
  }

  // A table starts at line i: a header row with a pipe, then a delimiter row of as many cells.
  function tableAt(lines, i) {
    const head = lines[i], delim = lines[i + 1];
    if (delim === undefined || !DELIMITER.test(delim) || !/\|/.test(head + delim)) return null;
    const names = cells(head), marks = cells(delim);
    if (names.length !== marks.length || (names.length === 1 && !/\|/.test(head))) return null;
    return { names, align: marks.map((d) => ALIGN[d[0] + d[d.length - 1]] || "") };
  }

  // rows: arrays of cell text; `head` (optional) the header row; `align` per column; `fill`
  // draws a value into its cell (inline markdown unless told otherwise).
  function table(rows, parent, head, align, fill = inline) {
    const t = node("table");
    const row = (values, tag, into) => {
      const tr = node("tr");
      values.forEach((value, c) => {
        const td = node(tag);
        if (align && align[c]) td.style.textAlign = align[c];
        fill(String(value), td);
        tr.append(td);
      });
      into.append(tr);
    };
    if (head) { const thead = node("thead"); row(head, "th", thead); t.append(thead); }
    const tbody = node("tbody");
    rows.forEach((values) => row(values, "td", tbody));
    t.append(tbody);
    parent.append(t);
  }

  // Markdown text as a <div class="markdown">: headings, paragraphs, lists, code, quotes,
  // GitHub tables, emphasis, inline code and http(s) links.
  function markdown(src) {
    const root = node("div", "markdown");
    const lines = String(src).replace(/\r\n?/g, "\n").split("\n");
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      let m;
      if (/^```/.test(line)) {
        const body = [];
        for (i++; i < lines.length && !/^```/.test(lines[i]); i++) body.push(lines[i]);
        i++;
        const pre = node("pre"), code = node("code");
        code.textContent = body.join("\n");
        pre.append(code);
        root.append(pre);
      } else if (/^\s*$/.test(line)) {
        i++;
      } else if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
        const h = node("h" + m[1].length);
        inline(m[2], h);
        root.append(h);
        i++;
      } else if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
        const ordered = /^\s*\d/.test(line), list = node(ordered ? "ol" : "ul");
        for (; i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i]); i++) {
          const li = node("li");
          inline(lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, ""), li);
          list.append(li);
        }
        root.append(list);
      } else if ((m = tableAt(lines, i))) {
        const width = m.names.length, rows = [];
        for (i += 2; i < lines.length && !/^\s*$/.test(lines[i]) && !BLOCK.test(lines[i]); i++) {
          const row = cells(lines[i]).slice(0, width);
          while (row.length < width) row.push("");
          rows.push(row);
        }
        table(rows, root, m.names, m.align);
      } else if (/^>/.test(line)) {
        const q = node("blockquote"), body = [];
        for (; i < lines.length && /^>/.test(lines[i]); i++) body.push(lines[i].replace(/^>\s?/, ""));
        q.append(markdown(body.join("\n")));
        root.append(q);
      } else {
        const p = node("p"), body = [];
        for (; i < lines.length && !/^\s*$/.test(lines[i]) && (!body.length || (!BLOCK.test(lines[i]) && !tableAt(lines, i))); i++) {
          body.push(lines[i]);
        }
        body.forEach((l, k) => { if (k) p.append(node("br")); inline(l, p); });
        root.append(p);
      }
    }
    return root;
  }

  // A text summary as TensorBoard shows it: a string as markdown; an array of strings as a
  // table of markdown cells (one string alone, as torch's add_text writes it, as markdown).
  function renderText(value) {
    if (typeof value === "string") return markdown(value);
    const rows = Array.isArray(value[0]) ? value : value.map((v) => [v]);
    if (rows.length === 1 && rows[0].length === 1) return markdown(rows[0][0]);
    const root = node("div", "markdown");
    table(rows, root, null, null, (text, cell) => cell.append(markdown(text)));
    return root;
  }

  window.flowboardMarkdown = { markdown, renderText };
})();
