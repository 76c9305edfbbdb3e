"""DOT text for one view of a `GraphModel`: open scopes as clusters, closed ones as boxes."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from flowlog.graphmodel import ALL, GraphModel, is_quiet

FONT = "Helvetica,Arial,sans-serif"

# Op type -> category; categories carry the colours of the legend.
_CATEGORY_OPS = {
    "input": "Placeholder PlaceholderWithDefault PlaceholderV2 IteratorGetNext",
    "variable": "VariableV2 Variable VarHandleOp ReadVariableOp Assign AssignAdd AssignSub "
                "AssignVariableOp AssignAddVariableOp VarIsInitializedOp IsVariableInitialized",
    "constant": "Const HostConst",
    "matmul": "MatMul BatchMatMul BatchMatMulV2 Conv2D Conv3D DepthwiseConv2dNative "
              "Conv2DBackpropInput Conv2DBackpropFilter Einsum",
    "nn": "Relu Relu6 Elu Selu Sigmoid Tanh Softmax LogSoftmax BiasAdd BiasAddGrad ReluGrad "
          "SigmoidGrad TanhGrad SoftmaxCrossEntropyWithLogits LeakyRelu MaxPool AvgPool "
          "SparseSoftmaxCrossEntropyWithLogits Dropout FusedBatchNorm FusedBatchNormV3",
    "array": "Reshape Shape Fill Tile Transpose ConcatV2 Concat Pack Unpack Slice StridedSlice "
             "Gather GatherV2 ExpandDims Squeeze Cast Identity IdentityN BroadcastGradientArgs "
             "ZerosLike OnesLike Size Rank Range OneHot Split SplitV Pad StopGradient "
             "BroadcastTo",
    "random": "RandomStandardNormal RandomUniform TruncatedNormal RandomUniformInt Multinomial",
    "summary": "ScalarSummary HistogramSummary ImageSummary AudioSummary MergeSummary "
               "TensorSummary TensorSummaryV2 WriteSummary WriteScalarSummary",
    "control": "NoOp Switch Merge Enter Exit NextIteration LoopCond Print PrintV2 Assert",
}
CATEGORY_OF = {op: cat for cat, ops in _CATEGORY_OPS.items() for op in ops.split()}

# Light pastel fills that keep dark text readable; the page restyles them for dark mode.
COLORS = {
    "input": "#fde68a", "variable": "#bbf7d0", "constant": "#e2e8f0", "matmul": "#bfdbfe",
    "math": "#ddd6fe", "nn": "#fbcfe8", "array": "#a5f3fc", "random": "#fed7aa",
    "training": "#fecaca", "summary": "#fef3c7", "control": "#f1f5f9", "scope": "#e2e8f0",
}
SCOPE_BORDER, EDGE, QUIET_EDGE, QUIET_TEXT = "#64748b", "#64748b", "#cbd5e1", "#94a3b8"


def category(op: str) -> str:
    """The legend category of an op type (unknown ops count as math)."""
    cat = CATEGORY_OF.get(op)
    if cat:
        return cat
    if op.startswith(("Apply", "ResourceApply", "SparseApply", "ResourceSparseApply")):
        return "training"
    if op.endswith("Summary"):
        return "summary"
    return "math"


def quote(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def html(text: str) -> str:
    """Text escaped for a DOT HTML-like label."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def heat(fraction: float) -> str:
    """A colour from pale yellow (0) to deep red (1) for compute time."""
    stops = [(255, 247, 236), (253, 187, 132), (239, 101, 72), (179, 0, 0)]
    x = min(max(fraction, 0.0), 1.0) * (len(stops) - 1)
    i = min(int(x), len(stops) - 2)
    t = x - i
    rgb = [round(a + (b - a) * t) for a, b in zip(stops[i], stops[i + 1])]
    return "#" + "".join(f"{c:02x}" for c in rgb)


@dataclass
class View:
    """A laid-out-ready view: DOT text plus what the page needs to map SVG ids back to names."""

    dot: str
    units: dict[str, dict] = field(default_factory=dict)  # node id -> facts
    clusters: dict[str, str] = field(default_factory=dict)  # cluster id -> scope
    edges: dict[str, list[str]] = field(default_factory=dict)  # edge id -> [src id, dst id]
    legend: list[dict] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)


def _shape_label(shapes: list[str], count: int) -> str:
    if count == 1:  # scalars go unlabelled: they are most edges of small graphs
        return shapes[0] if shapes and shapes[0] != "()" else ""
    if shapes and len(shapes) == count and len(set(shapes)) == 1:
        return f"{shapes[0]} ×{count}" if shapes[0] != "()" else f"×{count}"
    return f"{count} tensors"


