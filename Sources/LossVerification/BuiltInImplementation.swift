import LossCore
import LossFast
import LossSpec

/// The implementations built into `losscheck`, selected by `--impl`.
///
/// Adding one (LossFast's `fast`) is a new case here and a new branch of ``implementation``;
/// every command that takes `--impl` then offers it, and `--help` lists it (the CLI makes it
/// an `ExpressibleByArgument`), and `verify` grades it on the golden vectors.
public enum BuiltInImplementation: String, CaseIterable, Sendable {
  /// LossSpec: each loss as the literal formula, evaluated in high precision with an error
  /// bound, then rounded once to the dtype.
  case spec

  /// LossFast: SIMD kernels with chunked, thread-count-independent reductions (threads:
  /// `--threads`, else `LOSSFAST_THREADS`, else all cores).
  case fast

  /// The implementation this case names.
  public var implementation: any LossImplementation { implementation(threads: nil) }

  /// The implementation this case names; `threads` is LossFast's thread count (`nil`: the
  /// default, `LOSSFAST_THREADS` else all cores) and does not concern LossSpec.
  public func implementation(threads: Int?) -> any LossImplementation {
    switch self {
    case .spec: ReferenceImplementation()
    case .fast: FastImplementation(threads: threads)
    }
  }

  /// One line for `--help`.
  public var summary: String {
    switch self {
    case .spec: "LossSpec, the high-precision reference"
    case .fast: "LossFast, the SIMD multithreaded implementation"
    }
  }
}
