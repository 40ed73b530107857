import Foundation
import LossCore
import LossReports
import LossSpec
import Testing

@testable import LossStability

/// The Flux-order emulation reproduces what Flux printed in its documentation (Flux's own
/// Float results, copied from `Conformance/published/flux_examples.json` with their sources):
/// these are exact equalities, a stronger check than LossSpec's few-ulp agreement.
@Suite struct NaiveFluxTests {
  func naive(
    _ loss: LossID, _ yhat: [Double], _ y: [Double], dtype: DType = .float64, params: LossParameters = .init()
  ) -> Double? {
    let request = LossRequest(
      loss: loss, dtype: dtype, yhat: Tensor(yhat.map(dtype.round)), y: .array(Tensor(y.map(dtype.round))),
      params: params)
    guard case .value(.scalar(let v)) = NaiveFluxImplementation().evaluateNow(request) else { return nil }
    return v
  }

  @Test func reproducesFluxsPrintedValues() {
    #expect(naive(.mae, [1.1, 1.9, 3.1], [1, 2, 3]) == 0.10000000000000009)
    #expect(naive(.mse, [1.1, 1.9, 3.1], [1, 2, 3]) == 0.010000000000000018)
    #expect(naive(.huberLoss, [1.1, 2.1, 3.1], [1, 2, 3]) == 0.005000000000000009)
    #expect(naive(.diceCoeffLoss, [1.1, 2.1, 3.1], [1, 2, 3]) == 0.000992391663909964)
    #expect(naive(.tverskyLoss, [1, 1, 0, 1, 1, 0], [0, 1, 0, 1, 1, 1]) == 0.19999999999999996)
    #expect(naive(.msle, [1.1, 2.2, 3.3], [1, 2, 3], dtype: .float32) == Double(Float(0.009084041)))
  }

  /// Flux's Huber evaluates both branches: for an error whose square overflows, the untaken
  /// quadratic branch is Inf·0 = NaN, although the exact loss is finite.
  @Test func huberUntakenBranchIsNaN() throws {
    let value = naive(.huberLoss, [1e20], [0], dtype: .float32)
    #expect(value?.isNaN == true)
    let exact = try LossSpec.evaluate(
      LossRequest(loss: .huberLoss, dtype: .float32, yhat: Tensor([Double(Float(1e20))]), y: .array(Tensor([0]))))
    #expect(exact.float32[0].isFinite)
  }

  /// Julia's `max(0, NaN)` is NaN; Swift's `max(0, .nan)` is 0 — the emulation must not inherit that.
  /// NNlib's `_logsoftmax!` (src/softmax.jl): where the maximum is +∞, `x − m` is 0 for the +∞
  /// entries and −∞ for the others (`ifelse(isequal(max_, Inf), ifelse(isequal(x, Inf), 0, -Inf),
  /// x - max_)`), so logsoftmax([∞, 0]) = [0, −∞]: −(0·0 + 1·(−∞)) = +∞; −(1·0 + 0·(−∞)) is NaN
  /// (0·(−∞)); two +∞ entries get −log 2 each. Flux's order gave NaN for all three before.
  @Test func logsoftmaxWithAnInfiniteMaximumFollowsNNlib() {
    for dtype in NaiveFluxImplementation().dtypes {
      #expect(naive(.logitcrossentropy, [.infinity, 0], [0, 1], dtype: dtype) == .infinity)
      #expect(naive(.logitcrossentropy, [.infinity, 0], [1, 0], dtype: dtype)?.isNaN == true)
      // log(2) in the dtype (glibc's log of an exact 2, correctly rounded: 0.6931471805599453).
      let ln2 = dtype.round(0.6931471805599453)
      #expect(naive(.logitcrossentropy, [.infinity, .infinity], [1, 0], dtype: dtype) == ln2)
    }
  }

  @Test func trailingOnePairsHaveTheBroadcastShape() throws {
    // (3,) against (3, 1): elementwise, agg = none of shape (3, 1); |ŷ − y| = [0.5, 0.5, 3].
    let request = LossRequest(
      loss: .mae, dtype: .float64, yhat: Tensor([0.5, 1.5, -2]),
      y: .array(try Tensor(shape: [3, 1], values: [0, 1, 1])), params: LossParameters(agg: Aggregation.none))
    #expect(
      NaiveFluxImplementation().evaluateNow(request)
        == .value(.array(try Tensor(shape: [3, 1], values: [0.5, 0.5, 3]))))
  }

  @Test func hingePropagatesNaN() {
    #expect(naive(.hinge, [.nan, 0.5], [1, 1])?.isNaN == true)
  }

  @Test func domainErrorsLikeJulia() {
    let request = LossRequest(loss: .crossentropy, dtype: .float64, yhat: Tensor([-0.5]), y: .array(Tensor([0])))
    guard case .error(let e) = NaiveFluxImplementation().evaluateNow(request) else {
      Issue.record("expected a DomainError")
      return
    }
    #expect(e.kind == .domainError)
  }
}

