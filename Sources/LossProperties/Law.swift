import LossCore

/// A mathematical law of the losses, as data: what it says, which losses it concerns, how its
/// inputs are generated, how it is checked, and the tolerance its check allows, derived from
/// error analysis and stated in words.
///
/// Laws are written against `LossImplementation` only (through a ``Probe``), so the same
/// catalogue checks LossSpec, LossFast or any adapter; the ``Subject`` says how accurate the
/// implementation claims to be, and the tolerances follow from that claim.
///
/// ```swift
/// let law = Catalogue.law(named: "sum-is-n-times-mean")!
/// let report = await PropertyRunner.run(law, on: .reference, count: 100, seed: 42)
/// report.passed   // true: LossSpec's sum and mean are both correctly rounded
/// ```
public struct Law: Sendable, Identifiable {
  /// A kebab-case name, unique in the catalogue (`--law NAME`).
  public var name: String
  public var category: Category
  /// The losses the law concerns.
  public var losses: [LossID]
  /// The relation, in the notation of SEMANTICS.md.
  public var statement: String
  /// The tolerance and its derivation.
  public var tolerance: String
  /// What the generator produces.
  public var generator: String
  /// Draws the input of a case from the case's random source.
  public var generate: @Sendable (inout SplitMix64, UInt64) -> LawInput
  /// Checks one input: evaluates requests through the probe and judges the relation.
  public var check: @Sendable (LawInput, inout Probe) async throws(LawError) -> Finding

  public var id: String { name }

  public init(
    name: String, category: Category, losses: [LossID], statement: String, tolerance: String, generator: String,
    generate: @escaping @Sendable (inout SplitMix64, UInt64) -> LawInput,
    check: @escaping @Sendable (LawInput, inout Probe) async throws(LawError) -> Finding
  ) {
    self.name = name
    self.category = category
    self.losses = losses
    self.statement = statement
    self.tolerance = tolerance
    self.generator = generator
    self.generate = generate
    self.check = check
  }

  /// The input of the case with seed `seed`.
  public func input(seed: UInt64) -> LawInput {
    var random = SplitMix64(seed: seed)
    return generate(&random, seed)
  }

  /// Checks `input` on `subject`; an unexpected outcome thrown by the check is a failure, a
  /// discarded input is reported as such.
  public func evaluate(_ input: LawInput, on subject: Subject) async -> (finding: Finding, probe: Probe) {
    var probe = Probe(subject: subject)
    do {
      let finding = try await check(input, &probe)
      return (finding, probe)
    } catch {
      switch error {
      case .discard(let reason): return (.discarded(reason), probe)
      case .unexpected(let message): return (.fails(.differentClass, message), probe)
      }
    }
  }

  /// The families of laws, in report order.
  public enum Category: String, Sendable, CaseIterable, Hashable {
    case equivalence = "Equivalences"
    case structure = "Aggregation, dimensions, weights"
    case symmetry = "Symmetries and scaling"
    case bound = "Bounds"
    case outcome = "Outcomes: NaN, errors"
    case agreement = "Implementations agree"
    case gradient = "Gradients"
  }
}

/// How a check ends early.
public enum LawError: Error, Sendable {
  /// The input is outside the law's hypotheses (a shrinking candidate that broke them, a
  /// derived input that is not representable): neither a pass nor a failure.
  case discard(String)
  /// An outcome the law excludes (an error where a value was due, a value of the wrong form):
  /// a failure, with its description.
  case unexpected(String)
}

/// What a law found on one input.
public struct Finding: Sendable {
  public enum Verdict: String, Sendable { case holds, fails, discarded }

  public var verdict: Verdict
  public var deviation: Deviation
  /// One line: what was compared and what was found.
  public var message: String

  public init(verdict: Verdict, deviation: Deviation, message: String) {
    self.verdict = verdict
    self.deviation = deviation
    self.message = message
  }

  public static func discarded(_ reason: String) -> Finding {
    Finding(verdict: .discarded, deviation: .exact, message: reason)
  }

  public static func fails(_ deviation: Deviation, _ message: String) -> Finding {
    Finding(verdict: .fails, deviation: deviation, message: message)
  }

  /// A finding from a deviation: holds if the deviation is within its bound.
  public static func judge(_ deviation: Deviation, _ message: @autoclosure () -> String) -> Finding {
    Finding(verdict: deviation.holds ? .holds : .fails, deviation: deviation, message: message())
  }

  /// The worse of several judged comparisons (the first failure, else the largest ratio).
  public static func all(_ parts: [(Deviation, String)]) -> Finding {
    guard var worst = parts.first else { return .judge(.exact, "nothing to compare") }
    for part in parts.dropFirst() {
      let failsFirst = !part.0.holds && worst.0.holds
      if failsFirst || (part.0.holds == worst.0.holds && part.0.ratio > worst.0.ratio) { worst = part }
    }
    return .judge(worst.0, worst.1)
  }

