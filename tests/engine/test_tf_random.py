"""Seeded random values equal TensorFlow's, case by case, against fixtures TensorFlow produced.

The programs are the builders of scripts/tf_random_fixtures.py, run here with `fl` for `tf`;
that script (run in the benchmark venv) wrote tests/engine/data/tf_random.npz and re-checks it.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import flowlog as fl

_ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("tf_random_fixtures",
                                               _ROOT / "scripts" / "tf_random_fixtures.py")
programs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(programs)
FIXTURES = np.load(programs.FIXTURES)
CASES = list(programs.cases())


def test_every_fixture_has_a_case():
    assert sorted(key for key, *_ in CASES) == sorted(FIXTURES.files)
    assert len(CASES) == 120


@pytest.mark.parametrize(("key", "builder", "shape", "dtype", "seeds"), CASES,
                         ids=[c[0] for c in CASES])
def test_values_equal_tensorflows(key, builder, shape, dtype, seeds):
    got = programs.run_case(fl, builder, shape, dtype, seeds)
    want = FIXTURES[key]
    assert got.dtype == want.dtype and got.shape == want.shape
    if key.startswith("dense/"):
        # The draws are exact; the layer's matmuls may round differently from Eigen's.
        np.testing.assert_allclose(got, want, rtol=2e-6 if dtype == "float32" else 1e-13)
    else:
        np.testing.assert_array_equal(got, want)
