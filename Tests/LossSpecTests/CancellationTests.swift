import Foundation
import LossCore
import Testing

@testable import LossSpec

/// A seeded probability array: `columns` columns of `classes` positive values summing to about 1,
/// exact values of `dtype` (LossCore's SplitMix64 stream, so the inputs are the same on every
/// machine).
private func probabilities(classes: Int, columns: Int, dtype: DType, seed: UInt64) -> [Double] {
  var random = SplitMix64(seed: seed)
  func next() -> Double { Double(random.next() >> 11) * 0x1p-53 }
  var values: [Double] = []
  for _ in 0..<columns {
    let column = (0..<classes).map { _ in next() + 1e-3 }
    let total = column.reduce(0, +)
    values += column.map { dtype == .float32 ? Double(Float($0 / total)) : $0 / total }
  }
  return values
}

private func request(
  _ loss: LossID, _ yhat: [Double], _ y: [Double], shape: [Int], dtype: DType = .float64,
  params: LossParameters = LossParameters(), budget: Double? = nil
) throws -> LossRequest {
  LossRequest(
    loss: loss, dtype: dtype, yhat: try Tensor(shape: Shape(shape), values: yhat),
    y: .array(try Tensor(shape: Shape(shape), values: y)), params: params, budget: budget)
}

/// Exact cancellation (issue 12, item 9): values that are exactly zero because their logarithms
/// cancel are decided at the first precision, not after climbing Ziv's ladder (an exact zero
/// never stops straddling a rounding boundary). Every expected zero here is an identity of
/// exact arithmetic, shown in the comment; the other expected values are mpmath's.
@Suite("Exact cancellation")
struct CancellationTests {
  @Test(
    "kldivergence(p, p) with ϵ = 0 is an exact 0, decided at 96 bits",
    arguments: [DType.float32, .float64], [Aggregation.mean, .sum, .none])
  func klOfEqualDistributions(dtype: DType, agg: Aggregation) throws {
    // Σ y·log y − Σ y·log(y + 0) = 0 exactly, for any positive y.
    for (shape, seed) in [([10, 12], UInt64(1)), ([60], 2), ([3, 4, 5], 3)] {
      let p = probabilities(
        classes: shape[0], columns: shape.dropFirst().reduce(1, *), dtype: dtype, seed: seed)
      let r = try LossSpec.evaluate(
        request(.kldivergence, p, p, shape: shape, dtype: dtype, params: LossParameters(agg: agg, eps: 0)))
      let count = agg == .none ? shape.dropFirst().reduce(1, *) : 1
      #expect(r.float32 == Array(repeating: 0, count: count))
      #expect(r.float64 == Array(repeating: 0, count: count))
      #expect(r.float64.allSatisfy { $0.sign == .plus })
      #expect(r.exact == Array(repeating: "0", count: count))
      #expect(r.radius == Array(repeating: 0, count: count))
      #expect(r.precision == 96)
      #expect(r.decided)
    }
  }

  @Test("kldivergence(p, p) over dims 2, and with a zero target, is an exact 0 at 96 bits")
  func klOtherDims() throws {
    // Columns of zeros contribute xlogy(0, ·) = 0 to both sums, without a log.
    var p = probabilities(classes: 6, columns: 8, dtype: .float64, seed: 4)
    p[3] = 0
    p[17] = 0
    let r = try LossSpec.evaluate(
      request(.kldivergence, p, p, shape: [6, 8], params: LossParameters(agg: Aggregation.none, eps: 0, dims: [2])))
    #expect(r.float64 == Array(repeating: 0, count: 6))
    #expect(r.precision == 96)
  }

  @Test("kldivergence([¼, 1], [½, ½]) is an exact 0: different arguments, equal odd parts")
  func klPowersOfTwo() throws {
    // ½·log ½ + ½·log ½ − ½·log ¼ − ½·log 1 = −log 2 + log 2 = 0: every argument has odd part 1,
    // and the coefficients of log 2 sum to ½·(−1) + ½·(−1) − ½·(−2) − ½·0 = 0.
    let r = try LossSpec.evaluate(
      request(.kldivergence, [0.25, 1], [0.5, 0.5], shape: [2], params: LossParameters(eps: 0)))
    #expect(r.float64 == [0])
    #expect(r.exact == ["0"])
    #expect(r.precision == 96)
  }

