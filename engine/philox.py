"""TensorFlow's Philox4x32-10 random streams and the conversions its CPU kernels apply to them.

The generator (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", 2011), laid out as
TensorFlow lays it out, so that a seeded op draws exactly TensorFlow's numbers:

- State: a 64-bit key and a 128-bit counter, both kept as 32-bit words, least significant first.
  An op with attributes (seed, seed2) starts with key = seed and counter = seed2 << 64; (0, 0)
  means "seed me from the OS" (TF's GuardedPhiloxRandom).
- One output: ten rounds over a copy of the counter, then the counter grows by one (mod 2**128).
  A round multiplies words 0 and 2 by M_A = 0xD2511F53 and M_B = 0xCD9E8D57 into 64-bit
  products (hi, lo) and gives [hi_B ^ c1 ^ k0, lo_B, hi_A ^ c3 ^ k1, lo_A]; between rounds the
  key grows by (W_A, W_B) = (0x9E3779B9, 0xBB67AE85). An output is four uint32.
- Each run of a random op reserves a block of counters: `n * 256` outputs for an op of n elements
  (uniform, normal, truncated normal, uniform int), `ceil((n - 1) / 4)` for a shuffle of n rows.
  The session's stream moves past the block, so the next run draws new numbers and a new session
  (a new stream) starts again from the seed.

Conversions (TF's random_distributions.h):
- float32 uniform: 23 low bits of one uint32 as the mantissa of a float in [1, 2), minus 1;
  float16 the same with 10 bits. Half normals are float32 normals rounded to half.
- float64 uniform: 20 low bits of x0 then 32 bits of x1 as the mantissa, minus 1.
- Box-Muller: u1 = max(uniform(x0), 1e-7), v1 = 2 pi uniform(x1),
  r = sqrt(-2 log u1), giving (r sin v1, r cos v1), in float32 (float32 uniforms, float32
  log, sqrt, sincos) or float64 (four uint32 per pair).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import math
import secrets

import numpy as np

_M32 = 0xFFFFFFFF
_M64 = 2**64 - 1
_M128 = 2**128 - 1
_MUL_A, _MUL_B = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_WEYL_A, _WEYL_B = 0x9E3779B9, 0xBB67AE85
_LOW = np.uint64(_M32)
_SHIFT = np.uint64(32)


def philox_blocks(key: tuple[int, int], counters: list[np.ndarray]) -> np.ndarray:
    """The Philox4x32-10 outputs for counters given as four uint64 arrays of 32-bit words.

    Returns an (n, 4) uint32 array, row i the output for counter i.
    """
    c0, c1, c2, c3 = counters
    k0, k1 = key
    for r in range(10):
        if r:  # the key grows between rounds, not before the first
            k0, k1 = (k0 + _WEYL_A) & _M32, (k1 + _WEYL_B) & _M32
        prod_a = c0 * _MUL_A
        prod_b = c2 * _MUL_B
        c0, c1, c2, c3 = ((prod_b >> _SHIFT) ^ c1 ^ np.uint64(k0), prod_b & _LOW,
                          (prod_a >> _SHIFT) ^ c3 ^ np.uint64(k1), prod_a & _LOW)
    return np.stack([c0, c1, c2, c3], axis=-1).astype(np.uint32)


class PhiloxStream:
    """One random op's generator in one session: TF's key and 128-bit counter."""

    def __init__(self, seed: int, seed2: int):
        if seed == 0 and seed2 == 0:  # TF: both unset means fresh entropy
            seed, seed2 = secrets.randbits(64), secrets.randbits(64)
        seed, seed2 = seed & _M64, seed2 & _M64
        self.key = (seed & _M32, seed >> 32)
        self.counter = seed2 << 64

    def reserve(self, outputs: int) -> int:
        """Claim `outputs` consecutive 128-bit outputs; returns the counter of the first."""
        start = self.counter
        self.counter = (start + outputs) & _M128
        return start

    def at(self, start: int, offsets: np.ndarray) -> np.ndarray:
        """Outputs for counters `start + offsets` (offsets: uint64 array), shape offsets + (4,)."""
        base_lo, base_hi = np.uint64(start & _M64), np.uint64(start >> 64)
        lo = offsets.astype(np.uint64) + base_lo  # wraps mod 2**64, carry below
        hi = base_hi + (lo < base_lo).astype(np.uint64)
        words = [lo & _LOW, lo >> _SHIFT, hi & _LOW, hi >> _SHIFT]
        return philox_blocks(self.key, words)

    def uint32s(self, start: int, count: int) -> np.ndarray:
        """`count` uint32 read one by one from the outputs at `start` (TF's SingleSampleAdapter)."""
        blocks = self.at(start, np.arange((count + 3) // 4, dtype=np.uint64))
        return blocks.reshape(-1)[:count]


# --- conversions ----------------------------------------------------------------------------


def uint32_to_float(x: np.ndarray) -> np.ndarray:
    """Uniform float32 in [0, 1) from the 23 low bits of each uint32."""
    bits = (x.astype(np.uint32) & np.uint32(0x7FFFFF)) | np.uint32(127 << 23)
    return bits.view(np.float32) - np.float32(1.0)


def uint16_to_half(x: np.ndarray) -> np.ndarray:
    """Uniform float16 in [0, 1) from the 10 low bits of each uint32."""
    bits = (x.astype(np.uint16) & np.uint16(0x3FF)) | np.uint16(15 << 10)
    return bits.view(np.float16) - np.float16(1.0)


def uint64_to_double(x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
    """Uniform float64 in [0, 1) from 20 bits of x0 (high) and 32 bits of x1 (low)."""
    man = ((x0.astype(np.uint64) & np.uint64(0xFFFFF)) << _SHIFT) | x1.astype(np.uint64)
    return (man | np.uint64(1023 << 52)).view(np.float64) - 1.0


# TF's kernels call the C library's float functions (logf, sinf/cosf through sincosf) and its
# double ones (log, sin, cos). NumPy's vectorised versions can differ from them in the last
# bit, so the values come from the C library itself, one call per element.
def _c_float_function(name: str):
    libm_path = ctypes.util.find_library("m")
    fn = getattr(ctypes.CDLL(libm_path), name, None) if libm_path else None
    if fn is None:  # no C library to ask: a correctly rounded float64 result
        return lambda x: float(np.float32(getattr(math, name[:-1])(x)))
    fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
    return fn


_LOGF, _SINF, _COSF = (_c_float_function(n) for n in ("logf", "sinf", "cosf"))


def _each(fn, x: np.ndarray, dtype) -> np.ndarray:
    return np.fromiter(map(fn, x.ravel().tolist()), dtype=dtype, count=x.size).reshape(x.shape)


def box_muller_float(x0: np.ndarray, x1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two float32 unit normals per pair of uint32, as TF's BoxMullerFloat."""
    u1 = np.maximum(uint32_to_float(x0), np.float32(1.0e-7))
    # `2.0f * M_PI` is a double; the product with the float is rounded to float once.
    v1 = (2.0 * np.pi * uint32_to_float(x1).astype(np.float64)).astype(np.float32)
    u2 = np.sqrt(np.float32(-2.0) * _each(_LOGF, u1, np.float32))  # IEEE sqrt: exact rounding
    return _each(_SINF, v1, np.float32) * u2, _each(_COSF, v1, np.float32) * u2


def box_muller_double(x0, x1, x2, x3) -> tuple[np.ndarray, np.ndarray]:
    """Two float64 unit normals per four uint32, as TF's BoxMullerDouble."""
    u1 = np.maximum(uint64_to_double(x0, x1), 1.0e-7)
    v1 = 2 * np.pi * uint64_to_double(x2, x3)
    u2 = np.sqrt(-2.0 * _each(math.log, u1, np.float64))
    return _each(math.sin, v1, np.float64) * u2, _each(math.cos, v1, np.float64) * u2
