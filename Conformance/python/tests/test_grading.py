"""Grading: the port's tiers against an independent Fraction implementation of PROTOCOL.md's
definitions, on answers around every scalar golden value; exact decisions at the bounds."""

import math
import os
import struct
import sys
import unittest
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

from losscheck import STANDARD_TOLERANCE, Tier, load  # noqa: E402
from losscheck.grading import grade, grade_value  # noqa: E402
from losscheck.protocol import Response, Tensor  # noqa: E402


def step(x, dtype, k):
    """``|x|`` moved by ``k`` units in the last place of ``dtype`` (through the bit patterns), with
    ``x``'s sign; ``None`` when that leaves the finite values."""
    sign = -1.0 if math.copysign(1.0, x) < 0 else 1.0
    fmt, ifmt, top = ("<f", "<I", 0x7F7FFFFF) if dtype == "float32" else ("<d", "<Q", 0x7FEFFFFFFFFFFFFF)
    bits = struct.unpack(ifmt, struct.pack(fmt, abs(x)))[0] + k
    if not 0 <= bits <= top:
        return None
    return sign * struct.unpack(fmt, struct.pack(ifmt, bits))[0]


def reference_tier(exact, c, scale, r, dtype, stable, acceptable):
    """PROTOCOL.md's tiers with fractions.Fraction (finite exact values, finite answers)."""
    if r == c:
        return Tier.CORRECTLY_ROUNDED
    v = Fraction(exact)
    cf = Fraction(c)
    if cf != 0 and abs(cf - v) * 10**42 <= abs(cf):
        v = cf  # the 45-digit spelling of an exactly representable value
    precision, emin, emax = (24, -126, 127) if dtype == "float32" else (53, -1022, 1023)
    if v == 0:
        binade = emin
    else:
        a = abs(v)
        binade = a.numerator.bit_length() - a.denominator.bit_length()  # ⌊log₂ a⌋ or one more
        if Fraction(2) ** binade > a:
            binade -= 1
        binade = min(max(binade, emin), emax)
    ulp = Fraction(2) ** (binade - precision + 1)
    difference = abs(Fraction(r) - v)
    u = Fraction(1, 2**precision)
    s = max(Fraction(min(scale, 1.7976931348623157e308)), abs(v))
    reference_tier.ulps = difference / ulp
    if difference < ulp:
        return Tier.FAITHFUL
    if difference <= u * s * Fraction(stable):
        return Tier.STABLE
    if difference <= u * s * Fraction(acceptable):
        return Tier.ACCEPTABLE
    return Tier.DIVERGENT


