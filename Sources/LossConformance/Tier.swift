import Foundation

/// How close an implementation's answer is to the exact value, best first (DESIGN.md, "Verdicts").
///
/// For a case with exact value `v`, an answer `r` in dtype `T` (unit roundoff `u`) and error scale
/// `S` (``Expectation/errorScale``):
///
/// | tier | holds when |
/// |---|---|
/// | ``correctlyRounded`` | `r` is `v` rounded to `T` (the vector's `float32`, `float64`, `float16` or `bfloat16`) |
/// | ``faithful`` | `|r − v| < ulp_T(v)`: `r` is one of the two values of `T` around `v` |
/// | ``stable`` | `|r − v| ≤ u·S·(c·log₂(n + 1) + c₀)`: pairwise-summation grade |
/// | ``acceptable`` | `|r − v| ≤ u·S·(c·n + c₀)`: recursive-summation grade |
/// | ``divergent`` | beyond, or a different outcome class (NaN for a number, an error for a value) |
///
/// The constants `c` and `c₀` are ``ToleranceModel/summationFactor`` and
/// ``ToleranceModel/chainAllowance``; their justification is there. Outcomes that are not numbers
/// (an error of the right kind, NaN where NaN is exact, ±∞ with the right sign) are
/// `correctlyRounded` when they match, `divergent` when they do not.
public enum Tier: String, CaseIterable, Sendable, Hashable, Comparable, Codable {
  case correctlyRounded
  case faithful
  case stable
  case acceptable
  case divergent

  /// Better tiers compare smaller: `correctlyRounded < faithful < … < divergent`.
  public static func < (lhs: Tier, rhs: Tier) -> Bool { lhs.rank < rhs.rank }

  var rank: Int { Tier.allCases.firstIndex(of: self)! }

  /// Whether this tier is at least as good as `required`.
  public func meets(_ required: Tier) -> Bool { self <= required }

  /// A short column label for tables.
  public var shortLabel: String {
    switch self {
    case .correctlyRounded: "CR"
    case .faithful: "faithful"
    case .stable: "stable"
    case .acceptable: "accept."
    case .divergent: "DIVERGENT"
    }
  }
}

/// Where a case sits in the input space (DESIGN.md): the gate applies to `benign` and `edge`
/// cases by default; `extreme` cases are always graded and reported as a robustness score.
public enum Regime: String, CaseIterable, Sendable, Hashable, Codable {
  /// Ordinary inputs of ordinary magnitude.
  case benign
  /// Special values (NaN, ±∞, ±0, subnormals), empty inputs, boundaries (`|ŷ − y| = δ`,
  /// `ŷ·y = 1`, `ŷ = 0` under a log), scalar targets, and the error cases.
  case edge
  /// Magnitudes where a straightforward evaluation in the dtype overflows or underflows in an
  /// intermediate although the exact result is representable (the Float32 mean of two 3e38).
  case extreme
}

