import LossCore

/// The catalogue of golden cases of one loss and dtype: what ``VectorGenerator`` generates.
extension CatalogueBuilder {
  private func array(_ shape: [Int], _ values: [Double]) -> Target { .array(tensor(shape, values)) }

  private func array(_ values: [Double]) -> Target { .array(tensor([values.count], values)) }

  // MARK: Benign

  mutating func buildBenign() {
    let aggregations: [Aggregation?] = loss.takesAggregation ? [nil, .mean, .sum, Aggregation.none] : [nil]
    let shapes: [[Int]] = [
      [], [1], [2], [5], [9], [12], [3, 4], [4, 3], [6, 2], [1, 5], [2, 3, 4], [3, 1, 2], [64],
    ]
    for shape in shapes {
      for agg in aggregations { addRandom(shape, LossParameters(agg: agg)) }
    }
    // More draws of the common shapes, and medium sizes (summation order starts to matter).
    for shape in [[7], [3, 5], [5, 3], [2, 2, 2, 2]] as [[Int]] { addRandom(shape) }
    addRandom(loss.reducesOverDims ? [10, 30] : [300])
    if loss.takesAggregation { addRandom(loss.reducesOverDims ? [10, 30] : [300], LossParameters(agg: .sum)) }
    // Scalar targets (a constant label).
    for shape in [[5], [3, 4]] as [[Int]] {
      let label = randomY([1])[0]
      add(shape, randomYhat(shape), .scalar(label), tags: ["y:label"])
    }
    buildAccumulation()
    buildParameters()
  }

  /// Long constant inputs: every term equal, so a sequential float32 sum drifts systematically
  /// (≈ 100 u·S at n = 2048, against a stable bound of 30) while a pairwise one does not. The
  /// losses with logarithms get 512 elements: LossSpec settles 40 digits of 2048 equal logarithms
  /// slowly (tens of seconds in a debug build), and the drift check regenerates every case.
  private mutating func buildAccumulation() {
    let rational: Set<LossID> = [.mae, .mse, .huberLoss, .hinge, .squaredHinge, .diceCoeffLoss, .tverskyLoss]
    let n = rational.contains(loss) ? 2048 : 512
    let (yhat, y): (Double, Double)
    switch loss {
    case .mae, .mse, .huberLoss: (yhat, y) = (0.1, 0)
    case .msle: (yhat, y) = (1.1, 0.1)
    case .crossentropy, .kldivergence, .logitcrossentropy: (yhat, y) = (0.25, 0.25)
    case .binarycrossentropy: (yhat, y) = (0.3, 1)
    case .logitbinarycrossentropy: (yhat, y) = (0.7, 1)
    case .poissonLoss: (yhat, y) = (0.7, 1)
    case .hinge, .squaredHinge: (yhat, y) = (0.3, 1)
    case .diceCoeffLoss, .tverskyLoss: (yhat, y) = (0.3, 1)
    }
    let shape = loss.reducesOverDims ? [4, n / 4] : [n]
    add(
      shape, [Double](repeating: yhat, count: n), array(shape, [Double](repeating: y, count: n)),
      tags: ["accumulation"])
  }

  private mutating func buildParameters() {
    switch loss {
    case .crossentropy, .logitcrossentropy, .kldivergence:
      for dims in [[2], [1, 2], [3], [2, 1]] as [[Int]] {
        addRandom([3, 4], LossParameters(dims: dims))
        addRandom([3, 4], LossParameters(agg: Aggregation.none, dims: dims))
      }
      for dims in [[1], [2], [3], [1, 2], [2, 3], [1, 3], [1, 2, 3], [4]] as [[Int]] {
        addRandom([2, 3, 4], LossParameters(dims: dims))
        addRandom([2, 3, 4], LossParameters(agg: Aggregation.none, dims: dims))
      }
      addRandom([3, 4], LossParameters(agg: .sum, dims: [2]))
      if loss != .kldivergence { buildWeights() }
      if loss != .logitcrossentropy { buildEps([3, 4]) }
    case .msle, .binarycrossentropy:
      buildEps([5])
      buildEps([3, 4])
    case .huberLoss:
      for delta in [0.5, 2, 1e-3, 10, 0.1, 0.7] {
        addRandom([12], LossParameters(delta: delta))
      }
      addRandom([3, 4], LossParameters(agg: Aggregation.none, delta: 0.5))
      addRandom([3, 4], LossParameters(agg: .sum, delta: 2))
    case .diceCoeffLoss:
      for smooth in [0, 0.5, 2, 1e-6, 0.1] {
        addRandom([12], LossParameters(smooth: smooth))
        addRandom([3, 4], LossParameters(smooth: smooth))
      }
    case .tverskyLoss:
      for beta in [0, 0.3, 0.5, 1, 0.9, 0.7] {
        addRandom([12], LossParameters(beta: beta))
        addRandom([3, 4], LossParameters(beta: beta))
      }
    default:
      break
    }
  }

