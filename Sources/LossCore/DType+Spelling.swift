/// How the non-finite values are written when a number is spelled (``DType/spelling(of:_:)``).
public enum NumberSpelling: Sendable, Hashable {
  /// `NaN`, `Infinity`, `-Infinity`: the `losscheck/1` protocol's strings (JSON has no
  /// non-finite numbers), also what `losscheck eval` prints and the conformance notes show.
  case json
  /// `NaN`, `Inf`, `-Inf`: Julia's spelling, as the property suite shows its cases.
  case julia
}

extension DType {
  /// `x`, an exact value of this type, as the shortest decimal that reads back to the same value
  /// in this type (`0.1` for Float32's 0.100000001490116…, `1.0e-7`, `-0.0`); NaN and the
  /// infinities as `spelling` writes them.
  ///
  /// The one spelling of numbers in the package: the protocol codec, `eval`'s output, the
  /// conformance notes and the law inputs all use it, so golden files and reports agree.
  ///
  /// ```swift
  /// DType.float32.spelling(of: Double(Float(0.1)))    // "0.1"
  /// DType.float64.spelling(of: -.infinity)            // "-Infinity"
  /// DType.float64.spelling(of: .infinity, .julia)     // "Inf"
  /// ```
  public func spelling(of x: Double, _ spelling: NumberSpelling = .json) -> String {
    if x.isNaN { return "NaN" }
    if x.isInfinite {
      switch spelling {
      case .json: return x > 0 ? "Infinity" : "-Infinity"
      case .julia: return x > 0 ? "Inf" : "-Inf"
      }
    }
    return self == .float32 ? Float(x).description : x.description
  }
}
