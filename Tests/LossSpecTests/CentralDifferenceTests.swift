import LossCore
import Testing

@testable import LossSpec

/// LossSpec's hand-derived gradients against exact central differences of its own value formulas
/// (``LossSpec/centralDifferences(_:gradient:)``): ball arithmetic, a step of 2⁻²⁰⁰ of the input,
/// no rounding noise. The full sweep (10 000 cases per loss, edge values included) is
/// `losscheck verify`'s "gradient-central-differences" check; this is its smoke test.
@Suite struct CentralDifferenceTests {
  /// Every element of ŷ and y of random cases of the 14 losses, Float32 and Float64, every agg
  /// (`none` with a cotangent), dims and weights: the central difference rounds to the gradient.
  @Test func everyLossHolds() async throws {
    // CPU-heavy: off the cooperative pool; the expectations are checked here, in the test.
    let (failures, holds) = try await offCooperativePool { Result { try Self.centralDifferenceSweep() } }.get()
    #expect(failures.isEmpty, "\(failures.count) elements fail, first: \(failures.prefix(5))")
    // Each case has 8 ŷ and 8 y elements; the generator keeps inputs inside the domain, so only
    // hinge's exact kinks could be skipped (none: its margins are not 0 there).
    for c in GradientCase.all { #expect(holds[c.loss, default: 0] >= 90, "\(c.loss): \(holds[c.loss, default: 0])") }
  }

  /// The failing elements (described) and the elements that hold, per loss.
  static func centralDifferenceSweep() throws -> (failures: [String], holds: [LossID: Int]) {
    var rng = SplitMix64(seed: 1414)
    var holds: [LossID: Int] = [:]
    var failures: [String] = []
    for c in GradientCase.all {
      for dtype in [DType.float32, .float64] {
        for agg in (c.hasAgg ? [Aggregation.mean, .sum, .none] : [.mean]) {
          for _ in 0..<(c.hasAgg ? 1 : 3) {
            let request = try c.request(&rng, agg: agg, dtype: dtype, variety: true)
            let g = try LossSpec.gradient(request)
            for d in try LossSpec.centralDifferences(request, gradient: g) {
              if d.verdict == .fails {
                failures.append("\(c.loss) \(dtype) \(agg) \(d.argument) \(d.index): \(d.difference) vs \(d.reported)")
              }
              if d.verdict == .holds { holds[c.loss, default: 0] += 1 }
            }
          }
        }
      }
    }
    return (failures, holds)
  }

  /// The check can fail: a gradient one ulp off at one element, or scaled by the mean's 1/n
  /// twice, is flagged; a kink's interval holds the central difference (the mean of its ends).
  @Test func wrongGradientsFail() throws {
    let request = LossRequest(
      loss: .mse, dtype: .float64, yhat: try Tensor(shape: Shape([3]), values: [0.5, -1.25, 2]),
      y: .array(try Tensor(shape: Shape([3]), values: [0.25, 1, -0.5])), params: .init(agg: .mean),
      gradient: GradientRequest(withTarget: true))
    let g = try LossSpec.gradient(request)
    #expect(try LossSpec.centralDifferences(request, gradient: g).allSatisfy { $0.verdict == .holds })
    var offByOne = g
    if case .value(let v) = offByOne.yhat[1] { offByOne.yhat[1] = .value(v.nextUp) }
    let flagged = try LossSpec.centralDifferences(request, gradient: offByOne).filter { $0.verdict == .fails }
    #expect(flagged.map(\.index) == [1] && flagged.map(\.argument) == [.yhat])
    var meanTwice = g
    meanTwice.y = g.y!.map { .value(plain($0) / 3) }
    #expect(try LossSpec.centralDifferences(request, gradient: meanTwice).filter { $0.verdict == .fails }.count == 3)
    // mae at an exact fit: the subgradient [−1/3, 1/3]; the central difference there is 0.
    var mae = request
    mae.loss = .mae
    mae.yhat.values[0] = 0.25
    let kink = try LossSpec.gradient(mae)
    #expect(kink.yhat[0] == .subgradient(lower: -1.0 / 3, upper: 1.0 / 3))
    let atKink = try LossSpec.centralDifferences(mae, gradient: kink)
    #expect(atKink.allSatisfy { $0.verdict == .holds })
    #expect(atKink[0].difference == 0)
  }

  /// Float32: the rounding interval of a Float32 value is Float32's, so a Float64-exact gradient
  /// reported for Float32 data is only accepted where it rounds to the same Float32.
  @Test func roundingIntervals() {
    let (low, high) = LossSpec.roundingInterval(1, .float32)
    #expect(low.approximation == 1 - 0x1p-25 && high.approximation == 1 + 0x1p-24)
    let (l64, h64) = LossSpec.roundingInterval(.greatestFiniteMagnitude, .float64)
    #expect(l64 < Dyadic(Double.greatestFiniteMagnitude) && Dyadic(Double.greatestFiniteMagnitude) < h64)
  }

  /// Logits 10²⁹ apart: exp of their difference underflows to a ball of radius 2^(−2⁵⁰), which
  /// the acceptance test once aligned against the rounding interval (a 2⁴⁷-byte allocation, a
  /// trap); found by `losscheck verify`'s random natural cases.
  @Test func underflowedExponentialsAreChecked() throws {
    let line =
      #"{"id":"b","loss":"logitcrossentropy","dtype":"float64","shape":[3],"#
      + #""yhat":[-3.2805411041062577e+28,1.070818133981854e+29,4.327201898358591e+29],"y":[1.0,0.0,1.0],"#
      + #""params":{"agg":"none","dims":[1,2]},"grad":["yhat"],"cotangent":[0.75]}"#
    let request = try ProtocolCodec.decodeRequest(try JSONValue(parsing: line))
    let differences = try LossSpec.centralDifferences(request, gradient: try LossSpec.gradient(request))
    #expect(differences.map(\.verdict) == [.holds, .holds, .holds])
  }

  /// A gradient of exactly 0 (poisson at ŷ = y, a minimum): the central difference is the
  /// truncation h²·L‴/6 alone, about 10⁻⁷³ at the first step, and the second step (2⁻⁴⁰⁰ of it,
  /// with Richardson's estimate of its truncation) decides it; found by `losscheck verify`.
  @Test func zeroGradientsAtAMinimumHold() throws {
    let request = LossRequest(
      loss: .poissonLoss, dtype: .float64, yhat: try Tensor(shape: Shape([2]), values: [0.7, 1.3]),
      y: .array(try Tensor(shape: Shape([2]), values: [0.7, 1.3])), gradient: GradientRequest())
    let gradient = try LossSpec.gradient(request)
    #expect(gradient.yhat == [.value(0), .value(0)])
    let differences = try LossSpec.centralDifferences(request, gradient: gradient)
    #expect(differences.map(\.verdict) == [.holds, .holds])
  }

  /// At x = 0 the step comes from the smallest input and the reciprocal of the largest: hinge's
  /// kink is at ŷ = 1/y, 8·10⁻²⁵⁷ here, which a step from the smallest input (10¹³⁵) reached past;
  /// found by `losscheck verify --gradient-count 10000`.
  @Test func stepsAtZeroStayShortOfAKinkAtTheReciprocal() throws {
    let request = LossRequest(
      loss: .hinge, dtype: .float64, yhat: try Tensor(shape: Shape([2]), values: [-1.7438548658360562e+135, -0.0]),
      y: .array(try Tensor(shape: Shape([2]), values: [-1.0217635073317546e+256, 1.27716492658328e+256])),
      params: .init(agg: .sum), gradient: GradientRequest())
    let gradient = try LossSpec.gradient(request)
    #expect(gradient.yhat == [.value(0), .value(-1.27716492658328e+256)])
    let differences = try LossSpec.centralDifferences(request, gradient: gradient)
    #expect(differences.map(\.verdict) == [.holds, .holds])
  }
}
