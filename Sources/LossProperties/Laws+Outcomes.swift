import LossCore

/// Outcomes: NaN propagation, shape errors, domain errors, empty inputs.
extension Catalogue {
  static let outcomes: [Law] = [
    nanPropagates,
    shapeMismatchIsDimensionMismatch,
    negativeProbabilityIsDomainError,
    emptyInputs,
  ]

  /// Where a NaN at element `i` of `field` is masked by `xlogy(0, ·) = 0`: a NaN prediction whose
  /// target is 0, in crossentropy and kldivergence.
  static func nanIsMasked(_ loss: LossID, field: String, target: Double) -> Bool {
    field == "yhat" && (loss == .crossentropy || loss == .kldivergence) && target == 0
  }

  static let nanPropagates = Law(
    name: "nan-propagates",
    category: .outcome,
    losses: LossID.allCases,
    statement: "a NaN in ŷ or y makes the result NaN (the element, or its column, for agg = none), except where "
      + "xlogy masks it: a NaN prediction with target 0 in crossentropy and kldivergence leaves the value as if "
      + "the prediction were 0 (max(0, NaN) is NaN: Julia's max propagates it)",
    tolerance: "exact: outcome classes must match; unaffected values are identities.",
    generator: "natural inputs of all fourteen losses with one or two NaNs placed in ŷ or y (targets 0 and labels "
      + "included, so masking occurs)",
    generate: LawKit.natural(LossID.allCases) { r, input, _ in
      for _ in 0..<r.int(1...2) where input.count > 0 {
        let name = r.chance(0.6) ? "yhat" : "y"
        var values = input[field: name]
        values[r.int(0...(values.count - 1))] = .nan
        input[field: name] = values
      }
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      var poisoned: [Int] = []  // element indices whose NaN is not masked
      var any = false
      for i in 0..<yhat.count {
        if yhat[i].isNaN {
          any = true
          if y[i].isNaN || !nanIsMasked(loss, field: "yhat", target: y[i]) { poisoned.append(i) }
        }
        if y[i].isNaN {
          any = true
          poisoned.append(i)
        }
      }
      guard any else { throw .discard("no NaN") }
      let params = LossCases.parameters(input, loss)
      var cleanInput = input
      cleanInput[field: "yhat"] = yhat.map { $0.isNaN ? 0 : $0 }
      cleanInput[field: "y"] = y.map { $0.isNaN ? 0 : $0 }
      let observed = await probe.evaluate(input.request(loss, yhat: yhat, y: y, params: params))
      let clean = await probe.evaluate(LossCases.request(cleanInput, loss))
      guard case .value(let value) = observed else {
        return .fails(.differentClass, "\(loss.rawValue) gave \(Probe.describe(observed)) with a NaN input")
      }
      guard case .value(let reference) = clean else {
        throw .discard("the input without NaN is not valid: \(Probe.describe(clean))")
      }
      // Which result values a poisoned element reaches.
      var expectNaN = [Bool](repeating: false, count: value.values.count)
      if case .array = value {
        let outputOf: [Int] =
          loss.reducesOverDims
          ? Reduction(Shape(input.shape), dims: Set(LossCases.dims(input))).outputIndices() : Array(0..<input.count)
        for i in poisoned where i < outputOf.count && outputOf[i] < expectNaN.count { expectNaN[outputOf[i]] = true }
      } else if !poisoned.isEmpty {
        expectNaN = expectNaN.map { _ in true }
      }
      guard reference.values.count == value.values.count else {
        return .fails(.differentClass, "\(value.values.count) values with NaN, \(reference.values.count) without")
      }
      let identical = probe.subject.accuracy == .correctlyRounded
      var parts: [(Deviation, String)] = []
      let cleanErrors = probe.errors(of: reference.values, probe.log[probe.log.count - 1].request)
      let errors = probe.errors(of: value.values, probe.log[probe.log.count - 2].request)
      for (j, v) in value.values.enumerated() {
        let at = value.values.count > 1 ? " at \(j + 1)" : ""
        if expectNaN[j] {
          parts.append(
            (v.isNaN ? .exact : .differentClass, "\(loss.rawValue)\(at) = \(LawKit.show(v, input.dtype)), NaN due"))
        } else {
          let d = Compare.sameValue(
            v, reference.values[j], dtype: input.dtype, identical: identical, errors: (errors[j], cleanErrors[j]))
          parts.append(
            (
              d,
              "\(loss.rawValue)\(at) = \(LawKit.show(v, input.dtype)), as without the masked NaN \(LawKit.show(reference.values[j], input.dtype))"
            ))
        }
      }
      return .all(parts)
    })

