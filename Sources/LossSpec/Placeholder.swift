import LossCore

/// LossSpec as a ``LossImplementation`` (interface fixed; the evaluation is being written).
public struct ReferenceImplementation: LossImplementation {
  public init() {}
  public var name: String { "LossSpec 1" }
  public var losses: [LossID] { LossID.allCases }
  public var dtypes: [DType] { DType.allCases }
  public func evaluate(_ request: LossRequest) async -> LossOutcome {
    .unsupported("not yet implemented")
  }
}
