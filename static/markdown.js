// A small, safe markdown renderer: builds DOM nodes and text only (never parses HTML).
"use strict";

(function () {
  const BLOCK = /^(```|#{1,6}\s|\s*([-*+]|\d+[.)])\s+|\s*\||>)/;
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

  function table(rows, parent) {
    const t = node("table");
    rows.forEach((cells, r) => {
      const tr = node("tr");
      cells.forEach((cell) => {
        const td = node(r === 0 && rows.header ? "th" : "td");
        inline(String(cell), td);
        tr.append(td);
      });
      t.append(tr);
    });
    parent.append(t);
  }

  // Markdown text as a <div class="markdown">: headings, paragraphs, lists, code, quotes,
  // pipe tables, emphasis, inline code and http(s) links.
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
      } else if (/^\s*\|/.test(line)) {
        const rows = [];
        for (; i < lines.length && /^\s*\|/.test(lines[i]); i++) {
          if (/^\s*\|[\s:|-]+\|\s*$/.test(lines[i])) { rows.header = true; continue; }
          rows.push(lines[i].trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim()));
        }
        table(rows, root);
      } else if (/^>/.test(line)) {
        const q = node("blockquote"), body = [];
        for (; i < lines.length && /^>/.test(lines[i]); i++) body.push(lines[i].replace(/^>\s?/, ""));
        q.append(markdown(body.join("\n")));
        root.append(q);
      } else {
        const p = node("p"), body = [];
        for (; i < lines.length && !/^\s*$/.test(lines[i]) && (!body.length || !BLOCK.test(lines[i])); i++) {
          body.push(lines[i]);
        }
        body.forEach((l, k) => { if (k) p.append(node("br")); inline(l, p); });
        root.append(p);
      }
    }
    return root;
  }

  // A text summary: a string as markdown, an array of strings as a table.
  function renderText(value) {
    if (typeof value === "string") return markdown(value);
    const root = node("div", "markdown");
    const rows = Array.isArray(value[0]) ? value : value.map((v) => [v]);
    table(rows, root);
    return root;
  }

  window.flowboardMarkdown = { markdown, renderText };
})();
