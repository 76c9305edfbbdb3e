"""dot's SVG made lean: one shared style, rounded boxes as <rect>, relative edge paths, no comments.

A fully expanded ResNet50 is ~15 000 boxes; as dot writes it that is 22 MB of SVG, two thirds of
it repeated attributes, comments, titles and the 25-point paths of rounded boxes. The picture is
unchanged: boxes keep their ids, classes, fills and strokes (the page's styles key on them).
"""
from __future__ import annotations

import re

# What every box, cluster and edge of a flowlog view shares, said once. Declarations here win
# over attributes, so only values no element overrides are moved here.
STYLE = (b"<style>text{font-family:Helvetica,Arial,sans-serif;text-anchor:start}"
         b".edge>path{fill:none}.node.quiet>rect{fill-opacity:.5}"
         b".cluster>rect{fill:#64748b;fill-opacity:.06}</style>")
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>]*>\s*")
_COMMENT = re.compile(rb"<!--.*?-->\n?", re.DOTALL)
_FONT = re.compile(rb' font-family="Helvetica,Arial,sans-serif"')
# Titles of edges and clusters repeat the names; boxes keep theirs (the full name on hover)
# unless the picture is huge (the page shows names on hover from its own facts).
_TITLE = re.compile(rb'(<g id="(?:e|c|graph)[^"]*" class="[^"]*">\n)<title>[^<]*</title>\n')
_BOX_TITLE = re.compile(rb'(<g id="u[^"]*" class="[^"]*">\n)<title>[^<]*</title>\n')
TITLED_BOXES = 3000
_BOX = re.compile(rb'(<g id="[uc]\d+" class="(node|cluster)[^"]*">\n(?:<title>[^<]*</title>\n)?)'
                  rb'<path ([^>]*?)d="M([^"]*)"([^>]*)/>')
_ARROW = re.compile(rb'(<polygon [^>]*?)points="([^"]*)"')
_QUIET_FILL = re.compile(rb'(<g id="u\d+" class="node[^"]* quiet">\n(?:<title>[^<]*</title>\n)?'
                         rb'<path [^>]*?) fill-opacity="[^"]*"')
_EDGE = re.compile(rb'(<g id="e[^"]*" class="edge">\n)<path ([^>]*?)d="M([^"]*)"')


def _points(d: bytes) -> list[float]:
    """The numbers of a path or points list (dot writes `x,y` pairs, `M` and `C` only)."""
    return [float(x) for x in d.replace(b",", b" ").replace(b"C", b" ").split()]


def _num(x: float) -> str:
    """A coordinate to 0.1 pt (a quarter of a pixel at 2x), without a trailing '.0'."""
    text = f"{x:.1f}"
    if text[-1] == "0":
        text = text[:-2]
        return "0" if text == "-0" else text
    return text


def _box(m: re.Match) -> bytes:
    """A rounded box's 25-point path as a <rect> with rounded corners, when it is one."""
    xy = _points(m[4])
    if len(xy) != 50:
        return m[0]
    xs, ys = xy[0::2], xy[1::2]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    rx = min(xs[0] - x0, x1 - xs[0])  # dot starts at a corner's end: top right or bottom left
    if not 0 < rx <= (x1 - x0) / 2 or ys[0] not in (y0, y1):
        return m[0]
    rect = (f'x="{_num(x0)}" y="{_num(y0)}" width="{_num(x1 - x0)}" height="{_num(y1 - y0)}" '
            f'rx="{_num(rx)}"').encode()
    attrs = m[3]
    if m[2] == b"cluster":  # every cluster has the same translucent fill (see STYLE)
        attrs = re.sub(rb'fill="#64748b" fill-opacity="[^"]*" ', b"", attrs)
    return m[1] + b"<rect " + attrs + rect + m[5] + b"/>"


def _arrow(m: re.Match) -> bytes:
    """An arrowhead's points to 0.1 pt, without the closing point SVG adds itself."""
    xy = _points(m[2])
    if len(xy) >= 4 and xy[:2] == xy[-2:]:
        xy = xy[:-2]
    pts = " ".join(f"{_num(xy[i])},{_num(xy[i + 1])}" for i in range(0, len(xy) - 1, 2))
    return m[1] + b'points="' + pts.encode() + b'"'


def _edge(m: re.Match) -> bytes:
    """An edge's absolute cubic path written relative to each segment's start, to 0.1 pt."""
    head, rest = m[3].split(b"C", 1) if b"C" in m[3] else (m[3], b"")
    start = _points(head)
    ctrl = _points(rest)
    if len(start) != 2 or len(ctrl) % 6:
        return m[0]
    x, y = start
    out = [f"M{_num(x)},{_num(y)}c"]
    for i in range(0, len(ctrl), 6):
        seg = ctrl[i:i + 6]
        out.append(" ".join(f"{_num(seg[k] - x)},{_num(seg[k + 1] - y)}" for k in (0, 2, 4)))
        out.append(" ")
        x, y = seg[4], seg[5]
    return m[1] + b"<path " + m[2] + b'd="' + "".join(out).rstrip().encode() + b'"'


def lean_svg(svg: bytes, boxes: int = 0) -> bytes:
    """dot's SVG without the DOCTYPE that points at w3.org (nothing outside is fetched), its
    comments and repeated attributes; rounded boxes as <rect>, edges as relative paths.
    Box titles stay when there are at most TITLED_BOXES `boxes`."""
    svg = _DOCTYPE.sub(b"", svg, count=1)
    svg = _COMMENT.sub(b"", svg)
    svg = _TITLE.sub(rb"\1", svg)
    if boxes > TITLED_BOXES:
        svg = _BOX_TITLE.sub(rb"\1", svg)
    svg = _FONT.sub(b"", svg)
    svg = _QUIET_FILL.sub(rb"\1", svg)
    svg = _BOX.sub(_box, svg)
    svg = _EDGE.sub(_edge, svg).replace(b'<path fill="none" ', b"<path ")
    svg = _ARROW.sub(_arrow, svg)
    svg = svg.replace(b' text-anchor="start"', b"")
    for anchor in (b"middle", b"end"):
        svg = svg.replace(b' text-anchor="' + anchor + b'"', b' style="text-anchor:' + anchor + b'"')
    svg = svg.replace(b"&#45;", b"-")  # dot's escape of '-' (in classes, names) is not needed
    svg = svg.replace(b'font-size="10.00"', b'font-size="10"').replace(
        b'font-size="8.00"', b'font-size="8"').replace(b'font-size="11.00"', b'font-size="11"')
    start = svg.find(b"<svg")
    end = svg.find(b">", start) + 1 if start >= 0 else 0
    return svg[:end] + b"\n" + STYLE + svg[end:] if end else svg
