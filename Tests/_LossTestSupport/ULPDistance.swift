/// The distance from `actual` to `expected` in units in the last place of `expected` in `dtype`
/// (LossCore's ``DType/ulp(of:)``): 0 when they are equal or both NaN.
///
/// `ulps(1 + 0x1p-51, 1) == 2`, `ulps(1 + 0x1p-22, 1, in: .float32) == 2`.
public func ulps(_ actual: Double, _ expected: Double, in dtype: DType = .float64) -> Double {
  if actual == expected || (actual.isNaN && expected.isNaN) { return 0 }
  return abs(actual - expected) / dtype.ulp(of: expected)
}
