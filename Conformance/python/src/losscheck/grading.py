"""Grading answers against golden expectations (a port of LossConformance's ``Grading.swift``).

DESIGN.md, "Verdicts": for an expected value ``v`` (``exact``), the answer ``r`` in dtype ``T``
with unit roundoff ``u`` (2⁻²⁴, 2⁻⁵³; 2⁻¹¹ for float16, 2⁻⁸ for bfloat16), and the error scale ``S``: ``ulps = |r − v| / ulp_T(v)``
and ``scaled = |r − v| / (u·S)``, with ``n`` the number of elements reduced into the value
(:attr:`losscheck.vectors.GoldenCase.terms`). The tier is decided **exactly**, with
:class:`~losscheck.exact.ExactRational` (no float in the comparison: a ratio of 1 − 10⁻⁷⁷ must
not round to 1); ``ulps`` and ``scaled`` are the reported approximations.
"""

import math

from .exact import ExactRational
from .numbers import spell, unit_roundoff_exponent
from .protocol import Shape, Tensor
from .tiers import STANDARD_TOLERANCE, Tier, format_g

__all__ = ["Verdict", "GradingOptions", "grade", "grade_value", "describe_value", "BinaryFormat"]


class Verdict:
    """The verdict on one answer to one case.

    ``tier``; ``ulps`` (``|r − v| / ulp_T(v)`` of the worst value, ``None`` when not a
    number-versus-number comparison); ``scaled`` (``|r − v| / (u·S)`` of the worst value);
    ``stable_bound`` and ``acceptable_bound`` (the bounds on ``scaled`` for this case);
    ``worst_index`` (0-based, of an array result); ``note`` (what was found, for a person: the
    text losscheck writes); ``nan_for_domain_error`` (an answer of NaN where the exact outcome is a
    DomainError, SEMANTICS.md's separate outcome class; its tier depends on
    :attr:`GradingOptions.allow_nan_for_domain_error`).
    """

    __slots__ = ("tier", "ulps", "scaled", "stable_bound", "acceptable_bound", "worst_index", "note",
                 "nan_for_domain_error")

    def __init__(self, tier, stable_bound, acceptable_bound, note, ulps=None, scaled=None, worst_index=None,
                 nan_for_domain_error=False):
        self.tier = tier
        self.ulps = ulps
        self.scaled = scaled
        self.stable_bound = stable_bound
        self.acceptable_bound = acceptable_bound
        self.worst_index = worst_index
        self.note = note
        self.nan_for_domain_error = nan_for_domain_error

    def as_json(self):
        """The ``verdict`` record of losscheck's ``--json`` report (``null`` members omitted)."""
        out = {"tier": self.tier.value, "stableBound": self.stable_bound, "acceptableBound": self.acceptable_bound,
               "note": self.note, "nanForDomainError": self.nan_for_domain_error}
        for key, value in (("ulps", self.ulps), ("scaled", self.scaled), ("worstIndex", self.worst_index)):
            if value is not None:
                out[key] = value
        return out

    def __repr__(self):
        return f"Verdict({self.tier.value}, ulps={self.ulps}, scaled={self.scaled}, note={self.note!r})"


class GradingOptions:
    """How answers are graded: the :class:`~losscheck.tiers.ToleranceModel`, and whether NaN where
    the exact outcome is a DomainError is accepted (graded ``acceptable`` and reported); by default
    it is ``divergent`` (SEMANTICS.md: Flux throws)."""

    __slots__ = ("tolerance", "allow_nan_for_domain_error")

    def __init__(self, tolerance=STANDARD_TOLERANCE, allow_nan_for_domain_error=False):
        self.tolerance = tolerance
        self.allow_nan_for_domain_error = allow_nan_for_domain_error


class BinaryFormat:
    """The parameters of an IEEE binary format that grading needs: ``precision`` (significand bits
    including the implicit one), ``min_exponent`` (2^min_exponent is the smallest normal number),
    ``max_exponent`` (the exponent of the largest binade)."""

    __slots__ = ("precision", "min_exponent", "max_exponent")

    def __init__(self, dtype):
        if dtype == "float32":
            self.precision, self.min_exponent, self.max_exponent = 24, -126, 127
        elif dtype == "float16":
            self.precision, self.min_exponent, self.max_exponent = 11, -14, 15
        elif dtype == "bfloat16":
            self.precision, self.min_exponent, self.max_exponent = 8, -126, 127
        else:
            self.precision, self.min_exponent, self.max_exponent = 53, -1022, 1023

    def ulp_exponent(self, v):
        """The exponent ``e`` of ``ulp(v) = 2^e``: the spacing of the format's values around ``v``, that
        of the subnormals below the normal range and that of the largest binade above the range."""
        if v.is_zero:
            return self.min_exponent - self.precision + 1
        binade = min(max(v.binade, self.min_exponent), self.max_exponent)
        return binade - self.precision + 1


