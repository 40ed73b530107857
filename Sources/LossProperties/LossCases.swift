import LossCore

/// The natural inputs of each loss, with its parameters, for the laws that hold for every loss
/// (aggregation, permutation, concatenation, agreement): each loss gets values of its domain, so
/// a failure is never an input the loss rejects.
///
/// Parameters are encoded in the ``LawInput`` as choices (`agg`, `eps`, `dims`, `weight`,
/// `delta`, `smooth`, `beta`; option 0 is Flux's default, so shrinking returns to the default)
/// and numbers (the given values), and turned back into `LossParameters` by
/// ``parameters(_:_:)``.
public enum LossCases {
  /// The `dims` options, in shrinking order.
  public static let dimsOptions = ["1", "2", "1,2", "3", "2,3", "1,2,3"]
  /// The aggregations, in shrinking order (Flux's default `mean` first): the `agg` choice is an
  /// index into this list.
  static let aggregations: [Aggregation] = [.mean, .sum, .none]
  /// The `agg` options, the spellings of ``aggregations``.
  static let aggOptions = aggregations.map(\.rawValue)

  /// Draws the natural input of `loss`.
  ///
  /// - Parameters:
  ///   - r: the case's generator.
  ///   - seed: the case seed, recorded in the input (its replay key).
  ///   - loss: the loss whose natural input is drawn.
  ///   - dtype: the element type (default: a random one).
  ///   - shape: the shape (default: a random one of at most `maxCount` elements).
  ///   - aggs: the aggregations to draw from (a law about `sum` and `mean` excludes `none`).
  ///   - allowDims: `false` keeps Flux's default `dims = 1`.
  ///   - allowWeights: `false` draws no class weights.
  ///   - dimsChoices: the indices into the `dims` options allowed (default: any).
  ///   - weightChoices: the kinds of weight allowed (0 none, 1 scalar, 2 per class, 3 full).
  ///   - maxCount: the most elements of a random shape.
  public static func draw(
    _ r: inout SplitMix64, seed: UInt64, loss: LossID, dtype: DType? = nil, shape: [Int]? = nil,
    aggs: [Aggregation] = [.mean, .sum, .none], dims allowDims: Bool = true, weights allowWeights: Bool = true,
    dimsChoices: [Int]? = nil, weightChoices: [Int] = [0, 1, 2, 3], maxCount: Int = 64
  ) -> LawInput {
    let dtype = dtype ?? Gen.dtype(&r)
    let shape = shape ?? Gen.shape(&r, maxCount: maxCount)
    var input = LawInput(seed: seed, dtype: dtype, shape: shape)
    let n = input.count
    // Parameters first: dims decide the probability columns.
    if loss.takesAggregation {
      let agg = r.pick(aggs)
      input.choices.append(aggregationChoice(agg))
    }
    var groupDims = [1]
    if loss.reducesOverDims {
      var index = allowDims ? r.weighted([(50, 0), (20, 1), (10, 2), (8, 3), (6, 4), (6, 5)]) : 0
      if let dimsChoices, !dimsChoices.contains(index) { index = r.pick(dimsChoices) }
      input.choices.append(Choice("dims", index, options: dimsOptions))
      groupDims = parseDims(dimsOptions[index])
    }
    if loss.acceptedParameters.contains(.eps) {
      let mode = r.weighted([(50, 0), (20, 1), (30, 2)])
      input.choices.append(Choice("eps", mode, options: ["default", "0", "given"]))
      var given = r.pick([0x1p-10, 1e-3, 1e-7, 0.1, 0.25, Gen.unitValue(&r, dtype)])
      // ϵ = ½ stays: it found LossSpec's log/log1p recursion on log(1.5 − 2⁻⁵³) (fixed in b6e4a85).
      if given == 0 { given = 0.375 }
      input.numbers.append(Number("eps", Gen.fit(given, dtype), kind: .positive))
    }
    var yhat: Field
    var y: Field
    func columns(_ r: inout SplitMix64) -> Field {
      Field(
        "", Gen.probabilityColumns(&r, shape: shape, groupDims: groupDims, dtype),
        kind: .probability(groupDims: groupDims))
    }
    switch loss {
    case .mae, .mse, .huberLoss:
      yhat = Field("yhat", Gen.array(&r, count: n, dtype, .real), kind: .real)
      y = Field("y", Gen.target(&r, near: yhat.values, dtype, .real), kind: .real)
    case .msle:
      yhat = Field("yhat", Gen.array(&r, count: n, dtype, .nonnegative), kind: .nonnegative)
      y = Field("y", Gen.target(&r, near: yhat.values, dtype, .nonnegative), kind: .nonnegative)
    case .crossentropy, .kldivergence:
      if r.chance(loss == .kldivergence ? 0.7 : 0.5) {
        yhat = columns(&r)
      } else {
        let kind: ValueKind = r.chance(0.8) ? .unit : .nonnegative
        yhat = Field("", Gen.array(&r, count: n, dtype, kind), kind: kind)
      }
      y = drawProbabilityTarget(&r, shape: shape, groupDims: groupDims, dtype)
    case .logitcrossentropy:
      yhat = Field("", Gen.logits(&r, count: n, dtype), kind: .real)
      y = drawProbabilityTarget(&r, shape: shape, groupDims: groupDims, dtype)
    case .binarycrossentropy:
      yhat = Field("", Gen.array(&r, count: n, dtype, .unit), kind: .unit)
      y =
        r.chance(0.6)
        ? Field("", Gen.array(&r, count: n, dtype, .label01), kind: .label01)
        : Field("", Gen.array(&r, count: n, dtype, .unit), kind: .unit)
    case .logitbinarycrossentropy:
      yhat = Field("", Gen.logits(&r, count: n, dtype), kind: .real)
      y =
        r.chance(0.6)
        ? Field("", Gen.array(&r, count: n, dtype, .label01), kind: .label01)
        : Field("", Gen.array(&r, count: n, dtype, .unit), kind: .unit)
    case .poissonLoss:
      yhat = Field("", Gen.array(&r, count: n, dtype, .nonnegative), kind: .nonnegative)
      if r.chance(0.5) {
        y = Field("", (0..<n).map { _ in Double(r.int(0...9)) }, kind: .nonnegative)
      } else {
        y = Field("", Gen.target(&r, near: yhat.values, dtype, .nonnegative), kind: .nonnegative)
      }
    case .hinge, .squaredHinge:
      yhat = Field("", Gen.array(&r, count: n, dtype, .real), kind: .real)
      y =
        r.chance(0.7)
        ? Field("", Gen.array(&r, count: n, dtype, .labelPM1), kind: .labelPM1)
        : Field("", Gen.array(&r, count: n, dtype, .real), kind: .real)
      if r.chance(0.3) {
        // Margins placed on the boundary ŷ·y = 1 where 1/y is exact.
        for i in 0..<n where r.chance(0.5) {
          let y0 = y.values[i]
          let inverse = 1 / y0
          if inverse.isFinite, dtype.represents(inverse), (-1.0).addingProduct(inverse, y0) == 0 {
            yhat.values[i] = inverse
          }
        }
      }
    case .diceCoeffLoss, .tverskyLoss:
      let kind: ValueKind = r.chance(0.8) ? .unit : .nonnegative
      yhat = Field("", Gen.array(&r, count: n, dtype, kind), kind: kind)
      y =
        r.chance(0.6)
        ? Field("", Gen.array(&r, count: n, dtype, .label01), kind: .label01)
        : Field("", Gen.array(&r, count: n, dtype, .unit), kind: .unit)
      if r.chance(0.15) { yhat.values = y.values }  // a perfect fit
    }
    yhat.name = "yhat"
    y.name = "y"
    input.fields = [yhat, y]
    switch loss {
    case .huberLoss:
      let mode = r.weighted([(40, 0), (60, 1)])
      input.choices.append(Choice("delta", mode, options: ["default", "given"]))
      var delta = r.pick([0.5, 2, 1e-3, 1e3, Gen.fit(Double.random(in: 0.01...10, using: &r), dtype)])
      if r.chance(0.3), n > 0 {
        // The boundary |ŷ − y| = δ, where both branches give ½δ².
        let k = r.int(0...(n - 1))
        let d = (yhat.values[k] - y.values[k]).magnitude
        if d > 0, d.isFinite, dtype.represents(d), FloatFacts.exactSum(yhat.values[k], -y.values[k], dtype) != nil {
          delta = d
        }
      }
      input.numbers.append(Number("delta", Gen.fit(delta, dtype), kind: .positive))
    case .diceCoeffLoss:
      input.choices.append(Choice("smooth", r.weighted([(40, 0), (60, 1)]), options: ["default", "given"]))
      input.numbers.append(
        Number("smooth", r.pick([0, 2, 0.5, 1e-5, Gen.fit(r.unit() * 4, dtype)]), kind: .nonnegative))
    case .tverskyLoss:
      input.choices.append(Choice("beta", r.weighted([(40, 0), (60, 1)]), options: ["default", "given"]))
      input.numbers.append(Number("beta", r.pick([0, 0.5, 1, 0.3, Gen.fit(r.unit(), dtype)]), kind: .unit))
    case .crossentropy, .logitcrossentropy:
      var mode = allowWeights ? r.weighted([(55, 0), (15, 1), (15, 2), (15, 3)]) : 0
      if !weightChoices.contains(mode) { mode = r.pick(weightChoices) }
      input.choices.append(Choice("weight", mode, options: ["none", "scalar", "per class", "full"]))
      input.numbers.append(Number("weight", weightValue(&r, dtype), kind: .positive))
      if mode == 2 {
        let classes = shape.first ?? 1
        input.fields.append(
          Field("weight", (0..<classes).map { _ in weightValue(&r, dtype) }, extent: .classes, kind: .positive))
      } else if mode == 3 {
        input.fields.append(Field("weight", (0..<n).map { _ in weightValue(&r, dtype) }, kind: .positive))
      }
    default:
      break
    }
    return input
  }

