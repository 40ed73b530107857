import LossCore
import LossFast
import LossSpec
import Testing

/// The tiers of a half-precision result against LossSpec: the correctly rounded value's bits,
/// else faithful (one of the two values of the dtype bracketing the exact value), else other.
struct HalfTally {
  var correctlyRounded = 0
  var faithful = 0
  var other = 0
  var worstUlps = 0.0
  var worstInput = ""

  mutating func record(_ r: Double, spec: SpecResult, index i: Int, _ input: @autoclosure () -> String) {
    let grade = Grade(result: r, spec: spec, index: i)
    if r == spec.rounded[i] || (r.isNaN && spec.rounded[i].isNaN) {
      correctlyRounded += 1
    } else if grade.faithful {
      faithful += 1
    } else {
      other += 1
    }
    if grade.ulps > worstUlps {
      worstUlps = grade.ulps
      worstInput = input()
    }
  }

  var row: String {
    "CR \(correctlyRounded) / faithful \(faithful) / other \(other); worst \((worstUlps * 1000).rounded() / 1000) ulps"
      + (worstInput.isEmpty ? "" : " at \(worstInput)")
  }
}

/// The regimes that matter in half precision, per loss: inputs where a straightforward Float16
/// or BFloat16 evaluation overflows, underflows or loses the sum.
struct HalfCaseGenerator {
  var base: CaseGenerator
  var dtype: DType { base.dtype }

  init(seed: UInt64, dtype: DType) { base = CaseGenerator(seed: seed, dtype: dtype) }

  /// The largest finite value of the dtype.
  var largest: Double { dtype == .float16 ? 65504 : 0x1.FEp127 }

  /// A request with the given ŷ and y values (rounded to the dtype), a vector unless `shape`.
  func request(
    _ loss: LossID, _ yhat: [Double], _ y: [Double]?, scalar: Double? = nil, shape: [Int]? = nil,
    params: LossParameters = .init(), id: String
  ) -> LossRequest {
    let s = Shape(shape ?? [yhat.count])
    let target: Target =
      scalar.map { .scalar(dtype.round($0)) }
      ?? .array(try! Tensor(shape: s, values: (y ?? []).map { dtype.round($0) }))
    return LossRequest(
      id: id, loss: loss, dtype: dtype, yhat: try! Tensor(shape: s, values: yhat.map { dtype.round($0) }), y: target,
      params: params)
  }

