"""DOT text for one view of a `GraphModel`: open scopes as clusters, closed ones as boxes."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from flowlog.graph.arrange import PACK_PIECES, cluster_parent, grid_pieces, pieces, source_anchors
from flowlog.graph.edges import (
    QUIET_EDGE,
    QUIET_TEXT,
    EdgeOptions,
    aggregate_edges,
    edge_statements,
)
from flowlog.graph.format import html, label_text, quote, shorten
from flowlog.graph.model import ALL, GraphModel, is_quiet
from flowlog.graph.palette import COLORS, EDGE, SCOPE_BORDER, category, heat

FONT = "Helvetica,Arial,sans-serif"

@dataclass
class View:
    """A laid-out-ready view: DOT text plus what the page needs to map SVG ids back to names."""

    dot: str
    units: dict[str, dict] = field(default_factory=dict)  # node id -> facts
    clusters: dict[str, str] = field(default_factory=dict)  # cluster id -> scope
    edges: dict[str, list[str]] = field(default_factory=dict)  # edge id -> [src id, dst id]
    legend: list[dict] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)


def _legend_label(cats: Iterable[str]) -> str:
    cells = "".join(f'<td bgcolor="{COLORS[c]}" border="1" color="#94a3b8"> {c} </td>'
                    for c in cats)
    return f'<<table border="0" cellspacing="4" cellpadding="2"><tr>{cells}</tr></table>>'


# Views with more boxes than this also cut model-to-training edges into stubs, and dot's
# crossing minimisation and network simplex get iteration caps: the picture stays readable
# and big open views lay out in seconds, not many minutes.
BIG_VIEW = 600
BIG_LAYOUT = "newrank=true nslimit=2 nslimit1=2 mclimit=0.2 searchsize=20 remincross=false"
# A 10 000-op graph fully open (~20 000 boxes, ~4 000 clusters, ~1 600 ranks) still took over
# 5 minutes with those caps: with `newrank`, the crossing minimisation inside each cluster
# sweeps every rank of the picture, and positioning's network simplex crawls at this size.
# Above HUGE_VIEW boxes clusters are ranked one by one (dot's classic ranking, no `newrank`)
# and positioning stops after 0.05 iterations per box: about 10 s. Boxes and scopes read as
# before; layers step sideways more and edges are less straight.
HUGE_VIEW = 3000
HUGE_LAYOUT = "nslimit=0.05 nslimit1=2 mclimit=0.2 searchsize=20 remincross=false"


def layout_settings(boxes: int, pack: bool = False) -> str:
    """The graph attributes that bound dot's work for a view of `boxes` boxes.

    `pack` packs pieces with no edge between them (auxiliary boxes, separate subgraphs) into a
    block rather than one long row. dot 2.43 crashes packing a graph ranked with `newrank`,
    so packed views rank clusters one by one.
    """
    if pack:
        limits = HUGE_LAYOUT if boxes > HUGE_VIEW else BIG_LAYOUT.replace("newrank=true ", "")
        return f'pack=12 packmode="graph" {limits if boxes > BIG_VIEW else ""}'.strip()
    if boxes > HUGE_VIEW:
        return HUGE_LAYOUT
    return BIG_LAYOUT if boxes > BIG_VIEW else "newrank=true"


def _unit_stmt(model: GraphModel, kind: str, name: str, uid: str, fill_of,
               aux: bool, within: str) -> tuple[str, dict]:
    """The DOT statement of one box and its facts for the page (auxiliary boxes are quiet).

    An op drawn in cluster `within` rather than in its own scope's is labelled from there.
    """
    quiet = aux or is_quiet(name)
    if kind == "op":
        node = model.nodes[name]
        cat = category(node.op)
        leaf = model.tree.leaf[name]
        scope_len = len(name) - len(leaf) - 1  # -1: the op is at the top
        if scope_len > len(within) and (not within or name.startswith(within + "/")):
            leaf = name[len(within) + 1:] if within else name
        small = node.op == "Const"
        plain = small or leaf.rstrip("_0123456789").lower() == node.op.lower()
        text = html(label_text(leaf))
        label = (f"<{text}>" if plain else
                 f'<{text}<br/><font point-size="8" color="#475569">{html(shorten(node.op))}'
                 "</font>>")
        facts = {"name": name, "kind": "op", "op": node.op, "category": cat}
        style, extra, cls = "rounded,filled", f" fontsize={8 if small else 10}", f"op cat-{cat}"
    else:
        cat, n = "scope", model.scopes[name]
        leaf = model.leaf(name)
        # A series or block is a scope to the page: a click puts its path in `expand`.
        facts = {"name": name, "kind": "scope", "count": n}
        if kind == "series":
            members = model.tree.members[name]
            quiet = aux or all(is_quiet(m) for m in members)
            title = f"{label_text(leaf)} ({len(members)})"
            facts["members"] = members
        else:
            title = label_text(leaf)
        if kind != "scope":
            facts["covers"] = model.tree.covers[name]
        label = (f'<<b>{html(title)}</b><br/><font point-size="8">{n} op'
                 f'{"s" if n != 1 else ""}</font>>')
        style, extra, cls = "rounded,filled,bold", " fontsize=11", "scope"
    fill = fill_of(uid, COLORS[cat])
    border = "#94a3b8" if kind == "op" else SCOPE_BORDER
    if quiet:
        fill = fill + "80" if len(fill) == 7 and fill == COLORS[cat] else fill
        border, cls = QUIET_EDGE, cls + " quiet"
        extra += f' fontcolor="{QUIET_TEXT}"'
    facts["quiet"] = quiet
    stmt = (f'{{ident}} [id={uid} class="{cls}" label={label} style="{style}" '
            f'fillcolor="{fill}" color="{border}"{extra}]')
    return stmt, facts


def _idents(units: dict) -> dict[str, str]:
    """DOT node names: the op name, or the scope path plus '/', shortened; unique."""
    out, used = {}, set()
    for uid, facts in units.items():
        text = facts["name"] if facts["kind"] == "op" else facts["name"] + "/"
        text = shorten(text, 200)
        if text in used:  # `a/` the op and `a` the scope, or two names shortened alike
            text += f" #{uid}"
        used.add(text)
        out[uid] = quote(text)
    return out


class _Heat:
    """Compute time per box (op name -> microseconds summed over what a box stands for) and
    the fills of `color="time"`: pale yellow to deep red, boxes without a time near white."""

    def __init__(self, timings: dict[str, float] | None, unit_of: dict, ids: dict, color: str):
        self.times: dict[str, float] = {}
        for name, us in (timings or {}).items():
            if name in unit_of:
                uid = ids[unit_of[name]]
                self.times[uid] = self.times.get(uid, 0.0) + us
        self.most = max(self.times.values(), default=0.0)
        self.shown = color == "time" and self.most > 0

    def fill(self, uid: str, base: str) -> str:
        if not self.shown:
            return base
        return heat(self.times[uid] / self.most) if uid in self.times else "#f8fafc"


def _unit_ids(model: GraphModel, opened) -> tuple[dict, dict[tuple[str, str], str]]:
    """(op name -> the (kind, name) of the box standing for it, box -> id `u<n>`)."""
    unit_of = {name: model.unit_of(name, opened) for name in model.nodes}
    ids: dict[tuple[str, str], str] = {}
    for key in unit_of.values():
        if key not in ids:
            ids[key] = f"u{len(ids)}"
    return unit_of, ids


def _boxes(model: GraphModel, ids: dict, opened, aux: frozenset[str], heat: _Heat,
           view: View) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """(box id -> DOT statement with `{ident}` for its name, box id -> the cluster it sits in,
    legend categories shown); each box's facts go to `view.units`."""
    stmts: dict[str, str] = {}
    parent_of: dict[str, str] = {}
    cats: set[str] = set()
    for (kind, name), uid in ids.items():
        top = model.top_of(name)
        up = (model.chain[name][-1] if model.chain[name] else "") if kind == "op" else \
            model.parent(name)
        parent_of[uid] = cluster_parent(model, up, opened == ALL)
        stmts[uid], facts = _unit_stmt(model, kind, name, uid, heat.fill, top in aux,
                                       parent_of[uid])
        cats.add(facts.get("category", "scope"))
        if uid in heat.times:
            facts["time_us"] = heat.times[uid]
        if heat.shown:
            facts["heat"] = heat.fill(uid, "")
        facts["top"] = top
        if top in aux:
            facts["aux"] = True
        view.units[uid] = facts
    return stmts, parent_of, cats