/// The constants of the stable and acceptable tiers, from the error analysis of a straightforward
/// evaluation.
///
/// A loss is a short chain of elementwise operations per element (`k` of them: a difference, a
/// log, a product, a square …) followed by one or two reductions (over `dims`, then `agg`) and
/// possibly a division by the count. ``Expectation/errorScale`` `S` already weights each element
/// by its own chain: it is `Σᵢ (|tᵢ| + cᵢ)` where `u·cᵢ` bounds the first-order rounding error
/// of element `i`'s chain (LossSpec's `ErrorScale` documents `cᵢ` per loss). With it, the
/// first-order error of a straightforward evaluation is bounded by (Higham, *Accuracy and
/// Stability of Numerical Algorithms*, 2nd ed., §4.2 and §4.3):
///
/// - elementwise terms: `u·S` (by the definition of `S`);
/// - a pairwise (cascade) summation of `n` terms: `⌈log₂ n⌉·u·Σ|tᵢ| ≤ log₂(n + 1)·u·S`, and a
///   second reduction level (sum over `dims`, then the mean over samples) at most doubles the
///   depth term: `⌈log₂ m⌉ + ⌈log₂ b⌉ ≤ log₂ n + 2` for `n = m·b`;
/// - a recursive (sequential) summation: `(n − 1)·u·Σ|tᵢ|`, and for two levels
///   `(m − 1) + (b − 1) ≤ n`;
/// - the final division of a mean, the final addition of `kldivergence`'s two aggregates, the
///   quotient of dice and tversky: one `u·|v| ≤ u·S` each.
///
/// Hence `|r − v| ≲ u·S·(log₂(n + 1) + 4)` for a pairwise evaluation and `u·S·(n + 4)` for a
/// recursive one. The constants double the first-order coefficient (`c = 2`) and the chain
/// allowance (`c₀ = 8`), so that second-order terms (`γₙ = nu/(1 − nu)` is `1.06·nu` at
/// `n = 10⁶` in Float32), blocked or vectorized summation orders (numpy sums blocks of 128 with
/// eight accumulators: a depth of `16 + log₂(n/128)`, within `2·log₂ n + 8` for every `n`), and
/// alternative but equally stable formulations of a term (`log1p` versus `log`, a fused
/// multiply-add, a different but stable logsumexp) all stay inside their tier. A wrong formula,
/// a wrong reduction or a dropped NaN errs by `O(|v|)`, which is `1/u` (1.7·10⁷ in Float32,
/// 9·10¹⁵ in Float64) times `|v|/S` scaled units: far beyond either bound for the sizes in the
/// golden vectors (n ≤ 10⁶).
public struct ToleranceModel: Sendable, Hashable, Codable {
  /// `c`: the coefficient of the summation term (log₂(n + 1) for stable, n for acceptable).
  public var summationFactor: Double
  /// `c₀`: the allowance for the elementwise chain, the mean's division and the final
  /// combinations, in units of `u·S`.
  public var chainAllowance: Double

  /// The model described above: `c = 2`, `c₀ = 8`.
  public static let standard = ToleranceModel(summationFactor: 2, chainAllowance: 8)

  public init(summationFactor: Double, chainAllowance: Double) {
    self.summationFactor = summationFactor
    self.chainAllowance = chainAllowance
  }

  /// The largest `|r − v| / (u·S)` of the stable tier for a value reducing `n` terms.
  public func stableBound(terms n: Int) -> Double {
    summationFactor * Foundation.log2(Double(max(n, 0)) + 1) + chainAllowance
  }

  /// The largest `|r − v| / (u·S)` of the acceptable tier for a value reducing `n` terms.
  public func acceptableBound(terms n: Int) -> Double {
    summationFactor * Double(max(n, 0)) + chainAllowance
  }

  /// One paragraph for reports: the bounds and where they come from.
  public var explanation: String {
    let c = summationFactor.formatted(significantDigits: 3)
    let c0 = chainAllowance.formatted(significantDigits: 3)
    return """
      ulps = |r − v| / ulp(v); scaled = |r − v| / (u·S), S the case's error scale (the magnitudes a \
      straightforward evaluation rounds, per element and summed), u the unit roundoff (2⁻²⁴, 2⁻⁵³; 2⁻¹¹, 2⁻⁸ for float16, bfloat16). \
      correctlyRounded: r is v rounded to the dtype. faithful: ulps < 1. stable: scaled ≤ \(c)·log₂(n+1) + \(c0) \
      (pairwise summation errs by ⌈log₂ n⌉·u·Σ|t| per reduction level, the elementwise chain and the mean's \
      division by a few u·S; c doubles the first-order coefficient for two reduction levels and second-order \
      terms, c₀ covers the chain). acceptable: scaled ≤ \(c)·n + \(c0) (recursive summation errs by (n−1)·u·Σ|t|). \
      divergent: beyond, or another outcome class (NaN vs a number, an error vs a value, another error kind, \
      the sign of an infinity). n is the number of elements reduced into the value.
      """
  }
}

extension Double {
  /// `%g`-like text with the given significant digits (no locale).
  func formatted(significantDigits digits: Int) -> String {
    if isNaN { return "NaN" }
    if isInfinite { return self > 0 ? "Inf" : "-Inf" }
    if self == 0 { return "0" }
    return String(format: "%.\(digits)g", self)
  }
}
