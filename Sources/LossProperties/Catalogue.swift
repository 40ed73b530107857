import LossCore

/// The catalogue of laws: every law of the property suite, in report order.
///
/// ```swift
/// Catalogue.laws.count                         // 69
/// Catalogue.law(named: "kldivergence-nonnegative")?.losses   // [.kldivergence]
/// ```
public enum Catalogue {
  /// Every law, grouped by category.
  public static let laws: [Law] =
    equivalences + structure + symmetries + bounds + outcomes + agreement + gradients + halfPrecision

  /// The law called `name`.
  public static func law(named name: String) -> Law? { laws.first { $0.name == name } }

  /// The laws that concern `loss`.
  public static func laws(concerning loss: LossID) -> [Law] { laws.filter { $0.losses.contains(loss) } }
}
