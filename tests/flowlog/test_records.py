"""Finding the records of a buffer in bulk (`scan`): the same records a record-by-record walk
finds, whatever the mix of repeating and odd record sizes, and none past damage."""
from __future__ import annotations

import struct

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from flowlog.events.crc import masked_crc32c
from flowlog.events.records import frame, scan


def walk(buf: bytes, limit: int) -> list[tuple[int, int]]:
    """(data start, size) of each intact record chained from the buffer's start, one by one."""
    out, p = [], 0
    while p + 16 <= len(buf) and len(out) < limit:
        (size,) = struct.unpack_from("<Q", buf, p)
        if p + 16 + size > len(buf) or struct.unpack_from("<I", buf, p + 8)[0] != masked_crc32c(buf[p:p + 8]):
            break
        if struct.unpack_from("<I", buf, p + 12 + size)[0] != masked_crc32c(buf[p + 12:p + 12 + size]):
            break
        out.append((p + 12, size))
        p += 16 + size
    return out


# A training log: a pattern of record sizes repeating (one record per tag per step), now and
# then a record of another size (an eval scalar), the pattern resuming at any phase.
records = st.lists(st.integers(1, 6), min_size=1, max_size=5).flatmap(lambda pattern: st.lists(
    st.tuples(st.integers(0, 99), st.integers(0, 40)).map(lambda t: None if t[0] >= 3 else t[1]),
    min_size=1, max_size=400).map(
    lambda items: [pattern[i % len(pattern)] if x is None else x for i, x in enumerate(items)]))


# ... or an eval block (one or a few records) every N records, now and then a size that changes
# for good (a step counter growing a byte).
cycles = st.builds(
    lambda pattern, every, evals, steps, grow: [
        n + (i >= grow) for i, n in enumerate(
            x for k in range(steps) for x in (pattern + (evals if k % every == every - 1 else [])))],
    st.lists(st.integers(1, 6), min_size=1, max_size=4), st.integers(1, 12),
    st.lists(st.integers(7, 12), min_size=1, max_size=3), st.integers(1, 150), st.integers(0, 900))


@settings(max_examples=300, deadline=None)
@given(st.one_of(records, cycles), st.integers(0, 30), st.integers(1, 1000),
       st.sampled_from([None, "flip", "cut"]))
def test_scan_finds_the_records_a_walk_finds(sizes, seed, limit, damage):
    rng = np.random.default_rng(seed)
    buf = bytearray(b"".join(frame(bytes(rng.integers(0, 256, n, dtype=np.uint8))) for n in sizes))
    if damage == "flip" and buf:
        buf[int(rng.integers(0, len(buf)))] ^= 0xFF
    elif damage == "cut":
        del buf[int(rng.integers(0, len(buf) + 1)):]
    buf = bytes(buf)
    starts, lengths, stop = scan(buf, 0, limit)
    want = walk(buf, limit)
    assert list(zip(starts.tolist(), lengths.tolist())) == want
    assert stop == (want[-1][0] + want[-1][1] + 4 if want else 0)  # where reading goes on
