import Foundation
import LossCore
import LossReports
import LossSpec
import Testing

@testable import LossStability

/// The half-precision sweeps: LossSpec decides every point, the Flux order in Float16 shows the
/// in-dtype losses computed here independently (a direct Float16 simulation), BFloat16 and an
/// implementation without the half dtypes are not run, and the page renders.
@Suite struct HalfStabilityTests {
  /// One request in `dtype`, inputs rounded to it.
  func request(
    _ loss: LossID, _ yhat: [Double], _ y: [Double], dtype: DType = .float16, shape: [Int]? = nil,
    params: LossParameters = .init()
  ) throws -> LossRequest {
    let s = Shape(shape ?? [yhat.count])
    return LossRequest(
      loss: loss, dtype: dtype, yhat: try Tensor(shape: s, values: yhat.map(dtype.round)),
      y: .array(try Tensor(shape: s, values: y.map(dtype.round))), params: params)
  }

  /// Grades the Flux order on one request against LossSpec, as the sweeps do.
  func fluxOrder(_ request: LossRequest) async throws -> (value: Double, exact: Double, accuracy: Accuracy) {
    let exact = try LossSpec.evaluate(request).rounded[0]
    let outcome = await NaiveFluxImplementation().evaluate(request)
    guard case .value(.scalar(let value)) = outcome else { throw LossError.argumentError("no scalar: \(outcome)") }
    return (value, exact, Accuracy.grade(outcome, reference: exact, dtype: request.dtype))
  }

  /// log₂(1 + |r − v|/ulp(v)) with the ulp of Swift's Float16, independently of the code under test.
  func bits(_ r: Float16, _ v: Float16) -> Double {
    log2(1 + abs(Double(r) - Double(v)) / Double(v.ulp))
  }

  /// A Float16 sequential sum of 4096 copies of 0.1 stops at 256: half an ulp there (0.125)
  /// exceeds the term, while the exact sum is 409.5 (4096 · 0.0999755859375, a Float16 value).
  @Test func float16SumOf4096TenthsStagnates() async throws {
    let tenth = Float16(0.1)
    var simulated: Float16 = 0
    for _ in 0..<4096 { simulated += tenth }
    #expect(simulated == 256)
    let exact = Float16(4096 * Double(tenth))
    #expect(exact == 409.5)
    let graded = try await fluxOrder(
      request(
        .mae, [Double](repeating: 0.1, count: 4096), [Double](repeating: 0, count: 4096), params: .init(agg: .sum)))
    #expect(graded.value == Double(simulated))
    #expect(graded.exact == Double(exact))
    let expected = bits(simulated, exact)  // log₂(1 + 153.5/0.25) ≈ 9.26
    #expect(abs(expected - 9.26) < 0.01)
    #expect(abs(try #require(graded.accuracy.bits) - expected) < 1e-12)
  }

  /// mse of 4096 residuals 0.1 in Float16: the squares (0.1² rounded) summed sequentially, then
  /// divided by 4096, against the exact mean 0.1² correctly rounded.
  @Test func float16MeanOfSquaresLosesBits() async throws {
    let tenth = Float16(0.1)
    let square = tenth * tenth
    var sum: Float16 = 0
    for _ in 0..<4096 { sum += square }
    let simulated = sum / 4096
    let exact = Float16(Double(tenth) * Double(tenth))
    let graded = try await fluxOrder(
      request(.mse, [Double](repeating: 0.1, count: 4096), [Double](repeating: 0, count: 4096)))
    #expect(graded.value == Double(simulated))
    #expect(graded.exact == Double(exact))
    let expected = bits(simulated, exact)
    #expect(expected > 4, "the sequential Float16 sum of 4096 squares loses bits")
    #expect(abs(try #require(graded.accuracy.bits) - expected) < 1e-12)
  }

