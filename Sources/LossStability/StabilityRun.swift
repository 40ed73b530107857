import Foundation
import LossCore
import LossSpec

/// The accuracy of one result against the correctly rounded reference.
public struct Accuracy: Sendable {
  /// The implementation's value (nil for an error or unsupported outcome).
  public var value: Double?
  /// `|r − v| / ulp_T(v)`; 0 for equal outcomes; `.infinity` for a different outcome class.
  public var ulps: Double
  /// Bits of error, `log₂(1 + ulps)` (Herbie's measure), capped at the dtype's precision; `nil`
  /// when the outcome class differs (NaN, ±∞ or an error where the reference is finite).
  public var bits: Double?
  /// What the implementation returned, for tables: a number, `NaN`, `Inf`, an error kind.
  public var summary: String
  /// The implementation did not evaluate the point (`.unsupported`: a loss or dtype it does not
  /// list, an input above an adapter's size limit, an adapter fault): left out of every measure.
  public var skipped = false

  /// Grades `outcome` against the reference value `v` (correctly rounded in `dtype`).
  public static func grade(_ outcome: LossOutcome, reference v: Double, dtype: DType) -> Accuracy {
    let precision = Double(dtype.significandBits)
    guard case .value(.scalar(let r)) = outcome else {
      let summary: String
      switch outcome {
      case .error(let e): summary = e.kind.rawValue
      case .unsupported(let reason):
        return Accuracy(value: nil, ulps: 0, bits: nil, summary: "not run: " + reason, skipped: true)
      default: summary = "array"
      }
      return Accuracy(value: nil, ulps: .infinity, bits: nil, summary: summary)
    }
    let summary = ProtocolCodec.encode(r, dtype: dtype).serialized()
    if r == v || (r.isNaN && v.isNaN) { return Accuracy(value: r, ulps: 0, bits: 0, summary: summary) }
    guard r.isFinite, v.isFinite else { return Accuracy(value: r, ulps: .infinity, bits: nil, summary: summary) }
    // v is a finite value of dtype here: its ulp (the smallest subnormal for 0).
    let ulps = abs(r - v) / dtype.ulp(of: v)
    return Accuracy(value: r, ulps: ulps, bits: Swift.min(precision, log2(1 + ulps)), summary: summary)
  }
}

/// One point of a sweep: the reference and every implementation's accuracy.
public struct SweepPoint: Sendable {
  public var x: Double
  /// LossSpec's correctly rounded value in the sweep's dtype (NaN/±∞ as IEEE), nil for an error.
  public var reference: Double?
  public var referenceSummary: String
  /// Indexed like ``StabilityRun/implementations``.
  public var accuracy: [Accuracy]
  /// Whether LossSpec decided every rounding of the reference (a gradient point can be left
  /// undecided: `SpecGradient.decided` in LossSpec); always `true` for a value point.
  public var decided = true

  /// Whether implementation `k`'s result here counts: the reference is a value (not an error)
  /// and the implementation evaluated the point.
  public func graded(_ k: Int) -> Bool { reference != nil && !accuracy[k].skipped }
}

public struct SweepResult: Sendable {
  public var sweep: Sweep
  public var points: [SweepPoint]

  /// The largest bits of error of implementation `k` and where (nil bits = a non-finite result
  /// where the reference is finite, which ranks worst).
  public func worst(_ k: Int) -> (bits: Double?, point: SweepPoint)? {
    var best: (Double?, SweepPoint)?
    for p in points where p.graded(k) {
      let b = p.accuracy[k].bits
      if let current = best {
        if current.0 == nil { continue }
        if b == nil || b! > current.0! { best = (b, p) }
      } else {
        best = (b, p)
      }
    }
    return best
  }

  public func meanBits(_ k: Int) -> Double {
    let bits = points.filter { $0.graded(k) }.compactMap { $0.accuracy[k].bits }
    return bits.isEmpty ? 0 : bits.reduce(0, +) / Double(bits.count)
  }

  /// How many points gave NaN, ±∞ or an error where the reference is finite.
  public func nonFiniteCount(_ k: Int) -> Int {
    points.filter { $0.graded(k) && $0.accuracy[k].bits == nil }.count
  }

  /// How many points implementation `k` did not evaluate.
  public func skippedCount(_ k: Int) -> Int {
    points.filter { $0.accuracy[k].skipped }.count
  }
}

/// What one implementation's sweeps came to, in figures and in one line for a terminal.
public struct StabilitySummary: Sendable, Hashable {
  public var implementation: String
  /// Points it evaluated where the reference is a value.
  public var graded: Int
  /// Points it did not evaluate (an adapter fault, a loss it does not list, a size limit).
  public var notRun: Int
  /// Graded points where it gave NaN, ±∞ or an error and the exact value is finite.
  public var nonFinite: Int
  /// The largest bits of error among its finite results, and where (`sweep` at `x`).
  public var worstBits: Double
  public var worstAt: String?