  /// One request of a half regime for `loss` (`k` picks among them).
  mutating func regime(_ loss: LossID, _ k: Int, id: String) -> LossRequest {
    let n = base.int(1...64)
    var params = LossParameters()
    if loss.takesAggregation { params.agg = base.pick([Aggregation.mean, .sum, Aggregation.none]) }
    switch (loss, k % 3) {
    case (.logitcrossentropy, _):
      // Logits beyond 11.1, where e^x overflows Float16 (and beyond 88.7, BFloat16's Float exp).
      let classes = base.int(2...6)
      let samples = base.int(1...6)
      let top = dtype == .float16 ? 60000.0 : 1e6
      let yhat = (0..<(classes * samples)).map { _ in
        base.uniform(0, 1) < 0.5 ? base.uniform(11, 40) : base.uniform(-top, top)
      }
      let y = (0..<(classes * samples)).map { _ in base.chance(0.5) ? 1 : base.uniform(0, 1) }
      return request(loss, yhat, y, shape: [classes, samples], params: params, id: id)
    case (.logitbinarycrossentropy, _):
      let yhat = (0..<n).map { _ in (base.chance(0.5) ? 1 : -1) * base.uniform(11, 300) }
      let y = (0..<n).map { _ in base.chance(0.7) ? base.pick([0.0, 1]) : base.uniform(0, 1) }
      return request(loss, yhat, y, params: params, id: id)
    case (.binarycrossentropy, _), (.msle, _):
      // ŷ = 0 and ŷ = 1 with ϵ the dtype's eps (2⁻¹⁰ for Float16): log(ϵ) terms.
      let yhat = (0..<n).map { _ in base.chance(0.6) ? base.pick([0.0, 1]) : base.uniform(0, 1) }
      let y = (0..<n).map { _ in base.chance(0.6) ? base.pick([0.0, 1]) : base.uniform(0, 1) }
      return request(loss, yhat, y, params: params, id: id)
    case (.crossentropy, _), (.kldivergence, _):
      let classes = base.int(2...6)
      let count = classes * base.int(1...5)
      let yhat = (0..<count).map { _ in base.chance(0.5) ? 0 : base.uniform(0, 1) }
      let y = (0..<count).map { _ in base.chance(0.3) ? 0 : base.uniform(0, 1) }
      return request(loss, yhat, y, shape: [classes, count / classes], params: params, id: id)
    case (.mse, 0), (.squaredHinge, 0), (.huberLoss, 0):
      // Squared errors near the largest Float16 (255² = 65025; 256² = 65536 overflows it).
      let d = dtype == .float16 ? 250.0 : 1.8e19
      let yhat = (0..<n).map { _ in base.uniform(d, d * 1.03) * (base.chance(0.5) ? 1 : -1) }
      return request(loss, yhat, nil, scalar: 0, params: params, id: id)
    case (.mae, 0), (.mse, 1), (.huberLoss, 1), (.hinge, 0):
      // Subnormal inputs and differences.
      let tiny = dtype == .float16 ? 0x1p-14 : 0x1p-126
      let yhat = (0..<n).map { _ in base.uniform(-4, 4) * tiny }
      let y = (0..<n).map { _ in base.uniform(-4, 4) * tiny }
      return request(loss, yhat, y, params: params, id: id)
    case (.poissonLoss, _):
      let yhat = (0..<n).map { _ in base.chance(0.2) ? 0 : base.uniform(0, 1000) }
      let y = (0..<n).map { _ in Double(base.int(0...1000)) }
      return request(loss, yhat, y, params: params, id: id)
    case (.diceCoeffLoss, _), (.tverskyLoss, _):
      let big = dtype == .float16 ? 200.0 : 1e18
      let yhat = (0..<n).map { _ in base.uniform(0, big) }
      let y = (0..<n).map { _ in base.chance(0.5) ? 0 : base.uniform(0, big) }
      return request(loss, yhat, y, id: id)
    default:
      // The values near the top of the range.
      let yhat = (0..<n).map { _ in base.uniform(-1, 1) * largest * 0.25 }
      let y = (0..<n).map { _ in base.uniform(-1, 1) * largest * 0.25 }
      return request(loss, yhat, y, params: params, id: id)
    }
  }

  /// A long sum (10⁴–10⁵ elements): Flux's own half sums lose bits here, LossFast's do not.
  ///
  /// LossSpec evaluates the logarithms and exponentials of the transcendental losses with GSL and
  /// error bounds, about half a millisecond per element in a debug build: their long sums stay
  /// at 10⁴–2·10⁴ elements and run only with `LOSSFAST_HALF_TABLE=1`; the others reach 10⁵.
  static let transcendental: Set<LossID> = [
    .msle, .crossentropy, .logitcrossentropy, .binarycrossentropy, .logitbinarycrossentropy, .kldivergence,
    .poissonLoss,
  ]

  mutating func long(_ loss: LossID, long: Bool, id: String) -> LossRequest {
    var requestValue = base.request(loss, id: id)
    let n =
      Self.transcendental.contains(loss)
      ? base.int(10_000...20_000) : long ? base.int(10_000...100_000) : base.int(10_000...11_000)
    let shape = loss.reducesOverDims ? [10, n / 10] : [n]
    let count = shape.reduce(1, *)
    requestValue.yhat = try! Tensor(
      shape: Shape(shape), values: (0..<count).map { _ in base.value(loss, role: "yhat") })
    requestValue.y = .array(
      try! Tensor(shape: Shape(shape), values: (0..<count).map { _ in base.value(loss, role: "y") }))
    requestValue.params.dims = nil
    requestValue.params.weight = nil
    if loss.takesAggregation { requestValue.params.agg = base.pick([Aggregation.mean, .sum]) }
    return requestValue
  }
}

