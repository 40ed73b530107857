import Foundation
import LossCore
import LossProperties
import LossReports
import LossSpec

/// The gradient family of `losscheck verify`: LossSpec's exact gradients (`LossSpec.gradient(_:)`,
/// whose derivative formulas are derived by hand per loss) against two witnesses that share
/// nothing with those formulas but SEMANTICS.md.
///
/// - **oracle**: the mpmath gradient oracle (`Conformance/oracle/gradient_cases.jsonl`, written
///   by `mpmath_gradient_oracle.py` from numerical derivatives of the value oracle's loss): every
///   element must equal the oracle's correctly rounded derivative bit for bit, and at a kink both
///   one-sided derivatives must.
/// - **central differences**: `LossSpec.centralDifferences(_:gradient:)`, the exact central
///   difference of LossSpec's own *value* formulas in ball arithmetic with a step of about 2⁻¹²⁰
///   of the input, on random natural inputs of every loss (`LossCases`: every dtype, agg, dims
///   and weight option; `none` with a random cotangent; the y-gradient half of the time).
public enum GradientChecks {
  static let group = "gradients"
  /// The default file of the oracle check.
  public static let defaultOraclePath = "Conformance/oracle/gradient_cases.jsonl"

  /// The mpmath gradient oracle's Float16 and BFloat16 cases (skipped if absent).
  public static let defaultHalfPrecisionOraclePath = "Conformance/oracle/half_gradient_cases.jsonl"
  /// The default number of central-difference cases per loss: about 5 s in a release build.
  public static let defaultCount = 100

  /// `--gradient-count`, `--gradient-oracle` and the seed of the central differences.
  public struct Options: Sendable {
    /// Random cases per loss of the central-difference checks (0: none are run).
    public var count: Int
    public var seed: UInt64
    /// The mpmath gradient oracle file, and whether it was named on the command line.
    public var oracleFile: VerificationContext.InputFile
    /// The mpmath gradient oracle's half-precision cases.
    public var halfPrecisionOracleFile: VerificationContext.InputFile

    public init(
      count: Int = GradientChecks.defaultCount, seed: UInt64 = SplitMix64.freshSeed(),
      oracleFile: VerificationContext.InputFile = .init(path: GradientChecks.defaultOraclePath, isExplicit: false),
      halfPrecisionOracleFile: VerificationContext.InputFile = .init(
        path: GradientChecks.defaultHalfPrecisionOraclePath, isExplicit: false)
    ) {
      self.count = count
      self.seed = seed
      self.oracleFile = oracleFile
      self.halfPrecisionOracleFile = halfPrecisionOracleFile
    }
  }

  /// The oracle checks (a file check, then one per loss) and one central-difference check per
  /// loss, in `LossID` order.
  static func checks(for context: VerificationContext) async -> [Check] {
    var checks = oracleChecks(context.gradients.oracleFile)
    checks += oracleChecks(context.gradients.halfPrecisionOracleFile, label: "half ")
    let options = context.gradients
    if options.count > 0 {
      for loss in LossID.allCases {
        checks.append(
          Check(group: group, name: "central differences \(loss.rawValue)") {
            centralDifferences(loss, count: options.count, seed: options.seed)
          })
      }
    }
    return checks
  }

  // MARK: The mpmath oracle

  /// One line of the oracle file.
  package struct OracleCase: Sendable {
    var line: Int
    var id: String
    var lossName: String
    var json: JSONValue
  }

  package struct ParsedOracle: Sendable {
    package var cases: [OracleCase] = []
    package var problems: [String] = []
  }

