import LossCore

/// The per-element parts of dice or tversky, each as `hi + lo` (`lo` zero unless compensated).
protocol OverlapTerms {
  func terms<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _: A.Type)
    -> (first: (Lanes, Lanes), second: (Lanes, Lanes), third: (Lanes, Lanes))
}

/// dice_coeff_loss and tversky_loss: two sums over all elements in one fused pass, then a
/// quotient in the numerically sound form (no `1 − q` cancellation).
enum OverlapKernel {
  /// dice: `1 − (2Σyŷ + s)/(Σy² + Σŷ² + s)`, evaluated as `Σ(ŷ − y)² / (Σ(y² + ŷ²) + s)`
  /// (equal in exact arithmetic: the numerator is `D − N`). tversky:
  /// `1 − (TP + 1)/(D + 1)` with `D = Σ(yŷ + β(1 − y)ŷ + (1 − β)y(1 − ŷ))`, evaluated as
  /// `E/(D + 1)` with `E = Σ(β(1 − y)ŷ + (1 − β)y(1 − ŷ)) = D − TP` and `D` summed as
  /// `Σ(βŷ + (1 − β)y)` (the `yŷ` terms of `D` cancel exactly, so large products never meet).
  enum Kind {
    case dice(smooth: Double)
    case tversky(beta: Double)
  }