  public var holds: Bool { verdict != .fails }
}

/// How accurate an implementation claims its results are: the hypothesis of the tolerances.
///
/// Every tolerance of the catalogue is built from the error bound ``Probe/Result/errors`` the
/// claim gives each observed value, so the same laws check an exact reference and a fast
/// implementation.
public enum Accuracy: Sendable, Hashable {
  /// Every result is the exact value rounded to nearest (LossSpec): `|r − v| ≤ ½·ulp(r)`;
  /// rounding is monotone and equal exact values give equal results, so identities hold bit for
  /// bit and inequalities against representable values hold without slack.
  case correctlyRounded
  /// Every result is within `k` ulps of its exact value.
  case withinUlps(Double)
  /// The "stable" tier of DESIGN.md: `|r − v| ≤ ½·ulp(r) + c·⌈log₂(n + 1)⌉·u·S`, with `S` the
  /// case's error scale (given by the subject's reference, LossSpec) and `n` the element count.
  case stable(Double)

  public var summary: String {
    switch self {
    case .correctlyRounded: "correctly rounded (½ ulp)"
    case .withinUlps(let k): "within \(LawKit.number(k)) ulp"
    case .stable(let c): "stable: ½ ulp + \(LawKit.number(c))·⌈log₂(n+1)⌉·u·S"
    }
  }
}

/// What the laws are checked on.
public struct Subject: Sendable {
  /// The implementation under test.
  public var implementation: any LossImplementation
  public var accuracy: Accuracy
  /// The reference the agreement laws compare with (LossSpec), which also gives the error scale
  /// `S` the "stable" tolerances need.
  public var reference: any LossReference
  /// The implementation run with a given number of threads, for the thread-count law; `nil`
  /// when it has no such setting (then the law checks that repeated evaluations agree).
  public var withThreads: (@Sendable (Int) -> any LossImplementation)?
  /// The thread counts the thread-count law compares.
  public var threadCounts: [Int]
  /// The largest element count of the thread-count law's inputs (beyond a parallel
  /// implementation's chunk length, so that chunks are actually spread over threads).
  public var largeCount: Int
  /// The largest element count of the agreement law's inputs (evaluated by the reference too).
  public var agreementCount: Int

  public init(
    implementation: any LossImplementation, accuracy: Accuracy, reference: any LossReference,
    withThreads: (@Sendable (Int) -> any LossImplementation)? = nil, threadCounts: [Int] = [1, 2, 3, 8],
    largeCount: Int = 64, agreementCount: Int = 64
  ) {
    self.implementation = implementation
    self.accuracy = accuracy
    self.reference = reference
    self.withThreads = withThreads
    self.threadCounts = threadCounts
    self.largeCount = largeCount
    self.agreementCount = agreementCount
  }

  /// The name shown in reports.
  public var name: String { implementation.name }
}

/// The laws' access to the implementation: every evaluation goes through it and is logged, so a
/// counterexample lists exactly the requests that show it.
public struct Probe: Sendable {
  public let subject: Subject
  /// Every request evaluated for the current input, with its outcome and the implementation.
  public private(set) var log: [Evaluation] = []

  public struct Evaluation: Sendable {
    public var request: LossRequest
    public var outcome: LossOutcome
    public var implementation: String
  }

  /// The values of a result with the error bound the subject's accuracy claims for each.
  public struct Result: Sendable {
    public var values: [Double]
    /// `|value − exact| ≤ error` under the claim (`+∞` where the claim gives no bound).
    public var errors: [Double]
    public var dtype: DType
    public var count: Int { values.count }
  }

  public init(subject: Subject) { self.subject = subject }

  /// Evaluates `request` on the subject (or on `implementation`).
  public mutating func evaluate(_ request: LossRequest, on implementation: (any LossImplementation)? = nil) async
    -> LossOutcome
  {
    let impl = implementation ?? subject.implementation
    var labelled = request
    if labelled.id.isEmpty { labelled.id = "\(request.loss.rawValue)-\(log.count + 1)" }
    let outcome = await impl.evaluate(labelled)
    log.append(Evaluation(request: labelled, outcome: outcome, implementation: impl.name))
    return outcome
  }

  /// The value(s) of `request` with their claimed error bounds; an error outcome is unexpected.
  public mutating func result(_ request: LossRequest) async throws(LawError) -> Result {
    let outcome = await evaluate(request)
    guard case .value(let v) = outcome else {
      throw .unexpected("\(request.loss.rawValue) gave \(Probe.describe(outcome)) where a value was due")
    }
    return Result(values: v.values, errors: errors(of: v.values, request), dtype: request.dtype)
  }

