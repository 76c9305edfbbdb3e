# Two commands do all set-up on a fresh machine:
#   make demo   the dashboard on example runs it generates (http://localhost:6006)
#   make test   the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test bench bench-engine protos lint

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/setup.sh
	bash scripts/setup.sh $(VENV)
	touch $@

demo: setup
	$(VENV)/bin/flowboard --demo

test: setup
	$(PY) -m pytest -q

# Speed comparisons with TensorBoard, tensorboardX (in .venv) and TF1 (in a venv of its own,
# so that the test environment never has TensorFlow).
BENCH_VENV ?= .venv-bench
bench: setup
	for b in writer reader dashboard object_store hparams graph load; do $(PY) benchmarks/$$b.py || exit 1; done

bench-engine: setup
	[ -x $(BENCH_VENV)/bin/python ] || python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip setuptools
	$(BENCH_VENV)/bin/python -m pip install -q tensorflow-cpu tensorboard tensorboardX -e .
	# tf.compat.v1.layers needs Keras 2, which TensorFlow 2.21 no longer brings
	$(BENCH_VENV)/bin/python -m pip install -q --no-deps "tf_keras==$$($(BENCH_VENV)/bin/python -c 'import tensorflow as t; print(t.__version__)')"
	$(BENCH_VENV)/bin/python benchmarks/engine.py
	$(PY) benchmarks/tf1_differential.py --tf-python $(BENCH_VENV)/bin/python
	$(PY) benchmarks/tf1_programs_differential.py --tf-python $(BENCH_VENV)/bin/python
	$(PY) scripts/tf_checkpoints.py check
	$(PY) scripts/tf_meta_graph.py check

protos: setup
	$(PY) scripts/gen_protos.py

lint: setup
	$(VENV)/bin/ruff check .