  package static func parseOracle(_ text: String) -> ParsedOracle {
    var parsed = ParsedOracle()
    for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      guard raw.contains(where: { !$0.isWhitespace }) else { continue }
      let json: JSONValue
      do {
        json = try JSONValue(parsing: String(raw))
      } catch {
        parsed.problems.append("line \(index + 1): \(error)")
        continue
      }
      guard case .string(let outcome)? = json["oracle"]?["outcome"], !outcome.isEmpty else {
        parsed.problems.append("line \(index + 1): no \"oracle\" object with an outcome")
        continue
      }
      var lossName = "(no loss)"
      if case .string(let name)? = json["loss"] { lossName = LossID(name: name)?.rawValue ?? name }
      parsed.cases.append(
        OracleCase(line: index + 1, id: RequestDecoding.id(of: json), lossName: lossName, json: json))
    }
    return parsed
  }

  static func oracleChecks(_ file: VerificationContext.InputFile, label: String = "") -> [Check] {
    let text: String
    switch file.read(group: group, name: "\(label)oracle", what: "LossSpec's gradients against the mpmath oracle") {
    case .text(let contents): text = contents
    case .standIn(let checks): return checks
    }
    let parsed = parseOracle(text)
    let fileCheck = Check(group: group, name: "\(label)oracle file") {
      guard parsed.problems.isEmpty else {
        var findings = FindingList()
        for problem in parsed.problems { findings.append(problem) }
        return CheckResult(
          passed: false, detail: "\(file.path): \(parsed.problems.count) malformed lines were not checked",
          cases: parsed.problems.count, findings: findings.all)
      }
      if parsed.cases.isEmpty {
        return CheckResult(passed: false, detail: "\(file.path) holds no gradient cases", cases: 0)
      }
      return CheckResult(
        passed: true, detail: "\(file.path): \(parsed.cases.count) gradient cases, all well-formed", cases: 0)
    }
    let byLoss = Dictionary(grouping: parsed.cases, by: \.lossName)
    let order = LossID.allCases.map(\.rawValue) + byLoss.keys.filter { LossID(rawValue: $0) == nil }.sorted()
    return [fileCheck]
      + order.compactMap { loss in
        byLoss[loss].map { cases in Check(group: group, name: "\(label)oracle \(loss)") { runOracle(cases) } }
      }
  }

  /// What comparing one oracle case found: its mismatches and the elements compared.
  struct OracleComparison {
    var problems: [String] = []
    var elements = 0
    var kinks = 0
    var signedZeros = 0
  }

  static func runOracle(_ cases: [OracleCase]) -> CheckResult {
    var findings = FindingList()
    var failed = 0
    var elements = 0
    var kinks = 0
    var signedZeros = 0
    for c in cases {
      let comparison = compare(c)
      elements += comparison.elements
      kinks += comparison.kinks
      signedZeros += comparison.signedZeros
      if !comparison.problems.isEmpty {
        failed += 1
        for problem in comparison.problems { findings.append(problem) }
      }
    }
    var what = "\(elements) gradient elements (\(kinks) at kinks, both one-sided derivatives)"
    if signedZeros > 0 { what += "; \(signedZeros) agree only up to the sign of zero" }
    if failed == 0 {
      return CheckResult(
        passed: true, detail: "all \(cases.count) cases agree with the mpmath oracle bit for bit: \(what)",
        cases: cases.count)
    }
    return CheckResult(
      passed: false, detail: "\(failed) of \(cases.count) cases differ from the mpmath oracle (\(what) compared)",
      cases: cases.count, findings: findings.all)
  }

  /// LossSpec's gradient of one oracle case against the oracle's: the same bits per element in
  /// the case's dtype; a kink's two ends; an oracle "0" (a derivative within 2⁻¹²⁰⁰ of zero, of
  /// unresolved sign) matches ±0; an error outcome must be LossSpec's error.
  static func compare(_ c: OracleCase) -> OracleComparison {
    var result = OracleComparison()
    let label = c.id.isEmpty ? "line \(c.line)" : "line \(c.line) (\(c.id))"
    guard let oracle = c.json["oracle"], case .string(let outcome)? = oracle["outcome"] else {
      result.problems.append("\(label): no oracle outcome")
      return result
    }
    let request: LossRequest
    do {
      request = try ProtocolCodec.decodeRequest(c.json)
    } catch {
      if outcome != error.kind.rawValue {
        result.problems.append("\(label): the request is rejected (\(error)), the oracle says \(outcome)")
      }
      return result
    }
    let gradient: SpecGradient
    do {
      gradient = try LossSpec.gradient(request)
    } catch {
      if outcome != error.kind.rawValue {
        result.problems.append("\(label): LossSpec throws \(error), the oracle says \(outcome)")
      }
      return result
    }
    if ["DomainError", "DimensionMismatch", "ArgumentError"].contains(outcome) {
      result.problems.append("\(label): LossSpec gives a gradient, the oracle says \(outcome)")
      return result
    }
    guard let grad = oracle["grad"], let yhat = grad["yhat"] else {
      result.problems.append("\(label): the oracle has no gradient")
      return result
    }
    if !gradient.decided { result.problems.append("\(label): LossSpec undecided at \(gradient.precision) bits") }
    compare(gradient.yhat, yhat, dtype: request.dtype, label: label, argument: "ŷ", into: &result)
    if let y = grad["y"] {
      if let mine = gradient.y {
        compare(mine, y, dtype: request.dtype, label: label, argument: "y", into: &result)
      } else {
        result.problems.append("\(label): the oracle has ∇y, LossSpec gives none")
      }
    }
    return result
  }

  private static func compare(
    _ mine: [GradientElement], _ oracle: JSONValue, dtype: DType, label: String, argument: String,
    into result: inout OracleComparison
  ) {
    let key = dtype.rawValue
    guard case .array(let values)? = oracle[key], case .array(let exact)? = oracle["exact"] else {
      result.problems.append("\(label) ∇\(argument): the oracle has no \(key) or exact array")
      return
    }
    var subgradients: [JSONValue] = []
    if case .array(let items)? = oracle["subgradient"] { subgradients = items }
    guard values.count == mine.count else {
      result.problems.append("\(label) ∇\(argument): \(mine.count) elements, the oracle has \(values.count)")
      return
    }
    func show(_ x: Double) -> String { FloatComparison.describe(x, dtype: dtype) }
    for (i, element) in mine.enumerated() {
      let at = "\(label) ∇\(argument)[\(i + 1)]"
      result.elements += 1
      if case .null = values[i] {
        result.kinks += 1
        guard i < subgradients.count,
          let lower = FloatComparison.parse(subgradients[i]["lower"]?[key], dtype: dtype),
          let upper = FloatComparison.parse(subgradients[i]["upper"]?[key], dtype: dtype)
        else {
          result.problems.append("\(at): a kink without both one-sided derivatives in the oracle")
          continue
        }
        guard case .subgradient(let myLower, let myUpper) = element,
          FloatComparison.agreement(myLower, lower, dtype: dtype) == .identical,
          FloatComparison.agreement(myUpper, upper, dtype: dtype) == .identical
        else {
          result.problems.append(
            "\(at): LossSpec \(element), the oracle's subgradient [\(show(lower)), \(show(upper))]")
          continue
        }
        continue
      }
      guard let expected = FloatComparison.parse(values[i], dtype: dtype) else {
        result.problems.append("\(at): unreadable oracle value \(values[i].serialized())")
        continue
      }
      guard case .value(let v) = element else {
        result.problems.append("\(at): LossSpec gives \(element) where the oracle has the derivative \(show(expected))")
        continue
      }
      let unresolvedZero = i < exact.count && exact[i] == .string("0")
      // ±0 against ∓0 agrees (noted), as in the value oracle's check.
      let agrees = unresolvedZero ? v == 0 : FloatComparison.agreement(v, expected, dtype: dtype) != .different
      if agrees, !unresolvedZero, v.sign != expected.sign { result.signedZeros += 1 }
      if !agrees { result.problems.append("\(at): LossSpec \(show(v)), the oracle \(show(expected))") }
    }
  }

  // MARK: Central differences

  /// The random natural case of `loss` with seed `caseSeed` (a finding's seed replays it): the
  /// natural input (`LossCases.draw`)
  /// with a gradient request, the y-gradient half of the time, a random cotangent for `agg = none`.
  package static func centralDifferenceRequest(_ loss: LossID, caseSeed: UInt64, number: Int) -> LossRequest {
    var r = SplitMix64(seed: caseSeed)
    let input = LossCases.draw(&r, seed: caseSeed, loss: loss, maxCount: 12)
    var request = LossCases.request(input, loss)
    request.id = "\(loss.rawValue)-cd-\(number)"
    var cotangent: [Double]?
    if loss.takesAggregation, LossCases.aggregation(input) == .none,
      let validated = try? request.validated(), let ones = try? request.validatedCotangent(validated.params)
    {
      cotangent = ones.map { _ in request.dtype.round(Double(Int64(r.next() % 9) - 4) * 0.5 + 0.25) }
    }
    request.gradient = GradientRequest(withTarget: r.next() & 1 == 0, cotangent: cotangent)
    return request
  }

  /// `count` random natural cases of `loss` (seeded by `seed` and the loss): every element of
  /// LossSpec's gradient against the exact central difference of its value formulas.
  package static func centralDifferences(_ loss: LossID, count: Int, seed: UInt64) -> CheckResult {
    var rng = SplitMix64(seed: seed ^ (UInt64(LossID.allCases.firstIndex(of: loss) ?? 0) &* 0x9E37_79B9_7F4A_7C15))
    var findings = FindingList()
    var holds = 0
    var skipped = 0
    var failedCases = 0
    var noGradient = 0
    var perDType: [DType: Int] = [:]
    for k in 0..<count {
      let caseSeed = rng.next()
      let request = centralDifferenceRequest(loss, caseSeed: caseSeed, number: k + 1)
      perDType[request.dtype, default: 0] += 1
      let differences: [CentralDifference]
      do {
        let gradient = try LossSpec.gradient(request)
        differences = try LossSpec.centralDifferences(request, gradient: gradient)
      } catch {
        noGradient += 1
        continue
      }
      var failedHere = false
      for d in differences {
        switch d.verdict {
        case .holds: holds += 1
        case .skipped: skipped += 1
        case .fails:
          failedHere = true
          let at = d.argument == .yhat ? "ŷ" : "y"
          findings.append(
            "\(request.id) (seed \(caseSeed), \(request.dtype.rawValue), shape \(request.yhat.shape)): ∇\(at)[\(d.index + 1)] "
              + "is \(d.reported), the central difference \(d.difference) (\(d.precision) bits)")
        }
      }
      if failedHere { failedCases += 1 }
    }
    let dtypes = DType.allCases.compactMap { d in perDType[d].map { "\(d.rawValue) \($0)" } }.joined(separator: ", ")
    var detail =
      failedCases == 0
      ? "\(count) random cases (\(dtypes)): all \(holds) checked gradient elements equal the exact central difference"
      : "\(failedCases) of \(count) random cases (\(dtypes)) have an element the central difference contradicts"
    detail += "; \(skipped) elements not checkable (kinks' neighbourhoods, non-finite, a log's domain edge)"
    if noGradient > 0 { detail += "; \(noGradient) cases without a gradient (an error value)" }
    detail += "; seed \(seed)"
    return CheckResult(passed: failedCases == 0 && holds > 0, detail: detail, cases: count, findings: findings.all)
  }
}
