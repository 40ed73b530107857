import LossCore

/// A value of a loss formula: a ball, or one of IEEE's non-finite values.
///
/// Finite inputs give balls and exact mathematics; the non-finite cases follow the IEEE reading
/// of the formula (SEMANTICS.md): `∞ − ∞ = NaN`, `0 · ∞ = NaN`, `log(0) = −∞`, NaN propagates.
enum ExtendedReal: Sendable {
  case finite(Ball)
  case nan
  /// `+∞` for `1`, `−∞` for `−1`.
  case infinity(sign: Int)

  /// The ball cannot decide a sign the IEEE reading needs (it straddles zero): retry with more
  /// precision.
  struct Undecided: Error {}

  init(_ x: Double, precision: Int) {
    if x.isNaN {
      self = .nan
    } else if x.isInfinite {
      self = .infinity(sign: x > 0 ? 1 : -1)
    } else {
      self = .finite(Ball(exactly: x, precision: precision))
    }
  }

  static func exact(_ n: Int, precision: Int) -> ExtendedReal { .finite(Ball(Dyadic(n), precision: precision)) }

  var isNaN: Bool { if case .nan = self { true } else { false } }

  /// The sign: −1, 0 (exactly zero), 1, or `nil` for NaN.
  func sign() throws(Undecided) -> Int? {
    switch self {
    case .nan: return nil
    case .infinity(let s): return s
    case .finite(let b):
      guard let s = b.certainSign else { throw Undecided() }
      return s
    }
  }

  var isExactZero: Bool {
    if case .finite(let b) = self { b.isExact && b.mid.isZero } else { false }
  }

  static prefix func - (x: ExtendedReal) -> ExtendedReal {
    switch x {
    case .nan: .nan
    case .infinity(let s): .infinity(sign: -s)
    case .finite(let b): .finite(-b)
    }
  }

  static func + (a: ExtendedReal, b: ExtendedReal) -> ExtendedReal {
    switch (a, b) {
    case (.nan, _), (_, .nan): .nan
    case (.infinity(let s), .infinity(let t)): s == t ? .infinity(sign: s) : .nan
    case (.infinity, .finite): a
    case (.finite, .infinity): b
    case (.finite(let x), .finite(let y)): .finite(x + y)
    }
  }

  static func - (a: ExtendedReal, b: ExtendedReal) -> ExtendedReal { a + (-b) }

  static func * (a: ExtendedReal, b: ExtendedReal) throws(Undecided) -> ExtendedReal {
    switch (a, b) {
    case (.nan, _), (_, .nan): return .nan
    case (.finite(let x), .finite(let y)): return .finite(x * y)
    default:
      // At least one infinity: the product is NaN for a zero factor, else ±∞.
      guard let s = try a.sign(), let t = try b.sign() else { return .nan }
      return s == 0 || t == 0 ? .nan : .infinity(sign: s * t)
    }
  }

  /// IEEE division; a zero divisor is +0 (the losses never form −0 divisors from finite data).
  static func / (a: ExtendedReal, b: ExtendedReal) throws(Undecided) -> ExtendedReal {
    switch (a, b) {
    case (.nan, _), (_, .nan): return .nan
    case (.infinity, .infinity): return .nan
    case (.finite, .infinity): return .finite(Ball(.zero, precision: 64))
    case (.infinity(let s), .finite):
      let t = try b.sign()!
      return .infinity(sign: t == 0 ? s : s * t)
    case (.finite(let x), .finite(let y)):
      let t = try b.sign()!
      if t == 0 {
        let s = try a.sign()!
        return s == 0 ? .nan : .infinity(sign: s)
      }
      return .finite(x / y)
    }
  }

  /// `x²`.
  func squared() throws(Undecided) -> ExtendedReal { try self * self }

  /// `|x|`.
  func magnitude() throws(Undecided) -> ExtendedReal {
    switch self {
    case .nan: return .nan
    case .infinity: return .infinity(sign: 1)
    case .finite(let b):
      guard let s = b.certainSign else { throw Undecided() }
      return s < 0 ? .finite(-b) : self
    }
  }

  /// Julia's `max(0, x)`: NaN propagates (unlike Swift's `max(0, .nan)`).
  func clampedBelowAtZero() throws(Undecided) -> ExtendedReal {
    guard let s = try sign() else { return .nan }
    return s < 0 ? .finite(Ball(.zero, precision: 64)) : self
  }

  /// `exp(x)`.
  func exp() -> ExtendedReal {
    switch self {
    case .nan: .nan
    case .infinity(let s): s > 0 ? self : .finite(Ball(.zero, precision: 64))
    case .finite(let b): .finite(Elementary.exp(b))
    }
  }

  /// Julia's `log(x)`: `DomainError` for `x < 0`, `−∞` at 0 (either sign of zero), NaN for NaN.
  func log(_ what: @autoclosure () -> String) throws(LossEvaluationError) -> ExtendedReal {
    do {
      switch self {
      case .nan: return .nan
      case .infinity(let s):
        if s < 0 { throw LossEvaluationError.loss(.domainError("log of −Inf: \(what())")) }
        return self
      case .finite(let b):
        let s = try sign()!
        if s < 0 {
          throw LossEvaluationError.loss(
            .domainError("log of a negative number, \(b.mid.approximation): \(what())"))
        }
        if s == 0 { return .infinity(sign: -1) }
        return .finite(Elementary.log(b))
      }
    } catch let error as LossEvaluationError {
      throw error
    } catch {
      throw .undecided
    }
  }

  /// `log(1 + e^x)`, softplus, as `max(x, 0) + log1p(e^(−|x|))` (an identity).
  func softplus() throws(Undecided) -> ExtendedReal {
    switch self {
    case .nan: return .nan
    case .infinity(let s): return s > 0 ? self : .finite(Ball(.zero, precision: 64))
    case .finite(let b):
      guard let s = b.certainSign else { throw Undecided() }
      let negAbs = s < 0 ? b : -b
      let tail = Elementary.log1p(Elementary.exp(negAbs))
      return .finite(s > 0 ? b + tail : tail)
    }
  }
}

/// Why an evaluation at one precision stopped.
enum LossEvaluationError: Error {
  /// The loss's own error (DomainError, DimensionMismatch, ArgumentError).
  case loss(LossError)
  /// More precision is needed.
  case undecided
  /// The request's deadline passed (``Deadline``).
  case budgetExceeded
}
