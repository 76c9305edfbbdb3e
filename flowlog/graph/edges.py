"""Edges of a graph view: aggregated between boxes, cut into stubs at hubs, dropped at auxiliaries."""
from __future__ import annotations

import math
from dataclasses import dataclass

from flowlog.graph.format import label_text, quote

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


@dataclass
class EdgeOptions:
    """How a view draws its edges (see `edge_statements`)."""

    labels: bool = True  # tensor shapes on edges
    cut_long: bool = False  # edges between the model and training scopes become stubs
    stubs_drawn: bool = True  # without: edges that would be stubs are left out
    bands: dict[str, int] | None = None  # box -> band of a folded picture


class _Stubs:
    """Short dotted edges beside a box naming the far end: one per (box, far end, direction),
    placed in the box's cluster; a click on one goes to the far end."""

    def __init__(self, view, ident: dict, members: dict, parent_of: dict, drawn: bool):
        self.view, self.ident, self.members, self.parent_of = view, ident, members, parent_of
        self.drawn = drawn
        self.ids: dict[tuple[str, str, str], str] = {}  # (box, far end, "in"/"out") -> stub
        self.lines: list[str] = []

    def add(self, box: str, other: str, way: str, text: str, group: str | None = None) -> None:
        key = (box, group or other, way)
        if key in self.ids or not self.drawn:
            return
        sid = self.ids[key] = f"s{len(self.ids)}"
        self.view.units[sid] = {"kind": "stub", "target": other, "name": text}
        self.members.setdefault(self.parent_of[box], []).append(
            f'{sid} [id={sid} class="stub" shape=plain fontsize=8 fontcolor="{QUIET_TEXT}" '
            f"label={ident_text(text)}]")
        ident = self.ident[box]
        pair = f"{ident} -> {sid}" if way == "out" else f"{sid} -> {ident}"
        self.view.edges[f"e{sid}"] = [box, sid] if way == "out" else [sid, box]
        self.lines.append(f'{pair} [id=e{sid} style=dotted arrowhead=none '
                          f'color="{QUIET_EDGE}"]')

    def both_ends(self, src: str, dst: str, out_text: str, in_text: str,
                  groups: tuple[str | None, str | None] = (None, None)) -> None:
        self.add(src, dst, "out", out_text, groups[0])
        self.add(dst, src, "in", in_text, groups[1])


def _short(units: dict, uid: str) -> str:
    return units[uid]["name"].rsplit("/", 1)[-1]


def _as_stubs(stubs: _Stubs, src: str, dst: str, hubs: set[str], hub_fan: dict,
              options: EdgeOptions) -> bool:
    """Draw the edge src -> dst as stubs when it crosses bands, links the model to a training
    scope (`cut_long`) or touches a hub (the hub's own stub is added once, at the end);
    False when it is drawn as an edge."""
    units = stubs.view.units
    a, b = units[src], units[dst]
    if options.bands and options.bands.get(src, 0) != options.bands.get(dst, 0):
        stubs.both_ends(src, dst, f"→ {_short(units, dst)}", f"← {_short(units, src)}")
        return True
    if options.cut_long and (a["quiet"] or b["quiet"]) and a["top"] != b["top"]:
        # One stub per box and far scope keeps wide ops (ApplyAdam) narrow.
        stubs.both_ends(src, dst, f"→ {b['top']}", f"← {a['top']}", (b["top"], a["top"]))
        return True
    if src in hubs or dst in hubs:
        hub, other = (src, dst) if src in hubs else (dst, src)
        way = "out" if hub == src else "in"
        hub_fan.setdefault((hub, way), set()).add(other)
        if other not in hubs:
            stubs.add(other, hub, "in" if way == "out" else "out",
                      f"← {_short(units, hub)}" if way == "out" else f"→ {_short(units, hub)}")
        return True
    return False


def _edge_attrs(eid: str, control: bool, quiet: bool, count: int, label: str) -> str:
    """DOT attributes of one drawn edge: dashed for control, pale when quiet, thicker when it
    carries many tensors, straight (heavy) for the model's own data flow."""
    attrs = [f"id={eid}"]
    if control:
        attrs.append("style=dashed")
    if quiet or control:
        attrs.append(f'color="{QUIET_EDGE if quiet else QUIET_TEXT}"')
    else:
        attrs.append("weight=4")
    if count > 1:
        attrs.append(f"penwidth={1 + min(2.5, math.log2(count) / 2):.2f}")
    if label:
        attrs.append(f"label={_quote(' ' + label)}")
    return " ".join(attrs)


def edge_statements(view, edges: dict, ident: dict, members: dict, parent_of: dict,
                    options: EdgeOptions) -> tuple[list[str], list[str]]:
    """(edge statements, stub statements) of a view; edges touching a hub become stubs.

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
    stubs = _Stubs(view, ident, members, parent_of, options.stubs_drawn)
    hub_fan: dict[tuple[str, str], set[str]] = {}  # (hub, "in"/"out") -> other ends
    lines = []
    for i, ((src, dst, control), (count, shapes)) in enumerate(edges.items()):
        if _as_stubs(stubs, src, dst, hubs, hub_fan, options):
            continue
        view.edges[f"e{i}"] = [src, dst]
        label = _shape_label(shapes, count) if options.labels and not control else ""
        quiet = units[src]["quiet"] or units[dst]["quiet"]
        lines.append(f"{ident[src]} -> {ident[dst]} "
                     f"[{_edge_attrs(f'e{i}', control, quiet, count, label)}]")
    for (hub, way), others in hub_fan.items():
        if len(others) == 1:  # name the one box; a click on the stub goes there
            (target,) = others
            text = _short(units, target)
        else:
            target, text = hub, f"{len(others)} boxes"
        stubs.add(hub, target, way, f"← {text}" if way == "in" else f"→ {text}")
    return lines, stubs.lines


def ident_text(text: str) -> str:
    """A stub's label as a DOT string (names in it already made printable and short)."""
    return quote(label_text(text))
