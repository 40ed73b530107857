"""The numpy adapter's loss functions, graded through pytest: one test per golden vector.

    pip install ./Conformance/python numpy
    pytest Conformance/python/examples/test_numpy_losses.py

The functions are those of ``Conformance/adapters/numpy_adapter.py`` (``f(req) -> value``),
called in process on :class:`losscheck.request.Request` objects; the tiers and the table at the
end are those of ``losscheck conform --adapter "python3 Conformance/adapters/numpy_adapter.py"``.
"""

import os
import sys

import pytest

np = pytest.importorskip("numpy", reason="numpy is not installed")

ADAPTERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "adapters")
sys.path.insert(0, os.path.abspath(ADAPTERS))
import numpy_adapter  # noqa: E402

losscheck_name = f"numpy-flux (numpy {np.__version__}), in process"
losscheck_implementation = numpy_adapter.LOSSES

from losscheck.pytest_plugin import test_losscheck  # noqa: E402,F401  (one test per golden vector)
