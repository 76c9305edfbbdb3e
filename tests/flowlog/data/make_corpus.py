"""Regenerate the damaged event files of this directory and corpus.json (steps each must yield).

Usage: python tests/flowlog/data/make_corpus.py
"""

import json
import random
import struct
from pathlib import Path

from flowlog.events.records import frame, masked_crc32c
from flowlog.proto import event_pb2, summary_pb2

HERE = Path(__file__).parent


def record(step):
    summary = summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag="loss", simple_value=step / 2)]
    )
    return frame(
        event_pb2.Event(wall_time=1.5e9 + step, step=step, summary=summary).SerializeToString()
    )


def flipped(rec, index):
    out = bytearray(rec)
    out[index] ^= 0x04
    return bytes(out)


def main():
    rng = random.Random(6)
    r = [record(step) for step in range(1, 6)]
    huge = struct.pack("<Q", 2**61)
    cases = {
        "empty": (b"", []),
        "intact": (b"".join(r), [1, 2, 3, 4, 5]),
        "truncated_tail": (b"".join(r)[:-7], [1, 2, 3, 4]),
        "truncated_header": (b"".join(r) + record(6)[:5], [1, 2, 3, 4, 5]),
        "flip_length": (r[0] + flipped(r[1], 0) + b"".join(r[2:]), [1, 3, 4, 5]),
        "flip_length_crc": (r[0] + flipped(r[1], 9) + b"".join(r[2:]), [1, 3, 4, 5]),
        "flip_payload": (r[0] + flipped(r[1], 20) + b"".join(r[2:]), [1, 3, 4, 5]),
        "flip_footer": (r[0] + flipped(r[1], len(r[1]) - 2) + b"".join(r[2:]), [1, 3, 4, 5]),
        "garbage_between": (r[0] + rng.randbytes(37) + b"".join(r[1:]), [1, 2, 3, 4, 5]),
        "huge_length": (
            r[0] + huge + struct.pack("<I", masked_crc32c(huge)) + b"".join(r[1:]),
            [1, 2, 3, 4, 5],
        ),
        "torn_middle": (r[0] + r[1][:19] + b"".join(r[2:]), [1, 3, 4, 5]),
        "empty_record": (r[0] + frame(b"") + r[1], [1, 0, 2]),
        "junk": (rng.randbytes(500), []),
        "zeros": (bytes(300), []),
    }
    manifest = {}
    for name, (blob, steps) in cases.items():
        filename = f"events.out.tfevents.corpus.{name}"
        (HERE / filename).write_bytes(blob)
        manifest[filename] = steps
    (HERE / "corpus.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