def _graph_header(background: str, settings: str, legend: list[str]) -> list[str]:
    """The opening lines: graph, node and edge defaults, and the colour key if asked for."""
    lines = [
        "digraph G {",
        (f'graph [rankdir=TB nodesep=0.25 ranksep=0.4 fontname="{FONT}" fontsize=11 '
         f'bgcolor="{background}" pad=0.2 {settings}]'),
        f'node [shape=box fontname="{FONT}" height=0.3 margin="0.1,0.04" penwidth=1]',
        (f'edge [fontname="{FONT}" fontsize=8 fontcolor="#64748b" arrowsize=0.6 '
         f'color="{EDGE}"]'),
    ]
    if legend:  # graphviz rejects an empty table
        lines.append(f"label={_legend_label(legend)} labelloc=b labeljust=l")
    return lines


def build_view(model: GraphModel, expand: str | Iterable[str] | None = None, *,
               timings: dict[str, float] | None = None, color: str = "op",
               legend: bool = False, background: str = "transparent",
               edge_labels: bool | None = None, bands: dict[str, int] | None = None) -> View:
    """The DOT text of `model` with `expand` open (None: the default view, see
    `GraphModel.default_open`; [] keeps every top-level scope closed).

    `color="time"` fills boxes by compute time from `timings` (op name -> microseconds).
    `legend` adds the colour key under the picture (for exported images).
    """
    opened = model.normalize_expand(expand)
    unit_of, ids = _unit_ids(model, opened)
    view = View("")
    aux = model.auxiliary() if model.split_auxiliary() else frozenset()
    stmts, parent_of, cats = _boxes(model, ids, opened, aux,
                                    _Heat(timings, unit_of, ids, color), view)
    ident = _idents(view.units)
    members: dict[str, list[str]] = {}  # cluster scope -> statements
    for uid, stmt in stmts.items():
        members.setdefault(parent_of[uid], []).append(stmt.replace("{ident}", ident[uid], 1))
    options = EdgeOptions(  # labels double the ranks dot must order
        labels=len(ids) <= 400 if edge_labels is None else edge_labels,
        cut_long=len(ids) > BIG_VIEW, stubs_drawn=len(ids) <= HUGE_VIEW, bands=bands)
    edge_lines, stub_lines = edge_statements(view, aggregate_edges(model, unit_of, ids), ident,
                                             members, parent_of, options)
    pack = bool(aux) or pieces(view, parent_of) >= PACK_PIECES
    order = [c for c in COLORS if c in cats]
    lines = _graph_header(background, layout_settings(len(view.units), pack),
                          order if legend else [])
    if bands:
        _order_bands(bands, view, members, parent_of, ident)
    lines.extend(_cluster_lines(model, opened, members, view))
    lines.extend(edge_lines + stub_lines)
    lines.extend(source_anchors(model, view, parent_of, ident, opened == ALL))
    lines.extend(grid_pieces(model, view, parent_of, ident, opened == ALL, pack))
    lines.append("}")
    view.dot = "\n".join(lines) + "\n"
    view.legend = [{"category": c, "color": COLORS[c]} for c in order]
    view.opened = sorted(s for s in model.scopes if s) if opened == ALL else sorted(opened)
    return view


