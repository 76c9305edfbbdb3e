"""A minimal PNG encoder (8-bit grey, grey+alpha, RGB, RGBA) and decoder, built on zlib."""

from __future__ import annotations

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG colour type for each number of channels.
_COLOR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of a uint8 array shaped (height, width, channels), channels in 1..4."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in _COLOR_TYPE:
        raise ValueError(
            f"expected a uint8 array of shape (height, width, 1|2|3|4), got {pixels.dtype} "
            f"{pixels.shape}"
        )
    height, width, channels = pixels.shape
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPE[channels], 0, 0, 0)
    # Every scanline starts with its filter type; 0 (none) keeps the encoder trivial.
    rows = np.zeros((height, 1 + width * channels), dtype=np.uint8)
    rows[:, 1:] = pixels.reshape(height, width * channels)
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)),
            _chunk(b"IEND", b""),
        )
    )


_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _unfilter(raw: bytes, height: int, stride: int, bpp: int) -> np.ndarray:
    """Undo PNG's per-scanline filters (none, sub, up, average, paeth)."""
    rows = np.frombuffer(raw, np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), np.uint8)
    prior = np.zeros(stride, np.uint8)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:]
        if kind == 0:
            cur = line.copy()
        elif kind == 2:
            cur = line + prior
        elif kind == 1:  # each byte adds the one bpp to its left: a running sum per channel
            cur = np.cumsum(line.reshape(-1, bpp).astype(np.int64), axis=0).reshape(-1)
            cur = (cur & 0xFF).astype(np.uint8)
        elif kind in (3, 4):  # depends on the byte just decoded: one byte at a time
            cur = bytearray(line.tobytes())
            up = prior.tolist()
            for i in range(stride):
                left = cur[i - bpp] if i >= bpp else 0
                if kind == 3:
                    cur[i] = (cur[i] + ((left + up[i]) >> 1)) & 0xFF
                    continue
                up_left = up[i - bpp] if i >= bpp else 0
                p = left + up[i] - up_left
                pa, pb, pc = abs(p - left), abs(p - up[i]), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else up[i] if pb <= pc else up_left
                cur[i] = (cur[i] + pred) & 0xFF
            cur = np.frombuffer(bytes(cur), np.uint8)
        else:
            raise ValueError(f"PNG scanline {y} has unknown filter type {kind}")
        out[y] = cur
        prior = out[y]
    return out


def decode_png(data: bytes) -> np.ndarray:
    """Pixels of a non-interlaced 8-bit PNG as uint8 (height, width, channels).

    Palette images come back as RGB, or RGBA when the palette has transparency.
    """
    if not data.startswith(_SIGNATURE):
        raise ValueError("not a PNG: the signature is missing")
    pos, idat, palette, alpha = len(_SIGNATURE), [], None, None
    header = None
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"tRNS":
            alpha = np.frombuffer(body, np.uint8)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("not a PNG: no IHDR chunk")
    width, height, depth, color, _, _, interlace = header
    packed = depth in (1, 2, 4) and color in (0, 3)  # several pixels a byte
    if not (depth == 8 or packed) or color not in _CHANNELS or interlace:
        raise ValueError(
            f"only 8-bit (or 1/2/4-bit grey or palette) non-interlaced PNGs are decoded, got "
            f"bit depth {depth}, colour type {color}, interlace {interlace}"
        )
    channels = _CHANNELS[color]
    stride = (width * channels * depth + 7) // 8
    pixels = _unfilter(zlib.decompress(b"".join(idat)), height, stride, max(1, channels * depth // 8))
    if packed:
        bits = np.unpackbits(pixels, axis=1)[:, : width * depth].reshape(height, width, depth)
        pixels = (bits * (1 << np.arange(depth - 1, -1, -1))).sum(axis=2).astype(np.uint8)
        if color == 0:
            pixels = (pixels * (255 // ((1 << depth) - 1))).astype(np.uint8)
    pixels = pixels.reshape(height, width, channels)
    if color == 3:
        if palette is None:
            raise ValueError("PNG palette image without a PLTE chunk")
        if alpha is not None:
            full = np.full(len(palette), 255, np.uint8)
            full[: len(alpha)] = alpha
            palette = np.concatenate([palette, full[:, None]], axis=1)
        pixels = palette[pixels[..., 0]]
    return pixels