def _legend_label(cats: Iterable[str]) -> str:
    cells = "".join(f'<td bgcolor="{COLORS[c]}" border="1" color="#94a3b8"> {c} </td>'
                    for c in cats)
    return f'<<table border="0" cellspacing="4" cellpadding="2"><tr>{cells}</tr></table>>'


# A box linked to this many other boxes is a hub (`init`, `gradients`, `Adam`, a learning rate
# read by every update): its edges become short stubs naming the other end, as TensorBoard
# extracts such nodes. Long edges across a deep picture are what make `dot` slow and cluttered.
HUB_DEGREE = 10
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


def layout_settings(boxes: int) -> str:
    """The graph attributes that bound dot's work for a view of `boxes` boxes."""
    if boxes > HUGE_VIEW:
        return HUGE_LAYOUT
    return BIG_LAYOUT if boxes > BIG_VIEW else "newrank=true"


def _aggregate_edges(model: GraphModel, unit_of: dict, ids: dict) -> dict:
    """(src id, dst id, control) -> [tensor count, shapes] for edges between different boxes."""
    edges: dict[tuple[str, str, bool], list] = {}
    for dst, inputs in model.inputs.items():
        dst_id = ids[unit_of[dst]]
        for src, index, control in inputs:
            src_key = unit_of.get(src)
            if src_key is None or ids[src_key] == dst_id:
                continue
            entry = edges.setdefault((ids[src_key], dst_id, control), [0, []])
            entry[0] += 1
            if not control:
                shape = model.output_shape(src, index)
                if shape:
                    entry[1].append(shape)
    return edges


def _hubs(edges: dict) -> set[str]:
    """Boxes feeding HUB_DEGREE others or fed by twice as many (wide ops like ApplyAdam stay)."""
    outs: dict[str, set[str]] = {}
    ins: dict[str, set[str]] = {}
    for src, dst, _ in edges:
        outs.setdefault(src, set()).add(dst)
        ins.setdefault(dst, set()).add(src)
    return ({u for u, ns in outs.items() if len(ns) >= HUB_DEGREE}
            | {u for u, ns in ins.items() if len(ns) >= 2 * HUB_DEGREE})


def _unit_stmt(model: GraphModel, kind: str, name: str, uid: str, fill_of) -> tuple[str, dict]:
    """The DOT statement of one box and its facts for the page."""
    quiet = is_quiet(name)
    if kind == "op":
        node = model.nodes[name]
        cat = category(node.op)
        leaf = name.rsplit("/", 1)[-1]
        small = node.op == "Const"
        plain = small or leaf.rstrip("_0123456789").lower() == node.op.lower()
        label = (f"<{html(leaf)}>" if plain else
                 f'<{html(leaf)}<br/><font point-size="8" color="#475569">{html(node.op)}'
                 "</font>>")
        facts = {"name": name, "kind": "op", "op": node.op, "category": cat}
        style, extra, cls = "rounded,filled", f" fontsize={8 if small else 10}", f"op cat-{cat}"
        ident = name
    else:
        cat, leaf = "scope", name.rsplit("/", 1)[-1]
        if kind == "group":
            members = model.series()[name][1]
            n = sum(model.scopes[m] for m in members)
            quiet = all(is_quiet(m) for m in members)
            title = f"{leaf} ({len(members)})"
        else:
            n, title = model.scopes[name], leaf
        label = (f'<<b>{html(title)}</b><br/><font point-size="8">{n} op'
                 f'{"s" if n != 1 else ""}</font>>')
        # A series is a scope to the page: a click puts its name in `expand`.
        facts = {"name": name, "kind": "scope", "count": n}
        if kind == "group":
            facts["members"] = members
        style, extra, cls = "rounded,filled,bold", " fontsize=11", "scope"
        ident = name + "/"
    fill = fill_of(uid, COLORS[cat])
    border = "#94a3b8" if kind == "op" else SCOPE_BORDER
    if quiet:
        fill = fill + "80" if len(fill) == 7 and fill == COLORS[cat] else fill
        border, cls = QUIET_EDGE, cls + " quiet"
        extra += f' fontcolor="{QUIET_TEXT}"'
    facts["quiet"] = quiet
    stmt = (f'{quote(ident)} [id={uid} class="{cls}" label={label} style="{style}" '
            f'fillcolor="{fill}" color="{border}"{extra}]')
    return stmt, facts


