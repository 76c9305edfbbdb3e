"""`tf.app` flags and run, `tf.gfile` and `tf.logging`, as classic TF1 programs use them."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import flowlog as tf

PROGRAM = textwrap.dedent("""
    import flowlog as tf

    flags = tf.app.flags
    flags.DEFINE_integer("max_steps", 100, "Number of steps to run trainer.")
    flags.DEFINE_float("learning_rate", 0.01, "Initial learning rate.")
    flags.DEFINE_boolean("fake_data", False, "If true, uses fake data.")
    flags.DEFINE_string("log_dir", "/tmp/logs", "Summaries log directory.")
    FLAGS = flags.FLAGS

    def main(argv):
        tf.logging.set_verbosity(tf.logging.INFO)
        tf.logging.info("steps=%d", FLAGS.max_steps)
        print(FLAGS.max_steps, FLAGS.learning_rate, FLAGS.fake_data, FLAGS.log_dir, argv[1:])

    if __name__ == "__main__":
        tf.app.run()
""")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROGRAM, *args], capture_output=True,
                          text=True, timeout=60, check=False)


def test_tf_app_run_parses_flags_like_absl():
    r = run("--max_steps=5", "--learning_rate", "0.5", "--fake_data", "extra")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[0] == "5 0.5 True /tmp/logs ['extra']"
    assert "steps=5" in r.stderr  # tf.logging.info, once the verbosity allows it
    assert run("--nofake_data").stdout.startswith("100 0.01 False")


def test_a_bad_flag_is_one_clear_line():
    r = run("--max_steps=many")
    assert r.returncode == 1 and "FATAL Flags parsing error" in r.stderr and "max_steps" in r.stderr
    r = run("--unknown=1")
    assert r.returncode == 1 and "Unknown command line flag 'unknown'" in r.stderr


@pytest.mark.parametrize("root", ["local", "memory"])
def test_gfile_on_local_paths_and_urls(tmp_path, root):
    base = str(tmp_path) if root == "local" else "memory://gfile-test"
    d = base + "/a/b"
    tf.gfile.MakeDirs(d)
    assert tf.gfile.IsDirectory(d) and tf.gfile.Exists(d)
    with tf.gfile.GFile(d + "/x.txt", "w") as f:
        f.write("hello")
    with tf.gfile.Open(d + "/x.txt") as f:
        assert f.read() == "hello"
    tf.gfile.Copy(d + "/x.txt", d + "/y.txt")
    with pytest.raises(tf.errors.AlreadyExistsError):
        tf.gfile.Copy(d + "/x.txt", d + "/y.txt")
    assert tf.gfile.ListDirectory(d) == ["x.txt", "y.txt"]
    assert [p.rsplit("/", 1)[1] for p in tf.gfile.Glob(d + "/*.txt")] == ["x.txt", "y.txt"]
    tf.gfile.DeleteRecursively(base + "/a")
    assert not tf.gfile.Exists(d)


def test_hand_made_summaries_with_tf_summary_protos(tmp_path):
    writer = tf.summary.FileWriter(str(tmp_path))
    value = tf.Summary.Value(tag="accuracy", simple_value=0.75)
    writer.add_summary(tf.Summary(value=[value]), 3)
    writer.close()
    (run,) = tf.read_scalars(tmp_path).values()
    assert run["accuracy"][0].tolist() == [3] and run["accuracy"][2].tolist() == [0.75]
