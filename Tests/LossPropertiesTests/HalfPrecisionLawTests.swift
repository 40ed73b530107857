import LossCore
import LossProperties
import LossSpec
import Testing

/// The half-precision law flags an implementation that answers a Float16 or BFloat16 request the
/// way a Float32 evaluation rounded afterwards would: Float32's ϵ = 2⁻²³ instead of the dtype's
/// `eps`, and the result rounded twice.
@Suite("Half precision: a Float32 evaluation in disguise is caught")
struct HalfPrecisionLawTests {
  struct ThroughFloat32: LossImplementation {
    var name: String { "LossSpec through Float32" }
    var losses: [LossID] { LossID.allCases }
    var dtypes: [DType] { DType.allCases }
    func evaluate(_ request: LossRequest) async -> LossOutcome {
      guard request.dtype.isHalfPrecision else { return await ReferenceImplementation().evaluate(request) }
      var wide = request
      wide.dtype = .float32
      let outcome = await ReferenceImplementation().evaluate(wide)
      switch outcome {
      case .value(.scalar(let x)): return .value(.scalar(request.dtype.round(x)))
      case .value(.array(let t)):
        let rounded = (try? Tensor(shape: t.shape, values: t.values.map(request.dtype.round))) ?? t
        return .value(.array(rounded))
      default: return outcome
      }
    }
  }

  @Test("the law holds for LossSpec and fails for the Float32 evaluation")
  func caught() async throws {
    let law = try #require(Catalogue.law(named: "half-precision-is-the-float64-value-rounded"))
    let spec = Subject(
      implementation: ReferenceImplementation(), accuracy: .correctlyRounded, reference: ReferenceImplementation())
    let wrong = Subject(
      implementation: ThroughFloat32(), accuracy: .correctlyRounded, reference: ReferenceImplementation())
    let good = await PropertyRunner.run(law, on: spec, count: 20, seed: 7, shrinkBudget: 50)
    #expect(good.counterexample == nil)
    let bad = await PropertyRunner.run(law, on: wrong, count: 200, seed: 7, shrinkBudget: 50)
    let counterexample = try #require(bad.counterexample, "the Float32 evaluation passed 200 cases")
    print(counterexample.text)
  }
}