  /// The scalar value of `request`; any other outcome is unexpected.
  public mutating func scalar(_ request: LossRequest) async throws(LawError) -> Double {
    let outcome = await evaluate(request)
    guard case .value(.scalar(let v)) = outcome else {
      throw .unexpected("\(request.loss.rawValue) gave \(Probe.describe(outcome)) where a number was due")
    }
    return v
  }

  /// The error bounds the subject claims for `values`, the result of `request`.
  public func errors(of values: [Double], _ request: LossRequest) -> [Double] {
    let dtype = request.dtype
    switch subject.accuracy {
    case .correctlyRounded:
      return values.map { FloatFacts.halfUlp($0, dtype) }
    case .withinUlps(let k):
      return values.map { k * FloatFacts.ulp($0, dtype) }
    case .stable(let c):
      let scales = subject.reference.errorScale(request)
      let n = Double(request.yhat.count)
      let factor = c * (n + 1).log2Ceiling * dtype.unitRoundoff
      return values.enumerated().map { i, v in
        let s = i < scales.count ? scales[i] : .infinity
        return FloatFacts.halfUlp(v, dtype) + factor * s
      }
    }
  }

  /// The slack an inequality between a result and a value it provably bounds needs: none for a
  /// correctly rounded result (rounding is monotone and keeps representable bounds), else its
  /// claimed error.
  public func slack(_ result: Result, _ index: Int) -> Double {
    subject.accuracy == .correctlyRounded ? 0 : result.errors[index]
  }

  /// The slack of an inequality between a result and a bound `x` computed by the law (not
  /// representable in general): a correctly rounded result of an exact value beyond the exact
  /// bound is beyond `fl(bound)`, which is within ½ ulp of the bound; otherwise the result's
  /// claimed error.
  public func boundSlack(_ result: Result, _ index: Int, bound x: Double) -> Double {
    subject.accuracy == .correctlyRounded ? FloatFacts.halfUlp(x, result.dtype) : result.errors[index]
  }

  /// A gradient the subject answered, with the error bound its accuracy claim gives each element
  /// (the claim is taken to cover gradients as it covers values).
  public struct Gradient: Sendable {
    public var yhat: [Double]
    public var yhatErrors: [Double]
    /// ∇y, when it was asked for.
    public var y: [Double]?
    public var yErrors: [Double]?
    public var dtype: DType
  }

  /// The gradient of `request` (∇ŷ, and ∇y with `withTarget`; `cotangent` for `agg = none`),
  /// through `LossImplementation.answer(_:)`. A value that is not a value, or an answer without a
  /// gradient, is unexpected: the laws that call this are about cases that have gradients.
  public mutating func gradient(_ request: LossRequest, withTarget: Bool = false, cotangent: [Double]? = nil)
    async throws(LawError) -> Gradient
  {
    let errorOf: (Double, DType) -> Double
    switch subject.accuracy {
    case .correctlyRounded: errorOf = { FloatFacts.halfUlp($0, $1) }
    case .withinUlps(let k): errorOf = { k * FloatFacts.ulp($0, $1) }
    case .stable:
      throw .discard("the gradient laws need a correctly rounded or within-ulps claim (no gradient error scale)")
    }
    var labelled = request
    if labelled.id.isEmpty { labelled.id = "\(request.loss.rawValue)-\(log.count + 1)" }
    labelled.gradient = GradientRequest(withTarget: withTarget, cotangent: cotangent)
    let answer = await subject.implementation.answer(labelled)
    log.append(Evaluation(request: labelled, outcome: answer.outcome, implementation: subject.implementation.name))
    guard case .value = answer.outcome else {
      throw .unexpected("\(request.loss.rawValue) gave \(Probe.describe(answer.outcome)) where a value was due")
    }
    switch answer.gradient {
    case .gradient(let g)?:
      let dtype = request.dtype
      if withTarget && g.y == nil { throw .unexpected("\(request.loss.rawValue): ∇y was asked for and not given") }
      return Gradient(
        yhat: g.yhat, yhatErrors: g.yhat.map { errorOf($0, dtype) }, y: g.y,
        yErrors: g.y.map { $0.map { errorOf($0, dtype) } }, dtype: dtype)
    case .unsupported(let reason)?:
      throw .unexpected("\(subject.implementation.name) gave no gradient: \(reason)")
    case nil:
      throw .unexpected("\(subject.implementation.name) answered no gradient part")
    }
  }

  /// A short description of an outcome.
  public static func describe(_ outcome: LossOutcome) -> String {
    switch outcome {
    case .value(.scalar(let v)): "the value \(v)"
    case .value(.array(let t)): "an array of shape \(t.shape)"
    case .error(let e): "\(e.kind.rawValue) (\(e.message))"
    case .unsupported(let reason): "unsupported (\(reason))"
    }
  }
}

extension Double {
  /// `⌈log₂ x⌉` for `x ≥ 1`.
  var log2Ceiling: Double {
    let e = Double(Int(exponent))
    return significand == 1 ? e : e + 1
  }
}
