# Two commands do all set-up on a fresh machine:
#   make demo   the dashboard on example runs it generates (http://localhost:6006)
#   make test   the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test bench protos lint

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/setup.sh
	bash scripts/setup.sh $(VENV)
	touch $@

demo: setup
	$(VENV)/bin/flowboard --demo

test: setup
	$(PY) -m pytest -q

bench: setup
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

protos: setup
	$(PY) scripts/gen_protos.py

lint: setup
	$(VENV)/bin/ruff check .
