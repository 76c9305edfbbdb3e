"""TensorFlow's checkpoint format V2 (a "tensor bundle"), written and read with NumPy.

A checkpoint with prefix P is two files:

    P.data-00000-of-00001   the tensors' bytes, one after another (little-endian, C order)
    P.index                 an SSTable (LevelDB's table format) mapping each tensor's name to
                            a BundleEntryProto (dtype, shape, shard, offset, size, masked
                            CRC32C of its bytes); the empty key maps to a BundleHeaderProto

The SSTable, as TensorFlow's `table` library writes it without compression:

    data blocks       entries sorted by key, each `varint shared | varint unshared |
                      varint value_len | key[shared:] | value` (the key shares its first
                      `shared` bytes with the entry before it); every 16th entry shares
                      nothing (a restart point); then the restart offsets as uint32 and
                      their count as uint32
    block trailer     after every block: 1 byte compression type (0: none) and the masked
                      CRC32C of the block and that byte
    metaindex block   empty
    index block       for each data block: its last key -> BlockHandle (varint offset,
                      varint size, the trailer not counted)
    footer, 48 bytes  metaindex handle, index handle, zero padding to 40 bytes, then the
                      magic number 0xdb4775248b80fb57 as little-endian uint64

Integers are little-endian; the CRC mask is TFRecord's (`flowlog.events.records.masked_crc32c`).
"""

from __future__ import annotations

import os
import struct

import numpy as np
from google.protobuf.message import DecodeError

from flowlog.events.records import masked_crc32c
from flowlog.events.wire import read_varint, varint
from flowlog.proto import checkpoint_pb2, types_pb2

from . import errors

_MAGIC = 0xDB4775248B80FB57
_FOOTER = 48
_RESTART_INTERVAL = 16
_BLOCK_SIZE = 256 << 10
_U32 = struct.Struct("<I")

# NumPy dtype of each TensorFlow DataType a variable may hold.
DTYPES = {
    types_pb2.DT_FLOAT: np.float32, types_pb2.DT_DOUBLE: np.float64,
    types_pb2.DT_INT32: np.int32, types_pb2.DT_UINT8: np.uint8, types_pb2.DT_INT16: np.int16,
    types_pb2.DT_INT8: np.int8, types_pb2.DT_INT64: np.int64, types_pb2.DT_BOOL: np.bool_,
    types_pb2.DT_UINT16: np.uint16, types_pb2.DT_HALF: np.float16,
    types_pb2.DT_UINT32: np.uint32, types_pb2.DT_UINT64: np.uint64,
}
_ENUMS = {np.dtype(v): k for k, v in DTYPES.items()}


def data_path(prefix: str) -> str:
    return f"{prefix}.data-00000-of-00001"


def index_path(prefix: str) -> str:
    return f"{prefix}.index"


# --- writing --------------------------------------------------------------------------------

def write_bundle(prefix: str, tensors: dict[str, np.ndarray]) -> None:
    """Write `tensors` as the checkpoint `prefix` (both files replaced whole)."""
    os.makedirs(os.path.dirname(prefix) or ".", exist_ok=True)  # as TensorFlow's writer does
    data = bytearray()
    header = checkpoint_pb2.BundleHeaderProto(num_shards=1)
    header.version.producer = 1
    entries = [(b"", header.SerializeToString())]
    for name in sorted(tensors):
        value = np.asarray(tensors[name])  # tobytes() is in C order whatever the layout
        if value.dtype not in _ENUMS:
            raise TypeError(f"cannot save {name!r}: dtype {value.dtype} is not supported")
        raw = value.astype(value.dtype.newbyteorder("<"), copy=False).tobytes()
        entry = checkpoint_pb2.BundleEntryProto(
            dtype=_ENUMS[value.dtype], offset=len(data), size=len(raw),
            crc32c=masked_crc32c(raw))
        for d in value.shape:
            entry.shape.dim.add(size=d)
        data += raw
        entries.append((name.encode("utf-8"), entry.SerializeToString()))
    _replace(data_path(prefix), bytes(data))
    _replace(index_path(prefix), _table(entries))


def _replace(path: str, content: bytes) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(content)
    os.replace(tmp, path)  # a crash mid-write never leaves a torn file


def _table(entries: list[tuple[bytes, bytes]]) -> bytes:
    """An SSTable of sorted (key, value) entries (see the module's docstring)."""
    out = bytearray()
    index = []
    block: list[tuple[bytes, bytes]] = []
    size = 0

    def flush() -> None:
        nonlocal block, size
        handle = _put_block(out, _block(block))
        index.append((block[-1][0], handle))
        block, size = [], 0

    for key, value in entries:
        block.append((key, value))
        size += len(key) + len(value)
        if size >= _BLOCK_SIZE:
            flush()
    if block:
        flush()
    meta = _put_block(out, _block([]))
    index_handle = _put_block(out, _block(index))
    footer = (meta + index_handle).ljust(_FOOTER - 8, b"\0")
    return bytes(out + footer + struct.pack("<Q", _MAGIC))


def _block(entries: list[tuple[bytes, bytes]]) -> bytes:
    out = bytearray()
    restarts = []
    last = b""
    for i, (key, value) in enumerate(entries):
        shared = 0
        if i % _RESTART_INTERVAL == 0:
            restarts.append(len(out))
        else:
            while shared < min(len(last), len(key)) and last[shared] == key[shared]:
                shared += 1
        out += varint(shared) + varint(len(key) - shared) + varint(len(value))
        out += key[shared:] + value
        last = key
    for r in restarts or [0]:
        out += _U32.pack(r)
    return bytes(out + _U32.pack(len(restarts or [0])))


