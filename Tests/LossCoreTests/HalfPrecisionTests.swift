import LossCore
import Testing

/// Float16 and BFloat16 (SEMANTICS.md, "Half precision"): the constants, the rounding of a Double
/// to each, their spelling and parsing, each checked on every one of the 65 536 bit patterns
/// against a conversion computed another way.
///
/// The independent conversions: for Float16, Swift's own `Float16` (compiler-rt's correctly
/// rounded `__truncdfhf2` and exact widening); for BFloat16, the bit arithmetic of ``BFloat16``
/// (round on the lower 16 bits of a Float) against ``DType/round(_:)``'s scaling arithmetic, and
/// both against the midpoints built from the bit patterns.
@Suite("Half precision")
struct HalfPrecisionTests {
  @Test("constants: precision, range, eps and u of IEEE binary16 and bfloat16")
  func constants() {
    // binary16: 1 sign, 5 exponent (bias 15), 10 fraction bits; max = (2 − 2⁻¹⁰)·2¹⁵ = 65504.
    #expect(DType.float16.significandBits == 11)
    #expect(DType.float16.greatestFiniteMagnitude == 65504)
    #expect(DType.float16.leastNormalMagnitude == 1.0 / 16384)  // 2⁻¹⁴
    #expect(DType.float16.leastNonzeroMagnitude == 1.0 / 16_777_216)  // 2⁻²⁴
    #expect(DType.float16.machineEpsilon == 1.0 / 1024)  // Flux's eps(Float16) = 2⁻¹⁰
    #expect(DType.float16.unitRoundoff == 1.0 / 2048)
    #expect(DType.float16.greatestFiniteMagnitude == Double(Float16.greatestFiniteMagnitude))
    #expect(DType.float16.leastNonzeroMagnitude == Double(Float16.leastNonzeroMagnitude))
    // bfloat16: 1 sign, 8 exponent (bias 127), 7 fraction bits: max = (2 − 2⁻⁷)·2¹²⁷.
    #expect(DType.bfloat16.significandBits == 8)
    #expect(DType.bfloat16.machineEpsilon == 1.0 / 128)
    #expect(DType.bfloat16.greatestFiniteMagnitude == Double(Float(BFloat16(bitPattern: 0x7F7F))))
    #expect(DType.bfloat16.leastNonzeroMagnitude == Double(Float(BFloat16(bitPattern: 0x0001))))
    #expect(DType.bfloat16.leastNormalMagnitude == Double(Float.leastNormalMagnitude))
  }

  /// Every finite Float16, in increasing order from −65504 to 65504, as Doubles (both zeros).
  static func float16Values() -> [Double] {
    var values: [Double] = []
    for bits in UInt16.min...UInt16.max {
      let h = Float16(bitPattern: bits)
      if h.isFinite { values.append(Double(h)) }
    }
    return values.sorted { $0 < $1 || ($0 == $1 && $0.sign == .minus && $1.sign == .plus) }
  }

  /// Every finite BFloat16 as a Double, ordered.
  static func bfloat16Values() -> [Double] {
    var values: [Double] = []
    for bits in UInt16.min...UInt16.max {
      let f = Float(BFloat16(bitPattern: bits))
      if f.isFinite { values.append(Double(f)) }
    }
    return values.sorted { $0 < $1 || ($0 == $1 && $0.sign == .minus && $1.sign == .plus) }
  }

  @Test("Float16: every value is represented and rounds to itself; its spelling reads back to it")
  func float16EveryValue() {
    var failures = 0
    for bits in UInt16.min...UInt16.max {
      let h = Float16(bitPattern: bits)
      let x = Double(h)
      if h.isNaN {
        if !DType.float16.round(x).isNaN { failures += 1 }
        continue
      }
      let spelled = DType.float16.spelling(of: x)
      let back = DType.float16.parse(spelled)
      if DType.float16.round(x).bitPattern != x.bitPattern || !DType.float16.represents(x)
        || back?.bitPattern != x.bitPattern
      {
        failures += 1
        if failures < 5 {
          Issue.record("Float16 bits \(bits): \(x) spelled \(spelled) read as \(String(describing: back))")
        }
      }
      // The spelling is as short as Swift's own shortest round-trip description of the Float16.
      if h.isFinite, spelled.filter(\.isNumber).count > h.description.filter(\.isNumber).count + 1 {
        failures += 1
        if failures < 5 { Issue.record("Float16 \(h): spelled \(spelled), Swift writes \(h.description)") }
      }
    }
    #expect(failures == 0)
  }

