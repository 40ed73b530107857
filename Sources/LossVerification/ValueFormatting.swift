import LossCore

/// How `eval` and the checks print values: the shortest decimal that round-trips in the dtype.
package enum ValueFormatting {
  /// `x`, an exact value of `dtype`, as the shortest decimal that reads back to the same value in
  /// `dtype` (`0.1` for Float32's 0.100000001490116…); non-finite values as the protocol spells
  /// them: `NaN`, `Infinity`, `-Infinity`.
  package static func format(_ x: Double, dtype: DType) -> String {
    dtype.spelling(of: x, .json)
  }

  /// A loss value as `eval` prints it: a number, or for an array its shape and its values in
  /// column-major order.
  ///
  /// ```
  /// 0.41
  /// shape (2, 3), column-major: [0.01, 0.81, 0.25, 0.04, 1.0, 0.0]
  /// ```
  package static func format(_ value: LossValue, dtype: DType) -> String {
    switch value {
    case .scalar(let x):
      return format(x, dtype: dtype)
    case .array(let t):
      let values = t.values.map { format($0, dtype: dtype) }.joined(separator: ", ")
      return "shape \(t.shape), column-major: [\(values)]"
    }
  }
}