  private mutating func buildWeights() {
    let shape = [3, 4]
    addRandom(shape, LossParameters(weight: .scalar(0.5)))
    addRandom(shape, LossParameters(weight: .scalar(2.5)))
    addRandom(shape, LossParameters(agg: .sum, weight: .scalar(0.1)))
    for (wshape, agg) in [
      ([3], nil), ([3, 1], nil), ([1, 4], nil), ([3, 4], nil), ([3], Aggregation.none), ([3], .sum),
    ]
      as [([Int], Aggregation?)]
    {
      let w = values(Shape(wshape).count, 0, 2)
      addRandom(shape, LossParameters(agg: agg, weight: .array(tensor(wshape, w))))
    }
    // Per-class weights with a zero class, and on a 3-d array.
    addRandom(shape, LossParameters(weight: .array(tensor([3], [0, 1, 2]))))
    addRandom([2, 3, 4], LossParameters(weight: .array(tensor([2], values(2, 0, 2)))))
    addRandom([2, 3, 4], LossParameters(dims: [1, 2], weight: .array(tensor([2, 3], values(6, 0, 2)))))
  }

  private mutating func buildEps(_ shape: [Int]) {
    for e in [0, 1e-3, 1e-7, 1e-12, dtype.machineEpsilon] {
      addRandom(shape, LossParameters(eps: e))
    }
    addRandom(shape, LossParameters(agg: Aggregation.none, eps: 0))
  }

  // MARK: Edge

  mutating func buildEdge() {
    // Empty inputs: mean of nothing is NaN, sum of nothing is 0, none is an empty array.
    let aggregations: [Aggregation?] = loss.takesAggregation ? [nil, .sum, Aggregation.none] : [nil]
    for shape in [[0], [0, 3], [3, 0], [2, 0, 2]] as [[Int]] {
      for agg in aggregations {
        add(shape, [], array(shape, []), LossParameters(agg: agg), regime: .edge)
      }
    }
    if loss == .diceCoeffLoss { add([0], [], array([0], []), LossParameters(smooth: 0), regime: .edge) }
    // NaN and infinities propagate by IEEE rules.
    let base = randomYhat([4])
    let target = randomY([4])
    for (position, value, inY) in [
      (1, Double.nan, false), (0, .nan, true), (2, .infinity, false), (3, -.infinity, false), (1, .infinity, true),
      (0, -.infinity, true),
    ] {
      var yhat = base
      var y = target
      if inY { y[position] = value } else { yhat[position] = value }
      add([4], yhat, array(y), regime: .edge)
    }
    if loss.takesAggregation {
      var yhat = base
      yhat[2] = .nan
      add([4], yhat, array(target), LossParameters(agg: Aggregation.none), regime: .edge)
      add([4], yhat, array(target), LossParameters(agg: .sum), regime: .edge)
    }
    // Signed zeros and subnormals.
    add([4], [-0.0, 0.0, -0.0, 0.0], array([0.0, -0.0, -0.0, 0.0]), regime: .edge)
    let s = smallestSubnormal
    if dtype == .float64 && [.crossentropy, .kldivergence, .binarycrossentropy].contains(loss) {
      // LossSpec does not settle 40 digits of log(ŷ + ϵ) for a Float64 ŷ below about 1e-200 (the
      // sum's binary expansion spans a thousand bits) in reasonable time: subnormal targets only.
      add([4], [0.25, 0.5, 0.125, 0.125], array([0, s, 2 * s, 1000 * s]), regime: .edge)
    } else if dtype == .float64 && loss == .msle {
      // The same for y + ϵ: subnormal ratios without ϵ.
      add([4], [s, 3 * s, 1000 * s, 7 * s], array([2 * s, s, 1000 * s, 5 * s]), LossParameters(eps: 0), regime: .edge)
    } else {
      add([4], [s, 3 * s, 1000 * s, -7 * s], array([0, s, 2 * s, -s]), regime: .edge)
    }
    // Shape mismatches: DimensionMismatch naming both shapes.
    add([3], randomYhat([3]), array(randomY([4])), regime: .edge)
    add([2, 3], randomYhat([2, 3]), array([3, 2], randomY([3, 2])), regime: .edge)
    add([4], randomYhat([4]), array([2, 2], randomY([2, 2])), regime: .edge)
    buildLossEdges()
  }

