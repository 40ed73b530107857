import LossCore
import LossReports
import LossSpec

/// The examples Flux's documentation publishes (`Conformance/published/flux_examples.json`),
/// recomputed by the implementation under verification and compared with the printed result.
///
/// The file is a JSON array of objects with the request fields (`loss`, `dtype`, `shape`,
/// `yhat`, `y`, `params`; `agg: "identity"` is Flux's spelling of `none`), the `published`
/// result as Julia printed it (`"0.1f0"`, `"0.2"`, `"1//1"`, `"Inf"`, an array display, or
/// `"true"` together with a `check` such as `"isapprox(result, log(2))"`), and `inputs_exact`.
///
/// `use` says how an entry is read: `value` (the default), `one_minus_value` (the doc prints
/// `1 - loss`), `array`, `check`, or `other_semantics` (a formula other than SEMANTICS.md's, shown
/// as skipped with the file's note).
///
/// Tolerances: when the printed inputs are the exact inputs (`inputs_exact` not false) the value
/// must lie within ``ulpTolerance`` ulps of the published one, in the less precise of the dtype
/// and the literal's type, or within `8·u·S` (S the case's error scale from LossSpec, u the unit
/// roundoff): Flux evaluates the formula directly in the dtype, so its result differs from the
/// correctly rounded value by its own rounding errors — a few ulps for well-conditioned cases,
/// up to `u·S` where the loss is ill-conditioned (msle near a ratio of 1: 11 ulps; dice near a
/// perfect fit: 281 ulps). When the inputs are rounded decimals of computed values (a softmax
/// output, say), only a relative agreement of ``relativeTolerance(_:)`` is meaningful.
enum PublishedExampleChecks {
  static let group = "published"
  static let ulpTolerance = 4.0

  /// 1e-6 for Float32 (about 8 ulps), 1e-12 for Float64 (about 4500 ulps): room for the rounding
  /// of printed inputs, far below any formula difference.
  static func relativeTolerance(_ dtype: DType) -> Double { dtype == .float32 ? 1e-6 : 1e-12 }

  static func checks(for context: VerificationContext) async -> [Check] {
    let file = context.publishedExamplesFile
    let text: String
    switch file.read(group: group, name: "Flux examples", what: "the published Flux examples") {
    case .text(let contents): text = contents
    case .standIn(let checks): return checks
    }
    let json: JSONValue
    do {
      json = try JSONValue(parsing: text)
    } catch {
      return [.failed(group: group, name: "file", "\(file.path): \(error)")]
    }
    guard case .array(let examples) = json, !examples.isEmpty else {
      return [.failed(group: group, name: "file", "\(file.path) must hold a non-empty JSON array of examples")]
    }
    let implementation = context.implementation
    return examples.enumerated().map { index, example in
      Check(group: group, name: "\(index + 1). \(title(of: example))") {
        await check(example, number: index + 1, implementation: implementation)
      }
    }
  }

  /// The call the doc shows (the last `julia>` line), else the loss name.
  static func title(of example: JSONValue) -> String {
    var title = ""
    if case .string(let session)? = example["julia"] {
      let prompts = session.split(separator: "\n").filter { $0.hasPrefix("julia>") }
      if let last = prompts.last { title = last.dropFirst("julia>".count).trimmingSpaces }
    }
    if title.isEmpty, case .string(let loss)? = example["loss"] { title = loss }
    if title.count > 90 { title = String(title.prefix(89)) + "…" }
    return title.isEmpty ? "(untitled)" : title
  }

  /// The example as a `losscheck/1` request: Flux's `agg = identity` becomes `none`.
  static func request(from example: JSONValue, number: Int) -> Result<LossRequest, RejectedRequest> {
    guard case .object(var members) = example else {
      return .failure(
        RejectedRequest(error: .argumentError("an example must be a JSON object"), id: "", dtype: .float64))
    }
    if let p = members.firstIndex(where: { $0.key == "params" }), case .object(var params) = members[p].value {
      if let a = params.firstIndex(where: { $0.key == "agg" }), params[a].value == .string("identity") {
        params[a].value = .string("none")
      }
      members[p].value = .object(params)
    }
    if !members.contains(where: { $0.key == "id" }) {
      members.insert((key: "id", value: .string("published-\(number)")), at: 0)
    }
    let json = JSONValue.object(members)
    do {
      return .success(try ProtocolCodec.decodeRequest(json))
    } catch {
      return .failure(
        RejectedRequest(error: error, id: RequestDecoding.id(of: json), dtype: RequestDecoding.dtype(of: json)))
    }
  }

