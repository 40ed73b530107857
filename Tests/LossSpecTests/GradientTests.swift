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
    let lce = try LossSpec.gradient(gradientRequest(.logitcrossentropy, [0, 0], arr([1, 0]), params: .init(agg: .sum)))
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
