import LossCore

// The gradients of dice_coeff_loss and tversky_loss (no agg: the factor is 1). Both need their
// sums first (the value's own fused reduction, ``OverlapKernel/Chunks``), then a map.
//
// dice, `L = 1 − N/D` with `N = 2Σyŷ + s`, `D = Σy² + Σŷ² + s`, `E = D − N = Σ(ŷ − y)²`:
// `∂L/∂ŷᵢ = 2(N·ŷᵢ − D·yᵢ)/D² = 2((ŷᵢ − yᵢ)/D − (E/D²)·ŷᵢ)` and symmetrically
// `∂L/∂yᵢ = 2((yᵢ − ŷᵢ)/D − (E/D²)·yᵢ)`: the numerator's large products `N·ŷ`, `D·y` never meet.
//
// tversky, `L = 1 − A/B` with `A = Σyŷ + 1`, `B = Σ(yŷ + β(1 − y)ŷ + (1 − β)y(1 − ŷ)) + 1`:
// `∂B/∂ŷᵢ = β` and `∂B/∂yᵢ = 1 − β` exactly (the `yŷ` parts cancel), so
// `∂L/∂ŷᵢ = β·A/B² − yᵢ/B` and `∂L/∂yᵢ = (1 − β)·A/B² − ŷᵢ/B`.

/// One chunk of the dice or tversky gradient map: `∂/∂ŷᵢ = k₁·ŷᵢ·… ` in the forms above, each
/// element `2(dᵢ/D − k·xᵢ)` (dice) or `k − xᵢ/B` (tversky), with the constants precomputed.
struct OverlapGradientChunks<P: Operand, Y: Operand, O: OutputStore>: ChunkBody {
  let dice: Bool
  let p: P
  let y: Y
  /// dice: `D`; tversky: `B` (a double-double: where the gradient's two parts cancel, the
  /// rounding of `D` alone cost 9 bits at n = 10⁴).
  let divisor: DoubleDouble
  /// dice: `E/D²`; tversky: `β·A/B²` (for ŷ) and `(1 − β)·A/B²` (for y).
  let k: DoubleDouble
  let ky: DoubleDouble
  let out: GradientOutputs<O>
  let compensated: Bool
  /// dice with `N = 2Σyŷ + s` exactly 0 (s = 0 and every yᵢŷᵢ = 0): the gradient is `−2yᵢ/D`
  /// (resp. `−2ŷᵢ/D`), exactly 0 where y is, which the `E/D²` form (E ≈ D, summed apart) misses
  /// by a rounding of `ŷᵢ/D`.
  let numeratorZero: Bool

  @inline(__always) func derivatives(_ a: Lanes, _ b: Lanes, target: Bool) -> (yhat: Lanes, y: Lanes) {
    let d = Lanes(repeating: divisor.hi)
    let dLow = Lanes(repeating: compensated ? divisor.lo : 0)
    func dicePart(_ u: Lanes, _ v: Lanes) -> Lanes {
      // 2((u − v)/D − k·u)
      if numeratorZero { return 2 * ((Lanes.zero - v) / d) }
      let (dh, dl) = compensated ? twoSum(u, -v) : (u - v, .zero)
      let (qh, ql) = quotient(dh, dl, d, dLow)
      let (th, tl) = product(Lanes(repeating: k.hi), Lanes(repeating: k.lo), u)
      let (sh, sl) = twoSum(qh, -th)
      return settle((2 * sh, 2 * (sl + ql - tl)))
    }
    func tverskyPart(_ c: DoubleDouble, _ x: Lanes) -> Lanes {
      // c − x/B
      let (qh, ql) = quotient(x, .zero, d, dLow)
      let (sh, sl) = twoSum(Lanes(repeating: c.hi), -qh)
      return settle((sh, sl + c.lo - ql))
    }
    if dice { return (dicePart(a, b), target ? dicePart(b, a) : .zero) }
    return (tverskyPart(k, b), target ? tverskyPart(ky, a) : .zero)
  }

  func callAsFunction(_ range: Range<Int>) -> GradientPartial {
    var target = DoubleDouble.zero
    var bad = Int.max
    let wantsTarget = out.y != nil || out.scalarTarget
    var i = range.lowerBound
    while i < range.upperBound {
      let count = Swift.min(4, range.upperBound - i)
      let keep = leadingLanes(count)
      let a = count == 4 ? p.load(i) : p.loadPartial(i, count: count)
      let b = count == 4 ? y.load(i) : y.loadPartial(i, count: count)
      let (g, gy) = derivatives(a, b, target: wantsTarget)
      out.yhat.store(g, at: i, count: count)
      var finite = finiteLanes(g)
      if let targetOut = out.y {
        targetOut.store(gy, at: i, count: count)
        finite .&= finiteLanes(gy)
      } else if out.scalarTarget {
        for j in 0..<count { target += DoubleDouble(gy[j]) }
        finite .&= finiteLanes(gy)
      }
      if bad == .max && !all(finite .| .!keep) { bad = i }
      i += count
    }
    return GradientPartial(value: .zero, target: target, bad: bad)
  }
}

