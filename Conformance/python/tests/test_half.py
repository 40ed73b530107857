"""Half precision (float16, bfloat16; issue 15) in the Python grader: numbers read once, exactly, in
the dtype; the shortest spelling; ulps and tiers measured in the dtype (u = 2⁻¹¹, 2⁻⁸) against the
vector's ``expect[dtype]``, on hand-made vector lines whose expected values are stated with
their exact derivation below."""

import math
import os
import struct
import sys
import unittest
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

from losscheck import Tier  # noqa: E402
from losscheck.grading import BinaryFormat, grade  # noqa: E402
from losscheck.numbers import (  # noqa: E402
    ProtocolError, decode_number, encode_number, machine_epsilon, round_fraction, round_to_dtype, spell,
    unit_roundoff_exponent,
)
from losscheck.protocol import Response, Tensor  # noqa: E402
from losscheck.vectors import GoldenCase, VectorFileError  # noqa: E402


def f16(bits):
    """The float16 of a bit pattern, as a float (through numpy-free struct: 'e' is binary16)."""
    return struct.unpack("<e", struct.pack("<H", bits))[0]


def bf16(bits):
    return struct.unpack("<f", struct.pack("<I", bits << 16))[0]


# Hand-made vector lines. The exact values and their roundings, derived by hand:
#  mse-f16-mean: ŷ = [300, 0], y = [0, 0]: (300² + 0)/2 = 45000 exactly; float16 spacing in
#    [32768, 65536) is 2^(15−10) = 32, 45000/32 = 1406.25 → 1406·32 = 44992.
#  mse-f16-over: ŷ = [300]: 90000 > 65520 (the float16 overflow midpoint) → "Infinity".
#  mae-f16-tie: ŷ = [2⁻²⁴, 2⁻²³], y = 0: (2⁻²⁴ + 2⁻²³)/2 = 1.5·2⁻²⁴, a tie between the subnormals
#    2⁻²⁴ and 2·2⁻²⁴ → the even one, 2⁻²³ = 1.1920928955078125e-07.
#  mae-bf16-none: ŷ = [1, 0.1] (0.1 is bfloat16's 0.10009765625 = 205·2⁻¹¹), y = [0, 0], agg none:
#    [1, 0.10009765625] exactly, both bfloat16 values.
#  mse-bf16-mean: ŷ = [1, 1.0078125] (= 1 + 2⁻⁷), y = 0: (1 + (1 + 2⁻⁷)²)/2 = 1 + 2⁻⁷ + 2⁻¹⁵
#    = 1.007843017578125; bfloat16 spacing at 1 is 2⁻⁷ → 1.0078125 (the 2⁻¹⁵ is below half).
LINES = {
    "mse-f16-mean": '{"id":"mse-f16-mean","loss":"mse","dtype":"float16","shape":[2],"yhat":[300.0,0.0],'
                    '"y":[0.0,0.0],"expect":{"outcome":"finite","exact":"45000","float32":45000.0,'
                    '"float64":45000.0,"float16":44990.0,"errorScale":90000,"regime":"extreme","tags":[]}}',
    "mse-f16-over": '{"id":"mse-f16-over","loss":"mse","dtype":"float16","shape":[1],"yhat":[300.0],"y":[0.0],'
                    '"expect":{"outcome":"finite","exact":"90000","float32":90000.0,"float64":90000.0,'
                    '"float16":"Infinity","errorScale":90000,"regime":"extreme","tags":[]}}',
    "mae-f16-tie": '{"id":"mae-f16-tie","loss":"mae","dtype":"float16","shape":[2],"yhat":[6e-08,1.2e-07],'
                   '"y":[0.0,0.0],"expect":{"outcome":"finite","exact":"8.94069671630859375e-8",'
                   '"float32":8.940697e-08,"float64":8.940696716308594e-08,"float16":1.2e-07,'
                   '"errorScale":1.78814e-07,"regime":"edge","tags":[]}}',
    "mae-bf16-none": '{"id":"mae-bf16-none","loss":"mae","dtype":"bfloat16","shape":[2],"yhat":[1.0,0.1],'
                     '"y":[0.0,0.0],"params":{"agg":"none"},"expect":{"outcome":"array","shape":[2],'
                     '"exact":["1","0.10009765625"],"float32":[1.0,0.10009766],"float64":[1.0,0.10009765625],'
                     '"bfloat16":[1.0,0.1],"errorScale":[1,0.1001],"regime":"benign","tags":[]}}',
    "mse-bf16-mean": '{"id":"mse-bf16-mean","loss":"mse","dtype":"bfloat16","shape":[2],"yhat":[1.0,1.008],'
                     '"y":[0.0,0.0],"expect":{"outcome":"finite","exact":"1.007843017578125",'
                     '"float32":1.007843,"float64":1.007843017578125,"bfloat16":1.008,"errorScale":2.01563,'
                     '"regime":"benign","tags":[]}}',
}