  static let shapeMismatchIsDimensionMismatch = Law(
    name: "shape-mismatch-is-dimension-mismatch",
    category: .outcome,
    losses: LossID.allCases,
    statement: "y of another shape than ŷ (not a scalar) is a DimensionMismatch for every loss, and so is a weight "
      + "that does not broadcast against ŷ; the message names both shapes",
    tolerance: "exact: the outcome class and the shapes in the message.",
    generator: "natural inputs of all fourteen losses; y with one more element, transposed, or with an extra "
      + "dimension of 2; weights of C + 1 classes",
    generate: LawKit.natural(LossID.allCases) { r, input, loss in
      let variants = loss.acceptedParameters.contains(.weight) ? 4 : 3
      input.choices.append(
        Choice("mismatch", r.int(0...(variants - 1)), options: ["one more", "transposed", "extra dimension", "weight"]))
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      var variant = input[choice: "mismatch"]
      let shape = input.shape
      if variant == 1 && !(shape.count >= 2 && shape[0] != shape[1]) { variant = 0 }
      if variant == 3 && !loss.acceptedParameters.contains(.weight) { variant = 0 }
      var yShape = shape
      var weightShape: [Int]?
      switch variant {
      case 1: yShape.swapAt(0, 1)
      case 2: yShape.append(2)
      case 3: weightShape = [(shape.first ?? 1) + 1]
      default:
        if yShape.isEmpty { yShape = [2] } else { yShape[yShape.count - 1] += 1 }
      }
      let y = input[field: "y"]
      let count = yShape.reduce(1, *)
      let yValues = weightShape == nil ? (0..<count).map { y.isEmpty ? 0 : y[$0 % y.count] } : y
      var params = LossCases.parameters(input, loss)
      if let weightShape {
        params.weight = .array(
          (try? Tensor(shape: Shape(weightShape), values: [Double](repeating: 1, count: weightShape[0]))) ?? Tensor([1])
        )
      }
      let request = input.request(
        loss, yhat: input[field: "yhat"], y: yValues, yShape: weightShape == nil ? yShape : shape, params: params)
      let outcome = await probe.evaluate(request)
      let other = Shape(weightShape ?? yShape).description
      let mine = Shape(shape).description
      guard case .error(let e) = outcome, e.kind == .dimensionMismatch else {
        return .fails(
          .differentClass,
          "\(loss.rawValue) with ŷ \(mine) and \(weightShape == nil ? "y" : "weight") \(other) gave \(Probe.describe(outcome))"
        )
      }
      guard e.message.contains(mine), e.message.contains(other) else {
        return .fails(.differentClass, "the DimensionMismatch message does not name \(mine) and \(other): \(e.message)")
      }
      return .judge(.exact, "DimensionMismatch naming \(mine) and \(other)")
    })

  /// The losses with a logarithm whose argument can be negative.
  static let logarithmicLosses: [LossID] = [.crossentropy, .binarycrossentropy, .kldivergence, .poissonLoss, .msle]

  /// The sign of `a + b` (exactly).
  static func signOfSum(_ terms: [Double]) -> Double {
    let s = AccurateSum(terms).value
    return s == 0 ? 0 : (s > 0 ? 1 : -1)
  }