@Suite struct ErrataCatalogueTests {
  /// Every erratum shows a real difference: the page's value and LossSpec's implemented value
  /// differ on its input.
  @Test(arguments: Erratum.all.map(\.number))
  func pageAndImplementationDiffer(number: Int) throws {
    let erratum = try #require(Erratum.all.first { $0.number == number })
    let implemented = try LossSpec.evaluate(erratum.request).rounded[0]
    let page = try #require(erratum.pageValue)
    #expect(!(page == implemented), "erratum \(number): both \(page)")
  }

  @Test func nineErrata() { #expect(Erratum.all.map(\.number) == Array(1...9)) }
}

@Suite struct AccuracyTests {
  @Test func bitsOfError() {
    #expect(Accuracy.grade(.value(.scalar(1)), reference: 1, dtype: .float64).bits == 0)
    // One ulp away is log₂(2) = 1 bit.
    #expect(Accuracy.grade(.value(.scalar(1.0.nextUp)), reference: 1, dtype: .float64).bits == 1)
    // NaN where the exact value is finite: a different outcome, no bits.
    #expect(Accuracy.grade(.value(.scalar(.nan)), reference: 1, dtype: .float32).bits == nil)
    // Everything wrong is capped at the precision.
    #expect(Accuracy.grade(.value(.scalar(1e30)), reference: 1, dtype: .float32).bits == 24)
    #expect(Accuracy.grade(.error(.domainError("x")), reference: 1, dtype: .float64).summary == "DomainError")
  }
}

@Suite struct LineChartTests {
  let chart = LineChart(
    title: "mse <Float32>", xLabel: "x", yLabel: "bits of error", logX: true, yRange: 0...24,
    series: [
      .init(name: "A", points: [(1, 0), (10, 1), (100, 2)]),
      .init(name: "B & C", points: [(1, 0), (10, nil), (100, 3)]),
    ])

  @Test func accessibleAndSelfContained() {
    let svg = chart.svg(id: "c1").markup
    #expect(svg.hasPrefix("<svg"))
    #expect(svg.contains("role=\"img\""))
    #expect(svg.contains("<title id=\"c1-title\">mse &lt;Float32&gt;</title>"))
    #expect(svg.contains("<desc id=\"c1-desc\">"))
    #expect(svg.contains("aria-labelledby=\"c1-title c1-desc\""))
    #expect(!svg.contains("<script"))
    #expect(!svg.contains("href="))
    // Names are escaped.
    #expect(svg.contains("B &amp; C"))
  }

  @Test func oneLinePerFiniteRunAndABandPerNonFinitePoint() {
    let svg = chart.svg().markup
    // A: one polyline of 3 points; B: the NaN splits it into two single points (circles).
    #expect(svg.components(separatedBy: "<polyline").count - 1 == 1)
    #expect(svg.components(separatedBy: "<circle").count - 1 == 2)
    #expect(svg.components(separatedBy: "class=\"nonfinite\"").count - 1 == 1)
    // Decade ticks on the log axis.
    for label in ["1e0", "1e1", "1e2"] { #expect(svg.contains(">\(label)<")) }
  }
}

@Suite struct StabilityReportTests {
  /// A quick run of the whole catalogue (growing n capped at 100): the page has every loss, the
  /// errata, charts with titles, and no scripts or external references.
  @Test func reportCoversEveryLoss() async throws {
    var run = StabilityRun(implementations: [NaiveFluxImplementation()])
    await run.run(SweepCatalogue.all(maxN: 100))
    let html = StabilityReport(run: run, environment: [("command", "losscheck stability")]).html()
    for loss in LossID.allCases {
      #expect(html.contains("<h2 id=\"\(loss.rawValue)\">"), "no section for \(loss.rawValue)")
    }
    #expect(html.contains("id=\"errata\""))
    #expect(!html.contains("<script"))
    #expect(!html.contains("src="))
    #expect(!html.contains("href=\"http"))
    #expect(!html.contains("url("))
    let charts = html.components(separatedBy: "<svg").count - 1
    #expect(charts == run.results.count)
    #expect(html.components(separatedBy: "role=\"img\"").count - 1 == charts)
    // The known hard cases are visible: the Flux order loses bits where LossSpec is exact.
    let lbce = try #require(
      run.results.first {
        $0.sweep.loss == .logitbinarycrossentropy && $0.sweep.name.hasPrefix("ŷ = −x") && $0.sweep.dtype == .float32
      })
    let worst = try #require(lbce.worst(0))
    #expect(worst.bits == nil || worst.bits! > 8, "Flux order on logitbinarycrossentropy for ŷ ≪ 0")
    let msle = try #require(
      run.results.first { $0.sweep.loss == .msle && $0.sweep.name == "ŷ = x, y = 0" && $0.sweep.dtype == .float32 })
    #expect(msle.nonFiniteCount(0) > 0, "msle's quotient overflows in Float32")
  }
}

