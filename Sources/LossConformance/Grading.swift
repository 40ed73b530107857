import LossCore

/// The verdict on one answer to one case.
public struct Verdict: Sendable, Hashable, Codable {
  public var tier: Tier
  /// `|r − v| / ulp_T(v)` of the worst value (`nil` when not a number-versus-number comparison).
  public var ulps: Double?
  /// `|r − v| / (u·S)` of the worst value.
  public var scaled: Double?
  /// The stable and acceptable bounds on `scaled` for this case.
  public var stableBound: Double
  public var acceptableBound: Double
  /// The 0-based index of the worst value of an array result.
  public var worstIndex: Int?
  /// What was found, for a person: "expected NaN, got 1.5", "3 ulps, 1.2 u·S".
  public var note: String
  /// An answer of NaN where the exact outcome is a DomainError (SEMANTICS.md: "NaN for domain
  /// error", a separate outcome class); its tier depends on ``GradingOptions/allowNaNForDomainError``.
  public var nanForDomainError: Bool

  public init(
    tier: Tier, ulps: Double? = nil, scaled: Double? = nil, stableBound: Double, acceptableBound: Double,
    worstIndex: Int? = nil, note: String, nanForDomainError: Bool = false
  ) {
    self.tier = tier
    self.ulps = ulps
    self.scaled = scaled
    self.stableBound = stableBound
    self.acceptableBound = acceptableBound
    self.worstIndex = worstIndex
    self.note = note
    self.nanForDomainError = nanForDomainError
  }
}

/// How answers are graded.
public struct GradingOptions: Sendable, Hashable, Codable {
  public var tolerance: ToleranceModel
  /// Accept NaN where the exact outcome is a DomainError (graded `acceptable` and reported);
  /// by default it is `divergent` (SEMANTICS.md: Flux throws).
  public var allowNaNForDomainError: Bool

  public init(tolerance: ToleranceModel = .standard, allowNaNForDomainError: Bool = false) {
    self.tolerance = tolerance
    self.allowNaNForDomainError = allowNaNForDomainError
  }
}

/// Grades answers against golden expectations (DESIGN.md, "Verdicts"; ``Tier``).
public enum Grader {
  /// The number of terms `n` reduced into each value of a case's result: every element of ŷ for
  /// a reduced result (`mean`, `sum`, dice, tversky), the size of the reduced `dims` block for
  /// `agg = none` of the class-reducing losses, 1 for `agg = none` of an elementwise loss.
  public static func termCount(_ request: LossRequest) -> Int {
    let n = request.yhat.count
    guard request.params.agg == Aggregation.none, request.loss.takesAggregation else { return n }
    guard request.loss.reducesOverDims else { return 1 }
    let dims = Set(request.params.dims ?? [1])
    return dims.reduce(1) { $0 * request.yhat.shape.size($1) }
  }