  @Test("crossentropy([½, 2], [1, 1]; ϵ = 0) is an exact 0")
  func crossentropyInverseArguments() throws {
    // −(log ½ + log 2) = 0; with a weight 3 on both: −3·(log ½ + log 2) = 0.
    for weight in [nil, Weight.scalar(3)] {
      let r = try LossSpec.evaluate(
        request(.crossentropy, [0.5, 2], [1, 1], shape: [2], params: LossParameters(eps: 0, weight: weight)))
      #expect(r.float64 == [0])
      #expect(r.precision == 96)
    }
  }

  @Test("binarycrossentropy([1.5, 0], [1, 1]; ϵ = ½, sum) is an exact 0")
  func binaryCrossentropy() throws {
    // −log(1.5 + ½) − xlogy(0, 0) − log(0 + ½) − xlogy(0, 1.5) = −log 2 + log 2 = 0.
    let r = try LossSpec.evaluate(
      request(.binarycrossentropy, [1.5, 0], [1, 1], shape: [2], params: LossParameters(agg: .sum, eps: 0.5)))
    #expect(r.float64 == [0])
    #expect(r.precision == 96)
  }

  @Test("partial cancellation: the columns that cancel are exact zeros, the others are the plain path's values")
  func partialCancellation() throws {
    // Columns 1 and 3 have ŷ = y (an exact 0); columns 2 and 4 share one element with y (a group
    // that cancels) and differ in the others. Expected values: mpmath at 2000 bits on the exact
    // binary inputs, Σ y·log y − Σ y·log ŷ, rounded to 53 and 24 bits.
    let y = [0.5, 0.25, 0.25, 0.1, 0.2, 0.7, 0.3, 0.3, 0.4, 0.6, 0.3, 0.1]
    let yhat = [0.5, 0.25, 0.25, 0.1, 0.3, 0.6, 0.3, 0.3, 0.4, 0.6, 0.1, 0.3]
    let none = try LossSpec.evaluate(
      request(.kldivergence, yhat, y, shape: [3, 4], params: LossParameters(agg: Aggregation.none, eps: 0)))
    #expect(none.float64 == [0, 0.026812454257447924, 0, 0.2197224577336219])
    #expect(none.float32 == [0, 0.02681245468556881, 0, 0.2197224646806717])
    #expect(none.exact[0] == "0" && none.exact[2] == "0")
    #expect(none.precision == 96)
    // The non-cancelling columns alone never meet the cancellation check: the plain path.
    let plain = try LossSpec.evaluate(
      request(
        .kldivergence, Array(yhat[3..<6] + yhat[9..<12]), Array(y[3..<6] + y[9..<12]), shape: [3, 2],
        params: LossParameters(agg: Aggregation.none, eps: 0)))
    #expect([none.float64[1], none.float64[3]] == plain.float64)
    #expect([none.float32[1], none.float32[3]] == plain.float32)
    #expect([none.exact[1], none.exact[3]] == plain.exact)
    // The mean over all four columns (two of them exactly 0).
    let mean = try LossSpec.evaluate(request(.kldivergence, yhat, y, shape: [3, 4], params: LossParameters(eps: 0)))
    #expect(mean.float64 == [0.06163372799776746])
    #expect(mean.float32 == [0.06163372844457626])
  }