/// An implementation that evaluates only Float64 points (an adapter over its size limit, a
/// framework without Float32): its unrun points are shown as not run, never as failures.
struct Float64Only: LossImplementation {
  var name: String { "Float64 only" }
  var losses: [LossID] { LossID.allCases }
  var dtypes: [DType] { [.float64] }
  func evaluate(_ request: LossRequest) async -> LossOutcome {
    guard request.dtype == .float64 else { return .unsupported("Float32 is not listed") }
    return await NaiveFluxImplementation().evaluate(request)
  }
}

@Suite struct SkippedPointTests {
  @Test func unrunPointsAreLeftOutOfEveryMeasure() async throws {
    let sweeps = SweepCatalogue.all(maxN: 10).filter { $0.loss == .msle }
    var run = StabilityRun(implementations: [NaiveFluxImplementation(), Float64Only()])
    await run.run(sweeps)
    var skipped = 0
    for result in run.results {
      // The same evaluation as the Flux order on Float64; nothing counted on Float32.
      if result.sweep.dtype == .float64 {
        #expect(result.skippedCount(1) == 0)
        #expect(result.nonFiniteCount(1) == result.nonFiniteCount(0))
      } else {
        #expect(result.skippedCount(1) == result.points.count)
        #expect(result.nonFiniteCount(1) == 0)
        #expect(result.worst(1) == nil)
        skipped += result.points.count
      }
    }
    #expect(skipped > 0)
    // msle's quotient overflows in Float32 for the Flux order: counted for it, not for the other.
    #expect(run.results.filter { $0.sweep.dtype == .float32 }.reduce(0) { $0 + $1.nonFiniteCount(0) } > 0)
    let html = StabilityReport(run: run, environment: []).html()
    #expect(html.contains("\(skipped) points (e.g. not run: Float64 only does not list float32)"))
    #expect(MarkupTests.firstImbalance(html) == nil)
  }
}

/// Well-formedness of generated markup: every non-void element is closed, in order.
@Suite struct MarkupTests {
  static let void: Set<String> = ["br", "hr", "img", "meta", "link", "col", "wbr", "input"]

  /// The first unbalanced tag, or nil when the markup nests properly.
  static func firstImbalance(_ html: String) -> String? {
    var stack: [String] = []
    var rest = Substring(html)
    while let open = rest.firstIndex(of: "<") {
      guard let close = rest[open...].firstIndex(of: ">") else { return "unterminated tag" }
      let tag = rest[rest.index(after: open)..<close]
      rest = rest[rest.index(after: close)...]
      if tag.hasPrefix("!") { continue }
      if tag.hasPrefix("/") {
        let name = String(tag.dropFirst())
        guard stack.last == name else { return "</\(name)> closes <\(stack.last ?? "nothing")>" }
        stack.removeLast()
      } else {
        let name = String(tag.prefix { $0 != " " && $0 != "/" })
        if tag.hasSuffix("/") || Self.void.contains(name) { continue }
        stack.append(name)
      }
    }
    return stack.isEmpty ? nil : "unclosed <\(stack.last!)>"
  }

  @Test func stabilityReportIsWellFormed() async {
    var run = StabilityRun(implementations: [NaiveFluxImplementation()])
    await run.run(SweepCatalogue.all(maxN: 10).filter { $0.loss == .huberLoss || $0.loss == .msle })
    let html = StabilityReport(run: run, environment: [("a < b", "\"quoted\" & more")]).html()
    #expect(Self.firstImbalance(html) == nil)
    #expect(html.contains("a &lt; b"))
    #expect(html.contains("&quot;quoted&quot; &amp; more"))
  }

  @Test func checkerFindsImbalance() {
    #expect(Self.firstImbalance("<p><b>x</p></b>") != nil)
    #expect(Self.firstImbalance("<div><br></div>") == nil)
  }
}