class Tiers(unittest.TestCase):
    def test_against_fractions_around_every_golden_value(self):
        cases = [c for c in load(os.path.join(REPO, "Conformance", "vectors"))
                 if c.expectation.outcome == "scalar" and c.expectation.exact[0] not in ("NaN", "Infinity", "-Infinity")
                 and math.isfinite(c.expectation.rounded(c.dtype)[0])
                 # `step` walks Float32/Float64 neighbours; test_half.py grades the half dtypes.
                 and c.dtype in ("float32", "float64")]
        self.assertGreater(len(cases), 1500)
        seen = {}
        for case in cases:
            e = case.expectation
            c = e.rounded(case.dtype)[0]
            n = case.terms
            stable, acceptable = STANDARD_TOLERANCE.stable_bound(n), STANDARD_TOLERANCE.acceptable_bound(n)
            scale = e.error_scale[0]
            if math.isnan(scale) or math.isinf(scale):
                continue
            for k in (-1, 1, 2, 5, 40, 10**3, 10**5, 10**7):
                r = step(c, case.dtype, k)
                if r is None:
                    continue
                got = grade_value(e.exact[0], c, scale, r, case.dtype, stable, acceptable)
                want = reference_tier(e.exact[0], c, scale, r, case.dtype, stable, acceptable)
                self.assertEqual(got.tier, want, f"{case.id}: answer {r!r}")
                seen[got.tier] = seen.get(got.tier, 0) + 1
                # The reported ulps is the exact ratio to within a unit in its last place.
                exact_ulps = reference_tier.ulps
                self.assertLessEqual(abs(Fraction(got.ulps) - exact_ulps), exact_ulps * Fraction(1, 2**51), case.id)
        # Every tier but correctlyRounded (r ≠ c here) occurs among these answers.
        self.assertEqual(set(seen), {Tier.FAITHFUL, Tier.STABLE, Tier.ACCEPTABLE, Tier.DIVERGENT}, seen)

    def test_exact_at_the_bound(self):
        # v = 1, r = 1 + 2⁻⁴⁰ (Float64): |r − v| = 2⁻⁴⁰ = u·S·8 exactly for S = 2¹⁰ (u = 2⁻⁵³).
        r = 1 + 2.0**-40
        at = grade_value("1", 1.0, 1024.0, r, "float64", 8.0, 8.0)
        self.assertEqual(at.tier, Tier.STABLE)  # ≤ is inclusive
        self.assertEqual(at.scaled, 8.0)
        below = grade_value("1", 1.0, step(1024.0, "float64", -1), r, "float64", 8.0, 8.0)
        self.assertEqual(below.tier, Tier.DIVERGENT)  # a ratio of 8·(1 + 2⁻⁵²) is beyond
        # Exactly one ulp away is not faithful.
        one = grade_value("1.5", 1.5, 1e300, 1.5 + 2.0**-52, "float64", 8.0, 8.0)
        self.assertEqual((one.tier, one.ulps), (Tier.STABLE, 1.0))
        # A value written to 45 digits that is exactly representable snaps onto it.
        snapped = grade_value("0.100000001490116119384765625000000000000000000", 0.10000000149011612,
                              1.0, step(0.10000000149011612, "float32", 1), "float32", 8.0, 8.0)
        self.assertEqual(snapped.ulps, 1.0)

    def test_outcome_classes(self):
        case = next(c for c in load(os.path.join(REPO, "Conformance", "vectors"))
                    if c.expectation.outcome == "error" and c.expectation.error_kind == "DomainError")
        nan = grade(case, Response.of_value(case.id, math.nan))
        self.assertEqual((nan.tier, nan.nan_for_domain_error), (Tier.DIVERGENT, True))
        from losscheck.grading import GradingOptions  # noqa: PLC0415

        allowed = grade(case, Response.of_value(case.id, math.nan), GradingOptions(allow_nan_for_domain_error=True))
        self.assertEqual(allowed.tier, Tier.ACCEPTABLE)
        self.assertEqual(grade(case, Response.of_error(case.id, "DomainError", "log")).tier, Tier.CORRECTLY_ROUNDED)
        self.assertEqual(grade(case, Response.of_error(case.id, "ArgumentError", "x")).tier, Tier.DIVERGENT)
        self.assertEqual(grade(case, Response.of_error(case.id, "WeirdError", "x")).note,
                         "expected DomainError, got Other: x")
        self.assertIsNone(grade(case, Response.of_unsupported(case.id, "no")))
        scalar = next(c for c in load(os.path.join(REPO, "Conformance", "vectors"))
                      if c.expectation.outcome == "scalar" and c.expectation.exact[0] == "Infinity")
        self.assertEqual(grade(scalar, Response.of_value(scalar.id, math.inf)).tier, Tier.CORRECTLY_ROUNDED)
        self.assertEqual(grade(scalar, Response.of_value(scalar.id, -math.inf)).tier, Tier.DIVERGENT)
        self.assertEqual(grade(scalar, Response.of_value(scalar.id, Tensor([1], [math.inf]))).tier, Tier.DIVERGENT)
        self.assertEqual(grade(scalar, Response.of_value(scalar.id, Tensor([], [math.inf]))).tier,
                         Tier.CORRECTLY_ROUNDED)


if __name__ == "__main__":
    unittest.main()
