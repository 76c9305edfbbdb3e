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
    return "#%02x%02x%02x" % tuple(rgb)


@dataclass
class View:
    """A laid-out-ready view: DOT text plus what the page needs to map SVG ids back to names."""

    dot: str
    units: dict[str, dict] = field(default_factory=dict)  # node id -> facts
    clusters: dict[str, str] = field(default_factory=dict)  # cluster id -> scope
    legend: list[dict] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)


def _shape_label(shapes: list[str], count: int) -> str:
    shapes = ["scalar" if s == "()" else s for s in shapes]
    if count == 1:
        return shapes[0] if shapes else ""
    if shapes and len(shapes) == count and len(set(shapes)) == 1:
        return f"{shapes[0]} ×{count}"
    return f"{count} tensors"


def _legend_label(cats: Iterable[str]) -> str:
    cells = "".join(f'<td bgcolor="{COLORS[c]}" border="1" color="#94a3b8"> {c} </td>'
                    for c in cats)
    return f'<<table border="0" cellspacing="4" cellpadding="2"><tr>{cells}</tr></table>>'


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
    ids: dict[tuple[str, str], str] = {}
    for key in unit_of.values():
        if key not in ids:
            ids[key] = f"u{len(ids)}"
    # Edges between different boxes, aggregated: (src, dst, control) -> [count, shapes].
    edges: dict[tuple[str, str, bool], list] = {}
    for dst, inputs in model.inputs.items():
        dst_id = ids[unit_of[dst]]
        for src, index, control in inputs:
            src_key = unit_of.get(src)
            if src_key is None:
                continue
            src_id = ids[src_key]
            if src_id == dst_id:
                continue
            entry = edges.setdefault((src_id, dst_id, control), [0, []])
            entry[0] += 1
            if not control:
                shape = model.output_shape(src, index)
                if shape:
                    entry[1].append(shape)
    unit_time: dict[str, float] = {}
    if timings:
        for name, key in unit_of.items():
            if name in timings:
                unit_time[ids[key]] = unit_time.get(ids[key], 0.0) + timings[name]
    max_time = max(unit_time.values(), default=0.0)
    show_time = color == "time" and max_time > 0

    view = View("")
    members: dict[str, list[str]] = {}  # cluster scope -> node statements
    cats: set[str] = set()
    for (kind, name), uid in ids.items():
        quiet = is_quiet(name)
        if kind == "op":
            node = model.nodes[name]
            parent = model.chain[name][-1] if model.chain[name] else ""
            cat = category(node.op)
            cats.add(cat)
            fill = COLORS[cat]
            leaf = name.rsplit("/", 1)[-1]
            small = node.op == "Const"
            plain = small or leaf.rstrip("_0123456789").lower() == node.op.lower()
            label = (f"<{html(leaf)}>" if plain else
                     f'<{html(leaf)}<br/><font point-size="8" color="#475569">{html(node.op)}'
                     "</font>>")
            facts = {"name": name, "kind": "op", "op": node.op}
            style, extra = "rounded,filled", f' fontsize={8 if small else 10}'
            cls = f"op cat-{cat}"
        else:
            parent = name.rpartition("/")[0]
            cats.add("scope")
            fill, leaf = COLORS["scope"], name.rsplit("/", 1)[-1]
            n = model.scopes[name]
            label = (f'<<b>{html(leaf)}</b><br/><font point-size="8">{n} op'
                     f'{"s" if n != 1 else ""}</font>>')
            facts = {"name": name, "kind": "scope", "count": n}
            style, extra = "rounded,filled,bold", f' fontsize=11 color="{SCOPE_BORDER}"'
            cls = "scope"
        if quiet:
            fill = fill + "80"
            extra = extra.replace(SCOPE_BORDER, QUIET_EDGE) + f' fontcolor="{QUIET_TEXT}"'
            cls += " quiet"
        if uid in unit_time:
            facts["time_us"] = unit_time[uid]
            if show_time:
                fill = heat(unit_time[uid] / max_time)
                facts["heat"] = fill
        elif show_time:
            fill = "#f8fafc"
        facts["quiet"] = quiet
        view.units[uid] = facts
        members.setdefault(parent, []).append(
            f'{quote(name if kind == "op" else name + "/")} [id={uid} class="{cls}" '
            f'label={label} style="{style}" fillcolor="{fill}"{extra}]')

    lines = [
        "digraph G {",
        f'graph [rankdir=TB nodesep=0.25 ranksep=0.4 fontname="{FONT}" fontsize=11 '
        f'bgcolor="{background}" pad=0.2 newrank=true]',
        f'node [shape=box fontname="{FONT}" height=0.3 margin="0.1,0.04" penwidth=1 '
        f'color="#94a3b8"]',
        f'edge [fontname="{FONT}" fontsize=8 fontcolor="#64748b" arrowsize=0.6 '
        f'color="{EDGE}"]',
    ]
    if legend:
        order = [c for c in COLORS if c in cats]
        lines.append(f"label={_legend_label(order)} labelloc=b labeljust=l")
    # Clusters in tree order; a stack instead of recursion keeps deep scopes safe.
    children: dict[str, list[str]] = {}
    scopes = model.scopes if opened == ALL else {s: 0 for s in opened}
    for scope in sorted(s for s in scopes if s):
        children.setdefault(scope.rpartition("/")[0], []).append(scope)
    lines.extend(members.get("", []))
    stack: list[tuple[str, bool]] = [(s, True) for s in reversed(children.get("", []))]
    while stack:
        scope, entering = stack.pop()
        if not entering:
            lines.append("}")
            continue
        cid = f"c{len(view.clusters)}"
        view.clusters[cid] = scope
        quiet = is_quiet(scope)
        leaf = scope.rsplit("/", 1)[-1]
        lines.append(
            f'subgraph {quote("cluster_" + scope)} {{ id={cid} class="cluster-scope'
            f'{" quiet" if quiet else ""}" label=<<b>{html(leaf)}</b>> labeljust=l labelloc=t '
            f'style="rounded,filled" fillcolor="#64748b0f" '
            f'color="{QUIET_EDGE if quiet else "#94a3b8"}" '
            f'fontcolor="{QUIET_TEXT if quiet else "#334155"}"')
        lines.extend(members.get(scope, []))
        stack.append((scope, False))
        stack.extend((s, True) for s in reversed(children.get(scope, [])))

    if edge_labels is None:
        edge_labels = len(edges) <= 1500  # labels cost layout time on huge views
    names = {uid: (f["name"] if f["kind"] == "op" else f["name"] + "/")
             for uid, f in view.units.items()}
    for i, ((src, dst, control), (count, shapes)) in enumerate(edges.items()):
        quiet = view.units[src]["quiet"] or view.units[dst]["quiet"]
        attrs = [f"id=e{i}"]
        if control:
            attrs.append('style=dashed')
        if quiet or control:
            attrs.append(f'color="{QUIET_EDGE if quiet else QUIET_TEXT}"')
        if count > 1:
            attrs.append(f"penwidth={1 + min(2.5, math.log2(count) / 2):.2f}")
        label = _shape_label(shapes, count) if edge_labels and not control else ""
        if label:
            attrs.append(f"label={quote(' ' + label)}")
        lines.append(f'{quote(names[src])} -> {quote(names[dst])} [{" ".join(attrs)}]')
    lines.append("}")
    view.dot = "\n".join(lines) + "\n"
    view.legend = [{"category": c, "color": COLORS[c]} for c in COLORS if c in cats]
    view.opened = sorted(model.scopes) if opened == ALL else sorted(opened)
    return view
