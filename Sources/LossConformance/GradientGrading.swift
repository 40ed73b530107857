import LossCore

/// The verdict on the gradient of one answer (PROTOCOL.md, "Gradient grading"): its worst
/// element's, on the value tiers' scale.
public struct GradientVerdict: Sendable, Hashable, Codable {
  public var tier: Tier
  /// `|r − c| / ulp(c)` of the worst element, `c` the correctly rounded derivative (or the nearer
  /// end of a kink); `nil` when not a number-versus-number comparison.
  public var ulps: Double?
  /// `|r − c| / (u·S)` of the worst element.
  public var scaled: Double?
  public var stableBound: Double
  public var acceptableBound: Double
  /// The argument of the worst element: `yhat` or `y` (`nil` when no element was compared).
  public var worstArgument: String?
  /// The 1-based index of the worst element within its argument.
  public var worstElement: Int?
  /// How many elements lie inside their kink interval (the outcome "subgradient": conforming).
  public var subgradients: Int
  /// What was found, for a person.
  public var note: String

  public init(
    tier: Tier, ulps: Double? = nil, scaled: Double? = nil, stableBound: Double, acceptableBound: Double,
    worstArgument: String? = nil, worstElement: Int? = nil, subgradients: Int = 0, note: String
  ) {
    self.tier = tier
    self.ulps = ulps
    self.scaled = scaled
    self.stableBound = stableBound
    self.acceptableBound = acceptableBound
    self.worstArgument = worstArgument
    self.worstElement = worstElement
    self.subgradients = subgradients
    self.note = note
  }
}

/// The gradient part of a case's result.
public struct GradientResult: Sendable, Hashable, Codable {
  public enum Status: String, Sendable, Hashable, Codable {
    /// The answer has a gradient, graded in ``verdict``.
    case graded
    /// `gradUnsupported`, or no gradient part: not a verdict.
    case unsupported
  }

  public var status: Status
  public var verdict: GradientVerdict?
  /// The unsupported reason.
  public var detail: String
  /// What the case expects, briefly.
  public var expected: String
  /// What the adapter answered, briefly.
  public var answer: String
  /// The `n` of the bounds.
  public var terms: Int

  public init(
    status: Status, verdict: GradientVerdict? = nil, detail: String = "", expected: String = "", answer: String = "",
    terms: Int = 1
  ) {
    self.status = status
    self.verdict = verdict
    self.detail = detail
    self.expected = expected
    self.answer = answer
    self.terms = terms
  }

  /// The tier of a graded gradient.
  public var tier: Tier? { status == .graded ? verdict?.tier : nil }
}

