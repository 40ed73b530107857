import BigInt
import Testing

@testable import LossSpec

/// The exact arithmetic under LossSpec: correct rounding of dyadics to Float32/Float64 (against
/// IEEE conversions, which round correctly by the standard), and the error bounds of the 128-bit
/// ``Wide`` operations (against exact dyadic arithmetic).
@Suite struct ArithmeticTests {
  var rng = SplitMix64(seed: 42)

  /// Float32 rounding against `Float(Double)`, IEEE round-to-nearest-even, one rounding: every
  /// Float32 midpoint (25 bits) is an exact Double, so ties, subnormals and overflow are covered.
  @Test mutating func float32RoundingMatchesIEEEConversion() {
    var checked = 0
    for _ in 0..<20_000 {
      let bits = UInt32(truncatingIfNeeded: rng.next())
      let f = Float(bitPattern: bits)
      guard f.isFinite else { continue }
      let candidates: [Double] = [
        Double(f), (Double(f) + Double(f.nextUp)) / 2, (Double(f) + Double(f.nextDown)) / 2,
        Double(f) + Double(f.ulp) / 4, Double(f) - Double(f.ulp) / 3,
      ]
      for x in candidates where x.isFinite {
        #expect(Dyadic(x).rounded(to: .float32) == Double(Float(x)), "x = \(x)")
        checked += 1
      }
    }
    // The overflow threshold: the midpoint above the largest Float32 rounds to +∞ (tie to even).
    let maxMid = Double(Float.greatestFiniteMagnitude) + Double(Float.greatestFiniteMagnitude.ulp) / 2
    #expect(Dyadic(maxMid).rounded(to: .float32) == .infinity)
    #expect(Dyadic(maxMid.nextDown).rounded(to: .float32) == Double(Float.greatestFiniteMagnitude))
    #expect(checked > 90_000)
  }

  /// Float64 rounding of ≤ 63-bit integers times powers of two, against `Double(Int64)` (one
  /// rounding) scaled exactly; and in the subnormal range against a product that rounds once.
  @Test mutating func float64RoundingMatchesIEEE() {
    for _ in 0..<20_000 {
      let m = Int64(bitPattern: rng.next() >> 1)
      let e = Int(rng.next() % 1800) - 900
      let expected = Double(sign: .plus, exponent: e, significand: Double(m))
      #expect(Dyadic(mantissa: BigInt(m), exponent: e).rounded(to: .float64) == expected)
      // Subnormal results: a 53-bit integer scaled below 2^-1022 rounds once in the product.
      let small = Int64(rng.next() >> 11)
      let k = -1074 - Int(rng.next() % 60)
      let scaled = Double(small) * Double(sign: .plus, exponent: k + 1074, significand: 1) * 0x1p-1074
      #expect(Dyadic(mantissa: BigInt(small), exponent: k).rounded(to: .float64) == scaled)
    }
  }

  @Test func subnormalTiesAndOverflow() {
    // Half the smallest subnormal is a tie between 0 and 2^-1074: even is 0.
    #expect(Dyadic(mantissa: 1, exponent: -1075).rounded(to: .float64) == 0)
    // 1.5 units ties to 2 units.
    #expect(Dyadic(mantissa: 3, exponent: -1075).rounded(to: .float64) == 0x1p-1073)
    // 0.75 units is nearer 1 unit.
    #expect(Dyadic(mantissa: 3, exponent: -1076).rounded(to: .float64) == 0x1p-1074)
    // The largest Double plus half an ulp rounds to +∞; minus a tiny amount it stays finite.
    let max = Dyadic(.greatestFiniteMagnitude)
    let halfUlp = Dyadic(mantissa: 1, exponent: 970)
    #expect((max + halfUlp).rounded(to: .float64) == .infinity)
    #expect((max + halfUlp - Dyadic(mantissa: 1, exponent: -5000)).rounded(to: .float64) == .greatestFiniteMagnitude)
    // Far beyond both ends: no shifting by astronomical amounts.
    #expect(Dyadic(mantissa: 1, exponent: -(1 << 40)).rounded(to: .float64) == 0)
    #expect(Dyadic(mantissa: -1, exponent: 1 << 40).rounded(to: .float32) == -.infinity)
  }

  @Test func decimalDigits() {
    // 0.1 as a Double is exactly 0.1000000000000000055511151231257827021181583404541015625.
    #expect(Dyadic(0.1).decimal(digits: 60) == "1.000000000000000055511151231257827021181583404541015625e-1")
    #expect(Dyadic(0.1).decimal(digits: 20) == "1.0000000000000000555e-1")
    #expect(Dyadic(2.5).decimal(digits: 45) == "2.5")
    #expect(Dyadic(-1024).decimal(digits: 2) == "-1e3")
  }

  /// Random dyadics of up to 300 bits: each ``Wide`` operation's result lies within its returned
  /// bound of the exact result.
  @Test mutating func wideOperationsStayWithinTheirBounds() {
    func randomDyadic() -> Dyadic {
      let words = Int(rng.next() % 5) + 1
      var m = BigInt(0)
      for _ in 0..<words { m = (m << 64) + BigInt(rng.next()) }
      if rng.next() % 2 == 0 { m = -m }
      return Dyadic(mantissa: m, exponent: Int(rng.next() % 400) - 200)
    }
    for _ in 0..<3000 {
      let a = randomDyadic()
      let b = randomDyadic()
      let (wa, ea) = Wide.from(a)
      let (wb, eb) = Wide.from(b)
      #expect(!(ea.dyadic < (wa.dyadic - a).magnitude))
      #expect(!(eb.dyadic < (wb.dyadic - b).magnitude))
      let (sum, es) = Wide.add(wa, wb)
      #expect(!(es.dyadic < (sum.dyadic - (wa.dyadic + wb.dyadic)).magnitude), "add")
      let (product, ep) = Wide.multiply(wa, wb)
      #expect(!(ep.dyadic < (product.dyadic - wa.dyadic * wb.dyadic).magnitude), "multiply")
      if !wb.isZero {
        let (q, eq) = Wide.divide(wa, wb)
        // |q − a/b| ≤ eq ⇔ |q·b − a| ≤ eq·|b|.
        #expect(!((eq.dyadic * wb.dyadic).magnitude < (q.dyadic * wb.dyadic - wa.dyadic).magnitude), "divide")
      }
      let k = UInt64(rng.next() % 1000 + 1)
      let (qk, ek) = Wide.divide(wa, by: k)
      let kd = Dyadic(Int(k))
      #expect(!((ek.dyadic * kd) < (qk.dyadic * kd - wa.dyadic).magnitude), "divide by \(k)")
    }
  }
}