  /// dice's per-element parts: `(ŷ − y)²` and `y² + ŷ²`.
  struct DiceTerms: OverlapTerms {
    @inline(__always) func terms<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _: A.Type)
      -> (first: (Lanes, Lanes), second: (Lanes, Lanes), third: (Lanes, Lanes))
    {
      if A.compensated {
        // Every square error-free: the gradient, 2((ŷᵢ − yᵢ)/D − (E/D²)·ŷᵢ), cancels where the
        // two parts meet, and a rounded square per term left E and D about an ulp off (4.9 bits
        // of gradient error at n = 10⁴).
        let (dh, dl) = twoSum(p, -y)
        let (d2, d2e) = twoProduct(dh, dh)
        let (y2, y2e) = twoProduct(y, y)
        let (p2, p2e) = twoProduct(p, p)
        let (s, e) = twoSum(y2, p2)
        return ((d2, d2e + 2 * dh * dl), (s, e + (y2e + p2e)), (.zero, .zero))
      }
      let d = p - y
      return ((d * d, .zero), (y * y + p * p, .zero), (.zero, .zero))
    }
  }

  /// tversky's per-element parts: `yŷ` (0 when `valueOnly`: the value `E/(D + 1)` does not use
  /// it, the gradient does), `β(1 − y)ŷ + (1 − β)y(1 − ŷ)` and `βŷ + (1 − β)y`.
  struct TverskyTerms: OverlapTerms {
    let beta: Double
    let valueOnly: Bool
    @inline(__always) func terms<A: LaneAccumulator>(_ p: Lanes, _ y: Lanes, _: A.Type)
      -> (first: (Lanes, Lanes), second: (Lanes, Lanes), third: (Lanes, Lanes))
    {
      let falsePositive = beta * ((1 - y) * p)
      let falseNegative = (1 - beta) * (y * (1 - p))
      let total = beta * p + (1 - beta) * y
      let overlap = valueOnly ? Lanes.zero : y * p
      if A.compensated {
        return ((overlap, .zero), twoSum(falsePositive, falseNegative), (total, .zero))
      }
      return ((overlap, .zero), (falsePositive + falseNegative, .zero), (total, .zero))
    }
  }

  /// A chunk of ``evaluate``.
  struct Chunks<P: Operand, Y: Operand>: ChunkBody {
    let kind: Kind
    let p: P
    let y: Y
    let compensated: Bool
    /// tversky: leave out the first sum, `Σyŷ` (0 then), which only the gradient needs.
    var valueOnly = false
    func callAsFunction(_ range: Range<Int>) -> SumTriple {
      // Float data: the C kernels' three sums (the same terms in Double, sixteen lanes).
      if !compensated, range.count >= VectorKernels.minimumCount, let pf = p.floats(from: range.lowerBound),
        let yf = y.floats(from: range.lowerBound),
        let sums = VectorKernels.overlapSums(kind, pf, yf, count: range.count, valueOnly: valueOnly)
      {
        return sums
      }
      if compensated, range.count >= VectorKernels.minimumCount, let pd = p.doubles(from: range.lowerBound),
        let yd = y.doubles(from: range.lowerBound),
        let sums = VectorKernels.compensatedOverlapSums(kind, pd, yd, count: range.count, valueOnly: valueOnly)
      {
        return sums
      }
      switch kind {
      case .dice:
        return compensated
          ? chunk(DiceTerms(), p, y, range, CompensatedAccumulator.self)
          : chunk(DiceTerms(), p, y, range, PlainAccumulator.self)
      case .tversky(let beta):
        return compensated
          ? chunk(TverskyTerms(beta: beta, valueOnly: valueOnly), p, y, range, CompensatedAccumulator.self)
          : chunk(TverskyTerms(beta: beta, valueOnly: valueOnly), p, y, range, PlainAccumulator.self)
      }
    }
  }

  /// The three sums over `range`: two interleaved sets of accumulators (8 elements a step, so
  /// that consecutive additions do not wait on each other), the tail as one or two masked
  /// vectors.
  @inline(__always)
  static func chunk<T: OverlapTerms, P: Operand, Y: Operand, A: LaneAccumulator>(
    _ terms: T, _ p: P, _ y: Y, _ range: Range<Int>, _: A.Type
  ) -> SumTriple {
    var first = (A(), A())
    var second = (A(), A())
    var third = (A(), A())
    var i = range.lowerBound
    let end = range.upperBound
    while i + 8 <= end {
      let (f0, s0, t0) = terms.terms(p.load(i), y.load(i), A.self)
      let (f1, s1, t1) = terms.terms(p.load(i + 4), y.load(i + 4), A.self)
      first.0.add(f0.0, f0.1)
      second.0.add(s0.0, s0.1)
      third.0.add(t0.0, t0.1)
      first.1.add(f1.0, f1.1)
      second.1.add(s1.0, s1.1)
      third.1.add(t1.0, t1.1)
      i += 8
    }
    while i < end {
      let count = Swift.min(4, end - i)
      if count == 4 {
        let (f, s, t) = terms.terms(p.load(i), y.load(i), A.self)
        first.0.add(f.0, f.1)
        second.0.add(s.0, s.1)
        third.0.add(t.0, t.1)
      } else {
        let drop = .!leadingLanes(count)
        let (f, s, t) = terms.terms(p.loadPartial(i, count: count), y.loadPartial(i, count: count), A.self)
        first.1.add(f.0.replacing(with: 0, where: drop), f.1.replacing(with: 0, where: drop))
        second.1.add(s.0.replacing(with: 0, where: drop), s.1.replacing(with: 0, where: drop))
        third.1.add(t.0.replacing(with: 0, where: drop), t.1.replacing(with: 0, where: drop))
      }
      i += count
    }
    return SumTriple(
      first: first.0.total + first.1.total, second: second.0.total + second.1.total,
      third: third.0.total + third.1.total)
  }

  static func evaluate<P: Operand, Y: Operand>(
    _ kind: Kind, _ p: P, _ y: Y, count n: Int, compensated: Bool, threads: Int
  ) -> Double {
    let sums = Parallel.reduce(
      count: n, chunk: compensated ? Chunking.length : Chunking.streamingLength, threads: threads,
      cost: compensated ? 4 : 1, Chunks(kind: kind, p: p, y: y, compensated: compensated, valueOnly: true))
    if sums.first.isFinite && sums.second.isFinite && sums.third.isFinite {
      switch kind {
      case .dice(let smooth):
        // Σ(ŷ − y)² / (Σ(y² + ŷ²) + s)
        let denominator = (sums.second + DoubleDouble(smooth)).value
        return sums.first.divided(by: denominator) + 0
      case .tversky:
        // E / (D + 1)
        let denominator = (sums.third + DoubleDouble(1)).value
        return sums.second.divided(by: denominator) + 0
      }
    }
    if case .dice(let smooth) = kind, let value = rescaledDice(p, y, count: n, smooth: smooth) {
      return value
    }
    return literal(kind, p, y, count: n)
  }

  /// dice with finite inputs whose squares overflow (Float64 beyond about 1e154): dice is
  /// invariant under scaling ŷ, y and `smooth` by `s²`, so the inputs are scaled by a power of two
  /// that brings the largest to about 1 (`smooth·s²` may underflow: it is then negligible
  /// against the scaled sum of squares, which is at least about 1).
  @inline(never)
  static func rescaledDice<P: Operand, Y: Operand>(_ p: P, _ y: Y, count n: Int, smooth: Double) -> Double? {
    var largest = 0.0
    for i in 0..<n {
      guard p[i].isFinite, y[i].isFinite else { return nil }
      largest = Swift.max(largest, Swift.abs(p[i]), Swift.abs(y[i]))
    }
    guard largest > 0x1p500 else { return nil }
    let scale = Double(sign: .plus, exponent: -largest.exponent, significand: 1)
    let sums = chunk(
      DiceTerms(), ScaledOperand(base: p, scale: scale), ScaledOperand(base: y, scale: scale), 0..<n,
      CompensatedAccumulator.self)
    guard sums.first.isFinite && sums.second.isFinite else { return nil }
    let denominator = (sums.second + DoubleDouble(smooth * scale * scale)).value
    return sums.first.divided(by: denominator) + 0
  }

  /// The literal formula by IEEE's rules (non-finite inputs, or sums beyond Double's range).
  @inline(never)
  static func literal<P: Operand, Y: Operand>(_ kind: Kind, _ p: P, _ y: Y, count n: Int) -> Double {
    switch kind {
    case .dice(let smooth):
      var overlap = 0.0
      var ySquares = 0.0
      var pSquares = 0.0
      for i in 0..<n {
        overlap += y[i] * p[i]
        ySquares += y[i] * y[i]
        pSquares += p[i] * p[i]
      }
      return 1 - (2 * overlap + smooth) / (ySquares + pSquares + smooth) + 0
    case .tversky(let beta):
      var truePositive = 0.0
      var denominator = 0.0
      for i in 0..<n {
        let (a, b) = (y[i], p[i])
        truePositive += a * b
        denominator += a * b + beta * (1 - a) * b + (1 - beta) * a * (1 - b)
      }
      return 1 - (truePositive + 1) / (denominator + 1) + 0
    }
  }
}
