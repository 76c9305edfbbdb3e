"""A logdir in an S3 bucket: flowboard vs TensorBoard, and our writer vs tensorboardX's.

Usage: python benchmarks/object_store.py [--runs 100] [--tags 10] [--steps 1000]

Everything runs against moto's S3 server on a local port, behind a proxy that counts requests
and uploaded bytes. Prints: the cold load of the bucket by flowboard and by TensorBoard (time
until every run's tags serve all their points, requests and bytes each); the requests of one
idle reload of flowboard; and bytes uploaded / bytes stored for our writer and for
tensorboardX's S3 writer when both flush every 100 steps (tensorboardX uploads the whole file
again at each flush). The issue's full size is --steps 10000 (slow for TensorBoard).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "flowlog"))
sys.path.insert(0, str(HERE))

from s3_server import s3_endpoint

import flowlog as fl
from dashboard import BIN, free_port, time_to_serve


def write_bucket(bucket: str, runs: int, tags: int, steps: int) -> None:
    for r in range(runs):
        with fl.SummaryWriter(f"s3://{bucket}/sweep/run{r:03d}") as w:
            for step in range(steps):
                for t in range(tags):
                    w.add_scalar(f"metrics/tag{t}", step * 0.001 + t + r, step)


def counted(proxy, fn):
    """(result, requests, bytes sent by the store) of `fn()`, as the proxy saw them."""
    before = proxy.requests, proxy.bytes_out
    result = fn()
    return result, proxy.requests - before[0], proxy.bytes_out - before[1]


def upload_ratio(proxy, bucket: str, writer: str, steps: int = 3000, every: int = 100) -> float:
    """Bytes uploaded / bytes stored, flushing every `every` steps."""
    prefix = f"ratio-{writer}"
    before = proxy.put_bytes
    if writer == "flowlog":
        w = fl.SummaryWriter(f"s3://{bucket}/{prefix}", flush_secs=3600)
    else:
        from tensorboardX import SummaryWriter

        w = SummaryWriter(f"s3://{bucket}/{prefix}", flush_secs=3600)
    for step in range(steps):
        w.add_scalar("loss", 1.0 / (step + 1), step)
        if step % every == every - 1:
            w.flush()
    w.close()
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    stored = sum(o["Size"] for o in listed["Contents"])
    return (proxy.put_bytes - before) / stored


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--tags", type=int, default=10)
    ap.add_argument("--steps", type=int, default=1000)
    args = ap.parse_args()
    with s3_endpoint() as proxy:
        bucket = "bench-logs"
        boto3.client("s3").create_bucket(Bucket=bucket)
        t = time.perf_counter()
        write_bucket(bucket, args.runs, args.tags, args.steps)
        points = args.runs * args.tags * args.steps
        print(f"bucket: {args.runs} runs x {args.tags} tags x {args.steps} steps = {points:,} "
              f"points, written in {time.perf_counter() - t:.1f} s")
        url = f"s3://{bucket}/sweep"
        shape = (args.runs, args.tags, args.steps)
        servers = [
            ("flowboard", [str(BIN / "flowboard"), "--logdir", url, "--reload-interval", "0"]),
            ("tensorboard (Python loader: its S3 path)",
             [str(BIN / "tensorboard"), "--logdir", url, "--host", "127.0.0.1",
              "--load_fast=false", "--samples_per_plugin", "scalars=100000000",
              "--reload_interval", "0"]),
        ]
        times = {}
        for name, cmd in servers:
            port = free_port()
            cmd = [*cmd, "--port", str(port)]
            times[name], requests, nbytes = counted(
                proxy, lambda cmd=cmd, port=port: time_to_serve(cmd, port, *shape, 900))
            print(f"  cold load, {name:42s} {times[name]:7.2f} s  {requests:6d} requests "
                  f"{nbytes / 1e6:8.1f} MB")
        print(f"  flowboard is {times[servers[1][0]] / times['flowboard']:.1f}x faster "
              "(target 5x)")
        port = free_port()
        proc = subprocess.Popen([str(BIN / "flowboard"), "--logdir", url, "--port", str(port),
                                 "--reload-interval", "2"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            time_to_serve([], port, *shape, 900, proc=proc)  # the first pass
            time.sleep(3)
            _, idle, _ = counted(proxy, lambda: time.sleep(10))
            print(f"  idle reloads of {args.runs} unchanged runs (every 2 s): "
                  f"{idle / 5:.1f} requests per reload (target <= 1 per listing page)")
        finally:
            proc.terminate()
            proc.wait(30)
        for writer in ("flowlog", "tensorboardX"):
            ratio = upload_ratio(proxy, bucket, writer)
            print(f"  bytes uploaded / bytes stored, flush every 100 steps: {writer:12s} "
                  f"{ratio:6.2f}  (target <= 1.05)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