@Suite("LossFast in half precision: Float16 and BFloat16 against LossSpec")
struct LossFastHalfTests {
  static let dtypes: [DType] = [.float16, .bfloat16]
  static let printTable = environmentFlag("LOSSFAST_HALF_TABLE")
  /// Random cases per loss and dtype (more with `LOSSFAST_HALF_TABLE=1`).
  static let randomCount = printTable ? 200 : 24
  static let regimeCount = printTable ? 100 : 12

  /// Grades `request` into `tally`: LossFast's outcome class must be LossSpec's, and every
  /// finite value faithful where the loss is well conditioned (as for Float32).
  static func grade(_ request: LossRequest, _ tally: inout HalfTally, worst: inout WorstCases) {
    var graded: [(Double, SpecResult, Int)] = []
    checkAgreement(request, worst: &worst, each: { graded.append(($0, $1, $2)) })
    for (r, spec, i) in graded {
      tally.record(
        r, spec: spec, index: i,
        "\(request.loss.rawValue) n=\(request.yhat.count) ŷ[0…]=\(request.yhat.values.prefix(3)) y=\(describe(request.y)) \(request.params.agg.map { "\($0)" } ?? "mean"): r=\(r) v=\(spec.float64[i])"
      )
    }
  }

  static func describe(_ y: Target) -> String {
    switch y {
    case .scalar(let v): return "\(v)"
    case .array(let t): return "\(t.values.prefix(3))"
    }
  }

  @Test("random, regime and long cases of every loss, faithful where Float32 is", arguments: LossID.allCases)
  func agreement(loss: LossID) {
    var worst = WorstCases()
    for dtype in Self.dtypes {
      var tally = HalfTally()
      var generator = CaseGenerator(seed: 0x4A1F ^ UInt64(loss.rawValue.count) &* 7919, dtype: dtype)
      for k in 0..<Self.randomCount {
        Self.grade(generator.request(loss, id: "half-\(loss)-\(k)"), &tally, worst: &worst)
      }
      var regimes = HalfCaseGenerator(seed: 0x5EED ^ UInt64(loss.rawValue.count), dtype: dtype)
      for k in 0..<Self.regimeCount {
        Self.grade(regimes.regime(loss, k, id: "half-regime-\(loss)-\(k)"), &tally, worst: &worst)
      }
      let clock = ContinuousClock()
      let start = clock.now
      defer {
        if environmentFlag("LOSSFAST_HALF_TIMING") { print("half timing \(loss) \(dtype): \(clock.now - start)") }
      }
      for k in 0..<(Self.printTable || !HalfCaseGenerator.transcendental.contains(loss) ? 1 : 0) {
        Self.grade(regimes.long(loss, long: Self.printTable, id: "half-long-\(loss)-\(k)"), &tally, worst: &worst)
      }
      #expect(tally.correctlyRounded > 0)
      if Self.printTable || tally.other > 0 {
        print("half agreement | \(loss.rawValue) | \(dtype.rawValue) | \(tally.row)")
      }
    }
  }

  @Test("the exp-overflow, ϵ and squared-error-overflow edges give LossSpec's value")
  func edges() {
    for dtype in Self.dtypes {
      let g = HalfCaseGenerator(seed: 1, dtype: dtype)
      let cases = [
        g.request(.logitcrossentropy, [12, 0, -3, 40], [1, 0, 0, 1], shape: [2, 2], id: "lce-12"),
        g.request(.logitbinarycrossentropy, [12, -12, 30, -30], [0, 1, 1, 0], id: "lbce-12"),
        g.request(.binarycrossentropy, [0, 1, 0, 1], [1, 0, 0, 1], id: "bce-eps"),
        g.request(.crossentropy, [0, 1, 0.5, 0.5], [1, 0, 0.5, 0.5], shape: [2, 2], id: "ce-eps"),
        g.request(.mse, [255, -255], [0, 0], id: "mse-near-max"),
        g.request(.mse, [256, 0], [0, 0], id: "mse-beyond-max"),
        g.request(.mae, [0x1p-24, 0x1p-23], [0, 0], id: "mae-subnormal"),
      ]
      var worst = WorstCases()
      for c in cases {
        checkAgreement(c, worst: &worst)
        let fast = FastImplementation(threads: 1).evaluateSynchronously(c)
        let (expected, spec) = specOutcome(c)
        guard let spec, case .value(let v) = fast else {
          Issue.record("\(c.id) \(dtype): fast \(fast) spec \(expected)")
          continue
        }
        for (i, r) in v.values.enumerated() {
          let grade = Grade(result: r, spec: spec, index: i)
          #expect(grade.faithful || r == spec.rounded[i], "\(c.id) \(dtype): \(r) vs \(spec.rounded[i])")
        }
      }
    }
  }

