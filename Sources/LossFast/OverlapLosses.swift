import LossCore

/// dice_coeff_loss and tversky_loss: two sums over all elements in one fused pass, then a
/// quotient in the numerically sound form (no `1 − q` cancellation).
enum OverlapKernel {
  /// dice: `1 − (2Σyŷ + s)/(Σy² + Σŷ² + s)`, evaluated as `Σ(ŷ − y)² / (Σ(y² + ŷ²) + s)`
  /// (equal in exact arithmetic: the numerator is `D − N`). tversky:
  /// `1 − (TP + 1)/(D + 1)` with `D = Σ(yŷ + β(1 − y)ŷ + (1 − β)y(1 − ŷ))`, evaluated as
  /// `E/(TP + E + 1)` with `E = Σ(β(1 − y)ŷ + (1 − β)y(1 − ŷ)) = D − TP`.
  enum Kind { case dice(smooth: Double), tversky(beta: Double) }

  @inline(__always)
  static func terms<A: LaneAccumulator>(_ kind: Kind, _ p: Lanes, _ y: Lanes, _: A.Type)
    -> (first: (Lanes, Lanes), second: (Lanes, Lanes))
  {
    switch kind {
    case .dice:
      if A.compensated {
        let (dh, dl) = twoSum(p, -y)
        let (s, e) = twoSum(y * y, p * p)
        return ((dh * dh, 2 * dh * dl), (s, e))
      }
      let d = p - y
      return ((d * d, .zero), (y * y + p * p, .zero))
    case .tversky(let beta):
      let falsePositive = beta * ((1 - y) * p)
      let falseNegative = (1 - beta) * (y * (1 - p))
      if A.compensated {
        return ((y * p, .zero), twoSum(falsePositive, falseNegative))
      }
      return ((y * p, .zero), (falsePositive + falseNegative, .zero))
    }
  }

  static func chunk<P: Operand, Y: Operand, A: LaneAccumulator>(
    _ kind: Kind, _ p: P, _ y: Y, _ range: Range<Int>, _: A.Type
  ) -> SumPair {
    var first = A()
    var second = A()
    var i = range.lowerBound
    while i < range.upperBound {
      let count = Swift.min(4, range.upperBound - i)
      if count == 4 {
        let (f, s) = terms(kind, p.load(i), y.load(i), A.self)
        first.add(f.0, f.1)
        second.add(s.0, s.1)
      } else {
        let drop = .!leadingLanes(count)
        let (f, s) = terms(kind, p.loadPartial(i, count: count), y.loadPartial(i, count: count), A.self)
        first.add(f.0.replacing(with: 0, where: drop), f.1.replacing(with: 0, where: drop))
        second.add(s.0.replacing(with: 0, where: drop), s.1.replacing(with: 0, where: drop))
      }
      i += count
    }
    return SumPair(first: first.total, second: second.total)
  }

  static func evaluate<P: Operand, Y: Operand>(
    _ kind: Kind, _ p: P, _ y: Y, count n: Int, compensated: Bool, threads: Int
  ) -> Double {
    let sums = Parallel.reduce(count: n, threads: threads, cost: 1) { range in
      compensated
        ? chunk(kind, p, y, range, CompensatedAccumulator.self) : chunk(kind, p, y, range, PlainAccumulator.self)
    }
    if sums.first.isFinite && sums.second.isFinite {
      switch kind {
      case .dice(let smooth):
        // Σ(ŷ − y)² / (Σ(y² + ŷ²) + s)
        let denominator = (sums.second + DoubleDouble(smooth)).value
        return sums.first.divided(by: denominator) + 0
      case .tversky:
        // E / (TP + E + 1)
        let denominator = (sums.first + sums.second + DoubleDouble(1)).value
        return sums.second.divided(by: denominator) + 0
      }
    }
    return literal(kind, p, y, count: n)
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
