import Foundation
import LossCore
import Testing

@testable import LossSpec

/// A gradient request for one case (a vector unless `shape` is given).
private func gradientRequest(
  _ loss: LossID, _ yhat: [Double], _ y: Target, shape: [Int]? = nil, dtype: DType = .float64,
  params: LossParameters = LossParameters(), withTarget: Bool = true, cotangent: [Double]? = nil
) throws -> LossRequest {
  let s = Shape(shape ?? [yhat.count])
  var target = y
  if case .array(let t) = y, shape != nil { target = .array(try Tensor(shape: s, values: t.values)) }
  return LossRequest(
    loss: loss, dtype: dtype, yhat: try Tensor(shape: s, values: yhat), y: target, params: params,
    gradient: GradientRequest(withTarget: withTarget, cotangent: cotangent))
}

private func arr(_ v: [Double]) -> Target { .array(Tensor(v)) }

private func values(_ elements: [GradientElement]) -> [Double?] {
  elements.map { if case .value(let v) = $0 { v } else { nil } }
}

/// (a) Hand-checkable exact cases. The source of each expected value is the hand derivation in
/// the comment (the derivative of SEMANTICS.md's formula, done on paper), never LossSpec.
@Suite struct GradientExactTests {
  /// An exact tie after the mean's division, decided and rounded to even (it used to stay a ball
  /// around the midpoint, rounded by its midpoint to the odd neighbour).
  @Test func meanGradientOnABFloat16Tie() throws {
    // mse mean over n = 36 with ŷ₁ − y₁ = 18 − 9/256 (both exact in BFloat16): ∂/∂ŷ₁ =
    // 2(18 − 9/256)/36 = 4599/4608 = 0.998046875 = 1 − 2⁻⁹, exactly halfway between the BFloat16
    // values 1 − 2⁻⁸ (significand 0xFF, odd) and 1 (even): ties to even give 1; ∂/∂y₁ = −1.
    var yhat = [Double](repeating: 0, count: 36)
    var y = [Double](repeating: 0, count: 36)
    yhat[0] = 18
    y[0] = 9.0 / 256
    for dtype in [DType.bfloat16] {
      let g = try LossSpec.gradient(try gradientRequest(.mse, yhat, arr(y), dtype: dtype))
      #expect(values(g.yhat).first == 1)
      #expect(values(g.y ?? []).first == -1)
      #expect(g.decided)
    }
    // The same tie in Float16 needs 12 bits: 2(1 − 2⁻¹²)/2 = 1 − 2⁻¹² is halfway between
    // 1 − 2⁻¹¹ (odd) and 1: mean over n = 6 of ŷ₁ − y₁ = 3(1 − 2⁻¹²) = 3 − 3·2⁻¹² (12 bits: not a
    // Float16), so ŷ₁ = 3, y₁ = 3·2⁻¹² instead.
    var h = [Double](repeating: 0, count: 6)
    h[0] = 3
    var t = [Double](repeating: 0, count: 6)
    t[0] = 3 * 0x1p-12
    let g16 = try LossSpec.gradient(try gradientRequest(.mse, h, arr(t), dtype: .float16))
    #expect(values(g16.yhat).first == 1)
    #expect(g16.decided)
  }

  @Test func mseMean() throws {
    // mse mean of [1, 2] vs [0, 0] = ((ŷ₁)² + (ŷ₂)²)/2: ∂/∂ŷ = ŷ = [1, 2], ∂/∂y = −ŷ.
    let g = try LossSpec.gradient(gradientRequest(.mse, [1, 2], arr([0, 0])))
    #expect(g.yhat == [.value(1), .value(2)])
    #expect(g.y == [.value(-1), .value(-2)])
    #expect(g.precision == 96)
    #expect(g.yhatErrorScale == [1, 2])
  }

