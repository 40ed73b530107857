"""The protocol's numbers (LossCore's ``ProtocolCodec``: ``decodeNumber``, ``encode``).

A number is a JSON number read **once, directly in the request's dtype**: the decimal is rounded
to Float32 for a ``float32`` request, never through Float64 first (Conformance/PROTOCOL.md,
"Numbers"). Swift reads it with ``Float(text)`` (``strtof``: one correct rounding); here the
decimal is converted to an exact rational (:class:`fractions.Fraction`) and rounded to the nearest
Float32, ties to even, with subnormals and overflow as IEEE 754 binary32 has them. Float64 uses
``float(text)``, which CPython rounds correctly (David Gay's algorithm), as ``strtod`` does.

Float32 values are held as Python floats (Float64), which represent every Float32 exactly, the
way LossCore holds Float32 data as the Doubles that represent them.

Half precision (issue 15): ``float16`` (IEEE binary16: precision 11, normal exponents −14 … 15,
max 65504) and ``bfloat16`` (precision 8, binary32's exponent range) are held the same way, as
the Python floats that represent them; a decimal is rounded to them once, exactly (its rational
value, ties to even, gradual underflow, overflow to ±∞ at the midpoint), never through Float64 or
Float32 first.
"""

import math
import struct
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from .jsontext import Number, type_name

__all__ = [
    "DTYPES", "HALF_FORMATS", "ProtocolError", "decode_number", "round_to_float32", "round_decimal_to_float32",
    "round_decimal_to_half", "round_fraction",
    "round_to_dtype", "spell", "encode_number", "unit_roundoff_exponent", "machine_epsilon",
]

DTYPES = ("float32", "float64", "float16", "bfloat16")

#: (precision incl. the implicit bit, smallest normal exponent, largest exponent) of the formats
#: rounded through exact rationals (the half dtypes; Float32 has its fast path below).
HALF_FORMATS = {"float16": (11, -14, 15), "bfloat16": (8, -126, 127)}

#: 2^128: the first power of two beyond Float32's range. A value that rounds to it overflows.
_F32_OVERFLOW = Fraction(2**128)
_F32_MIN_NORMAL_EXP = -126
_F32_PRECISION = 24