  private mutating func buildLossEdges() {
    let e = eps
    switch loss {
    case .mae, .mse:
      add([5], [0.5, -1, 2, 0, 3], array([0.5, -1, 2, 0, 3]), regime: .edge, tags: ["exact-zero"])
      let one = 1.0
      let next = dtype == .float32 ? Double(Float(1).nextUp) : one.nextUp
      add([2], [one, next], array([next, one]), regime: .edge, tags: ["adjacent"])
      add([3], [1e10, -1e10, 1e-10], array([-1e10, 1e10, 0]), regime: .edge, tags: ["wide-range"])
    case .msle:
      add([2], [0, 0], array([0, 0]), regime: .edge, tags: ["yhat:zero", "y:zero"])
      add([2], [0, 0], array([0, 0]), LossParameters(eps: 0), regime: .edge, tags: ["yhat:zero", "y:zero"])
      add([2], [0, 1], array([1, 1]), LossParameters(eps: 0), regime: .edge, tags: ["yhat:zero"])
      add([2], [0, 1], array([1, 1]), regime: .edge, tags: ["yhat:zero"])
      add([2], [-0.5, 1], array([1, 1]), regime: .edge, tags: ["ratio:negative"])
      add([2], [1, 2], array([-0.5, 1]), regime: .edge, tags: ["ratio:negative"])
      add([2], [-2, 1], array([-3, 1]), regime: .edge, tags: ["both-negative"])
      add([2], [-e, 1], array([1, 1]), regime: .edge, tags: ["yhat:minus-eps"])
      add([3], [1e-30, 1e-20, 1], array([1, 1, 1e-30]), regime: .edge, tags: ["wide-range"])
    case .huberLoss:
      add([2], [1.5, -0.25], array([0.5, 0.75]), regime: .edge, tags: ["boundary:delta"])
      add([2], [0.75, 0.25], array([0.25, 0.75]), LossParameters(delta: 0.5), regime: .edge, tags: ["boundary:delta"])
      let below = dtype == .float32 ? Double(Float(1).nextDown) : Double(1).nextDown
      let above = dtype == .float32 ? Double(Float(1).nextUp) : Double(1).nextUp
      add([2], [below, above], array([0, 0]), regime: .edge, tags: ["boundary:delta"])
      add([2], [2, -2], array([2, -2]), regime: .edge, tags: ["exact-zero"])
      add(
        [3], [1e6, -1e6, 0.5], array([0, 0, 0]), LossParameters(delta: 1e-3), regime: .edge, tags: ["linear-branch"])
    case .crossentropy:
      buildLogEdges(zeroTargetTags: ["yhat:zero", "y:zero"])
      add([2, 2], [-0.5, 1.5, 0.3, 0.7], array([2, 2], [0, 1, 0.5, 0.5]), regime: .edge, tags: ["yhat:negative"])
      add([2, 2], [-e, 1, 0.5, 0.5], array([2, 2], [0, 1, 1, 0]), regime: .edge, tags: ["yhat:minus-eps"])
      add([2, 2], [-e, 1, 0.5, 0.5], array([2, 2], [1, 0, 1, 0]), regime: .edge, tags: ["yhat:minus-eps"])
      add([2, 2], [0.3, 0.7, 0.5, 0.5], array([2, 2], [-0.5, 1.5, 2, -1]), regime: .edge, tags: ["y:outside01"])
      add(
        [3, 4], randomYhat([3, 4]), array([3, 4], randomY([3, 4])),
        LossParameters(weight: .array(tensor([4], [1, 2, 3, 4]))),
        regime: .edge)
    case .kldivergence:
      buildLogEdges(zeroTargetTags: ["yhat:zero", "y:zero"])
      add([2, 2], [0.3, 0.7, 0.5, 0.5], array([2, 2], [0.3, 0.7, 0.5, 0.5]), regime: .edge, tags: ["equal"])
      add(
        [2, 2], [0.3, 0.7, 0.5, 0.5], array([2, 2], [0.3, 0.7, 0.5, 0.5]), LossParameters(eps: 0), regime: .edge,
        tags: ["equal"])
      add([2, 2], [0.3, 0.7, 0.5, 0.5], array([2, 2], [-0.5, 1.5, 0.5, 0.5]), regime: .edge, tags: ["y:negative"])
      add([2, 2], [-0.5, 1.5, 0.5, 0.5], array([2, 2], [0, 1, 0.5, 0.5]), regime: .edge, tags: ["yhat:negative"])
    case .logitcrossentropy:
      let large: [Double] = dtype == .float32 ? [100, -100, 1e4, -1e4] : [1e3, -1e3, 1e5, -1e5]
      add([2, 2], large, array([2, 2], [1, 0, 0, 1]), regime: .edge, tags: ["logits:large"])
      add([2, 2], large, array([2, 2], [0, 1, 1, 0]), regime: .edge, tags: ["logits:large"])
      add(
        [3, 2], [50, -50, 0, 88, 89, 90], array([3, 2], [0.2, 0.3, 0.5, 1, 0, 0]), regime: .edge, tags: ["logits:large"]
      )
      add([2, 2], [-.infinity, 1, 0.5, 0.5], array([2, 2], [0, 1, 1, 0]), regime: .edge, tags: ["logits:minus-inf"])
      add([2, 2], [-.infinity, 1, 0.5, 0.5], array([2, 2], [1, 0, 1, 0]), regime: .edge, tags: ["logits:minus-inf"])
      add([3, 2], [2, 2, 2, -1, -1, -1], array([3, 2], [1, 0, 0, 0, 0, 1]), regime: .edge, tags: ["logits:equal"])
      add([3, 2], randomYhat([3, 2]), array([3, 2], [0, 0, 0, 0, 0, 0]), regime: .edge, tags: ["y:zero"])
      add(
        [3, 4], randomYhat([3, 4]), array([3, 4], randomY([3, 4])),
        LossParameters(weight: .array(tensor([4], [1, 2, 3, 4]))),
        regime: .edge)
    case .binarycrossentropy:
      for (yhat, y) in [(0.0, 0.0), (0, 1), (1, 0), (1, 1)] as [(Double, Double)] {
        let tags = [yhat == 0 ? "yhat:zero" : "yhat:one", y == 0 ? "y:zero" : "y:one"]
        add([2], [yhat, 0.5], array([y, 1]), regime: .edge, tags: tags)
        add([2], [yhat, 0.5], array([y, 1]), LossParameters(eps: 0), regime: .edge, tags: tags)
      }
      add([2], [1.5, 0.5], array([1, 1]), regime: .edge, tags: ["yhat:outside01"])
      add([2], [-0.5, 0.5], array([0, 1]), regime: .edge, tags: ["yhat:outside01"])
      add([3], [0.3, 0.6, 0.9], array([2, -1, 0.5]), regime: .edge, tags: ["y:outside01"])
      add([3], [0.1, 0.2, 0.9], .scalar(1), regime: .edge, tags: ["y:label"])
      add([3], [1e-30, 1 - e, e], array([1, 0, 1]), regime: .edge, tags: ["near-boundary"])
    case .logitbinarycrossentropy:
      let large: [Double] = dtype == .float32 ? [100, -100, 1e4, -1e4] : [800, -800, 1e6, -1e6]
      add([4], large, array([1, 0, 0, 1]), regime: .edge, tags: ["logits:large"])
      add([4], large, array([0, 1, 1, 0]), regime: .edge, tags: ["logits:large"])
      add(
        [4], [.infinity, -.infinity, .infinity, -.infinity], array([1, 0, 0, 1]), regime: .edge, tags: ["logits:inf"])
      add([3], [0, 0, 0], array([0, 0.5, 1]), regime: .edge, tags: ["yhat:zero"])
      add([3], [30, -30, 17], array([0.25, 0.75, 2]), regime: .edge, tags: ["y:outside01"])
    case .poissonLoss:
      add([2], [0, 1], array([0, 1]), regime: .edge, tags: ["yhat:zero", "y:zero"])
      add([2], [0, 1], array([2, 1]), regime: .edge, tags: ["yhat:zero"])
      add([2], [-0.5, 1], array([0, 1]), regime: .edge, tags: ["yhat:negative"])
      add([2], [-0.5, 1], array([1, 1]), regime: .edge, tags: ["yhat:negative"])
      add([3], [0.5, 2, 4], array([0.25, 1.5, 3.5]), regime: .edge, tags: ["y:fractional"])
    case .hinge, .squaredHinge:
      add([3], [0.5, -0.25, 1], array([2, -4, 1]), regime: .edge, tags: ["boundary:margin", "exact-zero"])
      let below = dtype == .float32 ? Double(Float(1).nextDown) : Double(1).nextDown
      add([2], [below, 0.5], array([1, 2]), regime: .edge, tags: ["boundary:margin"])
      add([3], [0.5, -1, 2], array([0, 0, 0]), regime: .edge, tags: ["y:zero"])
      add([2], [.infinity, 1], array([0, 1]), regime: .edge, tags: ["special:inf-times-zero"])
      add([3], [3, -2, 0.1], array([0.5, 0.5, -10]), regime: .edge, tags: ["y:not-pm1"])
    case .diceCoeffLoss:
      add([3], [0, 0, 0], array([0, 0, 0]), LossParameters(smooth: 0), regime: .edge, tags: ["all-zero", "smooth:0"])
      add([3], [0, 0, 0], array([0, 0, 0]), regime: .edge, tags: ["all-zero"])
      add([3], [0.2, 0.5, 1], array([0.2, 0.5, 1]), regime: .edge, tags: ["equal"])
      add([3], [-0.5, 0.5, 2], array([1, -1, 0.5]), regime: .edge, tags: ["negative"])
      add([3], [0.1, 0.2, 0.9], .scalar(1), regime: .edge, tags: ["y:label"])
    case .tverskyLoss:
      add([3], [0, 0, 0], array([0, 0, 0]), regime: .edge, tags: ["all-zero"])
      add([3], [0.2, 0.5, 1], array([0.2, 0.5, 1]), regime: .edge, tags: ["equal"])
      add([4], [0.9, 0.1, 0.8, 0.3], array([1, 0, 0, 1]), LossParameters(beta: 0), regime: .edge, tags: ["beta:0"])
      add([4], [0.9, 0.1, 0.8, 0.3], array([1, 0, 0, 1]), LossParameters(beta: 1), regime: .edge, tags: ["beta:1"])
      add([3], [-0.5, 0.5, 2], array([1, -1, 0.5]), regime: .edge, tags: ["negative"])
    }
  }

