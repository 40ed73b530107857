import LossCore
import LossReports

/// The golden oracle cases (`Conformance/oracle/oracle_cases.jsonl`): requests whose values were
/// computed by an independent arbitrary-precision oracle, compared bit for bit with the
/// implementation under verification.
///
/// Each line is a `losscheck/1` request plus an `"oracle"` object:
///
/// ```
/// {"id":"…","loss":"mse","dtype":"float32",…,
///  "oracle":{"outcome":"finite","float32":"0.41","float64":"0.41000000000000003",
///            "exact":"0.4100000000000000310862446895043831318617","category":"benign"}}
/// ```
///
/// `outcome` is an ``OutcomeClass`` spelling or `"array"` (for `agg = none`; then the values
/// are arrays and `shape` gives the shape). A case agrees when the outcome class is the same and
/// the value in the request's dtype has the same bits (NaN equals NaN; `+0` and `-0` agree, but
/// are noted).
package enum OracleChecks {
  static let group = "oracle"

  /// One check per loss present in the file (in `LossID` order), after a check of the file
  /// itself; a single skipped check when the default file is absent.
  static func checks(for context: VerificationContext) async -> [Check] {
    await checks(file: context.oracleFile, group: group, context: context)
  }

  /// The group of the half-precision oracle cases.
  static let halfPrecisionGroup = "oracle-half"

  /// The default path of the mpmath oracle's Float16 and BFloat16 cases.
  package static let defaultHalfPrecisionPath = "Conformance/oracle/half_cases.jsonl"

  /// The checks of the mpmath oracle's Float16 and BFloat16 cases (`half_cases.jsonl`, the same
  /// format with `oracle.float16` / `oracle.bfloat16`): LossSpec's value in the half dtype must
  /// be the oracle's correctly rounded one, bit for bit.
  static func halfPrecisionChecks(for context: VerificationContext) async -> [Check] {
    await checks(file: context.halfPrecisionOracleFile, group: halfPrecisionGroup, context: context)
  }

  private static func checks(file: VerificationContext.InputFile, group: String, context: VerificationContext) async
    -> [Check]
  {
    let text: String
    switch file.read(group: group, name: "golden cases", what: "the golden oracle cases") {
    case .text(let contents): text = contents
    case .standIn(let checks): return checks
    }
    let parsed = parse(text)
    var checks = [fileCheck(parsed, path: file.path, group: group)]
    let byLoss = Dictionary(grouping: parsed.cases, by: \.lossName)
    let order = LossID.allCases.map(\.rawValue) + byLoss.keys.filter { LossID(rawValue: $0) == nil }.sorted()
    let implementation = context.implementation
    for loss in order {
      guard let cases = byLoss[loss] else { continue }
      checks.append(
        Check(group: group, name: loss) {
          await run(cases, implementation: implementation)
        })
    }
    return checks
  }

  // MARK: Parsing

  /// One line of the file: its request (or why it could not be decoded) and its expectation.
  package struct Case: Sendable {
    var line: Int
    var label: String
    /// The loss name as written (grouping key), canonical when known.
    var lossName: String
    var request: Result<LossRequest, RejectedRequest>
    var dtype: DType
    var expectation: Expectation
  }

  /// The `oracle` object of a line.
  struct Expectation: Sendable {
    var outcome: String
    /// The expected value(s) in the request's dtype; one for a scalar outcome.
    var values: [Double]
    var shape: [Int]?
    var exact: String?
    var category: String?
  }

  package struct ParsedFile: Sendable {
    package var lines = 0
    package var cases: [Case] = []
    package var problems: [String] = []
  }

  package static func parse(_ text: String) -> ParsedFile {
    var file = ParsedFile()
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let lineNumber = index + 1
      var line = Substring(rawLine)
      if line.last == "\r" { line.removeLast() }
      guard line.contains(where: { !$0.isWhitespace }) else { continue }
      file.lines += 1
      let json: JSONValue
      do {
        json = try JSONValue(parsing: String(line))
      } catch {
        file.problems.append("line \(lineNumber): \(error)")
        continue
      }
      switch parseCase(json, line: lineNumber) {
      case .success(let c): file.cases.append(c)
      case .failure(let problem): file.problems.append("line \(lineNumber): \(problem.message)")
      }
    }
    return file
  }

  struct Problem: Error {
    var message: String
  }

  static func parseCase(_ json: JSONValue, line: Int) -> Result<Case, Problem> {
    guard let oracle = json["oracle"], case .object = oracle else {
      return .failure(Problem(message: "no \"oracle\" object"))
    }
    guard case .string(let outcome)? = oracle["outcome"] else {
      return .failure(Problem(message: "oracle.outcome must be a string"))
    }
    let known = OutcomeClass.allCases.map(\.rawValue) + ["array"]
    guard known.contains(outcome) else {
      return .failure(Problem(message: "unknown oracle.outcome '\(outcome)' (known: \(known.joined(separator: ", ")))"))
    }
    let dtype = RequestDecoding.dtype(of: json)
    var values: [Double] = []
    var shape: [Int]?
    let isError = ["DomainError", "DimensionMismatch", "ArgumentError", "Other", "unsupported"].contains(outcome)
    if !isError {
      guard let given = oracle[dtype.rawValue] else {
        return .failure(Problem(message: "oracle.\(dtype.rawValue) is missing"))
      }
      if outcome == "array" {
        guard case .array(let items) = given else {
          return .failure(Problem(message: "oracle.\(dtype.rawValue) must be an array for outcome 'array'"))
        }
        for (i, item) in items.enumerated() {
          guard let v = FloatComparison.parse(item, dtype: dtype) else {
            return .failure(Problem(message: "oracle.\(dtype.rawValue)[\(i + 1)] is not a \(dtype.rawValue) value"))
          }
          values.append(v)
        }
        if case .array(let dims)? = oracle["shape"] {
          var parsedDims: [Int] = []
          for d in dims {
            guard case .number(let t) = d, let n = Int(t), n >= 0 else {
              return .failure(Problem(message: "oracle.shape must hold non-negative integers"))
            }
            parsedDims.append(n)
          }
          guard parsedDims.reduce(1, *) == values.count else {
            return .failure(Problem(message: "oracle.shape \(Shape(parsedDims)) does not fit \(values.count) values"))
          }
          shape = parsedDims
        }
      } else {
        guard let v = FloatComparison.parse(given, dtype: dtype) else {
          return .failure(Problem(message: "oracle.\(dtype.rawValue) is not a \(dtype.rawValue) value"))
        }
        // `outcome` classifies the exact value; the dtype's field is its rounding, so a finite
        // exact value may round to ±Infinity (overflow). Anything else is a contradiction.
        let rounded = OutcomeClass(value: v)
        guard rounded.rawValue == outcome || (outcome == "finite" && v.isInfinite) else {
          return .failure(
            Problem(message: "oracle.\(dtype.rawValue) = \(given.serialized()) contradicts outcome '\(outcome)'"))
        }
        values = [v]
      }
    }
    var exact: String?
    if case .string(let e)? = oracle["exact"] { exact = e }
    var category: String?
    if case .string(let c)? = oracle["category"] { category = c }
    let id = RequestDecoding.id(of: json)
    var lossName = "(no loss)"
    if case .string(let name)? = json["loss"] { lossName = LossID(name: name)?.rawValue ?? name }
    return .success(
      Case(
        line: line, label: id.isEmpty ? "line \(line)" : "line \(line) (\(id))", lossName: lossName,
        request: decodeRequest(json), dtype: dtype,
        expectation: Expectation(outcome: outcome, values: values, shape: shape, exact: exact, category: category)))
  }

  private static func decodeRequest(_ json: JSONValue) -> Result<LossRequest, RejectedRequest> {
    do {
      return .success(try ProtocolCodec.decodeRequest(json))
    } catch {
      return .failure(
        RejectedRequest(error: error, id: RequestDecoding.id(of: json), dtype: RequestDecoding.dtype(of: json)))
    }
  }

  private static func fileCheck(_ file: ParsedFile, path: String, group: String) -> Check {
    Check(group: group, name: "file") {
      var findings = FindingList()
      for problem in file.problems { findings.append(problem) }
      if file.cases.isEmpty {
        return CheckResult(passed: false, detail: "\(path) holds no cases", cases: 0, findings: findings.all)
      }
      let losses = Set(file.cases.map(\.lossName)).count
      if file.problems.isEmpty {
        // The cases are counted by the per-loss checks; this one only reads the file.
        return CheckResult(
          passed: true, detail: "\(path): \(file.cases.count) cases of \(losses) losses, all well-formed",
          cases: 0)
      }
      return CheckResult(
        passed: false,
        detail: "\(path): \(file.problems.count) of \(file.lines) lines are malformed and were not checked",
        cases: file.problems.count, findings: findings.all)
    }
  }

  // MARK: Comparing

  /// The verdict on one case.
  enum Verdict {
    case agrees
    /// Agrees, with a note (a zero of the other sign).
    case agreesWithNote(String)
    case differs(String, category: String)
  }

  static func run(_ cases: [Case], implementation: any LossImplementation) async -> CheckResult {
    var findings = FindingList()
    var notes = FindingList(limit: 10)
    var failed = 0
    var failedByCategory: [String: Int] = [:]
    var signedZeros = 0
    var perDType: [DType: Int] = [:]
    for c in cases {
      perDType[c.dtype, default: 0] += 1
      let outcome: LossOutcome
      switch c.request {
      case .success(let request): outcome = await implementation.evaluate(request)
      case .failure(let rejected): outcome = .error(rejected.error)
      }
      switch compare(outcome, with: c.expectation, dtype: c.dtype) {
      case .agrees:
        break
      case .agreesWithNote(let note):
        signedZeros += 1
        notes.append("\(c.label): \(note)")
      case .differs(let message, let kind):
        failed += 1
        failedByCategory["\(c.expectation.category ?? "uncategorized") (\(kind))", default: 0] += 1
        var finding = "\(c.label): \(message)"
        if let exact = c.expectation.exact { finding += "; exact \(exact)" }
        if let category = c.expectation.category { finding += " [\(category)]" }
        findings.append(finding)
      }
    }
    let dtypes = DType.allCases.compactMap { d in perDType[d].map { "\(d.rawValue): \($0)" } }.joined(separator: ", ")
    var detail: String
    if failed == 0 {
      detail = "all \(cases.count) cases agree with the oracle bit for bit (\(dtypes))"
    } else {
      let categories = failedByCategory.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
      detail =
        "\(failed) of \(cases.count) cases differ from the oracle (\(dtypes)); by category: \(categories.joined(separator: ", "))"
    }
    if signedZeros > 0 {
      detail += "; \(signedZeros) agree only up to the sign of zero (counted as agreeing)"
    }
    return CheckResult(passed: failed == 0, detail: detail, cases: cases.count, findings: findings.all + notes.all)
  }

  static func compare(_ outcome: LossOutcome, with expected: Expectation, dtype: DType) -> Verdict {
    func describe(_ outcome: LossOutcome) -> String {
      switch outcome {
      case .value(.scalar(let v)): FloatComparison.describe(v, dtype: dtype)
      case .value(.array(let t)): "an array of shape \(t.shape)"
      case .error(let e): "\(e.kind.rawValue): \(e.message)"
      case .unsupported(let reason): "unsupported: \(reason)"
      }
    }
    let expectedText: String
    switch expected.outcome {
    case "array": expectedText = "an array of shape \(Shape(expected.shape ?? [expected.values.count]))"
    case "finite", "+Inf", "-Inf", "NaN":
      let want = expected.values[0]
      let overflow = expected.outcome == "finite" && want.isInfinite ? " (a finite value that overflows)" : ""
      expectedText = "\(FloatComparison.describe(want, dtype: dtype))\(overflow)"
    default: expectedText = expected.outcome
    }
    switch (expected.outcome, outcome) {
    case ("array", .value(.array(let t))):
      let shape = expected.shape ?? [expected.values.count]
      guard t.shape.dims == shape || (expected.shape == nil && t.count == expected.values.count) else {
        return .differs("expected \(expectedText), got an array of shape \(t.shape)", category: "shape")
      }
      var zeros = 0
      for (i, (got, want)) in zip(t.values, expected.values).enumerated() {
        switch FloatComparison.agreement(got, want, dtype: dtype) {
        case .identical: continue
        case .signedZero: zeros += 1
        case .different:
          let ulps = FloatComparison.ulpDistance(got, from: want, in: dtype)
          return .differs(
            "element \(i + 1): expected \(FloatComparison.describe(want, dtype: dtype)), got \(FloatComparison.describe(got, dtype: dtype)) (\(formatULPs(ulps)))",
            category: OutcomeClass(value: got) == OutcomeClass(value: want) ? "value" : "outcome")
        }
      }
      return zeros == 0 ? .agrees : .agreesWithNote("\(zeros) element(s) are zeros of the other sign")
    case ("finite", .value(.scalar(let v))), ("+Inf", .value(.scalar(let v))), ("-Inf", .value(.scalar(let v))),
      ("NaN", .value(.scalar(let v))):
      // Graded against the rounded value in the dtype (a finite exact value may overflow).
      let want = expected.values[0]
      guard OutcomeClass(value: v) == OutcomeClass(value: want) else {
        return .differs("expected \(expectedText), got \(describe(outcome))", category: "outcome")
      }
      switch FloatComparison.agreement(v, want, dtype: dtype) {
      case .identical: return .agrees
      case .signedZero:
        return .agreesWithNote(
          "expected \(FloatComparison.describe(want, dtype: dtype)), got \(FloatComparison.describe(v, dtype: dtype))")
      case .different:
        let ulps = FloatComparison.ulpDistance(v, from: want, in: dtype)
        return .differs(
          "expected \(expectedText), got \(FloatComparison.describe(v, dtype: dtype)) (\(formatULPs(ulps)))",
          category: "value")
      }
    case (_, .error(let e)) where OutcomeClass(error: e).rawValue == expected.outcome:
      return .agrees
    default:
      return .differs("expected \(expectedText), got \(describe(outcome))", category: "outcome")
    }
  }

  static func formatULPs(_ ulps: Double) -> String {
    if ulps.isInfinite { return "∞ ulps" }
    if ulps >= 1e6 { return "\(Float(ulps)) ulps" }
    let rounded = (ulps * 100).rounded() / 100
    return "\(rounded) ulp\(rounded == 1 ? "" : "s")"
  }
}
