"""TFRecord framing of event files: writing one record, finding the intact records of a buffer."""

from __future__ import annotations

import struct

import numpy as np

from flowlog.events.crc import data_crcs, length_crcs, mask_crcs, masked_crc32c, substring_crcs

# Record layout (TFRecord, as TensorFlow writes event files), all integers little-endian:
#
#     uint64  length                    number of bytes in data
#     uint32  masked_crc32c(length)     CRC of the 8 length bytes
#     byte    data[length]              a serialized Event
#     uint32  masked_crc32c(data)
#
# CRC32C is the Castagnoli polynomial (computed by google-crc32c's C code, see `crc`).
# The mask rotates the CRC right by 15 bits and adds a constant, so that a CRC of data that
# itself contains CRCs is not degenerate:
#
#     masked = ((crc >> 15 | crc << 17) + 0xA282EAD8) mod 2**32
HEADER_SIZE = 12
FOOTER_SIZE = 4
_LENGTH = struct.Struct("<Q")
_HEADER = struct.Struct("<QI")
_CRC = struct.Struct("<I")


def frame(data: bytes) -> bytes:
    """One TFRecord holding `data`: header, data and footer, ready to append to a file."""
    length = _LENGTH.pack(len(data))
    return b"".join(
        (length, _CRC.pack(masked_crc32c(length)), data, _CRC.pack(masked_crc32c(data)))
    )


_EMPTY = np.zeros(0, dtype=np.int64)
_windows = np.lib.stride_tricks.sliding_window_view
# Record sizes repeat with a short period in most files (one record per tag per step);
# the walk checks for periods up to this long.
MAX_PERIOD = 32


def scan(buf: bytes, pos: int = 0, limit: int = 1 << 62) -> tuple[np.ndarray, np.ndarray, int]:
    """The intact records (at most `limit`) that follow each other from `buf[pos]`, in bulk.

    Returns their data starts and sizes, and the position after the last one (where the
    buffer ends, a record is incomplete, damage begins, or the limit is reached). Every
    length CRC and data CRC is checked, for all records at once (see `_walk`, `data_crcs`).
    """
    arr = np.frombuffer(buf, dtype=np.uint8)
    begin = _walk(buf, arr, pos, limit)
    if not len(begin):
        return _EMPTY, _EMPTY, pos
    head = _windows(arr, HEADER_SIZE)[begin]
    ok = mask_crcs(length_crcs(head)) == head[:, 8:].copy().view("<u4").ravel()
    if not ok.all():  # no data CRC is computed past a bad length
        cut = int(np.argmin(ok))
        if cut == 0:
            return _EMPTY, _EMPTY, pos
        begin, head, ok = begin[:cut], head[:cut], ok[:cut]
    sizes = head[:, :8].copy().view("<u8").ravel().astype(np.int64)
    stored = _windows(arr, FOOTER_SIZE)[begin + HEADER_SIZE + sizes].copy().view("<u4").ravel()
    ok &= mask_crcs(data_crcs(buf, begin + HEADER_SIZE, sizes)) == stored
    keep = len(begin) if ok.all() else int(np.argmin(ok))  # intact up to the first bad one
    stop = int(begin[keep]) if keep < len(begin) else int(begin[-1] + sizes[-1]) + 16
    return begin[:keep] + HEADER_SIZE, sizes[:keep], stop


def _walk(buf: bytes, arr: np.ndarray, pos: int, limit: int) -> np.ndarray:
    """Starts of the complete records chained by their length fields from `buf[pos]`.

    Record by record in Python, until the sizes repeat with a period; then the pattern is
    extended in bulk as far as the next headers equal the repeating ones.
    """
    found = []
    recent: list[int] = []
    sizes: list[int] = []
    unpack, end, p, count = _LENGTH.unpack_from, len(buf), pos, 0
    while p + HEADER_SIZE + FOOTER_SIZE <= end and count + len(recent) < limit:
        size = unpack(buf, p)[0] + HEADER_SIZE + FOOTER_SIZE
        if p + size > end:
            break
        recent.append(p)
        sizes.append(size)
        p += size
        if len(sizes) % 8 == 0:
            period = _period(sizes)
            if period:
                found.append(np.array(recent, dtype=np.int64))
                count += len(recent)
                p, count = _follow(buf, arr, p, recent[-period:], sizes[-period:], limit, count,
                                   found)
                recent, sizes = [], []
            elif len(sizes) >= 4 * MAX_PERIOD:
                found.append(np.array(recent, dtype=np.int64))
                count += len(recent)
                recent, sizes = [], []
    found.append(np.array(recent, dtype=np.int64))
    return np.concatenate(found)