_FORMATS = {d: BinaryFormat(d) for d in ("float32", "float64", "float16", "bfloat16")}
_GREATEST_FINITE = 1.7976931348623157e308
#: 10⁴²: the snap of an exactly representable value written rounded to 45 digits.
_SNAP_DIGITS = 42


class ValueGrade:
    """The grade of one number."""

    __slots__ = ("tier", "ulps", "scaled", "note")

    def __init__(self, tier, note, ulps=None, scaled=None):
        self.tier = tier
        self.ulps = ulps
        self.scaled = scaled
        self.note = note


def grade_value(exact, rounded, scale, answer, dtype, stable, acceptable):
    """Grades the answer ``r`` for one value with exact value ``exact`` (decimal or non-finite
    spelling), correctly rounded value ``c`` in ``dtype``, and error scale ``S``.

    The exact decimal carries ≥ 40 correct digits; a value within 10⁻⁴² (relative) of ``c`` is
    taken to be ``c`` (exactly representable results such as ``mae``'s are written rounded to 45
    digits, and must grade as exact). ``S`` is taken as at least ``|v|`` (the final rounding of
    any evaluation errs by ``u·|v|``) and at most the largest finite Double (an estimate that
    overflowed in Double).
    """
    r, c = answer, rounded
    expected_name = exact if exact in ("NaN", "Infinity", "-Infinity") else ""
    if expected_name:
        matches = math.isnan(r) if exact == "NaN" else (math.isinf(r) and (r > 0) == (exact == "Infinity"))
        if matches:
            return ValueGrade(Tier.CORRECTLY_ROUNDED, f"{expected_name}, as expected")
        return ValueGrade(Tier.DIVERGENT, f"expected {expected_name}, got {spell(r, dtype)}")
    v = ExactRational.from_decimal(exact)
    if v is None:
        return ValueGrade(Tier.DIVERGENT, f"the vector's exact value '{exact}' is not a number")
    if math.isnan(r):
        return ValueGrade(Tier.DIVERGENT, f"expected {spell(c, dtype)}, got NaN")
    if r == c:
        # Correctly rounded (±0 compare equal; an overflow to ±∞ that is the correct rounding).
        return ValueGrade(Tier.CORRECTLY_ROUNDED, "correctly rounded", ulps=0.0, scaled=0.0)
    if math.isinf(r):
        return ValueGrade(Tier.DIVERGENT, f"expected {spell(c, dtype)}, got {spell(r, dtype)} (overflow)")
    # Snap an exactly representable value written rounded to 45 digits onto itself.
    c_exact = ExactRational.from_double(c)
    if c_exact is not None and not c_exact.is_zero:
        gap = (c_exact - v).magnitude
        if gap.scaled_by_power_of_ten(_SNAP_DIGITS) <= c_exact.magnitude:
            v = c_exact
    answer_exact = ExactRational.from_double(r)
    difference = (answer_exact - v).magnitude
    ulp = ExactRational.power_of_two(_FORMATS[dtype].ulp_exponent(v))
    ulps = (difference / ulp).double_value
    s = _GREATEST_FINITE if math.isnan(scale) else min(scale, _GREATEST_FINITE)
    s_exact = ExactRational.from_double(s)
    v_magnitude = v.magnitude
    scale_exact = v_magnitude if v_magnitude >= s_exact else s_exact  # Swift's max(a, b): b when equal
    unit_scale = scale_exact * ExactRational.power_of_two(unit_roundoff_exponent(dtype))
    if unit_scale.is_zero:
        scaled = 0.0 if difference.is_zero else math.inf
    else:
        scaled = (difference / unit_scale).double_value

    # The tier is decided exactly (a ratio of 1 − 10⁻⁷⁷ must not round to 1); ulps and scaled
    # are the reported approximations.
    def within(bound):
        return difference <= unit_scale * ExactRational.from_double(bound)

    if difference < ulp:
        tier = Tier.FAITHFUL
    elif within(stable):
        tier = Tier.STABLE
    elif within(acceptable):
        tier = Tier.ACCEPTABLE
    else:
        tier = Tier.DIVERGENT
    note = (f"expected {spell(c, dtype)}, got {spell(r, dtype)}: {format_g(ulps, 3)} ulps, "
            f"{format_g(scaled, 3)} u·S (stable ≤ {format_g(stable, 3)}, acceptable ≤ {format_g(acceptable, 3)})")
    return ValueGrade(tier, note, ulps=ulps, scaled=scaled)


