/// A reference implementation: besides its values, it knows each case's **error scale** `S`,
/// the magnitude of everything a straightforward evaluation must round (DESIGN.md, "Verdicts").
///
/// The tolerances that follow from a claimed accuracy (the "stable" tier: `c·log₂n·u·S`) need
/// `S`; whoever checks an implementation is handed the reference as a value of this protocol
/// (LossSpec's `ReferenceImplementation` conforms), so the property laws reach the reference
/// only through what they are given.
public protocol LossReference: LossImplementation {
  /// The error scale of each value of `request`'s result (one for a scalar result, one per
  /// element for `agg = none`, column-major); empty when the request is an error (or the
  /// reference gives up on it).
  func errorScale(_ request: LossRequest) -> [Double]
}