  /// A weight: mostly a moderate positive dyadic, sometimes any positive value of the dtype.
  static func weightValue(_ r: inout SplitMix64, _ dtype: DType) -> Double {
    r.chance(0.7) ? Double(r.int(1...16)) / Double(r.pick([1, 2, 4, 8])) : Gen.value(&r, dtype, .positive)
  }

  /// A target for the class-reducing losses: probability columns (50%), values of [0, 1] (30%),
  /// 0/1 labels (20%).
  static func drawProbabilityTarget(_ r: inout SplitMix64, shape: [Int], groupDims: [Int], _ dtype: DType) -> Field {
    let n = shape.reduce(1, *)
    switch r.weighted([(50, 0), (30, 1), (20, 2)]) {
    case 0:
      return Field(
        "y", Gen.probabilityColumns(&r, shape: shape, groupDims: groupDims, dtype),
        kind: .probability(groupDims: groupDims))
    case 1: return Field("y", Gen.array(&r, count: n, dtype, .unit), kind: .unit)
    default: return Field("y", Gen.array(&r, count: n, dtype, .label01), kind: .label01)
    }
  }

  /// `"1,2"` → `[1, 2]`.
  public static func parseDims(_ text: String) -> [Int] {
    text.split(separator: ",").compactMap { Int($0) }
  }