class ProtocolError(Exception):
    """A decoding error of the protocol, as LossCore's ``LossError`` (``kind`` and ``message``)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message

    def __str__(self):
        return f"{self.kind}: {self.message}"


def argument_error(message):
    return ProtocolError("ArgumentError", message)


def _round_fraction_to_float32(q):
    """The Float32 nearest the exact rational ``q`` (ties to even), as a float; ±inf on overflow."""
    if q == 0:
        return 0.0
    negative = q < 0
    q = -q if negative else q
    # e = ⌊log₂ q⌋, exactly.
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if q < Fraction(2) ** e:
        e -= 1
    quantum_exp = max(e, _F32_MIN_NORMAL_EXP) - (_F32_PRECISION - 1)
    scaled = q / (Fraction(2) ** quantum_exp)
    m = round(scaled)  # Fraction.__round__ rounds half to even
    value = Fraction(m) * Fraction(2) ** quantum_exp
    result = math.inf if value >= _F32_OVERFLOW else float(value)  # exact: m < 2^24 (or 2^24)
    return -result if negative else result


def round_fraction(q, dtype):
    """The value of ``dtype`` nearest the exact rational ``q`` (ties to even, gradual underflow), as a
    float; ±inf when it rounds beyond the largest finite value (a negative ``q`` that rounds to
    zero gives −0.0). Any of the four dtypes."""
    if dtype == "float64":
        try:
            return q.numerator / q.denominator  # CPython's int/int division rounds correctly
        except OverflowError:
            return math.inf if q > 0 else -math.inf
    if dtype == "float32":
        return _round_fraction_to_float32(q)
    precision, min_exp, max_exp = HALF_FORMATS[dtype]
    if q == 0:
        return 0.0
    negative = q < 0
    q = -q if negative else q
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if q < Fraction(2) ** e:
        e -= 1
    quantum_exp = max(e, min_exp) - (precision - 1)
    m = round(q / (Fraction(2) ** quantum_exp))  # half to even
    if m == 0:
        return -0.0 if negative else 0.0
    value = Fraction(m) * Fraction(2) ** quantum_exp
    result = math.inf if value >= Fraction(2) ** (max_exp + 1) else float(value)
    return -result if negative else result


def round_decimal_to_half(text, dtype):
    """Rounds a decimal string once, exactly, to float16 or bfloat16 (``None`` if not a number)."""
    try:
        d = Decimal(text)
    except InvalidOperation:
        return None
    if not d.is_finite():
        return None
    if d.is_zero():
        return -0.0 if d.is_signed() else 0.0
    # Far outside the formats the exact rational is not needed: beyond 10⁴⁰ everything rounds to
    # ±∞, below 10⁻⁵⁰ to ±0 (bfloat16's least subnormal is 9.2·10⁻⁴¹).
    if d.adjusted() > 40:
        return -math.inf if d.is_signed() else math.inf
    if d.adjusted() < -50:
        return -0.0 if d.is_signed() else 0.0
    return round_fraction(Fraction(d), dtype)


def _f32_of_double(x):
    """``Float(x)`` for a finite float: the C conversion (one correct rounding, ties to even)."""
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:  # the rounded value is beyond Float32's range
        return math.copysign(math.inf, x)


def _is_float32_midpoint(x):
    """Whether the float ``x`` lies exactly half-way between two adjacent Float32 values."""
    m, e = math.frexp(abs(x))  # |x| = m·2^e, 1/2 ≤ m < 1
    quantum = max(e - 1, _F32_MIN_NORMAL_EXP) - (_F32_PRECISION - 1)
    t = math.ldexp(abs(x), -quantum)  # exact: a power-of-two scaling that stays normal
    return t - math.floor(t) == 0.5


def round_decimal_to_float32(text):
    """Rounds a decimal string (a JSON number) once to Float32, as ``strtof`` does.

    Fast path: round to Float64 first (``float``), then to Float32. That double rounding is
    harmless unless the Float64 value is itself a Float32 midpoint: rounding to Float64 is
    monotonic and fixes every Float32 midpoint (each is a Float64), so a decimal strictly on one
    side of a midpoint lands on the same side or on the midpoint. Only then, or on overflow, the
    exact rational decides (ties to even, as strtof).
    """
    try:
        x = float(text)
    except ValueError:
        return None
    if x == 0 or math.isnan(x):
        return x if x == 0 else None
    if not math.isinf(x) and not _is_float32_midpoint(x):
        return _f32_of_double(x)
    try:
        d = Decimal(text)
    except InvalidOperation:
        return None
    # Far outside the format the exact rational is not needed (and would be huge): above 10⁴⁰
    # everything rounds to ±∞ (a midpoint is never that large).
    if d.adjusted() > 40:
        return -math.inf if d.is_signed() else math.inf
    return _round_fraction_to_float32(Fraction(d))


def round_to_float32(x):
    """A Python float (Float64) rounded once to Float32 (``Float(x)``), NaN and ±∞ kept."""
    if math.isnan(x) or math.isinf(x) or x == 0:
        return x
    return _f32_of_double(x)


def round_to_dtype(x, dtype):
    """``DType.round``: Float64 is the identity, the others one rounding of the Float64 ``x``
    (``ofeltype``)."""
    if dtype in HALF_FORMATS:
        x = float(x)
        if math.isnan(x) or math.isinf(x) or x == 0:
            return x
        return round_fraction(Fraction(x), dtype)
    return round_to_float32(x) if dtype == "float32" else float(x)


def _parse_text(text, dtype):
    if dtype == "float32":
        return round_decimal_to_float32(text)
    if dtype in HALF_FORMATS:
        return round_decimal_to_half(text, dtype)
    try:
        return float(text)
    except ValueError:
        return None


def decode_number(value, dtype, field):
    """Reads a number of ``dtype`` from its protocol spelling, rounding the decimal once, in ``dtype``.

    Raises :class:`ProtocolError` (ArgumentError) naming ``field`` for a non-number, or a finite
    decimal that overflows the dtype — the messages of ``ProtocolCodec.decodeNumber``.
    """
    if isinstance(value, Number):
        parsed = _parse_text(str(value), dtype)
        if parsed is None:
            raise argument_error(f"{field}: '{value}' is not a number")
        if math.isinf(parsed) or math.isnan(parsed):
            raise argument_error(f"{field}: {value} is outside the range of {dtype}")
        return parsed
    if isinstance(value, str):
        if value == "NaN":
            return math.nan
        if value == "Infinity":
            return math.inf
        if value == "-Infinity":
            return -math.inf
    raise argument_error(f'{field} must be a number or "NaN"/"Infinity"/"-Infinity", got {type_name(value)}')


_PRECISION = {"float32": 24, "float64": 53, "float16": 11, "bfloat16": 8}


def unit_roundoff_exponent(dtype):
    """``-significandBits``: u = 2⁻²⁴ (Float32), 2⁻⁵³ (Float64), 2⁻¹¹ (Float16), 2⁻⁸ (BFloat16)."""
    return -_PRECISION[dtype]


def machine_epsilon(dtype):
    """Flux's default ϵ, ``eps(eltype(ŷ))``: 2⁻²³ for Float32, 2⁻⁵² for Float64, 2⁻¹⁰ for Float16,
    2⁻⁷ for BFloat16."""
    return 2.0 ** (1 - _PRECISION[dtype])


# MARK: Spelling numbers as Swift's `description` does


def _shortest_digits(x, dtype):
    """The shortest decimal (digits, exponent) that reads back as ``x`` in ``dtype``.

    Float64: ``repr`` (shortest round trip). Float32: the fewest significant digits ``p`` whose
    correctly rounded ``%.{p}e`` spelling rounds back to ``x`` (the nearest such decimal).
    """
    if dtype == "float32" or dtype in HALF_FORMATS:
        for p in range(1, 10):
            text = f"{x:.{p - 1}e}"
            if _parse_text(text, dtype) == x:
                break
    else:
        text = repr(x)
    d = Decimal(text)
    sign, digits, exponent = d.normalize().as_tuple() if d != 0 else (d.as_tuple().sign, (0,), 0)
    digits = "".join(map(str, digits)) or "0"
    return digits, exponent + len(digits) - 1  # leading digit's decimal exponent


def spell(x, dtype):
    """A number as the protocol (and losscheck's messages) spell it in ``dtype``.

    Swift's ``Float.description`` / ``Double.description``: the shortest round-trip digits,
    written in positional notation with at least one fractional digit (``"1.0"``, ``"0.0001"``)
    when ``2⁻¹⁴ ≤ |x| < 2⁵³`` roughly — precisely, when the decimal exponent is at least −4 and
    ``|x| ≤ 2^(significand bits)`` (2²⁴ for Float32, 2⁵³ for Float64) — and in exponential
    notation otherwise (``"1e-05"``, ``"1.5e+20"``, two exponent digits at least). Float16 and
    BFloat16 use Float32's limit 2²⁴ (every finite Float16 is below it: ``"65500.0"``).
    """
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    negative = math.copysign(1.0, x) < 0
    sign = "-" if negative else ""
    if x == 0:
        return sign + "0.0"
    digits, exp10 = _shortest_digits(abs(x), dtype)
    limit = 2.0**53 if dtype == "float64" else 2.0**24
    if exp10 < -4 or abs(x) > limit:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    if exp10 < 0:
        return sign + "0." + "0" * (-exp10 - 1) + digits
    integer = digits[: exp10 + 1].ljust(exp10 + 1, "0")
    fraction = digits[exp10 + 1:] or "0"
    return f"{sign}{integer}.{fraction}"


def encode_number(x, dtype):
    """The protocol's JSON spelling of ``x``, an exact value of ``dtype`` (``ProtocolCodec.encode``)."""
    if math.isnan(x):
        return '"NaN"'
    if math.isinf(x):
        return '"Infinity"' if x > 0 else '"-Infinity"'
    return spell(x, dtype)
