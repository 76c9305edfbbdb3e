"""Edges of a graph view: aggregated between boxes, cut into stubs at hubs, dropped at auxiliaries."""
from __future__ import annotations

import math

QUIET_EDGE, QUIET_TEXT = "#cbd5e1", "#94a3b8"
# A box linked to this many other boxes is a hub (`init`, `gradients`, `Adam`, a learning rate
# read by every update): its edges become short stubs naming the other end, as TensorBoard
# extracts such nodes. Long edges across a deep picture are what make `dot` slow and cluttered.
HUB_DEGREE = 10


def aggregate_edges(model, unit_of: dict, ids: dict) -> dict:
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


def _shape_label(shapes: list[str], count: int) -> str:
    if count == 1:  # scalars go unlabelled: they are most edges of small graphs
        return shapes[0] if shapes and shapes[0] != "()" else ""
    if shapes and len(shapes) == count and len(set(shapes)) == 1:
        return f"{shapes[0]} ×{count}" if shapes[0] != "()" else f"×{count}"
    return f"{count} tensors"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def edge_statements(view, edges: dict, ident: dict, edge_labels: bool, members: dict,
                    parent_of: dict, cut_long: bool, stubs_drawn: bool = True,
                    bands: dict[str, int] | None = None) -> tuple[list[str], list[str]]:
    """Edge statements; edges touching a hub become stubs placed beside each end.

    Edges between an auxiliary top-level box and anything outside it are left out: auxiliary
    boxes are packed apart, as TensorBoard draws them beside the graph. With `cut_long`, edges
    from the model into gradient or optimizer scopes (and back) become stubs: in a big open view
    they would span the whole picture. Without `stubs_drawn` (huge views, where thousands of
    stubs would cost dot a fifth of its time) those edges are left out; the side panel lists
    every input and output. `bands` (box -> band of a folded picture) cuts edges between
    bands into stubs too, so the bands stand side by side.
    """
    units = view.units
    edges = {k: v for k, v in edges.items()
             if not ((units[k[0]].get("aux") or units[k[1]].get("aux"))
                     and units[k[0]]["top"] != units[k[1]]["top"])}
    hubs = _hubs(edges)
    lines, stub_edges = [], []
    stubs: dict[tuple[str, str, str], str] = {}  # (box, other end, "in"/"out") -> stub id
    hub_fan: dict[tuple[str, str], set[str]] = {}  # (hub, "in"/"out") -> other ends

    def stub(box: str, other: str, way: str, text: str, group: str | None = None) -> None:
        key = (box, group or other, way)
        if key in stubs or not stubs_drawn:
            return
        sid = stubs[key] = f"s{len(stubs)}"
        units[sid] = {"kind": "stub", "target": other, "name": text}
        members.setdefault(parent_of[box], []).append(
            f'{sid} [id={sid} class="stub" shape=plain fontsize=8 fontcolor="{QUIET_TEXT}" '
            f"label={ident_text(text)}]")
        pair = f"{ident[box]} -> {sid}" if way == "out" else f"{sid} -> {ident[box]}"
        view.edges[f"e{sid}"] = [box, sid] if way == "out" else [sid, box]
        stub_edges.append(f'{pair} [id=e{sid} style=dotted arrowhead=none '
                          f'color="{QUIET_EDGE}"]')

    def short(uid: str) -> str:
        return units[uid]["name"].rsplit("/", 1)[-1]

    for i, ((src, dst, control), (count, shapes)) in enumerate(edges.items()):
        a, b = units[src], units[dst]
        if bands and bands.get(src, 0) != bands.get(dst, 0):
            stub(src, dst, "out", f"→ {short(dst)}")
            stub(dst, src, "in", f"← {short(src)}")
            continue
        if cut_long and (a["quiet"] or b["quiet"]) and a["top"] != b["top"]:
            # One stub per box and far scope keeps wide ops (ApplyAdam) narrow.
            stub(src, dst, "out", f"→ {b['top']}", group=b["top"])
            stub(dst, src, "in", f"← {a['top']}", group=a["top"])
            continue
        if src in hubs or dst in hubs:
            hub, other = (src, dst) if src in hubs else (dst, src)
            way = "out" if hub == src else "in"
            hub_fan.setdefault((hub, way), set()).add(other)
            if other not in hubs:
                stub(other, hub, "in" if way == "out" else "out",
                     f"← {short(hub)}" if way == "out" else f"→ {short(hub)}")
            continue
        quiet = a["quiet"] or b["quiet"]
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
            attrs.append(f"label={_quote(' ' + label)}")
        lines.append(f'{ident[src]} -> {ident[dst]} [{" ".join(attrs)}]')
    for (hub, way), others in hub_fan.items():
        if len(others) == 1:  # name the one box; a click on the stub goes there
            (target,) = others
            text = short(target)
        else:
            target, text = hub, f"{len(others)} boxes"
        stub(hub, target, way, f"← {text}" if way == "in" else f"→ {text}")
    return lines, stub_edges


def ident_text(text: str) -> str:
    """A stub's label as a DOT string (names in it already made printable and short)."""
    from flowlog.graph.dot import label_text, quote

    return quote(label_text(text))
