import LossCore
import Testing

@testable import LossSpec

/// Evaluates one case with LossSpec (shape defaults to a vector).
func spec(
  _ loss: LossID, _ yhat: [Double], _ y: [Double], shape: [Int]? = nil, dtype: DType = .float64,
  params: LossParameters = LossParameters()
) throws -> SpecResult {
  let s = Shape(shape ?? [yhat.count])
  let request = LossRequest(
    loss: loss, dtype: dtype, yhat: try Tensor(shape: s, values: yhat),
    y: .array(try Tensor(shape: s, values: y)), params: params)
  return try LossSpec.evaluate(request)
}

/// The distance between two doubles in units in the last place of `expected` (0 when equal,
/// NaN-aware).
func ulps(_ actual: Double, _ expected: Double) -> Double {
  if actual == expected || (actual.isNaN && expected.isNaN) { return 0 }
  return abs(actual - expected) / expected.ulp
}