  /// Inputs spanning more than three chunks, in the dtype.
  static func inputs(_ loss: LossID, dtype: DType) -> (yhat: [Double], y: [Double]) {
    var rng = SplitMix64(seed: 0x4A1F_D00D ^ UInt64(loss.rawValue.count))
    let n = (3 * LossFast.chunkLength / 10 + 103) * 10
    var yhat = [Double](repeating: 0, count: n)
    var y = [Double](repeating: 0, count: n)
    for i in 0..<n {
      let a = Double.random(in: 0.001..<1, using: &rng)
      let b = Double.random(in: 0..<1, using: &rng)
      switch loss {
      case .logitcrossentropy, .logitbinarycrossentropy, .hinge, .squaredHinge, .mae, .mse, .huberLoss:
        yhat[i] = 8 * a - 4
        y[i] = loss == .hinge || loss == .squaredHinge ? (b < 0.5 ? -1 : 1) : (b < 0.5 ? 0 : 1)
      case .poissonLoss:
        yhat[i] = 5 * a
        y[i] = (5 * b).rounded(.down)
      default:
        yhat[i] = a
        y[i] = b < 0.3 ? 0 : b
      }
    }
    return (yhat.map { dtype.round($0) }, y.map { dtype.round($0) })
  }

  /// The value, the `agg = none` values (where the loss has them) and both gradients, as Doubles.
  static func run<T: LossFastElement>(
    _ loss: LossID, _ yhat: [T], _ y: [T], zero: T, threads: Int, widen: (T) -> Double
  ) throws -> [Double] {
    let shape: [Int]? = loss.reducesOverDims ? [10, yhat.count / 10] : nil
    var dyhat = [T](repeating: zero, count: yhat.count)
    var dy = [T](repeating: zero, count: y.count)
    let value = try dyhat.withUnsafeMutableBufferPointer { g in
      try dy.withUnsafeMutableBufferPointer { gy in
        try LossFast.valueAndGradient(loss, yhat, y, shape: shape, into: g, yGradient: gy, threads: threads)
      }
    }
    var result = [widen(value)] + dyhat.map(widen) + dy.map(widen)
    if loss.takesAggregation && (threads == 1 || threads == 8) {
      let unreduced = loss.reducesOverDims ? LossFast.outputCount(shape: shape!) : yhat.count
      var values = [T](repeating: zero, count: unreduced)
      var g = [T](repeating: zero, count: yhat.count)
      try values.withUnsafeMutableBufferPointer { v in
        try g.withUnsafeMutableBufferPointer { g in
          try LossFast.valueAndGradient(
            loss, yhat, y, shape: shape, cotangent: nil as UnsafeBufferPointer<T>?, values: v, into: g,
            threads: threads)
        }
      }
      result += values.map(widen) + g.map(widen)
    }
    return result
  }

