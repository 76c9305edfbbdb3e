"""The name-scope tree the graph view draws: real scopes plus series and blocks of repeated names.

Built in time and memory linear in the total length of the op names: scope paths are made once
each, deep or long names stop making scopes at MAX_DEPTH levels or MAX_SCOPE_CHARS characters
(the rest of the name is the op's own label), and an empty part (`a//b`) ends the scopes too.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from flowlog.graph.series import blocks_of, series_of

MAX_DEPTH = 40
MAX_SCOPE_CHARS = 1000
# Numbered ops (not only scopes) group into series where a scope holds more ops than this.
MANY_OPS = 64


@dataclass
class ScopeTree:
    """Display paths of scopes ('' is the root), each op's chain of them, and what they hold."""

    chain: dict[str, tuple[str, ...]] = field(default_factory=dict)  # op -> paths, outermost first
    leaf: dict[str, str] = field(default_factory=dict)  # op -> its name inside its real scope
    count: dict[str, int] = field(default_factory=dict)  # path -> ops inside
    kind: dict[str, str] = field(default_factory=dict)  # path -> "scope" | "series" | "block"
    parent: dict[str, str] = field(default_factory=dict)  # path -> enclosing path
    members: dict[str, list[str]] = field(default_factory=dict)  # series -> its boxes
    covers: dict[str, list[str]] = field(default_factory=dict)  # series/block -> real names


def _real_chains(names: Iterable[str]) -> tuple[dict, dict, dict, dict]:
    """Real scope chains of every op, the scope paths (interned), children leaves per scope."""
    paths: dict[str, str] = {}  # interned: equal paths share one string
    children: dict[str, dict[str, None]] = {"": {}}  # scope -> child leaves, first seen first
    chains: dict[str, list[str]] = {}
    for name in names:
        parts = name.split("/")
        path, chain = "", []
        for part in parts[:-1]:
            if not part or len(chain) >= MAX_DEPTH or len(path) + len(part) >= MAX_SCOPE_CHARS:
                break
            children[path].setdefault(part, None)
            new = f"{path}/{part}" if path else part
            path = paths.setdefault(new, new)
            children.setdefault(path, {})
            chain.append(path)
        chains[name] = chain
    leaf = {}
    for name, chain in chains.items():
        if name in paths:  # an op named like a scope (`weight` beside `weight/read`) lives in it
            chain.append(paths[name])
            leaf[name] = name.rpartition("/")[2]
            continue
        prev = chain[-1] if chain else ""
        leaf[name] = name[len(prev) + 1:] if prev else name
        children[prev].setdefault(leaf[name], None)
    return chains, leaf, paths, children


def build_tree(names: Iterable[str]) -> ScopeTree:
    """The ScopeTree of ops named `names`."""
    chains, leaf, paths, children = _real_chains(names)
    tree = ScopeTree(leaf=leaf)
    taken_paths = set(paths) | set(chains)
    inserted: dict[tuple[str, str], tuple[str, ...]] = {}  # (scope, leaf) -> virtual paths

    def claim(path: str) -> bool:
        if path in taken_paths:
            return False
        taken_paths.add(path)
        return True

    for scope, kids in children.items():
        base = scope + "/" if scope else ""
        leaves = list(kids)
        grouped: set[str] = set()
        for blocks in blocks_of(leaves):
            spath = base + blocks.label
            if not claim(spath):
                continue
            tree.kind[spath], tree.members[spath], tree.covers[spath] = "series", [], []
            for number, names_ in blocks.members.items():
                real = [base + n for n in names_]
                tree.covers[spath] += real
                grouped.update(names_)
                if blocks.single:
                    tree.members[spath].append(real[0])
                    inserted[(scope, names_[0])] = (spath,)
                    continue
                bpath = base + blocks.block_label(number)
                if not claim(bpath):
                    bpath += "*"
                    claim(bpath)
                tree.kind[bpath], tree.covers[bpath] = "block", real
                tree.members[spath].append(bpath)
                for n in names_:
                    inserted[(scope, n)] = (spath, bpath)
        scope_leaves = [n for n in leaves if n not in grouped and base + n in paths]
        families = series_of(scope_leaves)
        op_leaves = [n for n in leaves if n not in grouped and base + n not in paths]
        if len(op_leaves) > MANY_OPS:  # a flat graph: `Add, Add_1, ... Add_999` as one box
            families.update(series_of(op_leaves))
        for label, names_ in families.items():
            spath = base + label
            if not claim(spath):
                continue
            tree.kind[spath] = "series"
            tree.members[spath] = tree.covers[spath] = [base + n for n in names_]
            for n in names_:
                inserted[(scope, n)] = (spath,)

    count: Counter[str] = Counter()
    for name, real in chains.items():
        out: list[str] = []
        prev = ""
        for path in real:
            out.extend(inserted.get((prev, path[len(prev) + 1:] if prev else path), ()))
            out.append(path)
            prev = path
        if not real or real[-1] != name:
            out.extend(inserted.get((prev, leaf[name]), ()))
        chain = tree.chain[name] = tuple(out)
        up = ""
        for path in chain:
            tree.parent[path] = up
            up = path
        count.update(chain)
    for path in paths.values():
        tree.kind.setdefault(path, "scope")
    count[""] = len(chains)
    tree.count = dict(count)
    return tree
