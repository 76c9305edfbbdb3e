"""Regenerate flowlog/proto/*_pb2.py from the .proto files beside them.

Usage: python scripts/gen_protos.py [OUT_DIR]
Writes into flowlog/proto/ by default; tests call it with a temporary OUT_DIR to
check that the committed modules are up to date.
"""
from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "flowlog" / "proto"


def generate(out_dir: Path) -> list[Path]:
    """Compile every .proto under flowlog/proto into out_dir/flowlog/proto."""
    out_dir.mkdir(parents=True, exist_ok=True)
    protos = sorted(p.relative_to(ROOT).as_posix() for p in PROTO_DIR.glob("*.proto"))
    well_known = str(resources.files("grpc_tools") / "_proto")
    args = ["protoc", f"-I{ROOT}", f"-I{well_known}", f"--python_out={out_dir}", *protos]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed on " + " ".join(protos))
    return sorted((out_dir / "flowlog" / "proto").glob("*_pb2.py"))


def main() -> None:
    if len(sys.argv) > 1:
        generate(Path(sys.argv[1]))
        return
    for path in generate(ROOT):
        print("wrote", path.relative_to(ROOT))


if __name__ == "__main__":
    main()
