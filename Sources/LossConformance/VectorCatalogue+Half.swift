import LossCore

/// The golden cases of the half-precision dtypes (SEMANTICS.md, "Half precision"): the benign
/// cases in every shape and aggregation, and the regimes where half precision breaks.
extension CatalogueBuilder {
  private func array(_ shape: [Int], _ values: [Double]) -> Target { .array(tensor(shape, values)) }

  private func array(_ values: [Double]) -> Target { .array(tensor([values.count], values)) }

  /// The Float16 or BFloat16 catalogue of one loss:
  ///
  /// - **benign**: random natural inputs in the shapes and aggregations of the Float32 catalogue,
  ///   with dims, weights and the loss's parameters;
  /// - **accumulation** (tag `half-accumulation`): 4096 to 16384 equal terms, whose sum an
  ///   accumulation in the dtype ruins (a Float16 running sum of 0.01s stops growing at 32,
  ///   where its spacing reaches 2⁻⁵);
  /// - **exp overflow** (tag `exp-overflow`): logits beyond 11.09 = log(65504), where `exp`
  ///   overflows Float16 (beyond 88.7 for BFloat16), although the loss is moderate;
  /// - **ϵ dominates** (tag `eps-dominates`): zeros and tiny values under the logarithms with the
  ///   default ϵ = 2⁻¹⁰ (2⁻⁷), which caps a cross-entropy term at −log(ϵ) = 6.93 (4.85);
  /// - **range** (tag `half-range`): squared errors about Float16's largest value 65504 (255² fits,
  ///   256² = 65536 rounds to ∞), a mean whose squares overflow while the mean does not, and
  ///   subnormal residuals whose squares underflow.
  mutating func buildHalfPrecision() {
    let aggregations: [Aggregation?] = loss.takesAggregation ? [nil, .sum, Aggregation.none] : [nil]
    for shape in [[5], [3, 4], [2, 3, 4], [64]] as [[Int]] {
      for agg in aggregations { addRandom(shape, LossParameters(agg: agg)) }
    }
    addRandom(loss.reducesOverDims ? [10, 30] : [300])
    buildHalfParameters()
    buildHalfAccumulation()
    buildHalfLogits()
    buildHalfEpsilon()
    buildHalfRange()
  }

  private mutating func buildHalfParameters() {
    switch loss {
    case .crossentropy, .logitcrossentropy, .kldivergence:
      addRandom([3, 4], LossParameters(dims: [2]))
      if loss.acceptedParameters.contains(.eps) { addRandom([3, 4], LossParameters(eps: 0)) }
      if loss != .kldivergence {
        addRandom([3, 4], LossParameters(weight: .array(tensor([3, 1], [0.5, 1, 2]))))
      }
    case .msle, .binarycrossentropy:
      addRandom([6], LossParameters(eps: 0x1p-5))
    case .huberLoss:
      addRandom([6], LossParameters(delta: 0.25))
      addRandom([6], LossParameters(delta: 100))
    case .diceCoeffLoss:
      addRandom([6], LossParameters(smooth: 0.5))
    case .tverskyLoss:
      addRandom([6], LossParameters(beta: 0.3))
    default:
      break
    }
  }

  private mutating func buildHalfAccumulation() {
    let tags = ["half-accumulation"]
    let rational: Set<LossID> = [.mae, .mse, .huberLoss, .hinge, .squaredHinge, .diceCoeffLoss, .tverskyLoss]
    // LossSpec settles many equal logarithms slowly: fewer elements for the losses with logs.
    let sizes = rational.contains(loss) ? [4096, 16384] : [4096]
    for n in sizes {
      let (yhat, y): (Double, Double)
      switch loss {
      case .mae, .mse, .huberLoss: (yhat, y) = (0.1, 0)
      case .msle: (yhat, y) = (1.1, 0.1)
      case .crossentropy, .kldivergence, .logitcrossentropy: (yhat, y) = (0.25, 0.25)
      case .binarycrossentropy: (yhat, y) = (0.3, 1)
      case .logitbinarycrossentropy, .poissonLoss: (yhat, y) = (0.7, 1)
      case .hinge, .squaredHinge, .diceCoeffLoss, .tverskyLoss: (yhat, y) = (0.3, 1)
      }
      let shape = loss.reducesOverDims ? [4, n / 4] : [n]
      let params = loss.takesAggregation ? LossParameters(agg: .sum) : LossParameters()
      add(
        shape, [Double](repeating: yhat, count: n), array(shape, [Double](repeating: y, count: n)), params,
        tags: tags)
    }
  }