extension Grader {
  /// Grades the gradient part of an answer to a gradient case (PROTOCOL.md, "Gradient grading");
  /// `nil` when `golden` is not a gradient case.
  ///
  /// - Parameters:
  ///   - golden: the golden case, with its gradient expectation.
  ///   - gradient: the answer's gradient part; `nil` when it has none (unsupported).
  ///   - options: how values are graded (the outcome classes of non-finite elements).
  public static func gradeGradient(
    _ golden: GoldenCase, gradient: GradientOutcome?, options: GradingOptions = .init()
  ) -> GradientResult? {
    guard let expected = golden.expectation.gradient else { return nil }
    let dtype = golden.dtype
    let n = expected.terms
    let stable = options.tolerance.stableBound(terms: n)
    let acceptable = options.tolerance.acceptableBound(terms: n)
    var result = GradientResult(status: .unsupported, expected: describe(expected, dtype), terms: n)
    let answer: LossGradient
    switch gradient {
    case nil:
      result.detail = "the answer has no gradient part ('grad' or 'gradUnsupported')"
      result.answer = "no gradient"
      return result
    case .unsupported(let reason)?:
      result.detail = reason.isEmpty ? "gradUnsupported (no reason given)" : displaySafe(reason)
      result.answer = abbreviate("gradUnsupported: \(result.detail)", 300)
      return result
    case .gradient(let g)?:
      answer = g
    }
    result.status = .graded
    result.answer = describe(answer, dtype)
    func verdict(_ tier: Tier, _ note: String) -> GradientVerdict {
      GradientVerdict(tier: tier, stableBound: stable, acceptableBound: acceptable, note: note)
    }
    var worst: (argument: GradientRequest.Argument, index: Int, grade: ValueGrade)?
    var subgradients = 0
    for argument in GradientRequest.Argument.allCases {
      guard let (elements, scales) = expected.elements(argument) else { continue }
      let symbol = argument == .yhat ? "∂L/∂ŷ" : "∂L/∂y"
      guard let got = argument == .yhat ? answer.yhat : answer.y else {
        result.verdict = verdict(.divergent, "the answer has no grad.\(argument.rawValue) (the request asked for it)")
        return result
      }
      guard got.count == elements.count else {
        result.verdict = verdict(
          .divergent, "\(symbol) has \(got.count) element(s), expected \(elements.count) (grad.\(argument.rawValue))")
        return result
      }
      for i in elements.indices {
        let scale = i < scales.count ? scales[i] : .infinity
        let (grade, inside) = gradeElement(
          elements[i], scale: scale, answer: got[i], dtype: dtype, stable: stable, acceptable: acceptable)
        if inside { subgradients += 1 }
        if let current = worst?.grade {
          if grade.tier > current.tier
            || (grade.tier == current.tier && (grade.scaled ?? .infinity) > (current.scaled ?? .infinity))
          {
            worst = (argument, i, grade)
          }
        } else {
          worst = (argument, i, grade)
        }
      }
    }
    let kinks = subgradients == 1 ? "1 subgradient" : "\(subgradients) subgradients"
    guard let worst else {
      result.verdict = verdict(.correctlyRounded, "an empty gradient, as expected")
      return result
    }
    let count = expected.elements(worst.argument)?.elements.count ?? 0
    let symbol = worst.argument == .yhat ? "∂L/∂ŷ" : "∂L/∂y"
    let note: String
    if worst.grade.tier == .correctlyRounded {
      note = "every element correctly rounded" + (subgradients > 0 ? " or a subgradient (\(kinks))" : "")
    } else {
      note =
        "worst element \(symbol)[\(worst.index + 1)] of \(count): \(worst.grade.note)"
        + (subgradients > 0 ? " (\(kinks))" : "")
    }
    result.verdict = GradientVerdict(
      tier: worst.grade.tier, ulps: worst.grade.ulps, scaled: worst.grade.scaled, stableBound: stable,
      acceptableBound: acceptable, worstArgument: worst.argument.rawValue, worstElement: worst.index + 1,
      subgradients: subgradients, note: note)
    return result
  }

  /// Grades one gradient element; the flag says whether `r` lies inside a kink's interval.
  static func gradeElement(
    _ expected: GradientElement, scale: Double, answer r: Double, dtype: DType, stable: Double, acceptable: Double
  ) -> (ValueGrade, Bool) {
    switch expected {
    case .value(let c):
      return (gradeRounded(c, scale: scale, answer: r, dtype: dtype, stable: stable, acceptable: acceptable), false)
    case .subgradient(let lower, let upper):
      let interval = "[\(spell(lower, dtype)), \(spell(upper, dtype))]"
      if r.isNaN {
        return (ValueGrade(tier: .divergent, note: "expected a subgradient in \(interval), got NaN"), false)
      }
      if lower <= r && r <= upper {
        return (
          ValueGrade(
            tier: .correctlyRounded, ulps: 0, scaled: 0, note: "a subgradient: \(spell(r, dtype)) in \(interval)"),
          true
        )
      }
      let end = r < lower ? lower : upper
      var grade = gradeRounded(end, scale: scale, answer: r, dtype: dtype, stable: stable, acceptable: acceptable)
      grade.note = "outside the subgradient interval \(interval), from its nearer end: " + grade.note
      return (grade, false)
    }
  }