  /// Grades `outcome` for `golden`; `nil` for an `unsupported` answer (not a verdict).
  ///
  /// - Complexity: O(*k*) exact rational operations for *k* values (a few microseconds each).
  public static func grade(_ golden: GoldenCase, outcome: LossOutcome, options: GradingOptions = .init())
    -> Verdict?
  {
    let expectation = golden.expectation
    let n = termCount(golden.request)
    let stable = options.tolerance.stableBound(terms: n)
    let acceptable = options.tolerance.acceptableBound(terms: n)
    func verdict(_ tier: Tier, _ note: String, nanForDomainError: Bool = false) -> Verdict {
      Verdict(
        tier: tier, stableBound: stable, acceptableBound: acceptable, note: note,
        nanForDomainError: nanForDomainError)
    }
    switch (expectation.outcome, outcome) {
    case (_, .unsupported):
      return nil
    case (.error(let kind), .error(let error)):
      if error.kind == kind { return verdict(.correctlyRounded, "\(kind.rawValue), as expected") }
      return verdict(.divergent, "expected \(kind.rawValue), got \(error.kind.rawValue): \(error.message)")
    case (.error(let kind), .value(let value)):
      if kind == .domainError && value.values.contains(where: \.isNaN) {
        if options.allowNaNForDomainError {
          return verdict(
            .acceptable, "NaN for DomainError (allowed by --allow-nan-for-domain-error)", nanForDomainError: true)
        }
        return verdict(.divergent, "NaN for DomainError: Flux throws a DomainError here", nanForDomainError: true)
      }
      return verdict(.divergent, "expected \(kind.rawValue), got a value \(describe(value, golden.dtype))")
    case (_, .error(let error)):
      return verdict(
        .divergent, "expected \(expectation.outcomeName == "array" ? "an array" : "a value"), got \(error)")
    case (.scalar, .value(let value)):
      let answer: Double
      switch value {
      case .scalar(let r): answer = r
      case .array(let t) where t.shape.rank == 0 && t.count == 1: answer = t.values[0]
      case .array(let t):
        return verdict(.divergent, "expected a number, got an array of shape \(t.shape)")
      }
      let grade = gradeValue(
        exact: expectation.exact[0], rounded: expectation.rounded(golden.dtype)[0],
        scale: expectation.errorScale[0], answer: answer, dtype: golden.dtype, stable: stable, acceptable: acceptable)
      return Verdict(
        tier: grade.tier, ulps: grade.ulps, scaled: grade.scaled, stableBound: stable, acceptableBound: acceptable,
        note: grade.note)
    case (.array(let shape), .value(let value)):
      let tensor: Tensor
      switch value {
      case .array(let t): tensor = t
      case .scalar(let x) where shape.rank == 0:
        // A 0-dimensional array holds one number: the protocol spells it either way.
        tensor = Tensor(scalar: x)
      case .scalar:
        return verdict(.divergent, "expected an array of shape \(shape), got a number \(describe(value, golden.dtype))")
      }
      guard tensor.shape == shape else {
        return verdict(.divergent, "expected an array of shape \(shape), got shape \(tensor.shape)")
      }
      var worst: (index: Int, grade: ValueGrade)?
      let rounded = expectation.rounded(golden.dtype)
      for i in 0..<tensor.count {
        let grade = gradeValue(
          exact: expectation.exact[i], rounded: rounded[i], scale: expectation.errorScale[i],
          answer: tensor.values[i], dtype: golden.dtype, stable: stable, acceptable: acceptable)
        if let current = worst?.grade {
          if grade.tier > current.tier
            || (grade.tier == current.tier && (grade.scaled ?? .infinity) > (current.scaled ?? .infinity))
          {
            worst = (i, grade)
          }
        } else {
          worst = (i, grade)
        }
      }
      guard let worst else {
        return verdict(.correctlyRounded, "an empty array of shape \(shape), as expected")
      }
      return Verdict(
        tier: worst.grade.tier, ulps: worst.grade.ulps, scaled: worst.grade.scaled, stableBound: stable,
        acceptableBound: acceptable, worstIndex: worst.index,
        note: "worst element [\(worst.index + 1)] of \(tensor.count): \(worst.grade.note)")
    }
  }

  /// The grade of one number.
  struct ValueGrade: Sendable, Hashable {
    var tier: Tier
    var ulps: Double?
    var scaled: Double?
    var note: String
  }

