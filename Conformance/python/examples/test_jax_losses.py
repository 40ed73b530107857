"""JAX, graded through pytest: the JAX adapter's formula-mode functions (SEMANTICS.md written with
jax.numpy, jax.nn and jax.scipy.special.xlogy), called in process, one test per golden vector.

    pip install ./Conformance/python jax
    pytest Conformance/python/examples/test_jax_losses.py \\
        --losscheck-divergences Conformance/divergences/jax.json     # XLA flushes subnormals
    LOSSCHECK_JAX_NATIVE=1 pytest … --losscheck-divergences Conformance/divergences/jax-native.json

Skipped, with the reason, where jax is not installed.
"""

import os
import sys

import pytest

pytest.importorskip("numpy", reason="numpy is not installed")
jax = pytest.importorskip("jax", reason="jax is not installed (pip install jax)")

ADAPTERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "adapters")
sys.path.insert(0, os.path.abspath(ADAPTERS))
import jax_adapter  # noqa: E402  (enables float64 and the CPU platform)

NATIVE = os.environ.get("LOSSCHECK_JAX_NATIVE") == "1"
losscheck_name = f"jax {jax.__version__} — {'native' if NATIVE else 'formula mode'}, in process"
losscheck_implementation = jax_adapter.NATIVE if NATIVE else jax_adapter.FORMULAS

from losscheck.pytest_plugin import test_losscheck  # noqa: E402,F401  (one test per golden vector)