  @Test("a cancellation that odd parts do not show (log 3 + log 5 − log 15) is still an exact 0")
  func multiplicativeDependence() throws {
    // crossentropy([3, 5, 15], [−1, −1, 1]; ϵ = 0, sum) = −(−log 3 − log 5 + log 15) = 0. The odd
    // parts 3, 5, 15 are distinct, so ExactCancellation cannot show it; Ziv's ladder decides it
    // when the radius falls below half the least subnormal, as before.
    let r = try LossSpec.evaluate(
      request(.crossentropy, [3, 5, 15], [-1, -1, 1], shape: [3], params: LossParameters(agg: .sum, eps: 0)))
    #expect(r.float64 == [0])
    #expect(r.float32 == [0])
    #expect(r.decided)
  }

  @Test("errors are unchanged: a DomainError of a later element still wins over a cancellation")
  func errorsFirst() throws {
    // kldivergence(p, p) would cancel, but xlogx(y) of y = −0.5 is a DomainError (Julia's
    // log(−0.5)), reported for element 3 exactly as before.
    let y = [0.25, 0.25, -0.5]
    let error = try #require(throws: LossError.self) {
      try LossSpec.evaluate(request(.kldivergence, y, y, shape: [3], params: LossParameters(eps: 0)))
    }
    #expect(error.kind == .domainError)
    #expect(error.message.contains("element 3"))
  }

  @Test(
    "non-cancelling golden vectors of the covered losses are reproduced exactly (both roundings; exact digits for ϵ = 0)"
  )
  func goldenVectorsUnchanged() throws {
    // Conformance/vectors was written by LossSpec before exact cancellation was added (and is
    // checked against the mpmath oracle by OracleTests): the same request must give the same
    // roundings and, for the ϵ = 0 cases (those nearest to a cancellation), the same 45-digit
    // midpoint at 40 correct digits (the full check of every vector is LossConformanceTests' drift
    // check, slow in a debug build).
    var checked = 0
    var checkedExact = 0
    for loss in ["kldivergence", "crossentropy", "binarycrossentropy"] {
      let url = OracleTests.packageRoot.appendingPathComponent("Conformance/vectors/\(loss).jsonl")
      let text = try String(contentsOf: url, encoding: .utf8)
      for line in text.split(separator: "\n") {
        let json = try JSONValue(parsing: String(line))
        guard let expect = json["expect"], case .string(let outcome)? = expect["outcome"],
          outcome == "finite" || outcome == "array"
        else { continue }
        let epsZero = line.contains(#""eps:0""#)
        let r = try LossSpec.evaluate(try ProtocolCodec.decodeRequest(json), exactDigits: epsZero ? 40 : 0)
        func items(_ key: String) -> [JSONValue] {
          if case .array(let a)? = expect[key] { return a }
          return expect[key].map { [$0] } ?? []
        }
        let exact = items("exact").map { if case .string(let s) = $0 { s } else { "?" } }
        let float32 = try items("float32").map { try ProtocolCodec.decodeNumber($0, dtype: .float32, field: "float32") }
        let float64 = try items("float64").map { try ProtocolCodec.decodeNumber($0, dtype: .float64, field: "float64") }
        let id = json["id"].map { $0.serialized() } ?? "?"
        if epsZero { #expect(r.exact == exact, "\(id)") }
        #expect(r.float32.elementsEqual(float32) { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(id)")
        #expect(r.float64.elementsEqual(float64) { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(id)")
        checked += 1
        if epsZero { checkedExact += 1 }
      }
    }
    #expect(checked > 300)
    #expect(checkedExact > 20)
  }
}

/// A request's time budget: LossSpec stops with a distinguishable "budget exceeded" instead of
/// running on (a large case, or one that climbs Ziv's ladder, can take minutes to hours).
@Suite("Budget")
struct BudgetTests {
  /// 10 classes × 20 000 columns of crossentropy(q, p): about 2·10⁵ logarithms, seconds of work
  /// in a debug build, far beyond a 20 ms budget.
  static func largeCase(budget: Double? = nil) throws -> LossRequest {
    let p = probabilities(classes: 10, columns: 20_000, dtype: .float64, seed: 5)
    let q = probabilities(classes: 10, columns: 20_000, dtype: .float64, seed: 6)
    return try request(.crossentropy, q, p, shape: [10, 20_000], budget: budget)
  }

  @Test("a tiny budget on a large case ends with budgetExceeded, saying what and after how long")
  func largeCaseExceeds() throws {
    let large = try Self.largeCase()
    let failure = try #require(throws: SpecFailure.self) {
      try LossSpec.evaluate(large, deadline: Deadline(seconds: 0.02))
    }
    guard case .budgetExceeded(let exceeded) = failure else {
      Issue.record("expected budgetExceeded, got \(failure)")
      return
    }
    #expect(exceeded.loss == .crossentropy)
    #expect(exceeded.elements == 200_000)
    #expect(exceeded.budget == 0.02)
    #expect(exceeded.elapsed >= 0.02)
    #expect(exceeded.precision == 96)
    #expect(exceeded.description.hasPrefix("budget exceeded: LossSpec crossentropy on 200000 elements stopped after "))
    #expect(exceeded.description.contains("(budget 0.02 s) at 96 bits"))
  }

  @Test("the request's own budget is honoured: unsupported from the implementation, kind Other from evaluate(_:)")
  func requestBudget() async throws {
    let large = try Self.largeCase(budget: 0.02)
    let outcome = await ReferenceImplementation().evaluate(large)
    guard case .unsupported(let reason) = outcome else {
      Issue.record("expected unsupported, got \(outcome)")
      return
    }
    #expect(reason.hasPrefix("budget exceeded: "))
    let error = try #require(throws: LossError.self) { try LossSpec.evaluate(large) }
    #expect(error.kind == .other)
    #expect(error.message.hasPrefix("budget exceeded: "))
  }

  @Test("a case climbing Ziv's ladder stops at its budget too")
  func ladderExceeds() throws {
    // 3000 copies of crossentropy([3, 5, 15], [−1, −1, 1]; ϵ = 0, sum), an exact 0 that only more
    // precision decides (CancellationTests.multiplicativeDependence): thousands of logarithms at
    // 2304 bits.
    let yhat = Array([3.0, 5, 15].repeated(3000))
    let y = Array([-1.0, -1, 1].repeated(3000))
    let slow = try request(.crossentropy, yhat, y, shape: [9000], params: LossParameters(agg: .sum, eps: 0))
    let failure = try #require(throws: SpecFailure.self) {
      try LossSpec.evaluate(slow, deadline: Deadline(seconds: 0.3))
    }
    guard case .budgetExceeded = failure else {
      Issue.record("expected budgetExceeded, got \(failure)")
      return
    }
  }

  @Test("a budget that is not spent changes nothing")
  func generousBudget() throws {
    let p = probabilities(classes: 5, columns: 4, dtype: .float32, seed: 7)
    let q = probabilities(classes: 5, columns: 4, dtype: .float32, seed: 8)
    for loss in [LossID.kldivergence, .crossentropy, .mse] {
      let plain = try request(loss, q, p, shape: [5, 4], dtype: .float32)
      let budgeted = try request(loss, q, p, shape: [5, 4], dtype: .float32, budget: 1000)
      let a = try LossSpec.evaluate(plain)
      let b = try LossSpec.evaluate(budgeted)
      #expect(a.float32 == b.float32 && a.float64 == b.float64 && a.exact == b.exact)
      #expect(a.precision == b.precision)
    }
  }

  @Test("loss errors are still errors under a budget", arguments: [nil, 1000.0])
  func errorsUnderBudget(budget: Double?) throws {
    let bad = try request(.kldivergence, [0.5, 0.5], [0.5, -0.5], shape: [2], budget: budget)
    let failure = try #require(throws: SpecFailure.self) {
      try LossSpec.evaluate(bad, deadline: budget.map(Deadline.init(seconds:)))
    }
    guard case .loss(let error) = failure else {
      Issue.record("expected a DomainError, got \(failure)")
      return
    }
    #expect(error.kind == .domainError)
  }
}

extension Array {
  /// The elements, `count` times over.
  fileprivate func repeated(_ count: Int) -> [Element] {
    (0..<count).flatMap { _ in self }
  }
}