# Records that may break a repeating pattern before it goes on (an eval scalar logged every
# few hundred steps among the training ones) and are stepped over one by one.
MAX_ODD = 8
# Records of the longest cycle (the pattern between two breaks, and the odd records) followed
# as one period once it has repeated.
MAX_CYCLE = 1024


def _follow(buf: bytes, arr: np.ndarray, p: int, starts: list[int], sizes: list[int],
            limit: int, count: int, found: list) -> tuple[int, int]:
    """Follow the pattern of one period of records (their `starts` and `sizes`) from `p` in
    bulk, appending the records' starts to `found`. Where it stops, step over up to MAX_ODD
    records that break it and go on with it from the phase where it stopped, so that a rare
    record among periodic ones costs one step, not a new search for the period. When the
    pattern breaks the same way twice running (an eval every N steps), the records between
    the breaks and the odd ones become the period. Returns the position and count reached."""
    end, last_break = len(buf), None
    while True:
        period = len(sizes)
        more = _extend(arr, p, starts, sizes, limit - count)
        found.append(more)
        count += len(more)
        phase = len(more) % period
        if len(more):
            p = int(more[-1]) + sizes[(len(more) - 1) % period]
            starts, sizes = starts[phase:] + starts[:phase], sizes[phase:] + sizes[:phase]
        want = buf[starts[0]:starts[0] + HEADER_SIZE]
        odd: list[int] = []
        while count < limit and p + HEADER_SIZE + FOOTER_SIZE <= end \
                and buf[p:p + HEADER_SIZE] != want:
            size = _LENGTH.unpack_from(buf, p)[0] + HEADER_SIZE + FOOTER_SIZE
            if len(odd) == MAX_ODD or p + size > end:
                found.append(np.array(odd, dtype=np.int64))
                return p, count
            odd.append(p)
            count, p = count + 1, p + size
        found.append(np.array(odd, dtype=np.int64))
        if not (len(more) or odd) or count >= limit or p + HEADER_SIZE + FOOTER_SIZE > end:
            return p, count
        this_break = (len(more), phase, b"".join(buf[o:o + HEADER_SIZE] for o in odd))
        if odd and len(more) and this_break == last_break and len(more) + len(odd) <= MAX_CYCLE:
            starts = more.tolist() + odd
            sizes = [_LENGTH.unpack_from(buf, q)[0] + HEADER_SIZE + FOOTER_SIZE for q in starts]
            last_break = None
        else:
            last_break = this_break


