"""A minimal animated-GIF encoder (GIF89a, one global palette, LZW) and decoder.

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


def _lzw_decode(data: bytes, min_size: int) -> bytes:
    """Palette indices of one image's LZW data (min code size 2..8)."""
    clear, end = 1 << min_size, (1 << min_size) + 1
    out = bytearray()
    table: list[bytes] = []
    width, pos, acc, nbits, prev = min_size + 1, 0, 0, 0, None
    while True:
        while nbits < width:
            if pos >= len(data):
                return bytes(out)  # truncated: keep what was decoded
            acc |= data[pos] << nbits
            pos += 1
            nbits += 8
        code = acc & ((1 << width) - 1)
        acc >>= width
        nbits -= width
        if code == clear:
            table = [bytes((i,)) for i in range(clear)] + [b"", b""]
            width, prev = min_size + 1, None
            continue
        if code == end:
            return bytes(out)
        if not table:  # no clear code first: start with the initial table anyway
            table = [bytes((i,)) for i in range(clear)] + [b"", b""]
        if code < len(table):
            entry = table[code]
            if prev is not None:
                table.append(prev + entry[:1])
        elif prev is not None and code == len(table):
            entry = prev + prev[:1]
            table.append(entry)
        else:
            raise ValueError(f"GIF image data has code {code} beyond its table")
        out += entry
        prev = entry
        if len(table) == 1 << width and width < 12:
            width += 1


def _interlaced_rows(height: int) -> list[int]:
    return [*range(0, height, 8), *range(4, height, 8), *range(2, height, 4), *range(1, height, 2)]


def decode_gif(data: bytes) -> np.ndarray:
    """The frames of a GIF as uint8 (T, H, W, 3), each drawn over the previous as GIF says."""
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF: the signature is missing")
    width, height, flags = struct.unpack("<HHB", data[6:11])
    pos = 13
    palette = np.zeros((256, 3), np.uint8)
    if flags & 0x80:
        size = 3 << ((flags & 7) + 1)
        palette[: size // 3] = np.frombuffer(data[pos : pos + size], np.uint8).reshape(-1, 3)
        pos += size
    canvas = np.zeros((height, width, 3), np.uint8)
    frames, transparent, dispose = [], None, 0
    while pos < len(data):
        kind = data[pos]
        if kind == 0x3B:
            break
        if kind == 0x21:  # extension: a graphic control block sets the next frame's options
            label, pos = data[pos + 1], pos + 2
            if label == 0xF9:
                packed, _, index = struct.unpack("<BHB", data[pos + 1 : pos + 5])
                transparent = index if packed & 1 else None
                dispose = (packed >> 2) & 7
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
            continue
        if kind != 0x2C:
            raise ValueError(f"GIF block at byte {pos} has unknown kind {kind:#x}")
        left, top, w, h, packed = struct.unpack("<HHHHB", data[pos + 1 : pos + 10])
        pos += 10
        colours = palette
        if packed & 0x80:
            size = 3 << ((packed & 7) + 1)
            colours = np.zeros((256, 3), np.uint8)
            colours[: size // 3] = np.frombuffer(data[pos : pos + size], np.uint8).reshape(-1, 3)
            pos += size
        min_size, pos = data[pos], pos + 1
        chunks = []
        while data[pos]:
            chunks.append(data[pos + 1 : pos + 1 + data[pos]])
            pos += data[pos] + 1
        pos += 1
        indices = np.frombuffer(_lzw_decode(b"".join(chunks), min_size), np.uint8)
        indices = np.resize(indices, w * h).reshape(h, w)
        if packed & 0x40:
            order = np.empty(h, np.int64)
            order[_interlaced_rows(h)] = np.arange(h)
            indices = indices[order]
        before = canvas.copy()
        region = canvas[top : top + h, left : left + w]
        pixels = colours[indices][: region.shape[0], : region.shape[1]]
        keep = indices[: region.shape[0], : region.shape[1]] == transparent
        region[...] = np.where(keep[..., None], region, pixels)
        frames.append(canvas.copy())
        if dispose == 2:  # restore to background: the area is cleared for the next frame
            region[...] = 0
        elif dispose == 3:  # restore to previous
            canvas = before
        transparent, dispose = None, 0
    if not frames:
        raise ValueError("GIF has no image")
    return np.stack(frames)