def case(name):
    return GoldenCase.from_line(LINES[name])


def answer(value):
    return Response.of_value("x", value)


class HalfNumbers(unittest.TestCase):
    def test_decimals_round_once_exactly(self):
        self.assertEqual(decode_number_text("0.1", "float16"), 0.0999755859375)
        self.assertEqual(decode_number_text("0.1", "bfloat16"), 0.10009765625)
        self.assertEqual(decode_number_text("65519", "float16"), 65504.0)
        self.assertEqual(decode_number_text("6e-08", "float16"), 2.0**-24)
        self.assertEqual(decode_number_text("2.98023223876953125e-08", "float16"), 0.0)  # 2⁻²⁵: tie → 0
        self.assertEqual(decode_number_text("2.98023223876953126e-08", "float16"), 2.0**-24)
        self.assertEqual(decode_number_text("9.2e-41", "bfloat16"), 2.0**-133)
        self.assertEqual(decode_number_text("0.7", "bfloat16"), 0.69921875)
        # 1 + 2⁻⁸ + 2⁻³⁰: via Float32 it would be the tie 1 + 2⁻⁸ and round to 1; once: 1 + 2⁻⁷
        self.assertEqual(decode_number_text("1.00390625093132257461547851562", "bfloat16"), 1.0078125)
        for text, dtype in (("65520", "float16"), ("1e5", "float16"), ("3.4e38", "bfloat16")):
            with self.assertRaises(ProtocolError):
                decode_number_text(text, dtype)

    def test_every_value_spells_shortest_and_reads_back(self):
        for name, value_of in (("float16", f16), ("bfloat16", bf16)):
            for bits in range(0, 1 << 16, 5):
                x = value_of(bits)
                if not math.isfinite(x):
                    continue
                text = spell(x, name)
                self.assertEqual(decode_number_text(text, name), x, (name, x, text))
                self.assertEqual(encode_number(x, name), text)

    def test_constants(self):
        self.assertEqual(unit_roundoff_exponent("float16"), -11)
        self.assertEqual(unit_roundoff_exponent("bfloat16"), -8)
        self.assertEqual(machine_epsilon("float16"), 2.0**-10)
        self.assertEqual(machine_epsilon("bfloat16"), 2.0**-7)
        self.assertEqual(round_to_dtype(0.7, "float16"), 0.7001953125)
        self.assertEqual(round_fraction(Fraction(90000), "float16"), math.inf)
        self.assertEqual(spell(65504.0, "float16"), "65500.0")
        self.assertEqual(spell(2.0**-24, "float16"), "6e-08")

    def test_ulp_spacing_in_the_dtype(self):
        from losscheck.exact import ExactRational  # noqa: PLC0415

        f, b = BinaryFormat("float16"), BinaryFormat("bfloat16")
        self.assertEqual(f.ulp_exponent(ExactRational.from_double(1.0)), -10)
        self.assertEqual(f.ulp_exponent(ExactRational.from_double(45000.0)), 5)
        self.assertEqual(f.ulp_exponent(ExactRational.from_double(90000.0)), 5)  # beyond the range: the top binade's
        self.assertEqual(f.ulp_exponent(ExactRational.from_double(2.0**-20)), -24)  # subnormal spacing
        self.assertEqual(b.ulp_exponent(ExactRational.from_double(1.0)), -7)
        self.assertEqual(b.ulp_exponent(ExactRational.from_double(2.0**-130)), -133)


