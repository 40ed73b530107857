import ArgumentParser
import LossCore
import LossVerification

// `--impl spec|fast`, with each value's summary in `--help`.
extension BuiltInImplementation: ExpressibleByArgument {
  public static var allValueDescriptions: [String: String] {
    Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0.summary) })
  }
}

// `--dtype float32`.
extension DType: ExpressibleByArgument {}

// `--loss mse`; the aliases of `LossID(name:)` (`hinge_loss`, `squared_hinge_loss`) are accepted.
extension LossID: ExpressibleByArgument {
  public init?(argument: String) { self.init(name: argument) }
}

// `--agg mean|sum|none`; Flux's spelling `identity` is accepted for `none`.
extension Aggregation: ExpressibleByArgument {
  public init?(argument: String) {
    if argument == "identity" {
      self = .none
    } else {
      self.init(rawValue: argument)
    }
  }
}