def _period(sizes: list[int]) -> int:
    """The shortest period with which the latest sizes repeat (three times), or 0."""
    for period in range(1, min(MAX_PERIOD, len(sizes) // 3) + 1):
        if sizes[-period:] == sizes[-2 * period : -period] == sizes[-3 * period : -2 * period]:
            return period
    return 0


def _extend(arr: np.ndarray, p: int, starts: list[int], sizes: list[int], limit: int) -> np.ndarray:
    """Starts of the records (whole periods, at most `limit`) from `p` on that repeat the
    headers at `starts` in order."""
    # each header as one opaque 12-byte value, so that comparing headers is one memcmp each
    opaque = f"V{HEADER_SIZE}"
    headers = [arr[s : s + HEADER_SIZE].view(opaque)[0] for s in starts]
    offsets = np.cumsum([0, *sizes[:-1]])
    stride = sum(sizes)
    runs = []
    reps = 16
    limit //= len(sizes)
    while (reps := min(reps, (len(arr) - p) // stride, limit)) > 0:
        limit -= reps
        # The next `reps` periods as rows (a view, not a copy): header j sits at column offsets[j].
        block = arr[p : p + stride * reps].reshape(reps, stride)
        same = np.column_stack([block[:, o : o + HEADER_SIZE].view(opaque)[:, 0] == h
                                for o, h in zip(offsets.tolist(), headers)]).ravel()
        keep = len(same) if same.all() else int(np.argmin(same))
        runs.append((p + stride * np.arange(reps)[:, None] + offsets).ravel()[:keep])
        if keep < len(same):
            break
        p += stride * reps
        reps *= 4
    return np.concatenate(runs) if runs else _EMPTY


def is_damaged(buf: bytes, pos: int) -> bool:
    """Whether the bytes at `pos` are known damaged (not an intact or unfinished record).

    Called where `scan` stopped short of its limit: there the record is either incomplete
    in `buf`, or it was complete and failed its CRCs.
    """
    if len(buf) - pos < HEADER_SIZE:
        return False
    length, length_crc = _HEADER.unpack_from(buf, pos)
    if masked_crc32c(buf[pos : pos + 8]) != length_crc:
        return True
    return pos + HEADER_SIZE + length + FOOTER_SIZE <= len(buf)


def bytes_needed(buf: bytes) -> int:
    """Bytes needed to hold the record starting at buf[0] (a header's worth if unknown)."""
    if len(buf) >= HEADER_SIZE:
        length, length_crc = _HEADER.unpack_from(buf, 0)
        if masked_crc32c(buf[:8]) == length_crc:
            return HEADER_SIZE + length + FOOTER_SIZE
    return HEADER_SIZE


class IntactRecords:
    """Every intact record of `buf` from `start` on, found in bulk, for reading past damage.

    A damaged region may hold any number of "headers" whose length CRC is right (by chance,
    or planted), each claiming up to the whole file. Checking each claim's data CRC on its
    own would cost its claimed length, so a few hundred such headers would cost hundreds of
    times the file. Instead the CRCs of all claims are found together from prefix CRCs
    (`substring_crcs`): one pass over the chunk, plus a few array operations per claim.
    """

    def __init__(self, buf: bytes, start: int):
        self.buf = buf
        cand = _header_positions(buf, start)
        arr = np.frombuffer(buf, dtype=np.uint8)
        length = _windows(arr, 8)[cand].copy().view("<u8").ravel() if len(cand) else _EMPTY
        room = len(buf) - cand - HEADER_SIZE - FOOTER_SIZE  # data bytes the chunk has
        complete = (room >= 0) & (length <= np.maximum(room, 0).astype(np.uint64))
        begin = cand[complete] + HEADER_SIZE
        size = length[complete].astype(np.int64)
        stored = _windows(arr, FOOTER_SIZE)[begin + size].copy().view("<u4").ravel()
        ok = mask_crcs(substring_crcs(buf, begin, begin + size)) == stored
        self.starts = cand[complete][ok]  # record starts (headers), ascending
        self.sizes = size[ok]
        self.pending = cand[~complete]  # headers whose record runs past the chunk

        # Records that follow each other form runs, taken in one step: run_end[i] is the
        # index after the run that record i belongs to.
        follows = self.starts[1:] == self.starts[:-1] + self.sizes[:-1] + HEADER_SIZE + FOOTER_SIZE
        cuts = np.append(np.flatnonzero(~follows) + 1, len(self.starts))
        self.run_end = np.repeat(cuts, np.diff(np.append(0, cuts)))

    def chain(self, pos: int, at_end: bool
              ) -> tuple[np.ndarray, np.ndarray, int, list[tuple[int, int]]]:
        """The records read from `pos` on: (data starts, sizes, where reading stopped, the
        position and size of each damaged region skipped).

        Reading stops before a header whose record runs past the chunk: more bytes may
        complete it. At the end of the file that happens only when no intact record follows
        (else it was torn); bytes that cannot start a record are skipped as damage.
        """
        starts, sizes, gaps = [], [], []
        n = len(self.starts)
        while True:
            i = int(np.searchsorted(self.starts, pos))
            k = int(np.searchsorted(self.pending, pos))
            wait = int(self.pending[k]) if k < len(self.pending) else -1
            if wait >= 0 and (i == n or (wait < self.starts[i] and not at_end)):
                gaps.append((pos, wait - pos))
                pos = wait
                break
            if i == n:
                last = len(self.buf) - HEADER_SIZE + 1  # a header may still start after it
                if wait < 0 and last > pos:
                    gaps.append((pos, last - pos))
                    pos = last
                break
            j = int(self.run_end[i])
            gaps.append((pos, int(self.starts[i]) - pos))
            starts.append(self.starts[i:j] + HEADER_SIZE)
            sizes.append(self.sizes[i:j])
            pos = int(self.starts[j - 1] + self.sizes[j - 1]) + HEADER_SIZE + FOOTER_SIZE
        gaps = [g for g in gaps if g[1] > 0]
        if not starts:
            return _EMPTY, _EMPTY, pos, gaps
        return np.concatenate(starts), np.concatenate(sizes), pos, gaps


def _header_positions(buf: bytes, start: int) -> np.ndarray:
    """Positions from `start` on whose 12 bytes are a length with its correct CRC.

    Checked for all positions at once, a megabyte at a time, so that crossing a damaged
    region costs a few array operations per byte rather than a CRC call.
    """
    arr = np.frombuffer(buf, dtype=np.uint8)
    last = len(buf) - HEADER_SIZE  # the last position a header fits at
    found = [_EMPTY]
    for block in range(start, last + 1, 1 << 20):
        stop = min(block + (1 << 20), last + 1)
        rows = _windows(arr[block : stop + HEADER_SIZE - 1], HEADER_SIZE)
        stored = rows[:, 8:].copy().view("<u4").ravel()
        found.append(block + np.flatnonzero(mask_crcs(length_crcs(rows)) == stored))
    return np.concatenate(found)
