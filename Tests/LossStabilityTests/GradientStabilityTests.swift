import Foundation
import LossCore
import LossReports
import LossSpec
import Testing

@testable import LossStability

/// A request for ∂L/∂ŷ of `loss` on inputs rounded to `dtype`.
func gradientRequest(
  _ loss: LossID, _ yhat: [Double], _ y: [Double], dtype: DType, shape: [Int]? = nil,
  params: LossParameters = .init()
) throws -> LossRequest {
  let s = Shape(shape ?? [yhat.count])
  return LossRequest(
    loss: loss, dtype: dtype, yhat: try Tensor(shape: s, values: yhat.map(dtype.round)),
    y: .array(try Tensor(shape: s, values: y.map(dtype.round))), params: params, gradient: GradientRequest())
}

/// The Flux-order ∂L/∂ŷ (Zygote's rules for Flux's source), or nil when it answered none.
func fluxGradient(_ request: LossRequest) -> [Double]? {
  guard case .gradient(let g)? = NaiveFluxImplementation().answerNow(request).gradient else { return nil }
  return g.yhat
}

/// Whether `r` is within 4 ulps of LossSpec's element `i`, or within 16·u·S of it where the
/// derivative cancels (S: LossSpec's error scale of the element, `|f|·Σ|summands|`; u = 2⁻ᵖ).
/// logitcrossentropy needs the second: `softmax·Σy − y` cancels when y is not one-hot, and
/// NNlib recomputes softmax as `exp` of the rounded logsoftmax (10–20 ulps on the benign case).
func agrees(_ r: Double, _ exact: SpecGradient, _ i: Int) -> Bool {
  let (ulps, _) = Accuracy.grade(element: r, reference: exact.yhat[i], dtype: exact.dtype)
  if ulps <= 4 { return true }
  guard case .value(let v) = exact.yhat[i] else { return false }
  let u = exact.dtype.unitRoundoff
  return abs(r - v) <= 16 * u * exact.yhatErrorScale[i]
}

/// Flux-order gradients against LossSpec's exact gradient (the independent reference) on benign
/// inputs, where the derivative is well conditioned: a few ulps per element.
@Suite struct FluxOrderGradientTests {
  /// One benign case per loss: moderate values, no kink, no cancellation.
  static let benign: [(LossID, [Double], [Double], [Int]?, LossParameters)] = [
    (.mae, [0.3, -1.2, 2.5], [0.1, 0.4, 2.0], nil, .init()),
    (.mse, [0.3, -1.2, 2.5], [0.1, 0.4, 2.0], nil, .init()),
    (.msle, [0.3, 1.7, 2.5], [0.1, 0.4, 2.0], nil, .init()),
    (.huberLoss, [0.3, -1.2, 2.5], [0.1, 0.4, 2.0], nil, .init()),
    (.crossentropy, [0.2, 0.3, 0.5, 0.6, 0.3, 0.1], [0, 1, 0, 0.5, 0.25, 0.25], [3, 2], .init()),
    (.logitcrossentropy, [0.2, -1.3, 2.5, 0.6, 0.3, -0.1], [0, 1, 0, 0.5, 0.25, 0.25], [3, 2], .init()),
    (.binarycrossentropy, [0.2, 0.7, 0.45], [0, 1, 0.3], nil, .init()),
    (.logitbinarycrossentropy, [0.2, -1.7, 2.45], [0, 1, 0.3], nil, .init()),
    (.kldivergence, [0.2, 0.3, 0.5, 0.6, 0.3, 0.1], [0.1, 0.6, 0.3, 0.5, 0.25, 0.25], [3, 2], .init()),
    (.poissonLoss, [0.3, 1.7, 2.5], [1, 0, 2], nil, .init()),
    (.hinge, [0.3, -1.7, 0.5], [1, -1, -1], nil, .init()),
    (.squaredHinge, [0.3, -1.7, 0.5], [1, -1, -1], nil, .init()),
    (.diceCoeffLoss, [0.3, 0.7, 0.1], [0, 1, 1], nil, .init()),
    (.tverskyLoss, [0.3, 0.7, 0.1], [0, 1, 1], nil, .init()),
  ]