  @Test func mseNoneWithCotangentAndScalarTarget() throws {
    // agg = none, cotangent c = [3, −1]: c_k·2(ŷ_k − y) = [6, −4]; ∂/∂y (scalar y = 0) is the
    // sum −Σ c_k·2ŷ_k = −6 + 4 = −2.
    let g = try LossSpec.gradient(
      gradientRequest(.mse, [1, 2], .scalar(0), params: LossParameters(agg: Aggregation.none), cotangent: [3, -1]))
    #expect(g.yhat == [.value(6), .value(-4)])
    #expect(g.y == [.value(-2)])
    // No cotangent: all ones.
    let ones = try LossSpec.gradient(
      gradientRequest(.mse, [1, 2], .scalar(0), params: LossParameters(agg: Aggregation.none)))
    #expect(ones.yhat == [.value(2), .value(4)])
    #expect(ones.y == [.value(-6)])
  }

  @Test func cotangentCountIsValidated() throws {
    let request = try gradientRequest(
      .mse, [1, 2], arr([0, 0]), params: LossParameters(agg: Aggregation.none), cotangent: [1, 2, 3])
    #expect {
      try LossSpec.gradient(request)
    } throws: { error in
      let e = error as? LossError
      return e?.kind == .argumentError && e!.message.contains("3") && e!.message.contains("2")
    }
    // Crossentropy with dims: the unreduced result has one element per column (2 here).
    let ce = try gradientRequest(
      .crossentropy, [0.25, 0.75, 0.5, 0.5], arr([1, 0, 0, 1]), shape: [2, 2],
      params: LossParameters(agg: Aggregation.none), cotangent: [1, 1])
    #expect(try LossSpec.gradient(ce).yhat.count == 4)
  }

  @Test func maeKink() throws {
    // mae sum: sign(ŷ − y) = [1, kink, −1]; at ŷ = y the interval [−1, 1].
    let g = try LossSpec.gradient(gradientRequest(.mae, [1, 2, 3], arr([0, 2, 5]), params: .init(agg: .sum)))
    #expect(g.yhat == [.value(1), .subgradient(lower: -1, upper: 1), .value(-1)])
    #expect(g.y == [.value(-1), .subgradient(lower: -1, upper: 1), .value(1)])
    // A negative cotangent keeps lower ≤ upper; the reported answer is the lower end.
    let none = try LossSpec.gradient(
      gradientRequest(.mae, [2], arr([2]), params: .init(agg: Aggregation.none), cotangent: [-2]))
    #expect(none.yhat == [.subgradient(lower: -2, upper: 2)])
    #expect(none.lossGradient.yhat == [-2])
  }

  @Test func hingeAndSquaredHinge() throws {
    // m = 1 − ŷy = [0.5, −1, 0, 2], mean over 4: hinge ∂/∂ŷ = −y/4 where m > 0, 0 where m < 0,
    // the kink [−1/4, 0] at m = 0.
    let yhat: [Double] = [0.5, 2, 1, -1]
    let g = try LossSpec.gradient(gradientRequest(.hinge, yhat, arr([1, 1, 1, 1])))
    #expect(g.yhat == [.value(-0.25), .value(0), .subgradient(lower: -0.25, upper: 0), .value(-0.25)])
    // squared: −2m·y/4 = [−0.25, 0, 0, −1] (no kink at m = 0).
    let s = try LossSpec.gradient(gradientRequest(.squaredHinge, yhat, arr([1, 1, 1, 1])))
    #expect(s.yhat == [.value(-0.25), .value(0), .value(0), .value(-1)])
    // ∂/∂y = −2m·ŷ/4 = [−0.125, 0, 0, 1].
    #expect(s.y == [.value(-0.125), .value(0), .value(0), .value(1)])
  }

  @Test func huberBothBranches() throws {
    // δ = 1, sum: e = [0.5, 3, −2, 1]: e where |e| < 1, else δ·sign(e); |e| = δ gives 1 either way.
    let g = try LossSpec.gradient(
      gradientRequest(.huberLoss, [0.5, 3, -2, 1], .scalar(0), params: .init(agg: .sum, delta: 1)))
    #expect(g.yhat == [.value(0.5), .value(1), .value(-1), .value(1)])
    #expect(g.y == [.value(-1.5)])
  }

  @Test func crossEntropiesAndPoisson() throws {
    // crossentropy ϵ = 0, sum: −y/ŷ = [−4, 0] (exactly 0 for the zero target); ∂/∂y = −log ŷ:
    // −log(1/4) = 2·ln 2 (a doubling, exact in Double).
    let ce = try LossSpec.gradient(
      gradientRequest(.crossentropy, [0.25, 0.75], arr([1, 0]), params: .init(agg: .sum, eps: 0)))
    #expect(ce.yhat == [.value(-4), .value(0)])
    #expect(ce.y?.first == .value(2 * M_LN2))
    // binarycrossentropy ϵ = 0: −y/ŷ + (1 − y)/(1 − ŷ): y = 1 → −4; y = 0 → 1/0.75 = 4/3.
    let bce = try LossSpec.gradient(
      gradientRequest(.binarycrossentropy, [0.25, 0.25], arr([1, 0]), params: .init(agg: .sum, eps: 0)))
    #expect(bce.yhat == [.value(-4), .value(4.0 / 3.0)])
    // ∂/∂y at ŷ = 1/2 is exactly 0 (log(1/2) − log(1/2)).
    let half = try LossSpec.gradient(
      gradientRequest(.binarycrossentropy, [0.5], arr([0.3]), params: .init(agg: .sum, eps: 0)))
    #expect(half.y == [.value(0)])
    // logitbinarycrossentropy: (1 − y) − σ(−ŷ): ŷ = 0, y = 1 → −1/2; ∂/∂y = −ŷ.
    let lbce = try LossSpec.gradient(
      gradientRequest(.logitbinarycrossentropy, [0, 2], arr([1, 0.5]), params: .init(agg: .sum)))
    #expect(lbce.yhat.first == .value(-0.5))
    #expect(lbce.y == [.value(0), .value(-2)])
    // logitcrossentropy sum: softmax([0, 0])·Σy − y = [0.5 − 1, 0.5] = [−0.5, 0.5].
    let lce = try LossSpec.gradient(
      gradientRequest(.logitcrossentropy, [0, 0], arr([1, 0]), params: .init(agg: .sum)))
    #expect(lce.yhat == [.value(-0.5), .value(0.5)])
    // poisson sum: 1 − y/ŷ = [1/2, 1].
    let p = try LossSpec.gradient(gradientRequest(.poissonLoss, [2, 4], arr([1, 0]), params: .init(agg: .sum)))
    #expect(p.yhat == [.value(0.5), .value(1)])
  }

  @Test func diceAndTversky() throws {
    // dice, smooth 1, ŷ = [1, 0], y = [0, 1]: N = 1, D = 3, ∂/∂ŷ_i = 2(N ŷ_i − D y_i)/D² =
    // [2/9, −2/3].
    let d = try LossSpec.gradient(gradientRequest(.diceCoeffLoss, [1, 0], arr([0, 1])))
    #expect(d.yhat == [.value(2.0 / 9.0), .value(-2.0 / 3.0)])
    // tversky β = 1/2, ŷ = y = [1]: L(ŷ) = 1 − (ŷ + 1)/(ŷ/2 + 3/2), L′ = −1/(ŷ/2 + 3/2)² = −1/4.
    let t = try LossSpec.gradient(gradientRequest(.tverskyLoss, [1], arr([1]), params: .init(beta: 0.5)))
    #expect(t.yhat == [.value(-0.25)])
  }

  @Test func errorsAreTheValuesErrors() throws {
    let request = try gradientRequest(.crossentropy, [-1], arr([1]), params: .init(eps: 0))
    var valueKind: LossError.Kind?
    do { _ = try LossSpec.evaluate(request) } catch { valueKind = error.kind }
    #expect(valueKind == .domainError)
    #expect(throws: LossError.self) { try LossSpec.gradient(request) }
    do { _ = try LossSpec.gradient(request) } catch { #expect(error.kind == .domainError) }
  }

  @Test func nonFinite() throws {
    // poisson ŷ = 0, y = 1: 1 − 1/0 = −∞; mse with ŷ = ∞: 2·∞ = ∞; NaN propagates.
    let p = try LossSpec.gradient(gradientRequest(.poissonLoss, [0], arr([1]), params: .init(agg: .sum)))
    #expect(p.yhat == [.value(-.infinity)])
    let m = try LossSpec.gradient(gradientRequest(.mse, [.infinity, 1], arr([0, .nan]), params: .init(agg: .sum)))
    #expect(m.yhat[0] == .value(.infinity))
    if case .value(let v) = m.yhat[1] { #expect(v.isNaN) } else { Issue.record("NaN expected") }
  }

  @Test func float32RoundsToFloat32() throws {
    // mse mean of [1, 2] vs [0, 0] over 3 elements (pad 0): 2ŷ/3 = 2/3, 4/3 rounded to Float32.
    let g = try LossSpec.gradient(gradientRequest(.mse, [1, 2, 0], arr([0, 0, 0]), dtype: .float32))
    #expect(g.yhat == [.value(Double(Float(2.0 / 3.0))), .value(Double(Float(4.0 / 3.0))), .value(0)])
  }

  @Test func referenceAnswer() async throws {
    let answer = await ReferenceImplementation().answer(
      try gradientRequest(.mae, [1, 2], arr([1, 0]), params: .init(agg: .sum)))
    #expect(answer.outcome == .value(.scalar(2)))
    #expect(answer.gradient == .gradient(LossGradient(yhat: [-1, 1], y: [-1, -1])))
    let bad = await ReferenceImplementation().answer(
      try gradientRequest(.mse, [1, 2], arr([0, 0]), params: .init(agg: Aggregation.none), cotangent: [1]))
    if case .error(let e) = bad.outcome { #expect(e.kind == .argumentError) } else { Issue.record("error expected") }
  }
}

/// A random case generator for one loss: ŷ and y ranges chosen inside the loss's domain and away
/// from its kinks, so the gradient is smooth there.
struct GradientCase {
  var loss: LossID
  var yhat: ClosedRange<Double>
  var y: ClosedRange<Double>
  var params: LossParameters = LossParameters()
  /// The class-reducing losses get a matrix, dims and a weight.
  var classes = false
  /// y is ±1 (hinge).
  var signTarget = false

  static let all: [GradientCase] = [
    .init(loss: .mae, yhat: -2...2, y: -2...2),
    .init(loss: .mse, yhat: -2...2, y: -2...2),
    .init(loss: .msle, yhat: 0.1...3, y: 0.1...3),
    .init(loss: .huberLoss, yhat: -1...1, y: 0...1, params: .init(delta: 0.5)),
    .init(loss: .crossentropy, yhat: 0.05...1, y: 0.05...1, classes: true),
    .init(loss: .logitcrossentropy, yhat: -3...3, y: 0.05...1, classes: true),
    .init(loss: .binarycrossentropy, yhat: 0.05...0.95, y: 0...1),
    .init(loss: .logitbinarycrossentropy, yhat: -4...4, y: 0...1),
    .init(loss: .kldivergence, yhat: 0.05...1, y: 0.05...1, classes: true),
    .init(loss: .poissonLoss, yhat: 0.1...3, y: 0...3),
    .init(loss: .hinge, yhat: -3...3, y: -1...1, signTarget: true),
    .init(loss: .squaredHinge, yhat: -3...3, y: -1...1, signTarget: true),
    .init(loss: .diceCoeffLoss, yhat: 0...1, y: 0...1),
    .init(loss: .tverskyLoss, yhat: 0...1, y: 0...1, params: .init(beta: 0.75)),
  ]

  var hasAgg: Bool { loss != .diceCoeffLoss && loss != .tverskyLoss }

  /// A random request: shape [4, 2] (class losses: dims 1, a weight of shape [4], 2 groups) or
  /// [8]; the given agg (`none` with a random cotangent).
  func request(_ rng: inout SplitMix64, agg: Aggregation, dtype: DType = .float64, variety: Bool = false) throws
    -> LossRequest
  {
    func uniform(_ r: ClosedRange<Double>) -> Double {
      let v = r.lowerBound + (r.upperBound - r.lowerBound) * Double(rng.next() >> 11) * 0x1p-53
      return dtype == .float32 ? Double(Float(v)) : v
    }
    let shape = classes ? [4, 2] : [8]
    let n = 8
    let yhat = (0..<n).map { _ in uniform(self.yhat) }
    let y = (0..<n).map { _ in signTarget ? (rng.next() & 1 == 0 ? -1.0 : 1.0) : uniform(self.y) }
    var params = self.params
    var cotangent: [Double]?
    // With `variety`, the class losses also reduce over dims 2 (4 groups) or both dims (1 group),
    // with a scalar weight half of the time.
    var groups = classes ? 2 : n
    if classes && variety {
      switch rng.next() % 3 {
      case 0: params.dims = [1]
      case 1:
        params.dims = [2]
        groups = 4
      default:
        params.dims = [1, 2]
        groups = 1
      }
    }
    if hasAgg {
      params.agg = agg
      if agg == .none { cotangent = (0..<groups).map { _ in uniform(-2...2) } }
    }
    if classes && loss != .kldivergence {
      if variety && rng.next() & 1 == 0 {
        params.weight = .scalar(uniform(0.5...2))
      } else {
        params.weight = .array(try Tensor(shape: Shape([4]), values: (0..<4).map { _ in uniform(0.5...2) }))
      }
    }
    let s = Shape(shape)
    return LossRequest(
      loss: loss, dtype: dtype, yhat: try Tensor(shape: s, values: yhat), y: .array(try Tensor(shape: s, values: y)),
      params: params, gradient: GradientRequest(withTarget: true, cotangent: cotangent))
  }

  /// Whether element `i` is too near a kink or a branch point for a central difference.
  func nearKink(_ request: LossRequest, _ i: Int) -> Bool {
    guard case .array(let t) = request.y else { return false }
    let (x, y) = (request.yhat.values[i], t.values[i])
    switch loss {
    case .mae: return abs(x - y) < 1e-3
    case .huberLoss: return abs(abs(x - y) - 0.5) < 1e-3
    case .hinge, .squaredHinge: return abs(1 - x * y) < 1e-3
    default: return false
    }
  }
}

func plain(_ e: GradientElement) -> Double {
  switch e {
  case .value(let v): v
  case .subgradient(let lower, _): lower
  }
}

/// (b) Identities and a numerical first-order check, on random Float64 cases of every loss.
@Suite struct GradientLawTests {
  /// ∇mean = ∇sum / n, exactly (n = 8 terms, or 2 groups for the class losses: powers of two).
  @Test func meanIsSumOverCount() throws {
    var rng = SplitMix64(seed: 14)
    var checked = 0
    for c in GradientCase.all where c.hasAgg {
      for _ in 0..<10 {
        let mean = try c.request(&rng, agg: .mean, variety: true)
        var sum = mean
        sum.params.agg = .sum
        let gm = try LossSpec.gradient(mean)
        let gs = try LossSpec.gradient(sum)
        let count = Double(mean.unreducedCount(dims: Set(mean.params.dims ?? [1])))
        #expect(gm.yhat.map(plain) == gs.yhat.map { plain($0) / count }, "\(c.loss)")
        #expect(gm.y!.map(plain) == gs.y!.map { plain($0) / count }, "\(c.loss)")
        checked += 1
      }
    }
    #expect(checked == 120)
  }

  /// logitcrossentropy: `∂/∂ŷ = f·(softmax(ŷ)·Σ(w y) − w y)` per column, computed here in Double
  /// (so compared to 1e-13 of the summands' magnitude).
  @Test func logitcrossentropyIsSoftmaxMinusTarget() throws {
    var rng = SplitMix64(seed: 1402)
    let c = GradientCase.all.first { $0.loss == .logitcrossentropy }!
    for agg in [Aggregation.mean, .sum] {
      for _ in 0..<20 {
        let request = try c.request(&rng, agg: agg)
        let g = try LossSpec.gradient(request)
        guard case .array(let yt) = request.y, case .array(let wt)? = request.params.weight else { return }
        let x = request.yhat.values
        let factor = agg == .mean ? 0.5 : 1
        for col in 0..<2 {
          let idx = (0..<4).map { col * 4 + $0 }
          let m = idx.map { x[$0] }.max()!
          let z = idx.map { Foundation.exp(x[$0] - m) }.reduce(0, +)
          let wy = idx.map { wt.values[$0 - col * 4] * yt.values[$0] }
          let total = wy.reduce(0, +)
          for (k, i) in idx.enumerated() {
            let softmax = Foundation.exp(x[i] - m) / z
            let expected = factor * (softmax * total - wy[k])
            let tol = 1e-13 * factor * (softmax * total + wy[k])
            #expect(abs(plain(g.yhat[i]) - expected) <= tol, "element \(i)")
          }
        }
      }
    }
  }

  /// crossentropy: `∂/∂ŷ = −f·w·y/(ŷ + ϵ)` (Double, a few roundings: 4 ulps); kldivergence's
  /// ŷ-gradient equals crossentropy's exactly.
  @Test func crossentropyAndKL() throws {
    var rng = SplitMix64(seed: 1403)
    let c = GradientCase.all.first { $0.loss == .crossentropy }!
    for agg in [Aggregation.mean, .sum] {
      for _ in 0..<20 {
        let request = try c.request(&rng, agg: agg)
        let g = try LossSpec.gradient(request)
        var kl = request
        kl.loss = .kldivergence
        kl.params.weight = nil
        var unweighted = request
        unweighted.params.weight = nil
        #expect(try LossSpec.gradient(kl).yhat == LossSpec.gradient(unweighted).yhat)
        guard case .array(let yt) = request.y, case .array(let wt)? = request.params.weight else { return }
        let eps = 0x1p-52
        for i in 0..<8 {
          let expected = -(agg == .mean ? 0.5 : 1) * wt.values[i % 4] * yt.values[i] / (request.yhat.values[i] + eps)
          #expect(abs(plain(g.yhat[i]) - expected) <= 4 * expected.ulp, "element \(i)")
        }
      }
    }
  }

  /// hinge: every ŷ-element is 0 or −y/n exactly (n = 8), or the kink between them.
  @Test func hingeIsZeroOrMinusTargetOverN() throws {
    var rng = SplitMix64(seed: 1404)
    let c = GradientCase(loss: .hinge, yhat: -2...2, y: -2...2)
    for _ in 0..<50 {
      let request = try c.request(&rng, agg: .mean)
      guard case .array(let yt) = request.y else { return }
      for (i, e) in try LossSpec.gradient(request).yhat.enumerated() {
        let v = -yt.values[i] / 8
        switch e {
        case .value(let g): #expect(g == 0 || g == v)
        case .subgradient(let lower, let upper): #expect([lower, upper].sorted() == [0, v].sorted())
        }
      }
    }
  }

  /// A loose first-order sanity check (not exact): `(L(x + h) − L(x − h)) / 2h` with
  /// `h = 2^(⌊log₂|xᵢ|⌋ − 20)` (so `x ± h` are Float64 values), both values by `LossSpec.evaluate`,
  /// agrees with the gradient to 1e-6 of `|g| + S + |L|/|xᵢ|` (the last term: the values'
  /// rounding over the step). For ŷ and y, every loss, every agg (`none` with its cotangent).
  @Test func centralDifferences() throws {
    var rng = SplitMix64(seed: 1405)
    var perLoss: [LossID: Int] = [:]
    var at96 = 0
    var total = 0
    for c in GradientCase.all {
      for agg in (c.hasAgg ? [Aggregation.mean, .sum, .none] : [.mean]) {
        for _ in 0..<(c.hasAgg ? 4 : 12) {
          let request = try c.request(&rng, agg: agg, variety: true)
          let g = try LossSpec.gradient(request)
          total += 1
          if g.precision == 96 { at96 += 1 }
          let cot = request.gradient?.cotangent
          func value(_ r: LossRequest) throws -> Double {
            let v = try LossSpec.evaluate(r).rounded
            guard let cot else { return v[0] }
            return zip(cot, v).map { $0 * $1 }.reduce(0, +)
          }
          let l0 = abs(try value(request))
          for i in 0..<8 where !c.nearKink(request, i) {
            for argument in [GradientRequest.Argument.yhat, .y] {
              var plus = request
              var minus = request
              let x: Double
              let derivative: Double
              let scale: Double
              if argument == .yhat {
                x = request.yhat.values[i]
                derivative = plain(g.yhat[i])
                scale = g.yhatErrorScale[i]
              } else {
                guard case .array(let t) = request.y else { continue }
                x = t.values[i]
                derivative = plain(g.y![i])
                scale = g.yErrorScale![i]
              }
              guard x != 0 else { continue }
              let h = Double(sign: .plus, exponent: x.exponent - 20, significand: 1)
              if argument == .yhat {
                plus.yhat.values[i] = x + h
                minus.yhat.values[i] = x - h
              } else if case .array(var t) = request.y {
                t.values[i] = x + h
                plus.y = .array(t)
                t.values[i] = x - h
                minus.y = .array(t)
              }
              let fd = (try value(plus) - value(minus)) / (2 * h)
              let tol = 1e-6 * (abs(derivative) + scale + l0 / abs(x))
              #expect(abs(fd - derivative) <= tol, "\(c.loss) \(agg) \(argument) element \(i): \(fd) vs \(derivative)")
              perLoss[c.loss, default: 0] += 1
            }
          }
        }
      }
    }
    #expect(perLoss.count == 14)
    print(
      "gradient central differences: \(total) cases, \(at96) decided at 96 bits; elements per loss:",
      perLoss.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }.joined(
        separator: " "))
  }
}

/// Float32, budgets, and edge values.
@Suite struct GradientDTypeAndEdgeTests {
  /// The Float32 gradient of Float32 inputs is the exact gradient rounded to Float32, so it is
  /// within one Float32 ulp of the Float64 gradient of the same inputs (same ϵ, given explicitly).
  @Test func float32AgreesWithFloat64() throws {
    var rng = SplitMix64(seed: 1406)
    var checked = 0
    for c in GradientCase.all {
      for agg in (c.hasAgg ? [Aggregation.mean, .sum, .none] : [.mean]) {
        var r32 = try c.request(&rng, agg: agg, dtype: .float32)
        if [.msle, .crossentropy, .binarycrossentropy, .kldivergence].contains(c.loss) { r32.params.eps = 0x1p-23 }
        var r64 = r32
        r64.dtype = .float64
        let g32 = try LossSpec.gradient(r32)
        let g64 = try LossSpec.gradient(r64)
        for (a, b) in zip(g32.yhat + g32.y!, g64.yhat + g64.y!) {
          let x = Float(plain(a))
          #expect(Double(x) == plain(a), "\(c.loss): not a Float32 value")
          #expect(abs(Double(x) - plain(b)) <= Double(Float(plain(b)).ulp), "\(c.loss) \(agg)")
          checked += 1
        }
      }
    }
    #expect(checked > 500)
  }

  @Test func budgetIsHonoured() throws {
    let n = 20_000
    let request = LossRequest(
      loss: .logitcrossentropy, dtype: .float64, yhat: Tensor((0..<n).map { Double($0) / 7 }),
      y: .array(Tensor([Double](repeating: 0.5, count: n))), budget: 1e-4, gradient: GradientRequest())
    do {
      _ = try LossSpec.gradient(request)
      Issue.record("the budget was not honoured")
    } catch {
      #expect(error.kind == .other && error.message.hasPrefix("budget exceeded"))
    }
  }

  @Test func scalarTargetOfAClassLoss() throws {
    // logitcrossentropy sum, ŷ = [0, 0], y = 0.5 broadcast: softmax·Σy − y = 0.5·1 − 0.5 = 0;
    // ∂/∂y (scalar) = Σ_j −logsoftmax_j = −2·log(1/2) = 2·ln 2 (a doubling, exact in Double).
    let g = try LossSpec.gradient(gradientRequest(.logitcrossentropy, [0, 0], .scalar(0.5), params: .init(agg: .sum)))
    #expect(g.yhat == [.value(0), .value(0)])
    #expect(g.y == [.value(2 * M_LN2)])
  }

  @Test func edgeValues() throws {
    // logitcrossentropy with a +∞ logit (NNlib's rule): softmax = [1, 0], Σy = 1: [1 − 0, 0 − 1].
    let lce = try LossSpec.gradient(
      gradientRequest(.logitcrossentropy, [.infinity, 0], arr([0, 1]), params: .init(agg: .sum)))
    #expect(lce.yhat == [.value(1), .value(-1)])
    // kldivergence at a zero target: ∂/∂y = log(0) + 1 − log(ŷ + ϵ) = −∞ (SEMANTICS: xlogx′ = log x + 1).
    let kl = try LossSpec.gradient(gradientRequest(.kldivergence, [0.5, 0.5], arr([0, 1]), params: .init(agg: .sum)))
    #expect(kl.y?.first == .value(-.infinity))
    #expect(kl.yhat.first == .value(0))
    // logitbinarycrossentropy saturated: ŷ = 800: (1 − y) − σ(−800), σ(−800) ≈ 3.7e-348 < the
    // smallest subnormal: rounds to 1 − y exactly for y = 0; ŷ = −800, y = 1: 0 − (1 − tiny) → −1.
    let lbce = try LossSpec.gradient(
      gradientRequest(.logitbinarycrossentropy, [800, -800], arr([0, 1]), params: .init(agg: .sum)))
    #expect(lbce.yhat == [.value(1), .value(-1)])
    // binarycrossentropy (Flux #914 / pytorch #103316 territory): ŷ = 2⁻³⁰, y = 0, ϵ = 0 → 1/(1 − ŷ).
    let bce = try LossSpec.gradient(
      gradientRequest(.binarycrossentropy, [0x1p-30], arr([0]), params: .init(agg: .sum, eps: 0)))
    #expect(bce.yhat == [.value(1 / (1 - 0x1p-30))])
  }
}

/// Timing of `LossSpec.gradient` (ŷ and y, agg = mean) on n random Float64 elements per loss;
/// opt-in (`LOSSSPEC_GRADIENT_TIMING=1`), as it takes longer than the suite's budget in debug.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["LOSSSPEC_GRADIENT_TIMING"] != nil))
struct GradientTimingTests {
  @Test(arguments: [1_000, 10_000]) func timing(n: Int) throws {
    var rng = SplitMix64(seed: 1407)
    for c in GradientCase.all {
      func uniform(_ r: ClosedRange<Double>) -> Double {
        r.lowerBound + (r.upperBound - r.lowerBound) * Double(rng.next() >> 11) * 0x1p-53
      }
      let yhat = (0..<n).map { _ in uniform(c.yhat) }
      let y = (0..<n).map { _ in c.signTarget ? (rng.next() & 1 == 0 ? -1.0 : 1.0) : uniform(c.y) }
      let request = LossRequest(
        loss: c.loss, dtype: .float64, yhat: Tensor(yhat), y: .array(Tensor(y)), params: c.params,
        gradient: GradientRequest(withTarget: true))
      let clock = ContinuousClock()
      var precision = 0
      let elapsed = try clock.measure { precision = try LossSpec.gradient(request).precision }
      print("gradient timing n=\(n) \(c.loss.rawValue): \(elapsed) at \(precision) bits")
    }
  }
}