  private mutating func buildHalfLogits() {
    let tags = ["exp-overflow"]
    // Beyond log(largest finite): 11.09 for Float16, 88.72 for BFloat16.
    let large: [Double] = dtype == .float16 ? [11.5, 12, 16, 30, 1000] : [90, 100, 1000, 1e5]
    switch loss {
    case .logitcrossentropy:
      for x in large {
        add([3, 1], [x, 0, -3], array([3, 1], [1, 0, 0]), regime: .extreme, tags: tags)
        add([3, 1], [x, 0, -3], array([3, 1], [0, 1, 0]), regime: .extreme, tags: tags)
      }
      add(
        [3, 2], [large[0], large[1], large[2], 1, 0, -1], array([3, 2], [0, 0, 1, 1, 0, 0]), regime: .extreme,
        tags: tags)
    case .logitbinarycrossentropy:
      for x in large {
        add([2], [x, -x], array([1, 0]), regime: .extreme, tags: tags)
        add([2], [x, -x], array([0, 1]), regime: .extreme, tags: tags)
      }
    default:
      break
    }
  }

  private mutating func buildHalfEpsilon() {
    let tags = ["eps-dominates"]
    let tiny = dtype.leastNonzeroMagnitude
    switch loss {
    case .crossentropy:
      add([3, 1], [0, 0.5, 0.5], array([3, 1], [1, 0, 0]), regime: .edge, tags: tags)
      add([3, 1], [tiny, 0x1p-12, 1], array([3, 1], [0.5, 0.5, 0]), regime: .edge, tags: tags)
    case .kldivergence:
      add([3, 1], [0, 0.5, 0.5], array([3, 1], [0.25, 0.5, 0.25]), regime: .edge, tags: tags)
      add([2, 1], [0x1p-12, 1], array([2, 1], [0x1p-12, 1]), regime: .edge, tags: tags)
    case .binarycrossentropy:
      add([4], [0, 1, tiny, 0.999], array([1, 0, 1, 0]), regime: .edge, tags: tags)
    case .msle:
      add([3], [0, tiny, 0x1p-12], array([1, 0, 0]), regime: .edge, tags: tags)
    case .poissonLoss:
      add([3], [0, tiny, 0x1p-12], array([1, 2, 0.5]), regime: .edge, tags: ["log-pole"])
    default:
      break
    }
  }

  private mutating func buildHalfRange() {
    let tags = ["half-range"]
    let m = maxFinite
    switch loss {
    case .mse, .huberLoss, .squaredHinge:
      if dtype == .float16 {
        // 255² = 65025 fits, 256² = 65536 rounds to ∞; the mean of 300² and 0² is 45000 although
        // 300² overflows.
        for r in [255.0, 256, 300] {
          let params = loss == .huberLoss ? LossParameters(delta: 1000) : LossParameters()
          let (yhat, y): ([Double], [Double]) = loss == .squaredHinge ? ([-(r - 1), 1], [1, 1]) : ([r, 0], [0, 0])
          add([2], yhat, array(y), params, regime: .extreme, tags: tags)
        }
      } else {
        let r = (0.6 * m).squareRoot()
        add([2], [r, 0], array([0, 0]), regime: .extreme, tags: tags)
      }
      // Subnormal residuals: their squares underflow the dtype.
      let s = dtype.leastNonzeroMagnitude
      add([3], [s, 64 * s, 4096 * s], array([0, 0, 0]), regime: .edge, tags: tags + ["subnormal"])
    case .mae, .hinge:
      let s = dtype.leastNonzeroMagnitude
      add([3], [s, 3 * s, -s], array([0, s, s]), regime: .edge, tags: tags + ["subnormal"])
      // A difference (or margin) beyond the range while the mean is not.
      if loss == .mae {
        add([2], [0.75 * m, 0.75 * m], array([-0.5 * m, 0.5 * m]), regime: .extreme, tags: tags)
      } else {
        add([2], [-0.75 * m, 0.75 * m], array([1.5, 1]), regime: .extreme, tags: tags)
      }
    case .diceCoeffLoss, .tverskyLoss:
      let big = dtype == .float16 ? 200.0 : 1e19
      add([3], [big, big, 1], array([big, 1, big]), regime: .extreme, tags: tags)
    default:
      break
    }
  }
}