def describe_value(value, dtype):
    """A value as losscheck's messages show it: a number, or ``array of shape (2, 2) [a, b, c, d]``."""
    if isinstance(value, Tensor):
        text = f"array of shape {value.shape}"
        if value.count <= 4:
            text += " [" + ", ".join(spell(x, dtype) for x in value.values) + "]"
        return text
    return spell(value, dtype)


def grade(golden, response, options=None):
    """Grades a decoded :class:`~losscheck.protocol.Response` for ``golden``; ``None`` for an
    ``unsupported`` answer (not a verdict). The cases and messages of ``Grader.grade``."""
    options = options or GradingOptions()
    e = golden.expectation
    dtype = golden.dtype
    n = golden.terms
    stable = options.tolerance.stable_bound(n)
    acceptable = options.tolerance.acceptable_bound(n)

    def verdict(tier, note, nan_for_domain_error=False):
        return Verdict(tier, stable, acceptable, note, nan_for_domain_error=nan_for_domain_error)

    if response.kind == "unsupported":
        return None
    if e.outcome == "error" and response.kind == "error":
        if response.error_kind == e.error_kind:
            return verdict(Tier.CORRECTLY_ROUNDED, f"{e.error_kind}, as expected")
        return verdict(Tier.DIVERGENT, f"expected {e.error_kind}, got {response.error_kind}: {response.message}")
    if e.outcome == "error":  # a value
        value = response.value
        values = value.values if isinstance(value, Tensor) else [value]
        if e.error_kind == "DomainError" and any(math.isnan(x) for x in values):
            if options.allow_nan_for_domain_error:
                return verdict(Tier.ACCEPTABLE, "NaN for DomainError (allowed by --allow-nan-for-domain-error)",
                               nan_for_domain_error=True)
            return verdict(Tier.DIVERGENT, "NaN for DomainError: Flux throws a DomainError here",
                           nan_for_domain_error=True)
        return verdict(Tier.DIVERGENT, f"expected {e.error_kind}, got a value {describe_value(value, dtype)}")
    if response.kind == "error":
        expected = "an array" if e.outcome_name == "array" else "a value"
        return verdict(Tier.DIVERGENT, f"expected {expected}, got {response.error_kind}: {response.message}")
    value = response.value
    if e.outcome == "scalar":
        if isinstance(value, Tensor):
            if value.shape.rank == 0 and value.count == 1:
                answer = value.values[0]
            else:
                return verdict(Tier.DIVERGENT, f"expected a number, got an array of shape {value.shape}")
        else:
            answer = value
        g = grade_value(e.exact[0], e.rounded(dtype)[0], e.error_scale[0], answer, dtype, stable, acceptable)
        return Verdict(g.tier, stable, acceptable, g.note, ulps=g.ulps, scaled=g.scaled)
    # An array outcome.
    shape = e.shape
    if isinstance(value, Tensor):
        tensor = value
    elif shape.rank == 0:
        # A 0-dimensional array holds one number: the protocol spells it either way.
        tensor = Tensor(Shape(()), [value])
    else:
        return verdict(Tier.DIVERGENT,
                       f"expected an array of shape {shape}, got a number {describe_value(value, dtype)}")
    if tensor.shape != shape:
        return verdict(Tier.DIVERGENT, f"expected an array of shape {shape}, got shape {tensor.shape}")
    worst = None
    rounded = e.rounded(dtype)
    inf = math.inf
    for i in range(tensor.count):
        g = grade_value(e.exact[i], rounded[i], e.error_scale[i], tensor.values[i], dtype, stable, acceptable)
        if worst is None:
            worst = (i, g)
        else:
            current = worst[1]
            if g.tier > current.tier or (g.tier == current.tier and (
                    g.scaled if g.scaled is not None else inf) > (current.scaled if current.scaled is not None else inf)):
                worst = (i, g)
    if worst is None:
        return verdict(Tier.CORRECTLY_ROUNDED, f"an empty array of shape {shape}, as expected")
    index, g = worst
    return Verdict(g.tier, stable, acceptable, f"worst element [{index + 1}] of {tensor.count}: {g.note}",
                   ulps=g.ulps, scaled=g.scaled, worst_index=index)