def _stub(sid: str, text: str, target: str) -> tuple[str, dict]:
    stmt = (f'{sid} [id={sid} class="stub" shape=plain fontsize=8 fontcolor="{QUIET_TEXT}" '
            f"label={quote(text)}]")
    return stmt, {"kind": "stub", "target": target, "name": text}


def build_view(model: GraphModel, expand: str | Iterable[str] | None = None, *,
               timings: dict[str, float] | None = None, color: str = "op",
               legend: bool = False, background: str = "transparent",
               edge_labels: bool | None = None) -> View:
    """The DOT text of `model` with `expand` open (None: top-level scopes closed).

    `color="time"` fills boxes by compute time from `timings` (op name -> microseconds).
    `legend` adds the colour key under the picture (for exported images).
    """
    opened = model.normalize_expand(expand)
    unit_of = {name: model.unit_of(name, opened) for name in model.nodes}
    grouped = model.grouped_scopes(opened)
    if grouped:  # members of a closed series share its box (and so its edges)
        unit_of = {name: ("group", grouped[key[1]]) if key[1] in grouped else key
                   for name, key in unit_of.items()}
    ids: dict[tuple[str, str], str] = {}
    for key in unit_of.values():
        if key not in ids:
            ids[key] = f"u{len(ids)}"
    edges = _aggregate_edges(model, unit_of, ids)
    hubs = _hubs(edges)

    unit_time: dict[str, float] = {}
    for name, us in (timings or {}).items():
        if name in unit_of:
            uid = ids[unit_of[name]]
            unit_time[uid] = unit_time.get(uid, 0.0) + us
    max_time = max(unit_time.values(), default=0.0)
    show_time = color == "time" and max_time > 0

    def fill_of(uid: str, base: str) -> str:
        if not show_time:
            return base
        return heat(unit_time[uid] / max_time) if uid in unit_time else "#f8fafc"

    view = View("")
    members: dict[str, list[str]] = {}  # cluster scope -> statements
    parent_of: dict[str, str] = {}
    cats: set[str] = set()
    for (kind, name), uid in ids.items():
        stmt, facts = _unit_stmt(model, kind, name, uid, fill_of)
        cats.add(facts.get("category", "scope"))
        if uid in unit_time:
            facts["time_us"] = unit_time[uid]
        if show_time:
            facts["heat"] = fill_of(uid, "")
        if kind == "op":
            parent = model.chain[name][-1] if model.chain[name] else ""
        elif kind == "group":
            parent = model.series()[name][0]
        else:
            parent = name.rpartition("/")[0]
        parent_of[uid] = parent
        view.units[uid] = facts
        members.setdefault(parent, []).append(stmt)

    ident = {uid: quote(f["name"] if f["kind"] == "op" else f["name"] + "/")
             for uid, f in view.units.items()}
    if edge_labels is None:
        edge_labels = len(ids) <= 400  # labels double the ranks dot must order
    edge_lines, stub_lines = _edge_lines(view, edges, hubs, ident, edge_labels, members,
                                         parent_of, cut_long=len(ids) > BIG_VIEW)

    lines = [
        "digraph G {",
        (f'graph [rankdir=TB nodesep=0.25 ranksep=0.4 fontname="{FONT}" fontsize=11 '
         f'bgcolor="{background}" pad=0.2 {layout_settings(len(view.units))}]'),
        f'node [shape=box fontname="{FONT}" height=0.3 margin="0.1,0.04" penwidth=1]',
        (f'edge [fontname="{FONT}" fontsize=8 fontcolor="#64748b" arrowsize=0.6 '
         f'color="{EDGE}"]'),
    ]
    order = [c for c in COLORS if c in cats]
    if legend and order:  # graphviz rejects an empty table
        lines.append(f"label={_legend_label(order)} labelloc=b labeljust=l")
    lines.extend(_cluster_lines(model, opened, members, view))
    lines.extend(edge_lines)
    lines.extend(stub_lines)
    lines.append("}")
    view.dot = "\n".join(lines) + "\n"
    view.legend = [{"category": c, "color": COLORS[c]} for c in COLORS if c in cats]
    view.opened = sorted(s for s in model.scopes if s) if opened == ALL else sorted(opened)
    return view


def _crosses_into_training(view: View, src: str, dst: str) -> bool:
    a, b = view.units[src], view.units[dst]
    return (a["quiet"] or b["quiet"]) and a["name"].split("/")[0] != b["name"].split("/")[0]


