"""PyTorch, graded through pytest: the torch adapter's formula-mode functions (SEMANTICS.md written
with torch tensors), called in process, one test per golden vector.

    pip install ./Conformance/python torch
    pytest Conformance/python/examples/test_torch_losses.py
    LOSSCHECK_TORCH_NATIVE=1 pytest Conformance/python/examples/test_torch_losses.py \
        --losscheck-divergences Conformance/divergences/torch-native.json   # torch.nn.functional as users call it

Skipped, with the reason, where torch is not installed.
"""

import os
import sys

import pytest

pytest.importorskip("numpy", reason="numpy is not installed")
torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")

ADAPTERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "adapters")
sys.path.insert(0, os.path.abspath(ADAPTERS))
import torch_adapter  # noqa: E402

NATIVE = os.environ.get("LOSSCHECK_TORCH_NATIVE") == "1"
losscheck_name = f"torch {torch.__version__} — {'native' if NATIVE else 'formula mode'}, in process"
losscheck_implementation = torch_adapter.NATIVE if NATIVE else torch_adapter.FORMULAS

from losscheck.pytest_plugin import test_losscheck  # noqa: E402,F401  (one test per golden vector)
