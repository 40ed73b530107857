"""The protocol's numbers: a decimal is rounded once, directly to Float32 (exact rational rounding,
never through Float64), and values are spelled as Swift's ``description`` spells them."""

import math
import os
import random
import struct
import sys
import unittest
from decimal import Decimal, getcontext
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

from losscheck.jsontext import Number, parse  # noqa: E402
from losscheck.numbers import ProtocolError, decode_number, round_decimal_to_float32, spell  # noqa: E402


def reference_float32(text):
    """The nearest Float32 to the decimal ``text`` (ties to even), by exhaustive comparison of the two
    Float32 neighbours of the exact rational: an independent oracle for the fast path."""
    d = Decimal(text)
    q = Fraction(d)
    sign = -1.0 if d.is_signed() else 1.0
    q = abs(q)
    if q == 0:
        return math.copysign(0.0, sign)
    if q >= Fraction(2**128) - Fraction(2**103):  # the midpoint of the largest Float32 and 2^128
        return sign * math.inf
    # Walk the Float32 bit patterns: the largest one not above q, then its successor.
    lo, hi = 0, 0x7F7FFFFF
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if Fraction(struct.unpack("<f", struct.pack("<I", mid))[0]) <= q:
            lo = mid
        else:
            hi = mid - 1
    below = struct.unpack("<f", struct.pack("<I", lo))[0]
    if lo == 0x7F7FFFFF:  # between the largest Float32 and the overflow midpoint
        return sign * below
    above = struct.unpack("<f", struct.pack("<I", lo + 1))[0]
    gap_below, gap_above = q - Fraction(below), Fraction(above) - q
    if gap_below < gap_above or (gap_below == gap_above and lo % 2 == 0):
        return sign * below
    return sign * above


class Float32Reading(unittest.TestCase):
    def check(self, text):
        got = round_decimal_to_float32(text)
        want = reference_float32(text)
        self.assertTrue(got == want and math.copysign(1, got) == math.copysign(1, want), f"{text}: {got} vs {want}")

    def test_double_rounding_traps(self):
        getcontext().prec = 200
        rng = random.Random(20250501)
        for _ in range(3000):
            x = struct.unpack("<f", struct.pack("<I", rng.randrange(1, 0x7F7FFFFF)))[0]
            nxt = struct.unpack("<f", struct.pack("<I", struct.unpack("<I", struct.pack("<f", x))[0] + 1))[0]
            midpoint = (Decimal(x) + Decimal(nxt)) / 2  # exact: both are dyadic
            self.check(str(midpoint))  # a tie: to even
            tiny = Decimal(10) ** (midpoint.adjusted() - 60)
            self.check(str(midpoint + tiny))  # Float64 would round this onto the midpoint
            self.check(str(midpoint - tiny))

    def test_random_decimals_and_limits(self):
        rng = random.Random(7)
        for _ in range(3000):
            self.check(f"{rng.randrange(1, 10**rng.randrange(1, 20))}e{rng.randrange(-60, 45)}")
        for text in ["0", "-0", "0.1", "1e-45", "7.006492321624085354618647916449580656401e-46",
                     "7.006492321624085354618647916449580656402e-46", "1.1754943e-38", "3.4028235e38",
                     "3.4028235677973366e38", "3.40282356779733661637539395458142568448e38", "1e39", "-1e39",
                     "1e-400", "1e400"]:
            self.check(text)

    def test_decode_number(self):
        self.assertEqual(decode_number(Number("0.1"), "float32", "yhat[1]"), float(Fraction(13421773, 2**27)))
        self.assertEqual(decode_number(Number("0.1"), "float64", "yhat[1]"), 0.1)
        self.assertTrue(math.isnan(decode_number("NaN", "float32", "x")))
        self.assertEqual(decode_number("-Infinity", "float64", "x"), -math.inf)
        with self.assertRaisesRegex(ProtocolError, r"value: 1e39 is outside the range of float32"):
            decode_number(Number("1e39"), "float32", "value")
        with self.assertRaisesRegex(ProtocolError, r'x must be a number or "NaN"/"Infinity"/"-Infinity", got a string'):
            decode_number("nan", "float64", "x")
        with self.assertRaisesRegex(ProtocolError, "got a boolean"):
            decode_number(True, "float64", "x")

    def test_json_keeps_number_text(self):
        obj = parse('{"a":[0.1,1e-45,-0],"b":{"b":1,"b":2}}')
        self.assertEqual(obj["a"], ["0.1", "1e-45", "-0"])
        self.assertIsInstance(obj["a"][0], Number)
        self.assertEqual(obj["b"]["b"], "1")  # the first of a repeated key, as LossCore reads it
        for bad in ['{"a":NaN}', '{"a":1', "garbage"]:
            with self.assertRaises(ValueError):
                parse(bad)


class Spelling(unittest.TestCase):
    def test_as_swift_describes(self):
        # What Swift 6.2 printed for `Float(x).description` and `Double(x).description` here
        # (swift /tmp/spell.swift on this machine): observed outputs, not computed by this code.
        floats = {"1e8": "1e+08", "2e7": "2e+07", "16777216": "16777216.0", "16777218": "1.6777218e+07",
                  "0.0001": "0.0001", "0.00012": "0.00012", "9.999e-5": "9.999e-05", "1.5e20": "1.5e+20",
                  "3.4028235e38": "3.4028235e+38", "1e-45": "1e-45", "123456.7": "123456.7"}
        doubles = {"1e16": "1e+16", "9.1e15": "9.1e+15", "9007199254740992": "9007199254740992.0",
                   "9007199254740994": "9.007199254740994e+15", "0.0001": "0.0001", "9.999e-5": "9.999e-05",
                   "1e-5": "1e-05", "5e-324": "5e-324", "1.5e300": "1.5e+300", "123456789012.5": "123456789012.5"}
        for text, want in floats.items():
            self.assertEqual(spell(round_decimal_to_float32(text), "float32"), want, text)
        for text, want in doubles.items():
            self.assertEqual(spell(float(text), "float64"), want, text)
        self.assertEqual(spell(-0.0, "float64"), "-0.0")
        self.assertEqual(spell(math.nan, "float32"), "NaN")

    def test_shortest_round_trip(self):
        rng = random.Random(3)
        for _ in range(2000):
            x = struct.unpack("<f", struct.pack("<I", rng.randrange(1, 0x7F7FFFFF)))[0]
            text = spell(x, "float32")
            self.assertEqual(round_decimal_to_float32(text), x, text)
            y = struct.unpack("<d", struct.pack("<Q", rng.randrange(1, 0x7FEFFFFFFFFFFFFF)))[0]
            self.assertEqual(float(spell(y, "float64")), y)


if __name__ == "__main__":
    unittest.main()
