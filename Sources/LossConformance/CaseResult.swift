import LossCore

/// The result of one case of a conformance run.
public struct CaseResult: Sendable, Hashable, Codable {
  /// What happened to the case.
  public enum Status: String, Sendable, Hashable, Codable {
    /// The adapter answered and the answer was graded (see ``verdict``).
    case graded
    /// The adapter answered `unsupported`, or its hello does not list the loss or dtype.
    case unsupported
    /// The adapter failed on this case: see ``fault``.
    case fault
  }

  public var id: String
  public var loss: String
  public var dtype: String
  public var regime: Regime
  public var tags: [String]
  /// The number of terms reduced into the value (the `n` of the tier bounds).
  public var terms: Int
  public var status: Status
  public var verdict: Verdict?
  public var fault: FaultKind?
  /// The unsupported reason, or the fault's message.
  public var detail: String
  /// What the case expects, briefly ("≈ 2.2959768 (float32 2.2959769)", "DomainError").
  public var expected: String
  /// What the adapter answered, briefly (at most a few hundred characters).
  public var answer: String
  /// Seconds from sending the request to the answer.
  public var seconds: Double
  /// A gradient case's gradient grade (PROTOCOL.md, "Gradient grading"): set when the case
  /// expects a gradient and the answer's value is a value; `nil` for value cases (so their JSON
  /// record is unchanged).
  public var gradient: GradientResult?

  public init(
    id: String, loss: String, dtype: String, regime: Regime, tags: [String], terms: Int, status: Status,
    verdict: Verdict? = nil, fault: FaultKind? = nil, detail: String = "", expected: String = "", answer: String = "",
    seconds: Double = 0, gradient: GradientResult? = nil
  ) {
    self.id = id
    self.loss = loss
    self.dtype = dtype
    self.regime = regime
    self.tags = tags
    self.terms = terms
    self.status = status
    self.verdict = verdict
    self.fault = fault
    self.detail = detail
    self.expected = expected
    self.answer = answer
    self.seconds = seconds
    self.gradient = gradient
  }

  /// The tier of a graded case.
  public var tier: Tier? { status == .graded ? verdict?.tier : nil }
}

/// How an adapter failed on a case (each a clear per-case error; the run goes on).
public enum FaultKind: String, Sendable, Hashable, Codable, CaseIterable {
  /// No answer within the per-case timeout; the adapter was killed and restarted.
  case timeout
  /// The adapter exited (or closed its output) before answering; it was restarted.
  case crashed
  /// The answer line is not a JSON object.
  case garbage
  /// The answer carries another request's id (or an id that was never sent).
  case wrongID
  /// The answer is JSON but not a valid response: a missing or malformed field.
  case malformed
  /// The answer line is longer than the limit.
  case oversized
  /// The case was not run: the adapter could not be restarted, or failed too often.
  case notRun
}

extension CaseResult {
  /// The result of a case before it is answered: its identity, `unsupported` with no detail
  /// until ``expecting(_:)`` and ``record(_:for:options:)`` fill it in. The one construction of
  /// a result, for the adapter runner and the in-process grading alike.
  init(_ source: CaseSource) {
    self.init(
      id: source.id, loss: source.loss.rawValue, dtype: source.dtype.rawValue, regime: source.regime,
      tags: source.tags, terms: 0, status: .unsupported)
  }

  /// Records what `golden` expects: its term count and a brief expectation.
  mutating func expecting(_ golden: GoldenCase) {
    terms = Grader.termCount(golden.request)
    expected = Self.describe(golden.expectation, dtype: golden.dtype)
  }

  /// Records an answer to `golden`: `unsupported` with its reason, or graded.
  mutating func record(_ outcome: LossOutcome, for golden: GoldenCase, options: GradingOptions) {
    answer = Self.describe(outcome, dtype: golden.dtype)
    if case .unsupported(let reason) = outcome {
      status = .unsupported
      detail = reason.isEmpty ? "unsupported (no reason given)" : reason
    } else {
      status = .graded
      verdict = Grader.grade(golden, outcome: outcome, options: options)
    }
  }

  /// Records a whole answer: the value as ``record(_:for:options:)``, and for a gradient case
  /// whose answered value is a value, the gradient grade (``Grader/gradeGradient(_:gradient:options:)``).
  mutating func record(_ answer: LossAnswer, for golden: GoldenCase, options: GradingOptions) {
    record(answer.outcome, for: golden, options: options)
    if case .value = answer.outcome {
      gradient = Grader.gradeGradient(golden, gradient: answer.gradient, options: options)
    }
  }

  /// A brief description of a golden case's expectation.
  static func describe(_ expectation: Expectation, dtype: DType) -> String {
    switch expectation.outcome {
    case .error(let kind): return kind.rawValue
    case .array(let shape): return "an array of shape \(shape)"
    case .scalar:
      let exact = expectation.exact[0]
      let rounded = Grader.spell(expectation.rounded(dtype)[0], dtype)
      if exact == "NaN" || exact.hasSuffix("Infinity") { return exact }
      return "\(rounded) (exact \(abbreviate(exact, 24)))"
    }
  }

  /// A brief description of an answer.
  static func describe(_ outcome: LossOutcome, dtype: DType) -> String {
    switch outcome {
    case .value(let value): return abbreviate(Grader.describe(value, dtype), 300)
    case .error(let error): return abbreviate("\(error.kind.rawValue): \(error.message)", 300)
    case .unsupported(let reason): return abbreviate("unsupported: \(reason)", 300)
    }
  }
}

/// `text`, cut to at most `limit` characters with an ellipsis.
func abbreviate(_ text: String, _ limit: Int) -> String {
  displaySafe(text.count <= limit ? text : String(text.prefix(limit)) + "…")
}

/// `text` with the characters that would act on a terminal or break a report written as visible
/// escapes (`\u{1B}`): C0 and C1 control characters (ESC, BEL, NUL, CR, …) but line feed and tab,
/// DEL, and the bidirectional overrides. Everything an adapter says (its hello, messages,
/// reasons, standard error, unreadable lines) goes through this before it reaches a terminal,
/// JUnit XML (where C0 controls are not even allowed) or HTML.
func displaySafe(_ text: String) -> String {
  func unsafe(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x0A, 0x09: false
    case 0x00..<0x20, 0x7F..<0xA0, 0x202A...0x202E, 0x2066...0x2069: true
    default: false
    }
  }
  guard text.unicodeScalars.contains(where: unsafe) else { return text }
  var out = ""
  for scalar in text.unicodeScalars {
    if unsafe(scalar) {
      out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
    } else {
      out.unicodeScalars.append(scalar)
    }
  }
  return out
}

extension Hello {
  /// The hello with its texts made ``displaySafe(_:)``.
  var displaySafe: Hello {
    var hello = self
    hello.implementation = LossConformance.displaySafe(implementation)
    hello.losses = losses.map { LossConformance.displaySafe($0) }
    hello.dtypes = dtypes.map { LossConformance.displaySafe($0) }
    return hello
  }
}

extension LossOutcome {
  /// The outcome with an adapter's error message or unsupported reason made ``displaySafe(_:)``.
  var displaySafe: LossOutcome {
    switch self {
    case .error(var error):
      error.message = LossConformance.displaySafe(error.message)
      return .error(error)
    case .unsupported(let reason): return .unsupported(LossConformance.displaySafe(reason))
    default: return self
    }
  }
}