  /// The dtypes the Flux order emulates (not BFloat16).
  @Test(arguments: LossID.allCases, NaiveFluxImplementation().dtypes)
  func agreesWithLossSpecOnBenignInputs(loss: LossID, dtype: DType) throws {
    let (_, yhat, y, shape, params) = try #require(Self.benign.first { $0.0 == loss })
    for agg in [Aggregation.mean, .sum] {
      var p = params
      if loss != .diceCoeffLoss && loss != .tverskyLoss { p.agg = agg }
      let request = try gradientRequest(loss, yhat, y, dtype: dtype, shape: shape, params: p)
      let exact = try LossSpec.gradient(request)
      let flux = try #require(fluxGradient(request), "no gradient for \(loss.rawValue)")
      try #require(flux.count == exact.yhat.count)
      for (i, r) in flux.enumerated() {
        #expect(
          agrees(r, exact, i),
          "\(loss.rawValue) \(dtype.rawValue) \(agg): ∂L/∂ŷ[\(i + 1)] = \(r), exact \(exact.yhat[i])")
      }
    }
  }

  /// `agg = none`: the cotangent weighs each unreduced element (here the columns).
  @Test func cotangentOfAnUnreducedResult() throws {
    var request = try gradientRequest(
      .logitcrossentropy, [0.2, -1.3, 2.5, 0.6, 0.3, -0.1], [0, 1, 0, 0.5, 0.25, 0.25], dtype: .float64,
      shape: [3, 2], params: .init(agg: Aggregation.none))
    request.gradient = GradientRequest(cotangent: [2, -0.5])
    let exact = try LossSpec.gradient(request)
    let flux = try #require(fluxGradient(request))
    for (i, r) in flux.enumerated() { #expect(agrees(r, exact, i), "∂L/∂ŷ[\(i + 1)] = \(r), exact \(exact.yhat[i])") }
  }

  /// At a kink Zygote picks one derivative (mae: sign(0) = 0; hinge: max's dual derivative 1 at
  /// m = 0): inside LossSpec's subgradient interval, so exact.
  @Test func kinksAreInsideTheSubgradient() throws {
    for (loss, yhat, y) in [(LossID.mae, [1.5, 2.0], [1.5, 0.0]), (.hinge, [1.0, 0.25], [1.0, 1.0])] {
      let request = try gradientRequest(loss, yhat, y, dtype: .float32)
      let exact = try LossSpec.gradient(request)
      guard case .subgradient = exact.yhat[0] else {
        Issue.record("\(loss.rawValue): no kink at element 1")
        continue
      }
      let flux = try #require(fluxGradient(request))
      #expect(Accuracy.grade(element: flux[0], reference: exact.yhat[0], dtype: .float32).ulps == 0)
    }
  }

  /// ∂L/∂y is not emulated: the value, and "unsupported".
  @Test func targetGradientIsUnsupported() throws {
    var request = try gradientRequest(.mse, [1, 2], [0, 0], dtype: .float64)
    request.gradient = GradientRequest(withTarget: true)
    let answer = NaiveFluxImplementation().answerNow(request)
    #expect(answer.outcome == .value(.scalar(2.5)))
    guard case .unsupported? = answer.gradient else {
      Issue.record("expected gradUnsupported, got \(String(describing: answer.gradient))")
      return
    }
  }
}

/// Where Flux's rules are known to break, the Flux order loses bits against LossSpec.
@Suite struct FluxOrderGradientBreaksTests {
  /// logitbinarycrossentropy at ŷ = −30, y = 0: Zygote computes (1 − y) − sigmoid_fast(30), and
  /// sigmoid_fast(30) rounds to 1 in Float32: ∂L/∂ŷ = 0, exactly σ(−30) ≈ 9.4e−14.
  @Test func saturatedLogitLosesEveryBit() throws {
    let request = try gradientRequest(.logitbinarycrossentropy, [-30], [0], dtype: .float32)
    let exact = try LossSpec.gradient(request)
    let flux = try #require(fluxGradient(request))
    #expect(flux == [0])
    #expect(exact.yhat[0] == .value(Double(Float(9.357623e-14))))
  }

  /// NNlib's sigmoid_fast is exactly 0 below −80: for ŷ = 100, y = 1 the Float64 gradient −e⁻¹⁰⁰
  /// becomes 0.
  @Test func sigmoidFastClampZeroesTheGradient() throws {
    let request = try gradientRequest(.logitbinarycrossentropy, [100], [1], dtype: .float64)
    #expect(fluxGradient(request) == [0])
    guard case .value(let v) = try LossSpec.gradient(request).yhat[0] else { return }
    #expect(v < 0 && v > -1e-43)
  }

  /// Flux's xlogy adjoint is Δ·x/y: at a zero target with a zero prediction it is 0/0 = NaN,
  /// where xlogy and its derivative are identically 0 (poisson: ∂/∂ŷ₁ = 1/n).
  @Test func zeroTargetAtZeroPredictionIsNaN() throws {
    let request = try gradientRequest(.poissonLoss, [0, 0.5], [0, 1], dtype: .float64)
    let flux = try #require(fluxGradient(request))
    #expect(flux[0].isNaN)
    #expect(try LossSpec.gradient(request).yhat[0] == .value(0.5))
  }

  /// Flux 0.13's Huber: the masked quadratic branch's `_pow_grad(0, 2e)` is 0·∞ = NaN once 2|e|
  /// overflows, although the gradient δ·sign(e)/n is 1 here.
  @Test func huberUntakenBranchNaNsTheGradient() throws {
    let request = try gradientRequest(.huberLoss, [3e38], [0], dtype: .float32)
    #expect(fluxGradient(request)?.first?.isNaN == true)
    #expect(try LossSpec.gradient(request).yhat[0] == .value(1))
  }

