import LossCore
import Testing

// The shared helpers (ulps), for every file of the target.
@_exported import _LossTestSupport
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