  static func check(_ example: JSONValue, number: Int, implementation: any LossImplementation) async -> CheckResult {
    func fail(_ detail: String) -> CheckResult { CheckResult(passed: false, detail: detail, cases: 1) }
    let publishedText: String
    switch example["published"] {
    case .string(let s)?: publishedText = s
    case .number(let n)?: publishedText = n
    case .bool(let b)?: publishedText = b ? "true" : "false"
    default: return fail("the example has no 'published' result")
    }
    let inputsExact = example["inputs_exact"] != .bool(false)
    var use = "value"
    if case .string(let u)? = example["use"] { use = u }
    if use == "other_semantics" {
      var note = "documents a formula other than SEMANTICS.md's"
      if case .string(let n)? = example["note"] { note += ": " + n }
      return .skipped(note)
    }
    let request: LossRequest
    switch Self.request(from: example, number: number) {
    case .success(let r): request = r
    case .failure(let rejected): return fail("the example is not a valid request: \(rejected.error)")
    }
    var outcome = await implementation.evaluate(request)
    let dtype = request.dtype
    if use == "one_minus_value", case .value(.scalar(let v)) = outcome {
      outcome = .value(.scalar(dtype.round(1 - v)))
    }
    // The error scale of the case (LossSpec), for the ill-conditioned tolerance.
    let scales = (try? LossSpec.evaluate(request))?.errorScale ?? []
    func errorBound(_ k: Int) -> Double {
      scales.isEmpty ? 0 : 8 * dtype.unitRoundoff * scales[min(k, scales.count - 1)]
    }

    // A boolean check shown instead of a number.
    if case .string(let source)? = example["check"] {
      guard case .value(.scalar(let v)) = outcome else {
        return fail("check '\(source)' needs a number, got \(describe(outcome, dtype: dtype))")
      }
      let expected = JuliaLiteral.published(publishedText) == .bool(false) ? false : true
      do {
        let holds = try JuliaCheckExpression(source).evaluate(
          result: JuliaNumber(value: v, kind: dtype == .float32 ? .float32 : .float64))
        let detail =
          "check \(source) with result = \(FloatComparison.describe(v, dtype: dtype)): \(holds), published \(expected)"
        return CheckResult(passed: holds == expected, detail: detail, cases: 1)
      } catch {
        return fail("cannot evaluate the check '\(source)': \(error)")
      }
    }

    // A documented error (`DomainError(...)`, `DimensionMismatch(...)`).
    if let kind = LossError.Kind.allCases.first(where: { publishedText.trimmingSpaces.hasPrefix($0.rawValue) }) {
      if case .error(let e) = outcome, e.kind == kind {
        return CheckResult(passed: true, detail: "published \(kind.rawValue), got \(e)", cases: 1)
      }
      return fail("published \(kind.rawValue), got \(describe(outcome, dtype: dtype))")
    }
    guard let published = JuliaLiteral.published(publishedText) else {
      return fail("cannot read the published result '\(publishedText)' as a Julia number or array")
    }
    switch (published, outcome) {
    case (.number(let p), .value(.scalar(let v))):
      let comparison = compare(v, with: p, dtype: dtype, inputsExact: inputsExact, errorBound: errorBound(0))
      return CheckResult(
        passed: comparison.passed,
        detail:
          "published \(publishedText.trimmingSpaces), got \(FloatComparison.describe(v, dtype: dtype)): \(comparison.detail)",
        cases: 1)
    case (.array(let ps, let shape), .value(.array(let t))):
      guard t.count == ps.count, shape.count == 1 || t.shape.dims == shape else {
        return fail("published an array of shape \(Shape(shape)), got shape \(t.shape)")
      }
      var worst: (index: Int, comparison: Comparison)?
      for (i, (v, p)) in zip(t.values, ps).enumerated() {
        let c = compare(v, with: p, dtype: dtype, inputsExact: inputsExact, errorBound: errorBound(i))
        if !c.passed {
          return fail(
            "element \(i + 1): published \(FloatComparison.describe(p.value, dtype: .float64)), got \(FloatComparison.describe(v, dtype: dtype)): \(c.detail)"
          )
        }
        if worst == nil || c.measure > worst!.comparison.measure { worst = (i, c) }
      }
      let summary = worst.map { "worst element \($0.index + 1): \($0.comparison.detail)" } ?? "no elements"
      return CheckResult(passed: true, detail: "all \(ps.count) elements agree; \(summary)", cases: 1)
    case (.bool, _):
      return fail("the published result is '\(publishedText)' but the example has no 'check'")
    default:
      return fail("published \(publishedText.trimmingSpaces), got \(describe(outcome, dtype: dtype))")
    }
  }

  struct Comparison {
    var passed: Bool
    var detail: String
    /// ulps or relative difference, for picking the worst element.
    var measure: Double
  }

  /// Compares a computed value with a published literal under the example's tolerance.
  static func compare(
    _ v: Double, with p: JuliaNumber, dtype: DType, inputsExact: Bool, errorBound: Double = 0
  ) -> Comparison {
    if !v.isFinite || !p.value.isFinite {
      let same = (v.isNaN && p.value.isNaN) || v == p.value
      return Comparison(
        passed: same, detail: same ? "identical" : "different outcome class", measure: same ? 0 : .infinity)
    }
    if inputsExact {
      // The less precise of the computation's type and the literal's type.
      let type: DType = dtype == .float32 || p.kind == .float32 ? .float32 : .float64
      let ulps = FloatComparison.ulpDistance(v, from: p.value, in: type)
      if ulps <= ulpTolerance {
        return Comparison(
          passed: true,
          detail:
            "\(OracleChecks.formatULPs(ulps)) of \(type == .float32 ? "Float32" : "Float64") ≤ \(Int(ulpTolerance))",
          measure: ulps)
      }
      let distance = abs(v - p.value)
      let passed = distance <= errorBound
      return Comparison(
        passed: passed,
        detail:
          "\(OracleChecks.formatULPs(ulps)) of \(type == .float32 ? "Float32" : "Float64"), |Δ| = \(distance) \(passed ? "≤" : ">") 8·u·S = \(errorBound) (ill-conditioned: Flux's own rounding)",
        measure: ulps)
    }
    let tolerance = relativeTolerance(dtype)
    let relative = p.value == 0 ? abs(v) : abs(v - p.value) / abs(p.value)
    let passed = relative <= tolerance
    return Comparison(
      passed: passed,
      detail:
        "relative difference \(Float(relative)) \(passed ? "≤" : ">") \(tolerance) (the example's inputs are rounded decimals, so only a relative tolerance applies)",
      measure: relative)
  }

  static func describe(_ outcome: LossOutcome, dtype: DType) -> String {
    switch outcome {
    case .value(let value): ValueFormatting.format(value, dtype: dtype)
    case .error(let e): e.description
    case .unsupported(let reason): "unsupported: \(reason)"
    }
  }
}