  /// The sweep where the Flux order breaks: logitbinarycrossentropy, ŷ = −x, y = 0 loses every
  /// bit in both dtypes (the 1 − σ cancellation), while it is exact for small x.
  @Test func sweepShowsTheLoss() async throws {
    let sweeps = SweepCatalogue.gradients(maxN: 10).filter {
      $0.loss == .logitbinarycrossentropy && $0.name == "ŷ = −x, y = 0"
    }
    try #require(sweeps.count == 2)
    var run = StabilityRun(implementations: [NaiveFluxImplementation()])
    await run.runGradients(sweeps)
    for result in run.results {
      let precision = Double(result.sweep.dtype.significandBits)
      let worst = try #require(result.worst(0))
      // 0 for a tiny exact value: |v|/ulp(v) ≥ 2^(p − 1) ulps, at least p − 1 bits.
      #expect(
        (worst.bits ?? 0) >= precision - 1, "\(result.sweep.dtype.rawValue): worst \(String(describing: worst.bits))")
      #expect(result.points.first?.accuracy[0].bits ?? 99 <= 1)
    }
    #expect(run.undecidedCount == 0)
  }
}

/// An implementation with the protocol's default `answer(_:)`: values, "gradient unsupported".
struct ValuesOnly: LossImplementation {
  var name: String { "values only" }
  var losses: [LossID] { LossID.allCases }
  var dtypes: [DType] { DType.allCases }
  func evaluate(_ request: LossRequest) async -> LossOutcome {
    await NaiveFluxImplementation().evaluate(request)
  }
}

@Suite struct GradientReportTests {
  /// A few gradient sweeps: the page has its sections and charts, the implementation without
  /// gradients is not run (never counted as a failure), and the markup is well formed.
  @Test func gradientPage() async throws {
    let sweeps = SweepCatalogue.gradients(maxN: 10).filter {
      [.huberLoss, .poissonLoss, .logitcrossentropy].contains($0.loss)
    }
    var run = StabilityRun(implementations: [NaiveFluxImplementation(), ValuesOnly()])
    await run.runGradients(sweeps)
    let points = run.results.reduce(0) { $0 + $1.points.count }
    #expect(points > 0)
    let unsupported = run.summary(1)
    #expect(unsupported.graded == 0)
    #expect(unsupported.notRun == points)
    #expect(unsupported.nonFinite == 0)
    #expect(unsupported.line.contains("no point graded"))
    #expect(run.results.allSatisfy { $0.worst(1) == nil })
    #expect(run.summary(0).graded == points)
    #expect(run.summary(0).nonFinite > 0, "poisson's zero target and Huber's overflow are NaN in the Flux order")
    let html = StabilityReport(
      run: run, environment: [("command", "losscheck stability")], measure: .gradients,
      companion: ("stability.html", "the value sweeps")
    ).html()
    #expect(html.contains("Gradient stability of the fourteen losses"))
    #expect(html.contains("Summary per loss"))
    #expect(html.contains("bits of error of ∂L/∂ŷ"))
    #expect(html.contains("<a href=\"stability.html\">"))
    #expect(html.contains("not run: gradient unsupported (values only does not compute gradients)"))
    for loss in [LossID.huberLoss, .poissonLoss, .logitcrossentropy] {
      #expect(html.contains("<h2 id=\"\(loss.rawValue)\">"))
    }
    #expect(!html.contains("id=\"errata\""))
    #expect(html.components(separatedBy: "<svg").count - 1 == run.results.count)
    #expect(!html.contains("<script"))
    #expect(MarkupTests.firstImbalance(html) == nil)
  }

  /// Every element is graded; the worst one is reported with its index.
  @Test func worstElementIsReported() throws {
    // mae with agg = sum: ∂ = sign(ŷ − y), the kink [−1, 1] at the third element.
    let exact = try LossSpec.gradient(
      try gradientRequest(.mae, [2, 3, 1], [1, 1, 1], dtype: .float64, params: .init(agg: .sum)))
    try #require(exact.yhat == [.value(1), .value(1), .subgradient(lower: -1, upper: 1)])
    let answer = LossAnswer(
      outcome: .value(.scalar(0)), gradient: .gradient(LossGradient(yhat: [1, 1.0.nextUp.nextUp, 0.5])))
    let accuracy = Accuracy.grade(gradient: answer, reference: exact)
    #expect(accuracy.bits == log2(3))
    #expect(accuracy.summary.hasPrefix("∂L/∂ŷ[2] = "))
    let nan = Accuracy.grade(
      gradient: LossAnswer(outcome: .value(.scalar(0)), gradient: .gradient(LossGradient(yhat: [1, 1, .nan]))),
      reference: exact)
    #expect(nan.bits == nil)
    #expect(nan.summary.hasPrefix("∂L/∂ŷ[3] = "))
    let short = Accuracy.grade(
      gradient: LossAnswer(outcome: .value(.scalar(0)), gradient: .gradient(LossGradient(yhat: [1]))),
      reference: exact)
    #expect(short.bits == nil && !short.skipped)
  }
}
