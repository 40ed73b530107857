"""Results of cases (a port of LossConformance's ``CaseResult.swift``)."""

import enum

from .grading import describe_value
from .numbers import spell

__all__ = ["Status", "FaultKind", "CaseResult", "abbreviate", "describe_expectation", "describe_response"]


class Status(str, enum.Enum):
    #: The adapter answered and the answer was graded (see ``verdict``).
    GRADED = "graded"
    #: The adapter answered ``unsupported``, or its hello does not list the loss or dtype.
    UNSUPPORTED = "unsupported"
    #: The adapter failed on this case: see ``fault``.
    FAULT = "fault"


class FaultKind(str, enum.Enum):
    """How an adapter failed on a case (each a clear per-case error; the run goes on)."""

    #: No answer within the per-case timeout; the adapter was killed and restarted.
    TIMEOUT = "timeout"
    #: The adapter exited (or closed its output) before answering; it was restarted.
    CRASHED = "crashed"
    #: The answer line is not a JSON object.
    GARBAGE = "garbage"
    #: The answer carries another request's id (or an id that was never sent).
    WRONG_ID = "wrongID"
    #: The answer is JSON but not a valid response: a missing or malformed field.
    MALFORMED = "malformed"
    #: The answer line is longer than the limit.
    OVERSIZED = "oversized"
    #: The case was not run: the adapter could not be restarted, or failed too often.
    NOT_RUN = "notRun"


class CaseResult:
    """The result of one case: ``id``, ``loss``, ``dtype``, ``regime``, ``tags``, ``terms`` (the ``n`` of
    the tier bounds), ``status``, ``verdict`` (graded), ``fault`` (a :class:`FaultKind`),
    ``detail`` (the unsupported reason or the fault's message), ``expected`` and ``answer`` (brief
    descriptions), ``seconds``, and ``golden`` (the case)."""

    __slots__ = ("id", "loss", "dtype", "regime", "tags", "terms", "status", "verdict", "fault", "detail",
                 "expected", "answer", "seconds", "golden")

    def __init__(self, golden, status=Status.UNSUPPORTED):
        self.golden = golden
        self.id = golden.id
        self.loss = golden.loss
        self.dtype = golden.dtype
        self.regime = golden.regime
        self.tags = golden.tags
        self.terms = 0
        self.status = status
        self.verdict = None
        self.fault = None
        self.detail = ""
        self.expected = ""
        self.answer = ""
        self.seconds = 0.0

    @property
    def tier(self):
        """The tier of a graded case, else ``None``."""
        return self.verdict.tier if self.status == Status.GRADED and self.verdict else None

    def as_json(self):
        """The case record of losscheck's ``--json`` report."""
        out = {"id": self.id, "loss": self.loss, "dtype": self.dtype, "regime": self.regime.value,
               "tags": list(self.tags), "terms": self.terms, "status": self.status.value, "detail": self.detail,
               "expected": self.expected, "answer": self.answer, "seconds": self.seconds}
        if self.verdict is not None:
            out["verdict"] = self.verdict.as_json()
        if self.fault is not None:
            out["fault"] = self.fault.value
        return out

    def __repr__(self):
        what = self.tier.value if self.tier else (self.fault.value if self.fault else self.status.value)
        return f"CaseResult({self.id!r}, {what})"


def abbreviate(text, limit):
    """``text``, cut to at most ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[:limit] + "…"


def describe_expectation(golden):
    """A brief description of a golden case's expectation ("0.18905526 (exact 1.89055267…)", "DomainError")."""
    e = golden.expectation
    if e.outcome == "error":
        return e.error_kind
    if e.outcome == "array":
        return f"an array of shape {e.shape}"
    exact = e.exact[0]
    if exact == "NaN" or exact.endswith("Infinity"):
        return exact
    return f"{spell(e.rounded(golden.dtype)[0], golden.dtype)} (exact {abbreviate(exact, 24)})"


def describe_response(response, dtype):
    """A brief description of an answer."""
    if response.kind == "value":
        return abbreviate(describe_value(response.value, dtype), 300)
    if response.kind == "error":
        return abbreviate(f"{response.error_kind}: {response.message}", 300)
    return abbreviate(f"unsupported: {response.message}", 300)