  static let negativeProbabilityIsDomainError = Law(
    name: "negative-probability-is-domain-error",
    category: .outcome,
    losses: logarithmicLosses,
    statement: "a negative argument of a logarithm is a DomainError (Julia throws): ŷ + ϵ < 0 in crossentropy and "
      + "kldivergence (and y < 0 in xlogx(y)), ŷ + ϵ < 0 or 1 − ŷ + ϵ < 0 in binarycrossentropy, ŷ < 0 in "
      + "poisson_loss (even where y = 0), a negative ratio (ŷ + ϵ)/(y + ϵ) in msle; at ŷ + ϵ = 0 exactly there is "
      + "no error",
    tolerance: "exact: the outcome class; the expectation is computed exactly from the input (signs of ŷ + ϵ by "
      + "error-free sums).",
    generator: "natural inputs of the five losses with one element placed at −ϵ − t (t = 0: the boundary ŷ + ϵ = 0; "
      + "one ulp; ½; 3), above 1 + ϵ for binarycrossentropy, at −0 or −t for poisson_loss, a negative target for "
      + "kldivergence",
    generate: LawKit.natural(logarithmicLosses) { r, input, loss in
      guard input.count > 0 else { return }
      let i = r.int(0...(input.count - 1))
      let eps = resolvedEpsilon(input)
      let t = r.pick([0, FloatFacts.ulp(eps, input.dtype), 0.5, 3, FloatFacts.leastNonzero(input.dtype)])
      var yhat = input[field: "yhat"]
      var y = input[field: "y"]
      switch loss {
      case .poissonLoss:
        yhat[i] = t == 0 ? -0.0 : -t
      case .binarycrossentropy where r.chance(0.5):
        yhat[i] = input.dtype.round(1 + eps + t)
      case .kldivergence where r.chance(0.3):
        y[i] = t == 0 ? -0.0 : -t
      default:
        yhat[i] = input.dtype.round(-eps - t)
      }
      input[field: "yhat"] = yhat
      input[field: "y"] = y
      for f in input.fields.indices where input.fields[f].name == "yhat" || input.fields[f].name == "y" {
        input.fields[f].kind = .real
      }
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let eps = resolvedEpsilon(input)
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      guard (yhat + y).allSatisfy(\.isFinite) else { throw .discard("non-finite values") }
      var domainError = false
      for i in 0..<yhat.count {
        let a = signOfSum([yhat[i], eps])
        switch loss {
        case .crossentropy: domainError = domainError || a < 0
        case .kldivergence: domainError = domainError || a < 0 || y[i] < 0
        case .binarycrossentropy: domainError = domainError || a < 0 || signOfSum([1, -yhat[i], eps]) < 0
        case .poissonLoss: domainError = domainError || yhat[i] < 0
        case .msle:
          let b = signOfSum([y[i], eps])
          domainError = domainError || (a < 0 && b >= 0) || (a > 0 && b < 0)
        default: break
        }
      }
      let outcome = await probe.evaluate(LossCases.request(input, loss))
      switch outcome {
      case .error(let e) where e.kind == .domainError:
        return domainError
          ? .judge(.exact, "DomainError, as due")
          : .fails(.differentClass, "\(loss.rawValue) gave DomainError (\(e.message)) where no argument is negative")
      case .value:
        return domainError
          ? .fails(
            .differentClass, "\(loss.rawValue) gave \(Probe.describe(outcome)) where a logarithm's argument is negative"
          )
          : .judge(.exact, "a value, as due (no negative argument)")
      default:
        return .fails(.differentClass, "\(loss.rawValue) gave \(Probe.describe(outcome))")
      }
    })

  static let emptyInputs = Law(
    name: "empty-inputs",
    category: .outcome,
    losses: LossID.allCases,
    statement: "for inputs with no elements: mean of nothing is NaN, sum of nothing is 0, none an empty array; a "
      + "class-reducing loss with empty classes but some columns gives 0 per column; dice is 1 − smooth/smooth "
      + "(0, NaN for smooth = 0), tversky 0",
    tolerance: "exact: the outcome class and value.",
    generator: "shapes with one zero dimension (rank 1 to 3), all fourteen losses with their parameters (no "
      + "per-element weights)",
    generate: { r, seed in
      let losses = LossID.allCases
      let loss = r.pick(losses)
      var shape = Gen.shape(&r, maxCount: 16, maxRank: 3)
      shape[r.int(0...(shape.count - 1))] = 0
      var input = LossCases.draw(&r, seed: seed, loss: loss, shape: shape, weightChoices: [0, 1])
      input.choices.insert(LawKit.lossChoice(loss, among: losses), at: 0)
      return input
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      guard input.count == 0 else { throw .discard("not empty") }
      let params = LossCases.parameters(input, loss)
      let outcome = await probe.evaluate(LossCases.request(input, loss))
      guard case .value(let value) = outcome else {
        return .fails(.differentClass, "\(loss.rawValue) on \(Shape(input.shape)) gave \(Probe.describe(outcome))")
      }
      var expected: [Double]
      switch loss {
      case .diceCoeffLoss: expected = [(params.smooth ?? 1) == 0 ? .nan : 0]
      case .tverskyLoss: expected = [0]
      default:
        let columns = aggregatedCount(input, loss)
        switch LossCases.aggregation(input) {
        case .mean: expected = [columns == 0 ? .nan : 0]
        case .sum: expected = [0]
        case .none: expected = [Double](repeating: 0, count: columns)
        }
      }
      guard expected.count == value.values.count else {
        return .fails(.differentClass, "\(value.values.count) values, \(expected.count) due")
      }
      var parts: [(Deviation, String)] = []
      for (j, v) in value.values.enumerated() {
        let ok = (v.isNaN && expected[j].isNaN) || v == expected[j]
        parts.append(
          (
            ok ? .exact : .differentClass,
            "\(loss.rawValue) on \(Shape(input.shape)) = \(LawKit.show(v, input.dtype)), \(LawKit.show(expected[j], input.dtype)) due"
          ))
      }
      return parts.isEmpty ? .judge(.exact, "empty result, as due") : .all(parts)
    })
}