  /// ŷ = 0 under `log(ŷ + ϵ)`, with and without ϵ, for zero and nonzero targets; a negative ŷ
  /// (DomainError, even where the target is 0: Flux evaluates the log first).
  private mutating func buildLogEdges(zeroTargetTags: [String]) {
    add([2, 2], [0, 1, 0.5, 0.5], array([2, 2], [0, 1, 0.5, 0.5]), regime: .edge, tags: zeroTargetTags)
    add(
      [2, 2], [0, 1, 0.5, 0.5], array([2, 2], [0, 1, 0.5, 0.5]), LossParameters(eps: 0), regime: .edge,
      tags: zeroTargetTags)
    add([2, 2], [0, 1, 0.5, 0.5], array([2, 2], [1, 0, 0.5, 0.5]), regime: .edge, tags: ["yhat:zero"])
    add(
      [2, 2], [0, 1, 0.5, 0.5], array([2, 2], [1, 0, 0.5, 0.5]), LossParameters(eps: 0), regime: .edge,
      tags: ["yhat:zero"])
    add([2, 2], [-0.5, 1.5, 0.3, 0.7], array([2, 2], [0, 1, 0.5, 0.5]), regime: .edge, tags: ["yhat:negative"])
    add(
      [2, 2], [0, 1, 0.5, 0.5], array([2, 2], [0, 1, 0.5, 0.5]), LossParameters(agg: Aggregation.none, eps: 0),
      regime: .edge, tags: zeroTargetTags)
  }

