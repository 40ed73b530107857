"""losscheck from Python: read the golden vectors, grade answers with exactly the tiers of
``losscheck conform``, and a pytest plugin (``losscheck.pytest_plugin``).

The grading core uses the standard library only (``fractions``, ``decimal``, exact integers);
numpy is optional (for :meth:`GoldenCase.arrays` and :class:`losscheck.request.Request`).
"""

__version__ = "1.0.0"

from .divergences import DivergenceEntry, load_manifest  # noqa: E402
from .grading import GradingOptions, Verdict, grade  # noqa: E402
from .protocol import Response  # noqa: E402
from .report import GateEvaluation, tier_counts  # noqa: E402
from .results import CaseResult, FaultKind, Status  # noqa: E402
from .runner import CommandChannel, InProcess, Recorder, Replay, Session, run, table_channel  # noqa: E402
from .tiers import STANDARD_TOLERANCE, Regime, Tier, ToleranceModel  # noqa: E402
from .vectors import GoldenCase, VectorFileError, VectorSet, find_vectors, load, select  # noqa: E402

__all__ = [
    "CaseResult", "CommandChannel", "DivergenceEntry", "FaultKind", "GateEvaluation", "GoldenCase", "GradingOptions",
    "InProcess", "Recorder", "Regime", "Replay", "Response", "STANDARD_TOLERANCE", "Session", "Status", "Tier",
    "ToleranceModel", "Verdict", "VectorFileError", "VectorSet", "find_vectors", "grade", "load", "load_manifest",
    "run", "select", "table_channel", "tier_counts",
]