def decode_number_text(text, dtype):
    from losscheck.jsontext import parse  # noqa: PLC0415

    return decode_number(parse(text), dtype, "x")


class HalfGrading(unittest.TestCase):
    def test_expectation_reads_the_dtype_member(self):
        c = case("mse-f16-mean")
        self.assertEqual(c.dtype, "float16")
        self.assertEqual(c.expectation.rounded("float16"), [44992.0])
        self.assertEqual(c.expectation.rounded("float32"), [45000.0])
        self.assertEqual(case("mse-f16-over").expectation.rounded("float16"), [math.inf])
        self.assertEqual(case("mae-bf16-none").expectation.rounded("bfloat16"), [1.0, 0.10009765625])
        missing = LINES["mse-f16-mean"].replace('"float16":44990.0,', "")
        with self.assertRaises(VectorFileError):
            GoldenCase.from_line(missing)

    def test_tiers_in_float16(self):
        c = case("mse-f16-mean")
        self.assertEqual(grade(c, answer(44992.0)).tier, Tier.CORRECTLY_ROUNDED)
        v = grade(c, answer(45024.0))  # 24 above the exact 45000: < 1 ulp (32)
        self.assertEqual(v.tier, Tier.FAITHFUL)
        self.assertAlmostEqual(v.ulps, 0.75)
        # 4 ulps away: 128/(2⁻¹¹·90000) = 2.9 scaled units, within stable (2·log₂3 + 8)
        v = grade(c, answer(45128.0))
        self.assertEqual(v.tier, Tier.STABLE)
        self.assertAlmostEqual(v.scaled, 128 / (2.0**-11 * 90000))
        # Float16's own overflow of the square: Infinity where 45000 is representable
        self.assertEqual(grade(c, answer(math.inf)).tier, Tier.DIVERGENT)

    def test_overflow_to_infinity_is_the_correct_rounding(self):
        c = case("mse-f16-over")
        self.assertEqual(grade(c, answer(math.inf)).tier, Tier.CORRECTLY_ROUNDED)
        self.assertNotEqual(grade(c, answer(65504.0)).tier, Tier.CORRECTLY_ROUNDED)

    def test_subnormal_tie(self):
        c = case("mae-f16-tie")
        self.assertEqual(grade(c, answer(2.0**-23)).tier, Tier.CORRECTLY_ROUNDED)
        v = grade(c, answer(2.0**-24))  # the other neighbour of the tie: half an ulp (2⁻²⁴) away
        self.assertEqual(v.tier, Tier.FAITHFUL)
        self.assertAlmostEqual(v.ulps, 0.5)

    def test_tiers_in_bfloat16(self):
        c = case("mse-bf16-mean")
        self.assertEqual(grade(c, answer(1.0078125)).tier, Tier.CORRECTLY_ROUNDED)
        v = grade(c, answer(1.015625))  # the next bfloat16 up: 2⁻⁷ − 2⁻¹⁵ away, < 1 ulp
        self.assertEqual(v.tier, Tier.FAITHFUL)
        # the float32 answer 1.007843 is not a bfloat16 value: ulps are measured in bfloat16
        v = grade(c, answer(1.0))
        self.assertEqual(v.tier, Tier.STABLE)
        self.assertAlmostEqual(v.ulps, (2.0**-7 + 2.0**-15) / 2.0**-7)
        arr = case("mae-bf16-none")
        self.assertEqual(grade(arr, answer(Tensor(arr.expectation.shape, [1.0, 0.10009765625]))).tier,
                         Tier.CORRECTLY_ROUNDED)


if __name__ == "__main__":
    unittest.main()
