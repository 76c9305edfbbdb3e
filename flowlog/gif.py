"""A minimal animated-GIF encoder (GIF89a, one global palette, LZW) for video summaries.

TensorBoard's image plugin shows a video as an animated GIF in an `<img>`; writing it here
needs neither moviepy nor Pillow.

Layout written: `GIF89a`, the logical screen (width, height, a 256-colour global table),
the palette, a NETSCAPE2.0 block (loop forever), then per frame a graphic control block
(delay in 1/100 s) and an image block (full frame, LZW-coded palette indices in sub-blocks
of at most 255 bytes), then `;`.
"""

from __future__ import annotations

import struct

import numpy as np

_CLEAR, _END, _FIRST_FREE, _TABLE_SIZE = 256, 257, 258, 4096
# Colours of the fallback palette when a video has more than 256: 6 x 7 x 6 levels of
# red, green and blue (green gets more: the eye tells its shades apart best).
_LEVELS = np.array([6, 7, 6])


def _lzw(indices: bytes) -> bytes:
    """GIF's variable-width LZW code (minimum code size 8) of a string of palette indices.

    Codes start 9 bits wide and widen once the table outgrows them; when the table is full
    a clear code starts it over, so decoders never see a code past 4095.
    """
    out = bytearray()
    acc = nbits = 0
    width, next_code = 9, _FIRST_FREE
    table: dict[int, int] = {}
    acc, nbits = _CLEAR, width
    prefix = indices[0]
    for byte in indices[1:]:
        key = prefix << 8 | byte
        code = table.get(key)
        if code is not None:
            prefix = code
            continue
        acc |= prefix << nbits
        nbits += width
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
        table[key] = next_code
        next_code += 1
        if next_code > 1 << width:
            width += 1
        if next_code == _TABLE_SIZE:
            acc |= _CLEAR << nbits
            nbits += width
            table.clear()
            width, next_code = 9, _FIRST_FREE
        prefix = byte
    for code in (prefix, _END):
        acc |= code << nbits
        nbits += width
    while nbits > 0:
        out.append(acc & 0xFF)
        acc >>= 8
        nbits -= 8
    return bytes(out)


def _sub_blocks(data: bytes) -> bytes:
    blocks = [bytes((len(data[i : i + 255]),)) + data[i : i + 255] for i in range(0, len(data), 255)]
    return b"".join(blocks) + b"\x00"


def _palette(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(256 x 3 palette, per-pixel indices) of uint8 (T, H, W, 3) frames.

    Exact when the video has at most 256 colours; otherwise each pixel takes the nearest
    colour of a fixed 6 x 7 x 6 palette.
    """
    packed = (frames[..., 0].astype(np.uint32) << 16) | (frames[..., 1].astype(np.uint32) << 8)
    packed |= frames[..., 2]
    colours, inverse = np.unique(packed.reshape(-1), return_inverse=True)
    palette = np.zeros((256, 3), np.uint8)
    if len(colours) <= 256:
        palette[: len(colours)] = np.stack(
            [(colours >> 16) & 0xFF, (colours >> 8) & 0xFF, colours & 0xFF], axis=1
        )
        return palette, inverse.astype(np.uint8).reshape(frames.shape[:3])
    steps = np.round(frames.astype(np.float64) * (_LEVELS - 1) / 255).astype(np.int64)
    index = (steps[..., 0] * _LEVELS[1] + steps[..., 1]) * _LEVELS[2] + steps[..., 2]
    grid = np.stack(np.meshgrid(*(np.arange(n) for n in _LEVELS), indexing="ij"), axis=-1)
    palette[: int(np.prod(_LEVELS))] = np.round(
        grid.reshape(-1, 3) * 255 / (_LEVELS - 1)
    ).astype(np.uint8)
    return palette, index.astype(np.uint8)


def encode_gif(frames: np.ndarray, fps: float = 4) -> bytes:
    """An endlessly looping GIF of uint8 frames shaped (T, H, W, C), C in 1..4 (alpha dropped)."""
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] not in (1, 2, 3, 4):
        raise ValueError(
            f"expected uint8 frames of shape (time, height, width, 1|2|3|4), got {frames.dtype} "
            f"{frames.shape}"
        )
    if not fps > 0:
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    t, height, width, channels = frames.shape
    if t == 0 or height == 0 or width == 0 or max(height, width) > 0xFFFF:
        raise ValueError(f"a GIF needs 1 to 65535 pixels a side and a frame, got {frames.shape}")
    colour = frames[..., :3] if channels >= 3 else np.repeat(frames[..., :1], 3, axis=3)
    palette, indices = _palette(np.ascontiguousarray(colour))
    delay = max(1, round(100 / fps))  # GIF delays are in hundredths of a second
    parts = [
        b"GIF89a",
        struct.pack("<HHBBB", width, height, 0xF7, 0, 0),  # global table of 2**(7+1) colours
        palette.tobytes(),
        b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00",  # loop count 0: forever
    ]
    for frame in indices:
        parts.append(struct.pack("<BBBBHBB", 0x21, 0xF9, 4, 0x04, delay, 0, 0))
        parts.append(struct.pack("<BHHHHB", 0x2C, 0, 0, width, height, 0))
        parts.append(b"\x08" + _sub_blocks(_lzw(frame.tobytes())))
    parts.append(b"\x3b")
    return b"".join(parts)