  /// Flux's logsoftmax subtracts the maximum first: at logit 12 in Float16, where exp(12) ≈ 1.6e5
  /// overflows, the loss stays finite and exact (12 + log(1 + e⁻¹²) rounds to 12).
  @Test func logitcrossentropyAtLogit12StaysFinite() async throws {
    #expect(Float16(Float.exp(12)).isInfinite, "an unshifted exp(12) overflows Float16")
    let graded = try await fluxOrder(request(.logitcrossentropy, [12, 0], [0, 1], shape: [2, 1]))
    #expect(graded.exact == 12)
    #expect(graded.value == 12)
    #expect(graded.accuracy.bits == 0)
  }

  /// Flux's Huber evaluates the untaken quadratic branch: e² = 90000 overflows Float16, Inf·0 is
  /// NaN, although the exact loss 299.5 is finite.
  @Test func huberAt300IsNaNInFloat16() async throws {
    #expect((Float16(300) * Float16(300)).isInfinite)
    let graded = try await fluxOrder(request(.huberLoss, [300], [0]))
    #expect(graded.exact == 299.5)
    #expect(graded.value.isNaN)
    #expect(graded.accuracy.bits == nil)
  }

  /// The coarse sweeps (verify's) with n up to 1000: every point has a reference LossSpec decided,
  /// the Flux order is not run on BFloat16 and an implementation without half dtypes nowhere, the
  /// known overflows are where they should be, and the page renders.
  @Test func coarseHalfSweeps() async throws {
    let sweeps = SweepCatalogue.halfPrecision(maxN: 1000, coarse: true)
    #expect(Set(sweeps.map(\.dtype)) == [.float16, .bfloat16])
    #expect(Set(sweeps.map(\.loss)) == Set(LossID.allCases), "every loss has a half sweep")
    var run = StabilityRun(implementations: [NaiveFluxImplementation(), Float64Only()])
    await run.run(sweeps)
    #expect(run.undecidedCount == 0)
    for result in run.results {
      #expect(result.points.count == result.sweep.xs.count)
      for point in result.points { #expect(point.reference != nil, "\(result.sweep.name) at \(point.x)") }
      #expect(result.skippedCount(1) == result.points.count)
      if result.sweep.dtype == .bfloat16 { #expect(result.skippedCount(0) == result.points.count) }
      if result.sweep.dtype == .float16 { #expect(result.skippedCount(0) == 0) }
    }
    func result(_ loss: LossID, _ name: String) throws -> SweepResult {
      try #require(run.results.first { $0.sweep.loss == loss && $0.sweep.name == name && $0.sweep.dtype == .float16 })
    }
    // (2x)² overflows from x = 128 on (256² = 65536 rounds to ∞); the exact mean 2x² is finite up to 181.
    let mse = try result(.mse, "ŷ = x, y = −x")
    let first = try #require(mse.points.first { $0.graded(0) && $0.accuracy[0].bits == nil })
    #expect(first.x == 128 && first.reference == 32768)
    // Huber: NaN from |e| ≈ 256 on.
    let huber = try result(.huberLoss, "|ŷ − y| = x, δ = 1")
    #expect(huber.points.contains { $0.x > 256 && $0.accuracy[0].value?.isNaN == true && $0.reference!.isFinite })
    // Growing n, agg = mean: the sequential Float16 sum loses bits by n = 1000.
    let grow = try result(.mae, "growing n, random data, agg = mean")
    #expect(try #require(grow.points.last?.accuracy[0].bits) > 2)
    let html = StabilityReport(run: run, environment: [("command", "losscheck stability")]).html()
    #expect(html.contains("What a user gets in half precision"))
    #expect(html.contains("worst bits (Float16)") && html.contains("worst bits (BFloat16)"))
    #expect(!html.contains("worst bits (Float32)"))
    #expect(html.contains("does not list bfloat16"))
    #expect(!html.contains("Errata of the seed page"))
    #expect(MarkupTests.firstImbalance(html) == nil)
  }
}