  // MARK: Extreme

  mutating func buildExtreme() {
    let m = maxFinite
    let tags = ["overflow-intermediate"]
    switch loss {
    case .mae:
      add([2], [0.9 * m, 0.9 * m], array([0, 0]), regime: .extreme, tags: tags)
      add([2], [0.6 * m, 0], array([-0.6 * m, 0]), regime: .extreme, tags: tags + ["difference-overflow"])
    case .mse:
      var yhat = [Double](repeating: 0, count: 64)
      yhat[5] = big
      add([64], yhat, array([Double](repeating: 0, count: 64)), regime: .extreme, tags: tags + ["square-overflow"])
      let d = 0.4 * m.squareRoot()
      add([2], [d, d], array([-d, -d]), regime: .extreme, tags: tags + ["sum-overflow"])
    case .msle:
      add([2], [0.9 * m, 1], array([0, 1]), regime: .extreme, tags: tags + ["ratio-overflow"])
      add([2], [0, 1], array([0.9 * m, 1]), regime: .extreme, tags: ["underflow-intermediate", "ratio-underflow"])
    case .huberLoss:
      add([2], [big, 0.5], array([0, 0]), regime: .extreme, tags: tags + ["square-overflow-untaken-branch"])
      add(
        [4], [0.5 * m, 0.5 * m, 0.5 * m, 0.5 * m], array([0, 0, 0, 0]), regime: .extreme, tags: tags + ["sum-overflow"])
    case .crossentropy:
      let y = 0.6 * m
      add(
        [3, 1], [1 / 2.718281828459045, 1 / 2.718281828459045, 1 / 2.718281828459045], array([3, 1], [y, y, -y]),
        LossParameters(eps: 0), regime: .extreme, tags: tags + ["sum-overflow"])
    case .kldivergence:
      let v = dtype == .float32 ? 3e36 : dtype == .float64 ? 2e305 : 0.01 * maxFinite
      add([2, 1], [v, v], array([2, 1], [v, v]), LossParameters(eps: 0), regime: .extreme, tags: tags + ["equal"])
    case .logitcrossentropy:
      add([2, 1], [0.9 * m, -0.9 * m], array([2, 1], [1, 0]), regime: .extreme, tags: tags + ["shift-overflow"])
      add(
        [2, 2], [0.9 * m, -0.9 * m, 1, 2], array([2, 2], [0.5, 0, 0.5, 0.5]), regime: .extreme,
        tags: tags + ["shift-overflow"])
    case .binarycrossentropy:
      break
    case .logitbinarycrossentropy:
      add([2], [0.9 * m, 0.9 * m], array([0, 0]), regime: .extreme, tags: tags + ["sum-overflow"])
    case .poissonLoss:
      add([2], [0.9 * m, 0.9 * m], array([0, 0]), regime: .extreme, tags: tags + ["sum-overflow"])
    case .hinge:
      add([2], [-0.9 * m, -0.9 * m], array([1, 1]), regime: .extreme, tags: tags + ["sum-overflow"])
    case .squaredHinge:
      var yhat = [Double](repeating: 1, count: 64)
      yhat[3] = -big
      add([64], yhat, array([Double](repeating: 1, count: 64)), regime: .extreme, tags: tags + ["square-overflow"])
    case .diceCoeffLoss:
      add([2], [big, big], array([big, big]), regime: .extreme, tags: tags + ["square-overflow"])
      add(
        [2], [tiny, tiny], array([tiny, tiny]), LossParameters(smooth: 0), regime: .extreme,
        tags: ["underflow-intermediate", "square-underflow"])
    case .tverskyLoss:
      add([2], [big, big], array([big, big]), regime: .extreme, tags: tags + ["product-overflow"])
    }
  }