def _order_bands(bands: dict[str, int], view: View, members: dict, parent_of: dict,
                 ident: dict) -> None:
    """Keep a folded picture's bands left to right in reading order: their first boxes share a
    rank, joined by invisible edges (dot draws such flat edges left to right)."""
    # rank=same cannot cross clusters: the heads come from the cluster holding most boxes.
    where = Counter(parent_of[u] for u in bands if u in parent_of).most_common(1)
    if not where:
        return
    cluster = where[0][0]
    heads: dict[int, str] = {}
    for uid in view.units:  # the first box of each band in graph order
        if uid in bands and parent_of.get(uid) == cluster:
            heads.setdefault(bands[uid], uid)
    order = [heads[b] for b in sorted(heads)]
    if len(order) > 1:
        chain = " -> ".join(ident[u] for u in order)
        members.setdefault(cluster, []).append(f"{{ rank=same {chain} [style=invis] }}")


def _cluster_lines(model: GraphModel, opened, members: dict, view: View) -> list[str]:
    """Open scopes and blocks as nested clusters, in tree order (a stack keeps deep scopes
    safe); open series draw no cluster of their own."""
    children: dict[str, list[str]] = {}
    scopes = model.scopes if opened == ALL else opened
    for scope in sorted(scopes):
        kind = model.kind(scope) if scope else "series"
        if (kind == "scope" and (opened != ALL or model.scopes[scope] >= 2)) or (
                kind == "block" and opened != ALL):
            children.setdefault(cluster_parent(model, model.parent(scope), opened == ALL),
                                []).append(scope)
    lines = list(members.get("", []))
    names: set[str] = set()

    def cluster_name(scope: str, cid: str) -> str:
        name = "cluster_" + shorten(scope, 200)
        if name in names:  # two long paths shortened alike must stay two clusters
            name += f" #{cid}"
        names.add(name)
        return quote(name)

    stack: list[tuple[str, bool]] = [(s, True) for s in reversed(children.get("", []))]
    while stack:
        scope, entering = stack.pop()
        if not entering:
            lines.append("}")
            continue
        cid = f"c{len(view.clusters)}"
        view.clusters[cid] = scope
        quiet = is_quiet(scope)
        title = label_text(model.leaf(scope))
        lines.append(
            f'subgraph {cluster_name(scope, cid)} {{ id={cid} class="cluster-scope'
            f'{" quiet" if quiet else ""}" label=<<b>{html(title)}</b>> '
            f'labeljust=l labelloc=t style="rounded,filled" fillcolor="#64748b0f" '
            f'color="{QUIET_EDGE if quiet else "#94a3b8"}" '
            f'fontcolor="{QUIET_TEXT if quiet else "#334155"}"')
        lines.extend(members.get(scope, []))
        stack.append((scope, False))
        stack.extend((s, True) for s in reversed(children.get(scope, [])))
    return lines
