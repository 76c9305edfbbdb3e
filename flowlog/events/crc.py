"""CRC32C for TFRecords: the mask, and the CRCs of many records or substrings at once.

Every CRC comes from google-crc32c's C code (`_crc32c`, `_crc_extend`); NumPy only combines
them, with xors, per-byte tables and shifts over GF(2) (see `crc_table`, `substring_crcs`).
"""

from __future__ import annotations

import functools

import google_crc32c
import numpy as np

# The mask of TFRecord CRCs (see the record layout in `records`): rotate right by 15 bits,
# add a constant.
_MASK_DELTA = 0xA282EAD8
_U32 = 0xFFFFFFFF
_crc32c = google_crc32c.value
_crc_extend = google_crc32c.extend
_windows = np.lib.stride_tricks.sliding_window_view
# Groups of equal-size records at least MIN_GROUP long have their CRCs computed together.
MIN_GROUP = 16
MAX_GROUP_WIDTH = 1024


def masked_crc32c(data: bytes) -> int:
    """The masked CRC32C of `data`, as stored in a TFRecord."""
    crc = _crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & _U32


def mask_crcs(crc: np.ndarray) -> np.ndarray:
    """`masked_crc32c`'s mask, applied to an array of CRCs."""
    return ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(_MASK_DELTA)


def data_crcs(buf: bytes, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """CRC32C (unmasked) of each `buf[start:start + size]`.

    Records of one size in large numbers are done together: each differs from the first
    in a few byte columns only (a scalar's wall time, step and value), so its CRC is the
    first one's xor a table entry per differing byte (`crc_table`). The rest: one call each.
    """
    crcs = np.empty(len(starts), dtype=np.uint32)
    order = np.argsort(sizes, kind="stable")
    arr = np.frombuffer(buf, dtype=np.uint8)
    for group in np.split(order, np.flatnonzero(np.diff(sizes[order])) + 1):
        size = int(sizes[group[0]])
        if len(group) >= MIN_GROUP and 0 < size <= MAX_GROUP_WIDTH:
            crcs[group] = _rows_crc(_windows(arr, size)[starts[group]])
        else:
            crcs[group] = [_crc32c(buf[s : s + size]) for s in starts[group].tolist()]
    return crcs


def _rows_crc(rows: np.ndarray) -> np.ndarray:
    first = rows[0]
    diff = rows ^ first
    crc = np.full(len(rows), _crc32c(first.tobytes()), dtype=np.uint32)
    last = rows.shape[1] - 1
    for col in np.flatnonzero(diff.any(axis=0)).tolist():
        crc ^= crc_table(last - col)[diff[:, col]]
    return crc


@functools.cache
def crc_table(distance: int) -> np.ndarray:
    """For each byte value b: crc32c(b, then `distance` zeros) ^ crc32c(`distance`+1 zeros).

    CRC32C is affine over GF(2): for equal-length messages crc(a ^ b) = crc(a) ^ crc(b) ^
    crc(zeros). So a message that differs from a template in a few bytes has the template's
    CRC xor, for each such byte, this table's entry at the byte's distance from the end.
    Every entry comes from google-crc32c; only xors are done here.
    """
    zeros = bytes(distance)
    base = _crc32c(bytes(distance + 1))
    return np.array([_crc32c(bytes((b,)) + zeros) ^ base for b in range(256)], dtype=np.uint32)


def length_crcs(rows: np.ndarray) -> np.ndarray:
    """CRC32C of the first 8 bytes of each row (the length fields), via `crc_table`."""
    crc = np.full(len(rows), _crc32c(bytes(8)), dtype=np.uint32)
    for col in range(8):
        crc ^= crc_table(7 - col)[rows[:, col]]
    return crc


# CRC32C as a polynomial over GF(2), in the reflected bit order google-crc32c uses. For
# strings A and B, crc(A + B) = shift(crc(A), len(B)) ^ crc(B), where shift multiplies by
# x^(8 len(B)) modulo the polynomial (the identity behind zlib's crc32_combine). So from
# prefix CRCs P(i) = crc(buf[o:i]), the CRC of any buf[s:e] is P(e) ^ shift(P(s), e - s).
_POLY = 0x82F63B78


def _mul_const(a: int, b: np.ndarray) -> np.ndarray:
    """a * b modulo the polynomial, for a constant `a` and an array `b` (reflected order)."""
    out = np.zeros_like(b)
    for bit in range(32):
        if a & (1 << (31 - bit)):
            out ^= b
        b = (b >> np.uint32(1)) ^ np.where(b & np.uint32(1), np.uint32(_POLY), np.uint32(0))
    return out


def _x_pow2_table() -> list[int]:
    """x^(2^k) modulo the polynomial, k = 0..63."""
    table = [1 << 30]  # x^1
    for _ in range(63):
        table.append(int(_mul_const(table[-1], np.array([table[-1]], np.uint32))[0]))
    return table


_X_POW2 = _x_pow2_table()


def crc_shift(crc: np.ndarray, nbytes: np.ndarray) -> np.ndarray:
    """Each CRC times x^(8 n): the CRC of its message followed by n bytes, less theirs."""
    crc = crc.astype(np.uint32, copy=True)
    nbytes = np.asarray(nbytes, dtype=np.int64)
    for k in range(int(nbytes.max()).bit_length() if len(nbytes) else 0):
        sel = ((nbytes >> k) & 1).astype(bool)
        if sel.any():
            crc[sel] = _mul_const(_X_POW2[k + 3], crc[sel])
    return crc


def substring_crcs(buf: bytes, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
    """CRC32C (unmasked) of each `buf[b:e]`, in one pass over `buf` whatever they overlap."""
    if not len(begin):
        return np.zeros(0, np.uint32)
    points, where = np.unique(np.concatenate((begin, end)), return_inverse=True)
    prefix = np.empty(len(points), dtype=np.uint32)
    crc, at = 0, int(points[0])
    for i, p in enumerate(points.tolist()):
        crc = _crc_extend(crc, buf[at:p]) if p > at else crc
        prefix[i], at = crc, p
    p_begin, p_end = prefix[where[: len(begin)]], prefix[where[len(begin) :]]
    return p_end ^ crc_shift(p_begin, end - begin)