def _edge_lines(view: View, edges: dict, hubs: set[str], ident: dict, edge_labels: bool,
                members: dict, parent_of: dict, cut_long: bool) -> tuple[list[str], list[str]]:
    """Edge statements; edges touching a hub become stubs placed beside each end.

    With `cut_long`, edges from the model into gradient or optimizer scopes (and back) become
    stubs too: in a big open view they would span the whole picture.
    """
    lines, stub_edges = [], []
    stubs: dict[tuple[str, str, str], str] = {}  # (box, other end, "in"/"out") -> stub id
    hub_fan: dict[tuple[str, str], set[str]] = {}  # (hub, "in"/"out") -> other ends

    def stub(box: str, other: str, way: str, text: str, group: str | None = None) -> None:
        key = (box, group or other, way)
        if key in stubs:
            return
        sid = stubs[key] = f"s{len(stubs)}"
        stmt, facts = _stub(sid, text, other)
        view.units[sid] = facts
        members.setdefault(parent_of[box], []).append(stmt)
        pair = f"{ident[box]} -> {sid}" if way == "out" else f"{sid} -> {ident[box]}"
        view.edges[f"e{sid}"] = [box, sid] if way == "out" else [sid, box]
        stub_edges.append(f'{pair} [id=e{sid} style=dotted arrowhead=none '
                          f'color="{QUIET_EDGE}"]')

    def top(uid: str) -> str:
        return view.units[uid]["name"].split("/")[0]

    for i, ((src, dst, control), (count, shapes)) in enumerate(edges.items()):
        if cut_long and _crosses_into_training(view, src, dst):
            # One stub per box and far scope keeps wide ops (ApplyAdam) narrow.
            stub(src, dst, "out", f"→ {top(dst)}", group=top(dst))
            stub(dst, src, "in", f"← {top(src)}", group=top(src))
            continue
        if src in hubs or dst in hubs:
            hub, other = (src, dst) if src in hubs else (dst, src)
            way = "out" if hub == src else "in"
            hub_fan.setdefault((hub, way), set()).add(other)
            if other not in hubs:
                name = view.units[hub]["name"].rsplit("/", 1)[-1]
                stub(other, hub, "in" if way == "out" else "out",
                     f"← {name}" if way == "out" else f"→ {name}")
            continue
        quiet = view.units[src]["quiet"] or view.units[dst]["quiet"]
        attrs = [f"id=e{i}"]
        view.edges[f"e{i}"] = [src, dst]
        if control:
            attrs.append("style=dashed")
        if quiet or control:
            attrs.append(f'color="{QUIET_EDGE if quiet else QUIET_TEXT}"')
        else:
            attrs.append("weight=4")  # keep the model's own data flow straight
        if count > 1:
            attrs.append(f"penwidth={1 + min(2.5, math.log2(count) / 2):.2f}")
        label = _shape_label(shapes, count) if edge_labels and not control else ""
        if label:
            attrs.append(f"label={quote(' ' + label)}")
        lines.append(f'{ident[src]} -> {ident[dst]} [{" ".join(attrs)}]')
    for (hub, way), others in hub_fan.items():
        if len(others) == 1:  # name the one box; a click on the stub goes there
            (target,) = others
            text = view.units[target]["name"].rsplit("/", 1)[-1]
        else:
            target, text = hub, f"{len(others)} boxes"
        stub(hub, target, way, f"← {text}" if way == "in" else f"→ {text}")
    return lines, stub_edges


def _cluster_lines(model: GraphModel, opened, members: dict, view: View) -> list[str]:
    """Open scopes as nested clusters, in tree order (a stack keeps deep scopes safe)."""
    children: dict[str, list[str]] = {}
    scopes = model.scopes if opened == ALL else opened
    for scope in sorted(s for s in scopes if s in model.scopes and s):  # open series: no cluster
        children.setdefault(scope.rpartition("/")[0], []).append(scope)
    lines = list(members.get("", []))
    stack: list[tuple[str, bool]] = [(s, True) for s in reversed(children.get("", []))]
    while stack:
        scope, entering = stack.pop()
        if not entering:
            lines.append("}")
            continue
        cid = f"c{len(view.clusters)}"
        view.clusters[cid] = scope
        quiet = is_quiet(scope)
        lines.append(
            f'subgraph {quote("cluster_" + scope)} {{ id={cid} class="cluster-scope'
            f'{" quiet" if quiet else ""}" label=<<b>{html(scope.rsplit("/", 1)[-1])}</b>> '
            f'labeljust=l labelloc=t style="rounded,filled" fillcolor="#64748b0f" '
            f'color="{QUIET_EDGE if quiet else "#94a3b8"}" '
            f'fontcolor="{QUIET_TEXT if quiet else "#334155"}"')
        lines.extend(members.get(scope, []))
        stack.append((scope, False))
        stack.extend((s, True) for s in reversed(children.get(scope, [])))
    return lines
