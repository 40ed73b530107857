import Foundation
import LossCore
import LossSpec

extension Accuracy {
  /// Grades one element `r` of a gradient against LossSpec's exact element: a value as
  /// ``grade(_:reference:dtype:)`` grades a loss value; at a kink any `r` in the subgradient
  /// interval is exact (0 ulps), otherwise it is graded against the nearer end.
  public static func grade(element r: Double, reference: GradientElement, dtype: DType) -> (
    ulps: Double, bits: Double?
  ) {
    let v: Double
    switch reference {
    case .value(let exact): v = exact
    case .subgradient(let lower, let upper):
      if r >= lower && r <= upper { return (0, 0) }
      v = r < lower ? lower : upper
    }
    if r == v || (r.isNaN && v.isNaN) { return (0, 0) }
    guard r.isFinite, v.isFinite else { return (.infinity, nil) }
    let ulps = abs(r - v) / dtype.ulp(of: v)
    return (ulps, Swift.min(Double(dtype.significandBits), log2(1 + ulps)))
  }

  /// Grades an implementation's ∂L/∂ŷ against LossSpec's exact gradient: the accuracy of its
  /// **worst** element (a NaN, ±∞ or an error where the exact element is finite ranks worst),
  /// with the element's 1-based index in the summary. An implementation that did not answer a
  /// gradient (`gradUnsupported`, or no gradient part) is not run at this point.
  public static func grade(gradient answer: LossAnswer, reference: SpecGradient) -> Accuracy {
    let dtype = reference.dtype
    switch answer.outcome {
    case .unsupported(let reason):
      return Accuracy(value: nil, ulps: 0, bits: nil, summary: "not run: " + reason, skipped: true)
    case .error(let e):
      return Accuracy(value: nil, ulps: .infinity, bits: nil, summary: e.kind.rawValue)
    case .value:
      break
    }
    let gradient: LossGradient
    switch answer.gradient {
    case nil:
      return Accuracy(
        value: nil, ulps: 0, bits: nil, summary: "not run: gradient unsupported (no gradient answered)",
        skipped: true)
    case .unsupported(let reason)?:
      return Accuracy(
        value: nil, ulps: 0, bits: nil, summary: "not run: gradient unsupported (\(reason))", skipped: true)
    case .gradient(let g)?:
      gradient = g
    }
    guard gradient.yhat.count == reference.yhat.count else {
      return Accuracy(
        value: nil, ulps: .infinity, bits: nil,
        summary: "∂L/∂ŷ has \(gradient.yhat.count) elements, ŷ has \(reference.yhat.count)")
    }
    var worst: (index: Int, ulps: Double, bits: Double?)?
    for (i, r) in gradient.yhat.enumerated() {
      let (ulps, bits) = grade(element: r, reference: reference.yhat[i], dtype: dtype)
      guard let current = worst else {
        worst = (i, ulps, bits)
        continue
      }
      if current.bits == nil { continue }
      if bits == nil || ulps > current.ulps { worst = (i, ulps, bits) }
    }
    guard let worst else { return Accuracy(value: nil, ulps: 0, bits: 0, summary: "∂L/∂ŷ = []") }
    let r = gradient.yhat[worst.index]
    let summary =
      "∂L/∂ŷ[\(worst.index + 1)] = \(Self.show(r, dtype)) (exact \(Self.show(reference.yhat[worst.index], dtype)))"
    return Accuracy(value: r, ulps: worst.ulps, bits: worst.bits, summary: summary)
  }

  static func show(_ x: Double, _ dtype: DType) -> String {
    ProtocolCodec.encode(x, dtype: dtype).serialized()
  }

  static func show(_ e: GradientElement, _ dtype: DType) -> String {
    switch e {
    case .value(let v): show(v, dtype)
    case .subgradient(let lower, let upper): "[\(show(lower, dtype)), \(show(upper, dtype))]"
    }
  }
}

extension StabilityRun {
  /// Evaluates every point of every sweep **for ∂L/∂ŷ**: each request asks for the gradient with
  /// respect to ŷ (its own cotangent kept), LossSpec's exact gradient (`LossSpec.gradient(_:)`)
  /// is the reference, and each implementation's `LossImplementation.answer(_:)` is graded by
  /// its worst element (``Accuracy/grade(gradient:reference:)``). A point's ``SweepPoint/reference``
  /// is then the exact ∂L/∂ŷ₁ (a kink's lower end), its summary the whole exact gradient.
  public mutating func runGradients(_ sweeps: [Sweep], progress: (Int, Int) -> Void = { _, _ in }) async {
    let start = Date()
    results = []
    for (s, sweep) in sweeps.enumerated() {
      var points: [SweepPoint] = []
      for x in sweep.xs {
        guard var request = sweep.request(at: x) else { continue }
        if request.gradient == nil { request.gradient = GradientRequest() }
        var exact: SpecGradient?
        var referenceSummary: String
        do {
          let spec = try LossSpec.gradient(request)
          exact = spec
          referenceSummary = Self.gradientSummary(spec)
        } catch {
          referenceSummary = error.kind.rawValue
        }
        var accuracy: [Accuracy] = []
        for implementation in implementations {
          let answer: LossAnswer
          if let skipped = Self.lists(implementation, request) {
            answer = LossAnswer(outcome: skipped)
          } else {
            answer = await implementation.answer(request)
          }
          if let exact {
            accuracy.append(Accuracy.grade(gradient: answer, reference: exact))
          } else if case .unsupported(let reason) = answer.outcome {
            accuracy.append(Accuracy(value: nil, ulps: 0, bits: nil, summary: "not run: " + reason, skipped: true))
          } else {
            // No exact gradient: the value is an error. Agreeing means answering an error too.
            let same: Bool
            if case .error = answer.outcome { same = true } else { same = false }
            accuracy.append(
              Accuracy(
                value: nil, ulps: same ? 0 : .infinity, bits: same ? 0 : nil,
                summary: same ? referenceSummary : "a value and a gradient"))
          }
        }
        var point = SweepPoint(
          x: x, reference: exact.map { Self.representative($0.yhat.first) }, referenceSummary: referenceSummary,
          accuracy: accuracy)
        point.decided = exact?.decided ?? true
        points.append(point)
      }
      results.append(SweepResult(sweep: sweep, points: points))
      progress(s + 1, sweeps.count)
    }
    seconds = Date().timeIntervalSince(start)
  }

  /// How many points LossSpec left undecided (an element straddling a rounding boundary even at
  /// its largest precision): 0 on every committed sweep.
  public var undecidedCount: Int {
    results.reduce(0) { $0 + $1.points.filter { !$0.decided }.count }
  }

  static func representative(_ e: GradientElement?) -> Double {
    switch e {
    case .value(let v)?: v
    case .subgradient(let lower, _)?: lower
    case nil: 0
    }
  }

  /// "∂L/∂ŷ = [−0.5, 0.25]" (the first four elements, then how many more).
  static func gradientSummary(_ spec: SpecGradient) -> String {
    let shown = spec.yhat.prefix(4).map { Accuracy.show($0, spec.dtype) }.joined(separator: ", ")
    let more = spec.yhat.count > 4 ? ", … (\(spec.yhat.count) elements)" : ""
    return "∂L/∂ŷ = [\(shown)\(more)]"
  }
}
