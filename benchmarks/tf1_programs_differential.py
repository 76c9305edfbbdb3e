"""The test corpus of TF1 programs (tests/engine/tf1_programs) under TensorFlow and flowlog.

    python benchmarks/tf1_programs_differential.py [--tf-python .venv-bench/bin/python]
                                                   [--flowlog-python .venv/bin/python] [-v]
                                                   [PROGRAM ...]

Each program is run in both interpreters (TensorFlow lives only in the benchmark venv, which
needs `tf_keras` for `tf.compat.v1.layers`: `pip install --no-deps tf_keras`); their prints are
compared line by line: the same words, and every number within a relative tolerance. Each
graph TensorFlow built is also written as a `.meta` file and imported by flowlog's
`tf.train.import_meta_graph`, which reports the op types it cannot rebuild. Trained
models drift apart by float32 rounding in kernels that sum in another order (a convolution's
im2col product against Eigen's), so a program counts as agreeing within `RTOL_TRAINED`; the
largest difference is reported for each (relative to the number, or to 0.1 for trained
programs' numbers below it: a loss of 0.001 against 0.003 after 150 steps is drift, not a
different model). The digits go to the TensorFlow side as an .npz
file, since that venv has no scikit-learn.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import tf_compare

PROGRAMS_DIR = ROOT / "tests" / "engine"
RTOL_EXACT = 1e-4     # programs without long training: float32 rounding only
RTOL_TRAINED = 5e-2   # a few hundred optimizer steps on float32 convolutions
TRAINED = {"cnn_nn", "cnn_layers", "losses_metrics", "data_pipeline", "cifar10_cnn"}


def run_all(engine: str, names: list[str], meta_dir: str) -> dict:
    """Each program's printed text under `engine` ("tf" or "flowlog"); all when `names` is
    empty. TensorFlow writes each program's graph to `meta_dir/<name>.meta`."""
    if engine == "tf":
        import tensorflow.compat.v1 as tf

        tf.disable_v2_behavior()
        tf.logging.set_verbosity(tf.logging.ERROR)
        seeds = contextlib.nullcontext
    else:
        from flowlog.engine.random_ops import op_seed_rule

        import flowlog as tf

        def seeds():  # TensorFlow 2's op seeds under a graph seed alone
            return op_seed_rule("tf2")
    sys.path.insert(0, str(PROGRAMS_DIR))
    import tf1_programs

    out = {}
    for name in names or tf1_programs.PROGRAMS:
        module = __import__(f"tf1_programs.{name}", fromlist=["main"])
        buffer = io.StringIO()
        with tf.Graph().as_default(), seeds(), contextlib.redirect_stdout(buffer):
            try:
                module.main(tf)
            except Exception as e:  # noqa: BLE001 - a failure is a result to report
                print(f"raised {type(e).__name__}: {e}")
            # programs that build their models in graphs of their own leave this one empty
            if engine == "tf" and len(tf.get_default_graph().get_operations()) > 2:
                tf.train.export_meta_graph(filename=os.path.join(meta_dir, f"{name}.meta"))
        out[name] = _normalize(buffer.getvalue())
    return out


def import_tf_graphs(meta_dir: str) -> dict:
    """{program: how flowlog's import_meta_graph took the graph TensorFlow built for it (and
    whether the imported variables' initializers run)}."""
    import flowlog as fl

    out = {}
    for path in sorted(Path(meta_dir).glob("*.meta")):
        with fl.Graph().as_default() as g:
            try:
                fl.train.import_meta_graph(str(path))
                with fl.Session() as sess:
                    sess.run(fl.global_variables_initializer())
                out[path.stem] = (f"imported, {len(g.get_operations())} ops, "
                                  f"{len(fl.global_variables())} variables initialized")
            except (ValueError, fl.errors.OpError) as e:
                out[path.stem] = str(e)[:160]
    return out


def _normalize(text: str) -> str:
    # TensorFlow and flowlog name their dtypes and shapes in their own reprs; compare values
    text = re.sub(r"np\.(?:float|int)\d+\((.*?)\)", r"\1", text)
    text = re.sub(r"\btf\.|\bfl\.", "", text)
    return text


def main(argv=None) -> int:
    p = tf_compare.parser(__doc__)
    p.add_argument("programs", nargs="*", help="the programs to run (default: all)")
    args = p.parse_args(argv)
    if args.child:
        meta_dir = os.environ["FLOWLOG_META_DIR"]
        prints = run_all(args.child, args.programs, meta_dir)
        imports = import_tf_graphs(meta_dir) if args.child == "flowlog" else {}
        print(json.dumps({"prints": prints, "imports": imports}))
        return 0
    from sklearn.datasets import load_digits

    with tempfile.TemporaryDirectory() as tmp:
        digits = load_digits()
        npz = Path(tmp) / "digits.npz"
        np.savez(npz, images=digits.images, target=digits.target)
        env = {**os.environ, "FLOWLOG_DIGITS_NPZ": str(npz), "TF_USE_LEGACY_KERAS": "1",
               "TF_CPP_MIN_LOG_LEVEL": "3", "FLOWLOG_META_DIR": tmp}
        want = tf_compare.run_child(__file__, args.tf_python, "tf", *args.programs,
                                    env=env)["prints"]
        flowlog_side = tf_compare.run_child(__file__, args.flowlog_python, "flowlog",
                                            *args.programs, env=env)
        got, imports = flowlog_side["prints"], flowlog_side["imports"]
    failures = 0
    print(f"{len(want)} TF1 programs, tensorflow (tf.compat.v1) vs flowlog:")
    for name in want:
        trained = name in TRAINED
        words, diff = tf_compare.compare(got.get(name, ""), want[name], 0.1 if trained else 1e-2)
        tol = RTOL_TRAINED if trained else RTOL_EXACT
        ok = words and diff <= tol
        failures += not ok
        detail = "identical" if want[name] == got.get(name) else (
            f"largest relative difference {diff:.1e} (tolerance {tol:.0e})" if words
            else "different words")
        print(f"  {name:22s} {'same' if ok else 'DIFFERENT':9s} {detail}")
        if args.verbose and not ok:
            for a, b in zip(want[name].splitlines(), got.get(name, "").splitlines()):
                if a != b:
                    print(f"    tensorflow: {a[:150]}\n    flowlog:    {b[:150]}")
    print(f"{len(want) - failures} of {len(want)} agree with TensorFlow.")
    imported = [n for n, how in imports.items() if how.startswith("imported")]
    print(f"import_meta_graph of the graphs TensorFlow built: {len(imported)} of "
          f"{len(imports)} imported")
    for name, how in imports.items():
        if name not in imported:
            print(f"  {name:22s} {how}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
