"""Hints that shape dot's layout of a view: pack separate pieces, stack a cluster's pieces in
columns, rank a cluster's sources below what feeds it (attributes and invisible edges)."""
from __future__ import annotations

import math

from flowlog.graph.model import GraphModel


def cluster_parent(model: GraphModel, path: str, everything: bool = False) -> str:
    """The nearest scope or block holding `path` that draws as a cluster (series do not; nor do
    blocks when `everything` is open: a cluster per block slows dot down twofold on big graphs
    and the real scopes already frame every op; nor, then, scopes of a single op, whose box
    names the scope instead)."""
    skip = ("series", "block") if everything else ("series",)
    while path and (model.kind(path) in skip or (everything and model.scopes[path] < 2)):
        path = model.parent(path)
    return path


def cluster_chains(model: GraphModel, units, parent_of: dict[str, str],
                   everything: bool) -> dict[str, tuple[str, ...]]:
    """Box id -> the clusters holding it, innermost first (one walk per cluster, not per box)."""
    up: dict[str, tuple[str, ...]] = {"": ()}

    def of(cluster: str) -> tuple[str, ...]:
        todo = []
        while cluster not in up:
            todo.append(cluster)
            cluster = cluster_parent(model, model.parent(cluster), everything)
        for c in reversed(todo):
            up[c] = (c, *up[cluster])
            cluster = c
        return up[cluster]

    return {uid: of(parent_of.get(uid, "")) for uid in units}


# A view of this many separate pieces (no edge or open scope joins them) is packed into a block;
# dot would put them in one row, 16 000 pixels wide for a hundred boxes.
PACK_PIECES = 8


def pieces(view, parent_of: dict[str, str]) -> int:
    """How many separate pieces dot will lay out: boxes joined by edges or by a top-level
    cluster count as one."""
    root: dict[str, str] = {}

    def find(u: str) -> str:
        while root.get(u, u) != u:
            root[u] = root.get(root[u], root[u])
            u = root[u]
        return u

    for uid, up in parent_of.items():  # everything in one top-level cluster is one piece
        top = up.split("/", 1)[0] if up else ""
        if top:
            root[find(uid)] = find("cluster:" + top)
    for a, b in view.edges.values():
        root[find(a)] = find(b)
    return len({find(u) for u in view.units})


def source_anchors(model: GraphModel, view, parent_of: dict[str, str], ident: dict,
                    everything: bool) -> list[str]:
    """Invisible edges that rank a cluster's source boxes (constants, shapes, weights read from
    an auxiliary scope) below what feeds the cluster from outside.

    dot puts a source one rank above its consumer, so a layer's constants reach up beside the
    previous layer; clusters whose ranks overlap cannot stack and step sideways instead: a
    ResNet's layers became a diagonal staircase ten times wider than tall.
    """
    chain = cluster_chains(model, view.units, parent_of, everything).__getitem__

    fed: set[str] = set()
    feeders: dict[str, str] = {}  # cluster -> one box outside it that feeds it
    for src, dst in view.edges.values():
        fed.add(dst)
        if view.units[src]["kind"] == "stub" or view.units[dst]["kind"] == "stub":
            continue
        outside = set(chain(src))
        for c in chain(dst):
            if c not in outside:
                feeders.setdefault(c, src)
    lines = []
    for uid, facts in view.units.items():
        if uid in fed or facts["kind"] == "stub":
            continue
        feeder = next((feeders[c] for c in chain(uid) if c in feeders), None)
        if feeder is not None:
            lines.append(f"{ident[feeder]} -> {ident[uid]} [style=invis]")
    return lines


def grid_pieces(model: GraphModel, view, parent_of: dict[str, str], ident: dict,
                 everything: bool, packed: bool) -> list[str]:
    """Invisible edges that stack a cluster's many separate pieces in columns.

    dot sets pieces side by side in one row; inside a cluster nothing packs them, so a saver's
    320 restore-and-assign pairs, or Adam's 320 update scopes, made rows 30 000 pixels wide.
    Columns of about the square root of the count keep such a cluster about square. The top
    level is left to `pack` when it packs.
    """
    chains = cluster_chains(model, view.units, parent_of, everything)
    roots: dict[str, dict[str, str]] = {}  # cluster -> union-find over its direct members

    def find(uf: dict[str, str], u: str) -> str:
        while uf.get(u, u) != u:
            uf[u] = uf.get(uf[u], uf[u])
            u = uf[u]
        return u

    def member(uid: str, cluster: str) -> str:
        ch = chains[uid]
        k = ch.index(cluster) if cluster else len(ch)
        return ch[k - 1] if k > 0 else uid

    has_in, has_out = set(), set()
    for a, b in view.edges.values():
        has_out.add(a)
        has_in.add(b)
        common = set(chains[a]) & set(chains[b])
        for c in [*common, ""]:
            uf = roots.setdefault(c, {})
            uf[find(uf, member(a, c))] = find(uf, member(b, c))
    pieces: dict[str, dict[str, list[str]]] = {}  # cluster -> piece -> its boxes
    for uid, ch in chains.items():
        for k, c in enumerate([*ch, ""]):
            uf = roots.setdefault(c, {})
            m = ch[k - 1] if k > 0 else uid
            pieces.setdefault(c, {}).setdefault(find(uf, m), []).append(uid)
    lines = []
    for cluster, groups in pieces.items():
        if len(groups) < PACK_PIECES or (packed and not cluster):
            continue
        order = list(groups.values())
        rows = max(1, math.ceil(math.sqrt(len(order))))
        for i in range(len(order) - 1):
            if (i + 1) % rows == 0:
                continue  # a new column starts
            sink = next((u for u in order[i] if u not in has_out), order[i][-1])
            source = next((u for u in order[i + 1] if u not in has_in), order[i + 1][0])
            lines.append(f"{ident[sink]} -> {ident[source]} [style=invis]")
    return lines
