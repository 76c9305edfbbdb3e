"""Repeated sibling names grouped for display: `layer_0..11`, and blocks like `conv2_block1_*..3_*`."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# Sibling scopes `<prefix><N>` this many or more are drawn as one series box, as TensorBoard does.
SERIES_MIN = 3
# Names that differ in a number in the middle (`conv2_block1_1_conv`, `conv2_block2_1_conv`) form
# blocks when the blocks look alike: the names each block holds (with its number taken out)
# overlap by at least this fraction. ResNet's blocks overlap by 0.8, its stages by 0.5.
BLOCK_LIKENESS = 0.6
# Only this many numbers of a name are tried, and only in names this short: a hostile name of
# thousands of digits must not cost quadratic time.
_MAX_RUNS, _MAX_LEN = 8, 200

_NUMBERED = re.compile(r"(.+?)(\d+)")
_RUN = re.compile(r"\d+")


def series_of(names: Iterable[str]) -> dict[str, list[str]]:
    """Numbered sibling names grouped: `"layer_[0-9]"` -> members in number order.

    `layer_0 .. layer_9` or TF's uniquified `dense, dense_1, dense_2` (the unnumbered one counts
    as 0); only families of SERIES_MIN or more members form a series.
    """
    names = list(names)
    families: dict[str, dict[int, str]] = {}
    for name in names:
        m = _NUMBERED.fullmatch(name) if len(name) <= _MAX_LEN else None
        if m:
            families.setdefault(m[1], {}).setdefault(int(m[2]), name)
    for name in names:
        family = families.get(name + "_")
        if family is not None and not _NUMBERED.fullmatch(name):
            family.setdefault(0, name)
    out = {}
    for prefix, family in families.items():
        if len(family) >= SERIES_MIN:
            numbers = sorted(family)
            out[f"{prefix}[{numbers[0]}-{numbers[-1]}]"] = [family[n] for n in numbers]
    return out


@dataclass
class Blocks:
    """Sibling names sharing `prefix<N>` before more text: one block per number N."""

    prefix: str
    members: dict[int, list[str]] = field(default_factory=dict)  # N -> names, in order

    @property
    def label(self) -> str:
        numbers = sorted(self.members)
        return f"{self.prefix}[{numbers[0]}-{numbers[-1]}]"

    def block_label(self, number: int) -> str:
        return f"{self.prefix}{number}"

    @property
    def single(self) -> bool:
        """Every block holds one name: a plain series of those names, no block level."""
        return all(len(v) == 1 for v in self.members.values())


def blocks_of(names: Iterable[str]) -> list[Blocks]:
    """Families of names that differ in one number in the middle, most alike first.

    `conv2_block1_1_conv, conv2_block1_2_conv, conv2_block2_1_conv, ...` -> prefix
    `conv2_block`, blocks 1, 2, 3. Each name joins at most one family: of the number positions
    whose blocks are alike (BLOCK_LIKENESS), the one covering most names wins: ResNet's blocks,
    not its layers (`conv2_block1_[0-3]`, fewer names) nor its stages (blocks too unalike).
    """
    candidates: dict[str, dict[int, dict[str, str]]] = {}  # prefix -> N -> rest -> name
    for name in names:
        if len(name) > _MAX_LEN:
            continue
        for k, m in enumerate(_RUN.finditer(name)):
            if k >= _MAX_RUNS:
                break
            if m.start() == 0 or m.end() == len(name):
                continue  # trailing numbers are series_of's; a prefix is needed to name blocks
            rest = name[m.end():]
            candidates.setdefault(name[:m.start()], {}).setdefault(int(m[0]), {})[rest] = name

    scored = []
    for prefix, family in candidates.items():
        if len(family) < SERIES_MIN:
            continue
        rests = [set(r) for r in family.values()]
        union = set().union(*rests)
        likeness = len(set.intersection(*rests)) / len(union)
        if likeness >= BLOCK_LIKENESS:
            covered = sum(len(r) for r in rests)
            scored.append((-covered, -likeness, -len(prefix), prefix))
    scored.sort()
    taken: set[str] = set()
    out = []
    for *_, prefix in scored:
        members = {n: [name for name in by_rest.values() if name not in taken]
                   for n, by_rest in sorted(candidates[prefix].items())}
        members = {n: v for n, v in members.items() if v}
        if len(members) < SERIES_MIN:
            continue
        for v in members.values():
            taken.update(v)
        out.append(Blocks(prefix, members))
    return out