  /// Grades the answer `r` for one value with exact value `exact` (decimal or non-finite
  /// spelling), correctly rounded value `c` in `dtype`, and error scale `S`.
  ///
  /// The exact decimal carries ≥ 40 correct digits; a value within 10⁻⁴² (relative) of `c` is
  /// taken to be `c` (exactly representable results such as `mae`'s are written rounded to 45
  /// digits, and must grade as exact). `S` is taken as at least `|v|` (the final rounding of any
  /// evaluation errs by `u·|v|`) and at most `greatestFiniteMagnitude` (an estimate that
  /// overflowed in Double).
  static func gradeValue(
    exact: String, rounded c: Double, scale: Double, answer r: Double, dtype: DType, stable: Double,
    acceptable: Double
  ) -> ValueGrade {
    let expectedName: String
    switch exact {
    case "NaN": expectedName = "NaN"
    case "Infinity": expectedName = "Infinity"
    case "-Infinity": expectedName = "-Infinity"
    default: expectedName = ""
    }
    if !expectedName.isEmpty {
      let matches = exact == "NaN" ? r.isNaN : (r.isInfinite && (r > 0) == (exact == "Infinity"))
      return matches
        ? ValueGrade(tier: .correctlyRounded, note: "\(expectedName), as expected")
        : ValueGrade(tier: .divergent, note: "expected \(expectedName), got \(spell(r, dtype))")
    }
    guard var v = ExactRational(decimal: exact) else {
      return ValueGrade(tier: .divergent, note: "the vector's exact value '\(exact)' is not a number")
    }
    if r.isNaN { return ValueGrade(tier: .divergent, note: "expected \(spell(c, dtype)), got NaN") }
    if r == c {
      // Correctly rounded (±0 compare equal; an overflow to ±∞ that is the correct rounding).
      return ValueGrade(tier: .correctlyRounded, ulps: 0, scaled: 0, note: "correctly rounded")
    }
    if r.isInfinite {
      return ValueGrade(tier: .divergent, note: "expected \(spell(c, dtype)), got \(spell(r, dtype)) (overflow)")
    }
    // Snap an exactly representable value written rounded to 45 digits onto itself.
    if let cExact = ExactRational(c), !cExact.isZero {
      let gap = (cExact - v).magnitude
      if gap.scaledByPowerOfTen(42) <= cExact.magnitude { v = cExact }
    }
    let answerExact = ExactRational(r)!
    let difference = (answerExact - v).magnitude
    let format = BinaryFormat(dtype)
    let ulp = ExactRational.powerOfTwo(format.ulpExponent(of: v))
    let ulps = (difference / ulp).doubleValue
    let s = scale.isNaN ? Double.greatestFiniteMagnitude : min(scale, .greatestFiniteMagnitude)
    let scaleExact = max(ExactRational(s)!, v.magnitude)
    let unitScale = scaleExact * ExactRational.powerOfTwo(-dtype.significandBits)
    let scaled: Double = unitScale.isZero ? (difference.isZero ? 0 : .infinity) : (difference / unitScale).doubleValue
    // The tier is decided exactly (a ratio of 1 − 10⁻⁷⁷ must not round to 1); ulps and scaled
    // are the reported approximations.
    func within(_ bound: Double) -> Bool { difference <= unitScale * ExactRational(bound)! }
    let tier: Tier =
      difference < ulp ? .faithful : within(stable) ? .stable : within(acceptable) ? .acceptable : .divergent
    let note =
      "expected \(spell(c, dtype)), got \(spell(r, dtype)): \(ulps.formatted(significantDigits: 3)) ulps, "
      + "\(scaled.formatted(significantDigits: 3)) u·S (stable ≤ \(stable.formatted(significantDigits: 3)), "
      + "acceptable ≤ \(acceptable.formatted(significantDigits: 3)))"
    return ValueGrade(tier: tier, ulps: ulps, scaled: scaled, note: note)
  }

  /// A number as the protocol spells it in `dtype`.
  static func spell(_ x: Double, _ dtype: DType) -> String {
    dtype.spelling(of: x, .json)
  }

  static func describe(_ value: LossValue, _ dtype: DType) -> String {
    switch value {
    case .scalar(let x): spell(x, dtype)
    case .array(let t):
      "array of shape \(t.shape)"
        + (t.count <= 4 ? " [" + t.values.map { spell($0, dtype) }.joined(separator: ", ") + "]" : "")
    }
  }
}

extension ExactRational {
  /// `self · 10^k`.
  func scaledByPowerOfTen(_ k: Int) -> ExactRational {
    let power = ExactRational(isNegative: false, numerator: .init(10).power(abs(k)), denominator: 1)
    return k >= 0 ? self * power : self / power
  }
}

/// The parameters of an IEEE binary format that grading needs.
struct BinaryFormat: Sendable, Hashable {
  /// Significand bits including the implicit one.
  var precision: Int
  /// The exponent of the smallest normal number, 2^minExponent.
  var minExponent: Int
  /// The exponent of the largest binade.
  var maxExponent: Int

  init(_ dtype: DType) {
    self = BinaryFormat(
      precision: dtype.significandBits, minExponent: dtype.minExponent, maxExponent: dtype.maxExponent)
  }

  init(precision: Int, minExponent: Int, maxExponent: Int) {
    self.precision = precision
    self.minExponent = minExponent
    self.maxExponent = maxExponent
  }

  /// The exponent `e` of `ulp(v) = 2^e`: the spacing of the format's values around `v`, that of
  /// the subnormals below the normal range and that of the largest binade above the range.
  func ulpExponent(of v: ExactRational) -> Int {
    guard !v.isZero else { return minExponent - precision + 1 }
    let binade = min(max(v.binade, minExponent), maxExponent)
    return binade - precision + 1
  }
}