def _put_block(out: bytearray, block: bytes) -> bytes:
    """Append a block and its trailer; returns its handle."""
    handle = varint(len(out)) + varint(len(block))
    out += block + b"\0" + _U32.pack(masked_crc32c(block + b"\0"))
    return handle


# --- reading --------------------------------------------------------------------------------

class BundleReader:
    """The tensors of the checkpoint `prefix`; DataLossError naming the file if damaged."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        path = index_path(prefix)
        try:
            with open(path, "rb") as f:
                table = f.read()
        except FileNotFoundError:
            raise errors.NotFoundError(
                None, None, "Unsuccessful TensorSliceReader constructor: Failed to find any "
                f"matching files for {prefix}") from None
        try:
            entries = dict(_read_table(table))
            header = checkpoint_pb2.BundleHeaderProto.FromString(entries.pop(b""))
            self.entries = {k.decode("utf-8"): checkpoint_pb2.BundleEntryProto.FromString(v)
                            for k, v in entries.items()}
        except (ValueError, KeyError, DecodeError, UnicodeDecodeError, struct.error) as e:
            raise errors.DataLossError(None, None, f"{path}: not a readable checkpoint index "
                                       f"({e or type(e).__name__})") from None
        if header.num_shards != 1 or header.endianness != 0:
            raise errors.DataLossError(None, None, f"{path}: {header.num_shards} shards, "
                                       "endianness {header.endianness}: only 1 little-endian "
                                       "shard is supported")
        self._data: bytes | None = None

    def names(self) -> dict[str, list[int]]:
        """{tensor name: shape}."""
        return {n: [d.size for d in e.shape.dim] for n, e in sorted(self.entries.items())}

    def dtype(self, name: str) -> np.dtype:
        return np.dtype(DTYPES[self._entry(name).dtype])

    def tensor(self, name: str) -> np.ndarray:
        """The value of tensor `name`."""
        entry = self._entry(name)
        if entry.dtype not in DTYPES:
            raise errors.UnimplementedError(
                None, None, f"{name}: dtype {types_pb2.DataType.Name(entry.dtype)} in "
                f"{self.prefix} is not supported")
        if self._data is None:
            try:
                with open(data_path(self.prefix), "rb") as f:
                    self._data = f.read()
            except FileNotFoundError:
                raise errors.DataLossError(None, None, f"{data_path(self.prefix)} is missing") \
                    from None
        raw = self._data[entry.offset : entry.offset + entry.size]
        dtype = np.dtype(DTYPES[entry.dtype]).newbyteorder("<")
        shape = [d.size for d in entry.shape.dim]
        if len(raw) != entry.size or masked_crc32c(raw) != entry.crc32c \
                or entry.size != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
            raise errors.DataLossError(None, None, f"{data_path(self.prefix)}: the bytes of "
                                       f"{name!r} are damaged (checksum or size mismatch)")
        return np.frombuffer(raw, dtype).reshape(shape).astype(dtype.newbyteorder("="))

    def _entry(self, name: str) -> checkpoint_pb2.BundleEntryProto:
        try:
            return self.entries[name]
        except KeyError:
            raise errors.NotFoundError(
                None, None, f"Key {name} not found in checkpoint {self.prefix}") from None


def _read_table(table: bytes):
    """The (key, value) entries of an SSTable, in order."""
    if len(table) < _FOOTER or struct.unpack_from("<Q", table, len(table) - 8)[0] != _MAGIC:
        raise ValueError("no table footer")
    pos = len(table) - _FOOTER
    _, pos = _handle(table, pos)  # the metaindex: nothing in it is needed
    index, _ = _handle(table, pos)
    for _, handle in _block_entries(_read_block(table, *index)):
        (offset, size), _ = _handle(handle, 0)
        yield from _block_entries(_read_block(table, offset, size))


def _handle(data: bytes, pos: int) -> tuple[tuple[int, int], int]:
    offset, pos = read_varint(data, pos)
    size, pos = read_varint(data, pos)
    return (offset, size), pos


def _read_block(table: bytes, offset: int, size: int) -> bytes:
    end = offset + size
    if end + 5 > len(table):
        raise ValueError(f"block at {offset} runs past the file")
    if table[end] != 0:
        raise ValueError(f"block at {offset} is compressed (type {table[end]})")
    if _U32.unpack_from(table, end + 1)[0] != masked_crc32c(table[offset : end + 1]):
        raise ValueError(f"block at {offset}: checksum mismatch")
    return table[offset:end]


def _block_entries(block: bytes):
    restarts = _U32.unpack_from(block, len(block) - 4)[0]
    end = len(block) - 4 * (restarts + 1)
    if end < 0:
        raise ValueError("block restart array runs past the block")
    pos, key = 0, b""
    while pos < end:
        shared, pos = read_varint(block, pos, end)
        unshared, pos = read_varint(block, pos, end)
        size, pos = read_varint(block, pos, end)
        if shared > len(key) or pos + unshared + size > end:
            raise ValueError("block entry runs past the block")
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        yield key, block[pos : pos + size]
        pos += size