enum OverlapGradient {
  /// The value and the gradient of dice or tversky: the value's sums (one fused reduction),
  /// the value from them as ``OverlapKernel/evaluate`` computes it, then the gradient map. Sums
  /// that are not finite (non-finite inputs, overflow): the value by the value path and the
  /// gradient by the literal formula `2(N·ŷᵢ − D·yᵢ)/D²` (resp. `(A·β − B·yᵢ)/B²`) in IEEE
  /// arithmetic with the literal sums.
  static func run<P: Operand, Y: Operand, O: OutputStore>(
    _ kind: OverlapKernel.Kind, _ p: P, _ y: Y, count n: Int, out: GradientOutputs<O>, compensated: Bool,
    threads: Int
  ) -> (value: Double, target: Double?) {
    // The chunks of `OverlapKernel.evaluate`, so that the value is the same bits as there.
    let sums = Parallel.reduce(
      count: n, chunk: compensated ? Chunking.length : Chunking.streamingLength, threads: threads,
      cost: compensated ? 4 : 1, OverlapKernel.Chunks(kind: kind, p: p, y: y, compensated: compensated))
    let dice: Bool
    let divisor: DoubleDouble
    var value: Double
    var k = DoubleDouble.zero
    var ky = DoubleDouble.zero
    var numeratorZero = false
    switch kind {
    case .dice(let smooth):
      dice = true
      numeratorZero = smooth == 0 && (0..<n).allSatisfy { y[$0] == 0 || p[$0] == 0 }
      divisor = sums.second + DoubleDouble(smooth)
      let d = divisor.value
      value = sums.first.divided(by: d) + 0
      // E/D², E = Σ(ŷ − y)²
      k = ddQuotient(ddQuotient(sums.first, divisor), divisor)
    case .tversky(let beta):
      dice = false
      divisor = sums.third + DoubleDouble(1)
      value = sums.second.divided(by: divisor.value) + 0
      let a = sums.first + DoubleDouble(1)
      let a2 = ddQuotient(ddQuotient(a, divisor), divisor)
      k = ddProduct(a2, beta)
      // 1 − β as an exact pair.
      let oneMinusBeta = DoubleDouble(1) + DoubleDouble(-beta)
      ky = ddProduct(a2, oneMinusBeta.hi) + ddProduct(DoubleDouble(a2.hi), oneMinusBeta.lo)
    }
    let finiteSums = sums.first.isFinite && sums.second.isFinite && sums.third.isFinite && divisor.isFinite
    if finiteSums {
      let partial = Parallel.reduce(
        count: n, threads: threads, cost: compensated ? 8 : 4,
        OverlapGradientChunks(
          dice: dice, p: p, y: y, divisor: divisor, k: k, ky: ky, out: out, compensated: compensated,
          numeratorZero: numeratorZero))
      if partial.bad == .max {
        return (value, out.scalarTarget ? partial.target.value + 0 : nil)
      }
    }
    value = OverlapKernel.evaluate(kind, p, y, count: n, compensated: compensated, threads: threads)
    return (value, literal(kind, p, y, count: n, out: out))
  }

  /// The literal gradient in IEEE arithmetic (the rare path).
  @inline(never)
  static func literal<P: Operand, Y: Operand, O: OutputStore>(
    _ kind: OverlapKernel.Kind, _ p: P, _ y: Y, count n: Int, out: GradientOutputs<O>
  ) -> Double? {
    var first = 0.0
    var second = 0.0
    for i in 0..<n {
      switch kind {
      case .dice:
        first += y[i] * p[i]
        second += y[i] * y[i] + p[i] * p[i]
      case .tversky(let beta):
        first += y[i] * p[i]
        second += y[i] * p[i] + beta * (1 - y[i]) * p[i] + (1 - beta) * y[i] * (1 - p[i])
      }
    }
    var target = 0.0
    for i in 0..<n {
      let g: Double
      let gy: Double
      switch kind {
      case .dice(let smooth):
        let numerator = 2 * first + smooth
        let denominator = second + smooth
        g = 2 * (numerator * p[i] - denominator * y[i]) / (denominator * denominator)
        gy = 2 * (numerator * y[i] - denominator * p[i]) / (denominator * denominator)
      case .tversky(let beta):
        let a = first + 1
        let b = second + 1
        g = (a * beta - b * y[i]) / (b * b)
        gy = (a * (1 - beta) - b * p[i]) / (b * b)
      }
      out.yhat.store(g + 0, at: i)
      out.y?.store(gy + 0, at: i)
      target += gy
    }
    return out.scalarTarget ? target + 0 : nil
  }
}