  // MARK: Flux's shape rule and infinite logits

  /// Flux's `_check_sizes` (`src/losses/utils.jl`): `size(ŷ, d) == size(y, d)` for every `d` up
  /// to the larger rank. Accepted: shapes equal up to trailing dimensions of size 1, in both
  /// orders, computed elementwise (agg = none has the shape with more dimensions; the
  /// class-reducing losses reduce that shape). Rejected: shapes numpy and PyTorch broadcast
  /// silently, e.g. `(3,)` against `(1,)`, `(3, 1)` against `(1, 4)`.
  mutating func buildShapeRule() {
    let accepted: [([Int], [Int])] = [([3], [3, 1]), ([3, 1], [3]), ([2, 3], [2, 3, 1]), ([2, 3, 1], [2, 3])]
    for (a, b) in accepted {
      let terms = a.count >= b.count ? a : b
      add(a, randomYhat(terms), array(b, randomY(terms)), regime: .edge, tags: ["shape-trailing-one"])
    }
    if loss.takesAggregation {
      for (a, b) in [([3], [3, 1]), ([3, 1], [3]), ([2, 3], [2, 3, 1])] as [([Int], [Int])] {
        let terms = a.count >= b.count ? a : b
        add(
          a, randomYhat(terms), array(b, randomY(terms)), LossParameters(agg: Aggregation.none), regime: .edge,
          tags: ["shape-trailing-one"])
      }
      add(
        [3], randomYhat([3, 1]), array([3, 1], randomY([3, 1])), LossParameters(agg: .sum), regime: .edge,
        tags: ["shape-trailing-one"])
    }
    if loss.reducesOverDims {
      // dims beyond ŷ's rank but within y's: each element its own group, the result (3, 1).
      add(
        [3], randomYhat([3, 1]), array([3, 1], randomY([3, 1])), LossParameters(agg: Aggregation.none, dims: [2]),
        regime: .edge, tags: ["shape-trailing-one"])
    }
    let rejected: [([Int], [Int])] = [
      ([1, 4], [3, 4]), ([3, 4], [1, 4]), ([1], [3]), ([3], [1]), ([3, 1], [1, 4]),
    ]
    for (a, b) in rejected {
      add(a, randomYhat(a), array(b, randomY(b)), regime: .edge, tags: ["shape-broadcast-rejected"])
    }
  }

