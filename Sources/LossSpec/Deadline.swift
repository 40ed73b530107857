import Foundation
import LossCore

/// A point in time after which LossSpec stops working on a request: a request's `budget`
/// (seconds) counted from the moment the evaluation starts.
///
/// LossSpec checks it before every precision step of Ziv's strategy and every few elements inside
/// its loops (element terms, sums, the exact-cancellation check), so a request stops within
/// about one element's work of its budget, even at 11 000 bits.
public struct Deadline: Sendable {
  /// The budget in seconds.
  public let budget: Double
  let start: ContinuousClock.Instant
  let end: ContinuousClock.Instant

  /// A deadline `seconds` from now. A budget that is not a positive finite number is treated
  /// as already spent (never as "no limit"), and one beyond `LossRequest/maximumBudget` as that
  /// maximum; protocol requests are validated before they get here.
  public init(seconds: Double) {
    let clamped = seconds > 0 ? Swift.min(seconds, LossRequest.maximumBudget) : 0
    budget = seconds
    start = ContinuousClock.now
    end = start.advanced(by: .seconds(clamped))
  }

  /// Whether the budget is spent.
  public var isExpired: Bool { ContinuousClock.now >= end }

  /// Seconds since the evaluation started.
  public var elapsed: Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
}

/// The budget of a request ran out before LossSpec decided its rounding.
public struct BudgetExceeded: Error, Sendable, Hashable, CustomStringConvertible {
  public var loss: LossID
  /// The number of elements of ŷ.
  public var elements: Int
  /// The request's budget, seconds.
  public var budget: Double
  /// The time spent when LossSpec stopped, seconds.
  public var elapsed: Double
  /// The working precision it had reached, bits.
  public var precision: Int

  /// `budget exceeded: LossSpec kldivergence on 100000 elements stopped after 2.01 s (budget
  /// 2 s) at 768 bits` — the reason of the protocol's `unsupported` answer.
  public var description: String {
    "budget exceeded: LossSpec \(loss.rawValue) on \(elements) element\(elements == 1 ? "" : "s") stopped after "
      + "\(Self.seconds(elapsed)) s (budget \(Self.exactly(budget)) s) at \(precision) bits"
  }

  /// A budget as given: `2`, `0.5`, `1e-06`.
  static func exactly(_ x: Double) -> String {
    x.isFinite && x == x.rounded() && x.magnitude < 1e15 ? "\(Int(x))" : "\(x)"
  }

  /// Seconds to three significant digits (whole seconds from 100 s on): `0.0513`, `2.01`, `7213`.
  static func seconds(_ x: Double) -> String {
    String(format: x >= 100 ? "%.0f" : "%.3g", x)
  }
}

/// Why ``LossSpec/evaluate(_:exactDigits:deadline:)`` gave no result.
public enum SpecFailure: Error, Sendable, Hashable, CustomStringConvertible {
  /// The loss's own error (DimensionMismatch, DomainError, ArgumentError).
  case loss(LossError)
  /// The deadline passed first: no verdict on the loss, only on the time.
  case budgetExceeded(BudgetExceeded)

  public var description: String {
    switch self {
    case .loss(let error): error.description
    case .budgetExceeded(let exceeded): exceeded.description
    }
  }
}