  @Test("Float16: every midpoint and its Double neighbours round as Swift's Float16(Double) does")
  func float16Midpoints() {
    let values = Self.float16Values()
    var failures = 0
    func check(_ x: Double) {
      let expected = Double(Float16(x))
      if DType.float16.round(x).bitPattern != expected.bitPattern {
        failures += 1
        if failures < 5 { Issue.record("round(\(x)) = \(DType.float16.round(x)), Float16 gives \(expected)") }
      }
    }
    for (a, b) in zip(values, values.dropFirst()) where a != b {
      let mid = (a + b) / 2  // exact: 12 bits
      check(mid)
      check(mid.nextUp)
      check(mid.nextDown)
      // The tie goes to the even significand.
      let even = Float16(a).significandBitPattern & 1 == 0 ? a : b
      if DType.float16.round(mid) != even { failures += 1 }
    }
    // Overflow: 65504 + 16 (the midpoint to 2¹⁶) rounds to ∞ as a tie to even, just below it to 65504.
    check(65520)
    check(65520.0.nextDown)
    check(-65520)
    check(1e300)
    check(0x1p-25)  // half the smallest subnormal: ties to +0
    check(0x1p-25.nextUp)
    #expect(DType.float16.round(65520) == .infinity)
    #expect(DType.float16.round(65520.0.nextDown) == 65504)
    #expect(DType.float16.round(0x1p-25).bitPattern == (0.0).bitPattern)
    #expect(DType.float16.round(-0x1p-25).bitPattern == (-0.0).bitPattern)
    #expect(failures == 0)
  }

  @Test("BFloat16: the bit arithmetic and the scaling arithmetic agree on every value and midpoint")
  func bfloat16Conversions() {
    var failures = 0
    func fail(_ message: String) {
      failures += 1
      if failures < 8 { Issue.record(Comment(rawValue: message)) }
    }
    for bits in UInt16.min...UInt16.max {
      let b = BFloat16(bitPattern: bits)
      let f = Float(b)
      if f.isNaN {
        if !b.isNaN || !BFloat16(f).isNaN { fail("NaN bits \(bits)") }
        continue
      }
      if b.isNaN { fail("bits \(bits) claim NaN") }
      if BFloat16(f).bitPattern != bits { fail("bits \(bits): Float \(f) converts back to \(BFloat16(f).bitPattern)") }
      if BFloat16(Double(f)).bitPattern != bits { fail("bits \(bits): from Double") }
      let x = Double(f)
      if DType.bfloat16.round(x).bitPattern != x.bitPattern { fail("round(\(x)) moved it") }
      let back = DType.bfloat16.parse(DType.bfloat16.spelling(of: x))
      if back?.bitPattern != x.bitPattern {
        fail("\(x) spelled \(DType.bfloat16.spelling(of: x)) reads \(String(describing: back))")
      }
    }
    let values = Self.bfloat16Values()
    for (a, b) in zip(values, values.dropFirst()) where a != b {
      let mid = (a + b) / 2  // exact in Float too: 9 bits
      let evenBits = BFloat16(Float(a)).bitPattern & 1 == 0
      let even = evenBits ? a : b
      for (x, expected) in [(mid, even), (mid.nextUp, b), (mid.nextDown, a)] {
        let viaBits = Double(Float(BFloat16(x)))
        if DType.bfloat16.round(x) != expected || viaBits != expected {
          fail("\(x): round \(DType.bfloat16.round(x)), bits \(viaBits), expected \(expected)")
        }
      }
      // From Float the same, on the Float neighbours of the midpoint (the bit arithmetic's own case).
      let fm = Float(mid)
      for (x, expected) in [(fm, even), (fm.nextUp, b), (fm.nextDown, a)] {
        if Double(Float(BFloat16(x))) != expected { fail("Float \(x): expected \(expected)") }
      }
    }
    // A Double just above a midpoint that rounds to the midpoint in Float: through Float would give
    // the even neighbour, once gives the upper. 1 + 2⁻⁸ is the midpoint of 1 and 1 + 2⁻⁷.
    #expect(Double(BFloat16(1 + 0x1p-8 + 0x1p-40)) == 1 + 0x1p-7)
    #expect(Double(BFloat16(Float(1 + 0x1p-8 + 0x1p-40))) == 1)
    #expect(failures == 0)
  }

