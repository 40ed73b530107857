"""Exact rational numbers for grading (a port of LossConformance's ``ExactRational``).

The distance between an answer (a binary float) and a golden vector's exact value (a decimal
string) is computed without rounding, so that a verdict of "0.99 ulps" or "exactly one ulp" is
never an artefact of the grader's own arithmetic.

The representation is Swift's: a sign and a numerator/denominator pair of Python integers that
is **not** reduced (no gcd), and every operation forms the same products as the Swift code. The
tiers depend only on the values (comparisons are exact); the reported ``ulps`` and ``scaled``
(:attr:`ExactRational.double_value`) are the same approximations bit for bit, because the
approximation reads the representation the same way Swift's does.

Magnitudes are clamped to ``[10⁻⁴⁰⁰, 10⁴⁰⁰]`` when parsed (:meth:`ExactRational.from_decimal`):
far outside both binary formats (the smallest Float64 subnormal is 4.9·10⁻³²⁴), so a value below
the range grades exactly like zero would and one above like a value beyond the largest finite
Double, while exact values such as ``e^(−10³⁰)`` (whose decimal exponents have 30 digits) stay
cheap.
"""

import math
import struct

__all__ = ["ExactRational"]

_DIGITS = frozenset("0123456789")


class ExactRational:
    """An exact rational: ``(-1)^negative · numerator / denominator``, denominator > 0, unreduced."""

    __slots__ = ("negative", "numerator", "denominator")

    def __init__(self, negative, numerator, denominator):
        if denominator == 0:
            raise ZeroDivisionError("internal: zero denominator")
        self.negative = bool(negative) and numerator != 0
        self.numerator = numerator
        self.denominator = denominator

    # MARK: Construction

    @classmethod
    def from_double(cls, x):
        """The exact value of a finite float (``None`` for NaN and ±∞), as Swift's ``init?(_ x: Double)``."""
        if math.isnan(x) or math.isinf(x):
            return None
        if x == 0:
            return ZERO
        bits = struct.unpack("<Q", struct.pack("<d", abs(x)))[0]
        exponent_field = bits >> 52
        fraction = bits & ((1 << 52) - 1)
        if exponent_field == 0:  # subnormal
            significand, scale = fraction, -1022 - 52
        else:
            significand, scale = fraction | (1 << 52), exponent_field - 1023 - 52
        if scale >= 0:
            return cls(x < 0, significand << scale, 1)
        return cls(x < 0, significand, 1 << -scale)

    @classmethod
    def from_decimal(cls, text):
        """The value of a decimal string such as ``"2.2959768424431482950846354166666666666666667e+0"``,
        ``"-0.0"``, ``"0"`` or ``"1e-5"``; ``None`` for anything else (including ``"NaN"``, ``"Infinity"``)."""
        s = text
        negative = False
        if s.startswith("-"):
            negative, s = True, s[1:]
        elif s.startswith("+"):
            s = s[1:]
        digits = []
        fraction_digits = 0
        seen_point = False
        exponent_text = None
        for i, ch in enumerate(s):
            if ch in _DIGITS:
                digits.append(ch)
                if seen_point:
                    fraction_digits += 1
            elif ch == "." and not seen_point:
                seen_point = True
            elif ch in "eE":
                exponent_text = s[i + 1:]
                break
            else:
                return None
        if not digits:
            return None
        exponent = 0
        if exponent_text is not None:
            exp_negative = False
            if exponent_text[:1] in ("-", "+"):
                exp_negative = exponent_text[0] == "-"
                exponent_text = exponent_text[1:]
            if not exponent_text or not all(c in _DIGITS for c in exponent_text):
                return None
            # An exponent of more than six digits is far outside the clamp range either way.
            if len(exponent_text) > 6:
                exponent = -10_000_000 if exp_negative else 10_000_000
            else:
                exponent = int(exponent_text) * (-1 if exp_negative else 1)
        # Drop leading zeros; an all-zero mantissa is zero whatever the exponent.
        while len(digits) > 1 and digits[0] == "0":
            digits.pop(0)
        if all(d == "0" for d in digits):
            return ZERO
        mantissa = int("".join(digits))
        power = exponent - fraction_digits  # value = mantissa · 10^power
        # The decimal exponent of the leading digit.
        leading = power + len(digits) - 1
        if leading < -400:
            mantissa, power = 1, -400
        elif leading > 400:
            mantissa, power = 1, 400
        if power >= 0:
            return cls(negative, mantissa * 10**power, 1)
        return cls(negative, mantissa, 10**-power)

    @classmethod
    def power_of_two(cls, e):
        """``2^e`` exactly."""
        return cls(False, 1 << e, 1) if e >= 0 else cls(False, 1, 1 << -e)

    # MARK: Arithmetic (the products of the Swift code, unreduced)

    @property
    def is_zero(self):
        return self.numerator == 0

    @property
    def magnitude(self):
        return ExactRational(False, self.numerator, self.denominator)

    def __add__(self, b):
        left = self.numerator * b.denominator
        right = b.numerator * self.denominator
        denominator = self.denominator * b.denominator
        if self.negative == b.negative:
            return ExactRational(self.negative, left + right, denominator)
        if left >= right:
            return ExactRational(self.negative, left - right, denominator)
        return ExactRational(b.negative, right - left, denominator)

    def __sub__(self, b):
        return self + ExactRational(not b.negative, b.numerator, b.denominator)

    def __mul__(self, b):
        return ExactRational(self.negative != b.negative, self.numerator * b.numerator, self.denominator * b.denominator)

    def __truediv__(self, b):
        if b.is_zero:
            raise ZeroDivisionError("internal: division by zero")
        return ExactRational(self.negative != b.negative, self.numerator * b.denominator, self.denominator * b.numerator)

    def __lt__(self, b):
        if self.negative != b.negative:
            return self.negative
        left = self.numerator * b.denominator
        right = b.numerator * self.denominator
        return left > right if self.negative else left < right

    def __le__(self, b):
        return not b < self

    def __gt__(self, b):
        return b < self

    def __ge__(self, b):
        return not self < b

    def __eq__(self, b):
        if not isinstance(b, ExactRational):
            return NotImplemented
        return self.negative == b.negative and self.numerator * b.denominator == b.numerator * self.denominator

    def __hash__(self):
        return hash((self.negative, self.double_value))

    def scaled_by_power_of_ten(self, k):
        """``self · 10^k``."""
        power = ExactRational(False, 10 ** abs(k), 1)
        return self * power if k >= 0 else self / power

    @property
    def binade(self):
        """``⌊log₂ |self|⌋``; ``self`` must not be zero."""
        if self.is_zero:
            raise ValueError("internal: binade of zero")
        k = self.numerator.bit_length() - self.denominator.bit_length()
        # 2^(k−1) < |self| < 2^(k+1): decide whether |self| ≥ 2^k.
        at_least = self.numerator >= self.denominator << k if k >= 0 else self.numerator << -k >= self.denominator
        return k if at_least else k - 1

    @property
    def double_value(self):
        """A Double near the value (within one unit in the last place; ±∞ beyond the range, 0 below it).

        Swift's algorithm step by step: scale so that the integer quotient has 64 to 65 bits, then
        convert it with BigInt's ``Double(BigUInt)`` (which rounds up only when the two lowest bits
        kept are both one: not round-to-nearest, and the reason this is not ``float(Fraction)``),
        then scale by the power of two.
        """
        if self.is_zero:
            return 0.0
        shift = 64 - (self.numerator.bit_length() - self.denominator.bit_length())
        if shift >= 0:
            quotient = (self.numerator << shift) // self.denominator
        else:
            quotient = self.numerator // (self.denominator << -shift)
        approximate = _bigint_to_double(quotient)
        if -shift < 1023 + 200 and -shift > -1400:
            try:
                value = math.ldexp(approximate, -shift)
            except OverflowError:
                value = math.inf
        else:
            value = math.inf if -shift > 0 else 0.0
        return -value if self.negative else value

    def __repr__(self):
        return f"ExactRational({'-' if self.negative else ''}{self.numerator}/{self.denominator})"


ZERO = ExactRational(False, 0, 1)


def _bigint_to_double(v):
    """BigInt 5's ``BinaryFloatingPoint.init(_ value: BigInt)`` for a positive integer ``v``.

    It keeps 54 bits (the significand and one more), and adds one unit when the two lowest of
    them are ``11``; otherwise it truncates (so a value just above a half-way point with an even
    last bit is rounded down).
    """
    if v == 0:
        return 0.0
    bit_width = v.bit_length()
    exponent = bit_width - 1
    shift = bit_width - 52 - 1
    significand = v >> (shift - 1) if shift - 1 >= 0 else v << (1 - shift)
    if significand & 3 == 3:
        significand >>= 1
        significand += 1
        if (significand & -significand).bit_length() - 1 >= 52:
            exponent += 1
    else:
        significand >>= 1
    if exponent > 1023:
        return math.inf
    significand &= (1 << 52) - 1
    bits = ((1023 + exponent) << 52) | significand
    return struct.unpack("<d", struct.pack("<Q", bits))[0]
