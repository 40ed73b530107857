/// The error classes of `SEMANTICS.md`, as Flux throws them.
///
/// Every message names what is wrong: the shapes of a mismatch, the parameter and its value, the
/// offending input. No loss ever traps on user data.
public struct LossError: Error, Sendable, Hashable, CustomStringConvertible {
  public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
    case dimensionMismatch = "DimensionMismatch"
    case domainError = "DomainError"
    case argumentError = "ArgumentError"
    case other = "Other"
  }

  public var kind: Kind
  public var message: String

  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public static func dimensionMismatch(_ message: String) -> LossError { .init(.dimensionMismatch, message) }
  public static func domainError(_ message: String) -> LossError { .init(.domainError, message) }
  public static func argumentError(_ message: String) -> LossError { .init(.argumentError, message) }

  public var description: String { "\(kind.rawValue): \(message)" }
}