  /// logitcrossentropy with a +∞ maximum: NNlib's logsoftmax takes `x − m` as 0 for the +∞
  /// entries and −∞ for the others (`src/softmax.jl`), so `[∞, 0]` against `[0, 1]` is +∞,
  /// against `[1, 0]` NaN (`0·(−∞)`), and `k` entries +∞ get `−log k` each.
  mutating func buildInfiniteLogits() {
    guard loss == .logitcrossentropy else { return }
    let inf = Double.infinity
    let tags = ["logsoftmax-infinite-max"]
    add([2], [inf, 0], array([0, 1]), regime: .edge, tags: tags)
    add([2], [inf, 0], array([1, 0]), regime: .edge, tags: tags)
    add([2], [inf, inf], array([1, 0]), regime: .edge, tags: tags)
    add([4], [inf, inf, inf, inf], array([0.25, 0.25, 0.25, 0.25]), regime: .edge, tags: tags)
    add([3], [inf, -inf, 2], array([0.5, 0.25, 0.25]), regime: .edge, tags: tags)
    add([2, 3], [inf, inf, 0, 0, inf, inf], array([2, 3], [1, 0, 1, 0, 0, 1]), regime: .edge, tags: tags)
    add(
      [2, 2], [inf, 0, 1, 1], array([2, 2], [0, 1, 1, 0]), LossParameters(agg: Aggregation.none), regime: .edge,
      tags: tags)
    add(
      [2, 2], [inf, 0, 1, 1], array([2, 2], [0, 1, 1, 0]), LossParameters(agg: Aggregation.none, dims: [2]),
      regime: .edge, tags: tags)
    add(
      [2, 2], [inf, inf, inf, 0], array([2, 2], [1, 0, 0, 1]),
      LossParameters(agg: Aggregation.none, weight: .array(tensor([2], [2, 1]))), regime: .edge, tags: tags)
    add(
      [2, 2], [-inf, -inf, 0, 1], array([2, 2], [1, 0, 1, 0]), LossParameters(agg: .sum), regime: .edge, tags: tags)
  }
}