  /// "numpy: 1466 points graded, worst 2.3 bits (mse overflow at x = 1e+38); 3 non-finite …".
  public var line: String {
    guard graded > 0 else {
      return "\(implementation): no point graded (\(notRun) not run)"
    }
    var text = "\(implementation): \(graded) points graded, "
    if let worstAt {
      text += "worst \(String(format: "%.1f", worstBits)) bits of error (\(worstAt))"
    } else {
      text += "no finite result"
    }
    text += "; \(nonFinite) non-finite results where the exact value is finite"
    if notRun > 0 { text += "; \(notRun) points not run" }
    return text
  }
}

/// Runs sweeps against LossSpec and a list of implementations.
public struct StabilityRun: Sendable {
  public var implementations: [any LossImplementation]
  public var results: [SweepResult] = []
  public var seconds: Double = 0

  public init(implementations: [any LossImplementation]) {
    self.implementations = implementations
  }

  /// The summary of implementation `k` over every sweep.
  public func summary(_ k: Int) -> StabilitySummary {
    var summary = StabilitySummary(
      implementation: implementations[k].name, graded: 0, notRun: 0, nonFinite: 0, worstBits: 0, worstAt: nil)
    for result in results {
      summary.notRun += result.skippedCount(k)
      for point in result.points where point.graded(k) {
        summary.graded += 1
        guard let bits = point.accuracy[k].bits else {
          summary.nonFinite += 1
          continue
        }
        if bits > summary.worstBits || summary.worstAt == nil {
          summary.worstBits = bits
          summary.worstAt =
            "\(result.sweep.loss.rawValue) \(result.sweep.dtype.rawValue) \(result.sweep.name) at \(result.sweep.variable) = \(point.x.formatted(.number.precision(.significantDigits(3))))"
        }
      }
    }
    return summary
  }

  /// `.unsupported` when `implementation` does not list the request's loss or dtype (it is not
  /// asked: a point it would answer with an error, such as the Flux order's bfloat16, is shown as
  /// not run, not as a wrong outcome); nil when it lists both.
  static func lists(_ implementation: any LossImplementation, _ request: LossRequest) -> LossOutcome? {
    if !implementation.dtypes.contains(request.dtype) {
      return .unsupported("\(implementation.name) does not list \(request.dtype.rawValue)")
    }
    if !implementation.losses.contains(request.loss) {
      return .unsupported("\(implementation.name) does not list \(request.loss.rawValue)")
    }
    return nil
  }

  /// Evaluates every point of every sweep. `progress` is called after each sweep. An
  /// implementation is asked only for the losses and dtypes it lists (`LossImplementation`'s
  /// `losses` and `dtypes`); elsewhere it is not run.
  public mutating func run(_ sweeps: [Sweep], progress: (Int, Int) -> Void = { _, _ in }) async {
    let start = Date()
    results = []
    for (s, sweep) in sweeps.enumerated() {
      var points: [SweepPoint] = []
      for x in sweep.xs {
        guard let request = sweep.request(at: x) else { continue }
        var reference: Double?
        var referenceSummary: String
        var decided = true
        do {
          let spec = try LossSpec.evaluate(request)
          reference = spec.rounded[0]
          referenceSummary = ProtocolCodec.encode(spec.rounded[0], dtype: sweep.dtype).serialized()
          decided = spec.decided
        } catch {
          referenceSummary = error.kind.rawValue
        }
        var accuracy: [Accuracy] = []
        for implementation in implementations {
          let outcome: LossOutcome
          if let skipped = Self.lists(implementation, request) {
            outcome = skipped
          } else {
            outcome = await implementation.evaluate(request)
          }
          if let reference {
            accuracy.append(Accuracy.grade(outcome, reference: reference, dtype: sweep.dtype))
          } else if case .unsupported(let reason) = outcome {
            accuracy.append(Accuracy(value: nil, ulps: 0, bits: nil, summary: "not run: " + reason, skipped: true))
          } else {
            let same: Bool
            if case .error = outcome { same = true } else { same = false }
            accuracy.append(
              Accuracy(
                value: nil, ulps: same ? 0 : .infinity, bits: same ? 0 : nil, summary: same ? referenceSummary : "value"
              ))
          }
        }
        var point = SweepPoint(x: x, reference: reference, referenceSummary: referenceSummary, accuracy: accuracy)
        point.decided = decided
        points.append(point)
      }
      results.append(SweepResult(sweep: sweep, points: points))
      progress(s + 1, sweeps.count)
    }
    seconds = Date().timeIntervalSince(start)
  }
}