  @Test("parsing rounds the exact decimal once, also just beside a midpoint")
  func parseBesideMidpoints() {
    // 1 + 2⁻¹¹ = 1.00048828125 is the Float16 midpoint of 1 and 1 + 2⁻¹⁰: ties to even (1).
    #expect(DType.float16.parse("1.00048828125") == 1)
    // 10⁻²⁰ above it: Double reads the midpoint, the exact decimal is above it.
    #expect(DType.float16.parse("1.00048828125000000001") == 1 + 0x1p-10)
    #expect(DType.float16.parse("1.00048828124999999999") == 1)
    #expect(DType.float16.parse("-1.00048828125000000001") == -(1 + 0x1p-10))
    // 1 + 3·2⁻¹¹ is the midpoint of 1 + 2⁻¹⁰ (odd) and 1 + 2⁻⁹ (even): ties up, just below goes down.
    #expect(DType.float16.parse("1.00146484375") == 1 + 0x1p-9)
    #expect(DType.float16.parse("1.001464843749999999999") == 1 + 0x1p-10)
    // The overflow midpoint 65520: ∞ as a tie, 65504 just below.
    #expect(DType.float16.parse("65520") == .infinity)
    #expect(DType.float16.parse("65519.99999999999999999") == 65504)
    #expect(DType.float16.parse("0.1") == 0.0999755859375)  // 1638·2⁻¹⁴
    #expect(DType.bfloat16.parse("0.1") == 0.10009765625)  // 205·2⁻¹¹
    // bfloat16 midpoint 1 + 2⁻⁸ = 1.00390625.
    #expect(DType.bfloat16.parse("1.00390625") == 1)
    #expect(DType.bfloat16.parse("1.0039062500000000000001") == 1 + 0x1p-7)
    #expect(DType.float16.parse("x") == nil)
  }

  @Test("spellings: shortest decimals in one style")
  func spellings() {
    // 65500 reads back to 65504 (the spacing there is 32): three digits suffice, as numpy's
    // repr of float16(65504) also writes them.
    #expect(DType.float16.spelling(of: 65504) == "65500.0")
    #expect(DType.float16.spelling(of: 0.0999755859375) == "0.1")
    #expect(DType.float16.spelling(of: 0x1p-24) == "6e-08")
    #expect(DType.float16.spelling(of: -0.0) == "-0.0")
    #expect(DType.bfloat16.spelling(of: 0.10009765625) == "0.1")
    #expect(DType.bfloat16.spelling(of: .infinity) == "Infinity")
    #expect(BFloat16(bitPattern: 0x3F80).description == "1.0")
  }

  @Test("ulp and neighbours in the half formats")
  func spacing() {
    #expect(DType.float16.ulp(of: 1) == 0x1p-10)
    #expect(DType.float16.ulp(of: 1000) == 0.5)
    #expect(DType.float16.ulp(of: 0) == 0x1p-24)
    #expect(DType.float16.ulp(of: .infinity) == 32)
    #expect(DType.bfloat16.ulp(of: 1) == 0x1p-7)
    let values = Self.float16Values().filter { $0 != 0 || $0.sign == .plus }
    var failures = 0
    for (a, b) in zip(values, values.dropFirst()) {
      if DType.float16.nextUp(a) != b || DType.float16.nextDown(b) != a { failures += 1 }
    }
    #expect(failures == 0)
    #expect(DType.float16.nextUp(65504) == .infinity)
    #expect(DType.float16.nextDown(-65504) == -.infinity)
    #expect(DType.float16.nextUp(-0x1p-24).bitPattern == (-0.0).bitPattern || DType.float16.nextUp(-0x1p-24) == 0)
  }

  @Test(
    "a request holding every finite value of the dtype survives encode, serialize, parse, decode",
    arguments: DType.halfPrecision)
  func requestRoundTrip(dtype: DType) throws {
    let values = dtype == .float16 ? Self.float16Values() : Self.bfloat16Values()
    let request = LossRequest(
      id: "all", loss: .mse, dtype: dtype, yhat: Tensor(values), y: .array(Tensor(values.reversed())),
      params: LossParameters(agg: .sum, eps: 0x1p-10, delta: 0.5))
    let line = encodeLine(request)
    let decoded = try decodeRequest(line)
    #expect(decoded.yhat.values.map(\.bitPattern) == values.map(\.bitPattern))
    #expect(decoded == request)
    #expect(line.contains(#""dtype":"\#(dtype.rawValue)""#))
  }

  @Test("a finite decimal beyond the half format's range is an ArgumentError naming the element and dtype")
  func overflowIsAnError() throws {
    let line = #"{"loss":"mse","dtype":"float16","yhat":[1,70000],"y":[1,1]}"#
    #expect {
      try decodeRequest(line)
    } throws: { error in
      let message = (error as? LossError)?.message ?? ""
      return message.contains("yhat[2]") && message.contains("float16")
    }
  }
}