  /// Grades `r` against a correctly rounded derivative `c` (PROTOCOL.md, "Gradient grading",
  /// rule 2): the reference is `c` itself, and faithful means `|r − c| ≤ ulp(c)`.
  static func gradeRounded(
    _ c: Double, scale: Double, answer r: Double, dtype: DType, stable: Double, acceptable: Double
  ) -> ValueGrade {
    if c.isNaN {
      return r.isNaN
        ? ValueGrade(tier: .correctlyRounded, note: "NaN, as expected")
        : ValueGrade(tier: .divergent, note: "expected NaN, got \(spell(r, dtype))")
    }
    if c.isInfinite {
      return r == c
        ? ValueGrade(tier: .correctlyRounded, note: "\(spell(c, dtype)), as expected")
        : ValueGrade(tier: .divergent, note: "expected \(spell(c, dtype)), got \(spell(r, dtype))")
    }
    if r.isNaN { return ValueGrade(tier: .divergent, note: "expected \(spell(c, dtype)), got NaN") }
    if r == c { return ValueGrade(tier: .correctlyRounded, ulps: 0, scaled: 0, note: "correctly rounded") }
    if r.isInfinite {
      return ValueGrade(tier: .divergent, note: "expected \(spell(c, dtype)), got \(spell(r, dtype))")
    }
    let v = ExactRational(c)!
    let difference = (ExactRational(r)! - v).magnitude
    let ulp = ExactRational.powerOfTwo(BinaryFormat(dtype).ulpExponent(of: v))
    let ulps = (difference / ulp).doubleValue
    let s = scale.isNaN ? Double.greatestFiniteMagnitude : min(scale, .greatestFiniteMagnitude)
    let scaleExact = max(ExactRational(s)!, v.magnitude)
    let unitScale = scaleExact * ExactRational.powerOfTwo(-dtype.significandBits)
    let scaled: Double = unitScale.isZero ? .infinity : (difference / unitScale).doubleValue
    func within(_ bound: Double) -> Bool { !unitScale.isZero && difference <= unitScale * ExactRational(bound)! }
    let tier: Tier =
      difference <= ulp ? .faithful : within(stable) ? .stable : within(acceptable) ? .acceptable : .divergent
    let note =
      "expected \(spell(c, dtype)), got \(spell(r, dtype)): \(ulps.formatted(significantDigits: 3)) ulps, "
      + "\(scaled.formatted(significantDigits: 3)) u·S (stable ≤ \(stable.formatted(significantDigits: 3)), "
      + "acceptable ≤ \(acceptable.formatted(significantDigits: 3)))"
    return ValueGrade(tier: tier, ulps: ulps, scaled: scaled, note: note)
  }

  /// A brief description of an expected gradient.
  static func describe(_ expected: GradientExpectation, _ dtype: DType) -> String {
    func list(_ xs: [GradientElement]) -> String {
      let shown = xs.prefix(4).map { element -> String in
        switch element {
        case .value(let v): spell(v, dtype)
        case .subgradient(let lower, let upper): "[\(spell(lower, dtype)), \(spell(upper, dtype))]"
        }
      }
      return "[" + shown.joined(separator: ", ") + (xs.count > 4 ? ", … (\(xs.count))" : "") + "]"
    }
    var text = "∂L/∂ŷ " + list(expected.yhat)
    if let y = expected.y { text += ", ∂L/∂y " + list(y) }
    return abbreviate(text, 300)
  }

  /// A brief description of an answered gradient.
  static func describe(_ gradient: LossGradient, _ dtype: DType) -> String {
    func list(_ xs: [Double]) -> String {
      "[" + xs.prefix(4).map { spell($0, dtype) }.joined(separator: ", ") + (xs.count > 4 ? ", … (\(xs.count))" : "")
        + "]"
    }
    var text = "∂L/∂ŷ " + list(gradient.yhat)
    if let y = gradient.y { text += ", ∂L/∂y " + list(y) }
    return abbreviate(text, 300)
  }
}