  @Test("the same bits for 1, 2, 3 and 8 threads: values, agg = none and gradients", arguments: LossID.allCases)
  func determinism(loss: LossID) throws {
    for dtype in Self.dtypes {
      let (yhat, y) = Self.inputs(loss, dtype: dtype)
      var results: [[UInt64]] = []
      for threads in [1, 2, 3, 8] {
        let doubles: [Double]
        if dtype == .float16 {
          doubles = try Self.run(
            loss, yhat.map { Float16($0) }, y.map { Float16($0) }, zero: 0, threads: threads, widen: { Double($0) })
        } else {
          doubles = try Self.run(
            loss, yhat.map { BFloat16($0) }, y.map { BFloat16($0) }, zero: BFloat16(bitPattern: 0), threads: threads,
            widen: { Double($0) })
        }
        #expect(doubles[0].isFinite, "\(loss) \(dtype): \(doubles[0])")
        results.append(doubles.map(\.bitPattern))
      }
      for (k, r) in results.enumerated().dropFirst() {
        let count = Swift.min(r.count, results[0].count)
        #expect(
          r.prefix(count) == results[0].prefix(count), "\(loss) \(dtype): thread count #\(k) differs from 1 thread")
      }
      #expect(results[3] == results[0])
    }
  }

  @Test("Double → BFloat16 rounding in the kernels' outputs is LossCore's correctly rounded one")
  func bfloat16Rounding() {
    var rng = SplitMix64(seed: 0xBF16)
    for _ in 0..<20_000 {
      let e = Int.random(in: -140...130, using: &rng)
      let x = Double(
        sign: Bool.random(using: &rng) ? .minus : .plus, exponent: e, significand: Double.random(in: 1..<2, using: &rng)
      )
      let value: BFloat16 = LossFast._bfloat16(x)
      #expect(value.bitPattern == BFloat16(x).bitPattern, "\(x)")
    }
    // Ties, both parities, and the edges of the fast path.
    for x in [1 + 0x1p-8, 1 + 3 * 0x1p-8, 0x1.FFp127, 0x1.FEp127, 0x1p-126, 0x1p-127, 0x1.FFFFp-127, 0.0, -0.0] {
      let value: BFloat16 = LossFast._bfloat16(x)
      #expect(value.bitPattern == BFloat16(x).bitPattern, "\(x)")
    }
  }

  @Test("Swift arrays of Float16 and BFloat16 call the public functions")
  func publicAPI() throws {
    let yhat: [Float16] = [0.9, 0.1, 0.1, 0.9]
    let y: [Float16] = [1, 1, 0, 0]
    let mse = try LossFast.mse(yhat, y)
    #expect(abs(Double(mse) - 0.41) < 0.001, "\(mse)")
    #expect(try LossFast.binarycrossentropy(yhat, Float16(1), agg: .sum) > 0)
    var terms = [Float16](repeating: 0, count: 4)
    try terms.withUnsafeMutableBufferPointer { try LossFast.mse(yhat, y, into: $0) }
    for (t, e) in zip(terms, [0.01, 0.81, 0.01, 0.81]) { #expect(abs(Double(t) - e) < 0.001, "\(terms)") }
    let b = yhat.map { BFloat16(Float($0)) }
    let by = y.map { BFloat16(Float($0)) }
    #expect(abs(Double(try LossFast.mse(b, by)) - 0.41) < 0.004)
    let r = try LossFast.valueAndGradient(.mse, b, by, withTarget: true)
    #expect(r.yhat.count == 4 && r.y?.count == 4)
    #expect(Double(r.value) > 0.4 && Double(r.value) < 0.42)
    // The DocC example (LossFast.md, "Element types"): e¹² overflows Float16, not LossFast.
    let logits: [Float16] = [12, 0, -3, 40]
    let labels: [Float16] = [1, 0, 0, 1]
    let l16 = try LossFast.logitcrossentropy(logits, labels, shape: [2, 2])
    let bl: [BFloat16] = logits.map { BFloat16(Float($0)) }
    let lb = try LossFast.logitcrossentropy(bl, labels.map { BFloat16(Float($0)) }, shape: [2, 2])
    #expect(abs(Double(l16) - 3.0721e-6) < 1e-7, "\(l16)")
    #expect(abs(Double(lb) - 3.0721e-6) < 2e-8, "\(lb)")
    let huber = try LossFast.huberLoss(b, by, delta: BFloat16(0.5 as Double))
    #expect(Double(huber) > 0)
  }
}