  /// The `dims` an input encodes (`[1]` when absent).
  public static func dims(_ input: LawInput) -> [Int] {
    guard let choice = input.choices.first(where: { $0.name == "dims" }) else { return [1] }
    return parseDims(choice.label)
  }

  /// The `agg` choice that encodes `aggregation`.
  static func aggregationChoice(_ aggregation: Aggregation) -> Choice {
    guard let index = aggregations.firstIndex(of: aggregation) else {
      preconditionFailure("LossCases.aggregations lists every Aggregation, not \(aggregation)")
    }
    return Choice("agg", index, options: aggOptions)
  }

  /// The aggregation an input encodes: Flux's default `mean` when the input has no `agg` choice,
  /// else the aggregation its index names. The index is the generator's or a smaller one (the
  /// shrinker only lowers it), so it always names one; anything else is a bug of a law, stopped
  /// here rather than read as `mean`.
  public static func aggregation(_ input: LawInput) -> Aggregation {
    guard let choice = input.choices.first(where: { $0.name == "agg" }) else { return .mean }
    precondition(
      choice.options == aggOptions && aggregations.indices.contains(choice.value),
      "the agg choice \(choice.value) of \(choice.options) names no aggregation of \(aggOptions)")
    return aggregations[choice.value]
  }

  /// The parameters of `loss` encoded in `input`; absent ones keep Flux's defaults.
  public static func parameters(_ input: LawInput, _ loss: LossID) -> LossParameters {
    var p = LossParameters()
    let accepted = loss.acceptedParameters
    if accepted.contains(.agg), input.choices.contains(where: { $0.name == "agg" }) {
      let agg = aggregation(input)
      if agg != .mean { p.agg = agg }
    }
    if accepted.contains(.dims), input.choices.contains(where: { $0.name == "dims" }) {
      let dims = dims(input)
      if dims != [1] { p.dims = dims }
    }
    if accepted.contains(.eps) {
      switch input[choice: "eps"] {
      case 1: p.eps = 0
      case 2: p.eps = input[number: "eps"]
      default: break
      }
    }
    if accepted.contains(.delta), input[choice: "delta"] == 1 { p.delta = input[number: "delta"] }
    if accepted.contains(.smooth), input[choice: "smooth"] == 1 { p.smooth = input[number: "smooth"] }
    if accepted.contains(.beta), input[choice: "beta"] == 1 { p.beta = input[number: "beta"] }
    if accepted.contains(.weight) {
      switch input[choice: "weight"] {
      case 1:
        p.weight = input[number: "weight"].map { .scalar($0) }
      case 2:
        let w = input[field: "weight"]
        p.weight = (try? Tensor(shape: Shape([w.count]), values: w)).map { .array($0) }
      case 3:
        let w = input[field: "weight"]
        p.weight = (try? Tensor(shape: Shape(input.shape), values: w)).map { .array($0) }
      default: break
      }
    }
    return p
  }

  /// The request of `loss` on `input`'s `yhat` and `y`.
  public static func request(_ input: LawInput, _ loss: LossID) -> LossRequest {
    input.request(loss, yhat: input[field: "yhat"], y: input[field: "y"], params: parameters(input, loss))
  }
}
