import LossCore

/// Aggregation, dimensions, weights, concatenation, permutation, logit shifts.
extension Catalogue {
  static let structure: [Law] = [
    sumIsCountTimesMean,
    unreducedThenAggregated,
    batchConcatenation,
    permutationInvariance,
    dimsTransposition,
    dimsMerge,
    weightScaling,
    perClassWeights,
    logitShiftInvariance,
  ]

  /// The losses that take an `agg`.
  static let aggregatingLosses = LossID.allCases.filter(\.takesAggregation)

  /// The number of values a loss aggregates for an input: the elements, or the columns of
  /// `sum(…; dims)` for the class-reducing losses.
  static func aggregatedCount(_ input: LawInput, _ loss: LossID) -> Int {
    loss.reducesOverDims ? Reduction(Shape(input.shape), dims: Set(LossCases.dims(input))).output.count : input.count
  }

  static let sumIsCountTimesMean = Law(
    name: "sum-is-n-times-mean",
    category: .structure,
    losses: aggregatingLosses,
    statement: "L(ŷ, y; agg = sum) = n · L(ŷ, y; agg = mean), n the number of aggregated values "
      + "(elements, or columns of sum(…; dims))",
    tolerance: """
      the exact values satisfy S = n·M; the observed ones are each within their claimed error (½ ulp for \
      LossSpec), so |fl(S) − n·fl(M)| ≤ e(S) + n·e(M), with n·fl(M) formed exactly by an FMA residual; a sum \
      rounded to ±∞ requires n·|fl(M)| + n·e(M) to reach the largest finite value.
      """,
    generator: "natural inputs of the twelve aggregating losses (every dims option, weights, ϵ, δ), values over "
      + "the whole exponent range: sums that overflow the dtype while the mean does not are common",
    generate: LawKit.natural(aggregatingLosses, aggs: [.mean]),
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      var params = LossCases.parameters(input, loss)
      params.agg = .sum
      let s = try await probe.result(
        input.request(loss, yhat: input[field: "yhat"], y: input[field: "y"], params: params))
      params.agg = nil
      let m = try await probe.result(
        input.request(loss, yhat: input[field: "yhat"], y: input[field: "y"], params: params))
      let n = Double(aggregatedCount(input, loss))
      if s.values[0].isInfinite && m.values[0].isFinite {
        // fl(S) = ±∞: the exact S is beyond the largest finite value, so n·fl(M), within n·e(M), must
        // reach it (compared halved, exactly, so that n·fl(M) cannot overflow Double).
        let reach = (n * (m.values[0] / 2)).magnitude + n * m.errors[0] / 2
        let holds = reach >= FloatFacts.greatestFinite(input.dtype) / 2 && (s.values[0] > 0) == (m.values[0] > 0)
        return .judge(
          holds ? .exact : .differentClass,
          "\(loss.rawValue): sum = \(LawKit.show(s.values[0], input.dtype)) (beyond the largest finite value), "
            + "\(Int(n))·mean = \(LawKit.show(n * m.values[0], .float64))")
      }
      // Where n·fl(M) overflows Double although fl(M) is finite (fl(S) at the largest finite value,
      // fl(M) rounded up), both sides are compared halved: exact, and ulps scale with them.
      let scale = m.values[0].isFinite && !(n * m.values[0]).isFinite ? 0.5 : 1
      let mean = m.values[0] * scale
      let (p, e) = mean.isFinite ? FloatFacts.twoProduct(n, mean) : (n * mean, 0)
      let error = e.magnitude + (s.errors[0] + n * m.errors[0]) * scale
      let d = Compare.approximately(s.values[0] * scale, p, error: error, dtype: input.dtype)
      return .judge(
        d,
        "\(loss.rawValue): sum = \(LawKit.show(s.values[0], input.dtype)), \(Int(n))·mean = \(LawKit.show(p, .float64)) — \(LawKit.show(d))"
      )
    })

  static let unreducedThenAggregated = Law(
    name: "agg-none-then-aggregate",
    category: .structure,
    losses: aggregatingLosses,
    statement: "mean(L(ŷ, y; agg = none)) = L(ŷ, y; agg = mean) and sum(L(ŷ, y; agg = none)) = L(ŷ, y; agg = sum)",
    tolerance: """
      each unreduced value is within its claimed error e(aᵢ) of its exact value, so the exact Σ of the observed \
      array is within Σe(aᵢ) of the exact sum; the array is summed with a rigorous double-double bound and divided \
      by n (½ ulp of Double); plus the claimed error of the aggregated result.
      """,
    generator: "natural inputs of the twelve aggregating losses, agg mean or sum",
    generate: LawKit.natural(aggregatingLosses, aggs: [.mean, .sum]),
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let agg = LossCases.aggregation(input)
      var params = LossCases.parameters(input, loss)
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      let a = try await probe.result(input.request(loss, yhat: yhat, y: y, params: params))
      params.agg = Aggregation.none
      let e = try await probe.result(input.request(loss, yhat: yhat, y: y, params: params))
      let total = AccurateSum(e.values)
      let claimed = e.errors.reduce(0, +) * (1 + Double(e.count + 2) * 0x1p-52)
      var x = total.value
      var error = total.error + claimed
      if agg == .mean {
        x = total.value / Double(e.count)
        error = error / Double(e.count) * (1 + 0x1p-52) + Swift.max(x.magnitude.ulp / 2, .leastNonzeroMagnitude)
      }
      try LawKit.requireRepresentableParts(x, whole: a.values[0], input, "an unreduced value")
      let d = Compare.approximately(a.values[0], x, error: error + a.errors[0], dtype: input.dtype)
      return .judge(
        d,
        "\(loss.rawValue): agg = \(agg.rawValue) gives \(LawKit.show(a.values[0], input.dtype)), \(agg.rawValue) of the \(e.count) unreduced values \(LawKit.show(x, .float64)) — \(LawKit.show(d))"
      )
    })

  static let batchConcatenation = Law(
    name: "batch-concatenation",
    category: .structure,
    losses: aggregatingLosses,
    statement: "L(cat(A, B); agg = sum) = L(A; agg = sum) + L(B; agg = sum), and with agg = none the result of "
      + "the concatenation is the concatenation of the results (cat along the last dimension, not a class dimension)",
    tolerance: """
      sum: the exact values add, so |fl(S) − (fl(S_A) + fl(S_B))| ≤ e(S) + e(S_A) + e(S_B), the addition done \
      exactly by TwoSum; none: the same exact values, compared as identities.
      """,
    generator: "natural inputs of the twelve aggregating losses with a last dimension of at least 2, split at a "
      + "random index; class-reducing losses get rank ≥ 2 and dims that leave the last dimension out",
    generate: { r, seed in
      let loss = r.pick(aggregatingLosses)
      var shape = Gen.shape(&r, maxCount: 48)
      if loss.reducesOverDims && shape.count < 2 { shape.append(2) }
      if shape[shape.count - 1] < 2 { shape[shape.count - 1] = 2 }
      let allowed = LossCases.dimsOptions.indices.filter {
        (LossCases.parseDims(LossCases.dimsOptions[$0]).max() ?? 1) < shape.count
      }
      var input = LossCases.draw(
        &r, seed: seed, loss: loss, shape: shape, aggs: [.sum, .none], dimsChoices: allowed.isEmpty ? [0] : allowed)
      input.choices.insert(LawKit.lossChoice(loss, among: aggregatingLosses), at: 0)
      let last = shape[shape.count - 1]
      input.choices.append(Choice("split", r.int(0...(last - 2)), options: (1..<last).map { "at \($0)" }))
      return input
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      guard let last = input.shape.last, last >= 2 else { throw .discard("the last dimension has one slice") }
      if loss.reducesOverDims && (input.shape.count < 2 || LossCases.dims(input).contains(input.shape.count)) {
        throw .discard("the last dimension is reduced")
      }
      // A shrinking candidate may move agg to mean, which does not add over a split.
      guard LossCases.aggregation(input) != .mean else { throw .discard("agg = mean") }
      let k = Swift.min(input[choice: "split"] + 1, last - 1)
      let a = input.slicingLastDimension(0..<k)
      let b = input.slicingLastDimension(k..<last)
      let whole = try await probe.result(LossCases.request(input, loss))
      let left = try await probe.result(LossCases.request(a, loss))
      let right = try await probe.result(LossCases.request(b, loss))
      let dtype = input.dtype
      if LossCases.aggregation(input) == .none {
        let parts = left.values + right.values
        let errors = left.errors + right.errors
        let identical = probe.subject.accuracy == .correctlyRounded
        return LawKit.elementwise(
          whole.values, parts, "\(loss.rawValue): L(cat(A, B)) vs cat(L(A), L(B))", dtype: dtype
        ) {
          x, y, i in
          Compare.sameValue(x, y, dtype: dtype, identical: identical, errors: (whole.errors[i], errors[i]))
        }
      }
      let (sa, sb) = (left.values[0], right.values[0])
      let (s, e) = sa.isFinite && sb.isFinite ? FloatFacts.twoSum(sa, sb) : (sa + sb, 0)
      try LawKit.requireRepresentableParts(s, whole: whole.values[0], input, "a part")
      let d = Compare.approximately(
        whole.values[0], s, error: e.magnitude + whole.errors[0] + left.errors[0] + right.errors[0], dtype: dtype)
      return .judge(
        d,
        "\(loss.rawValue): L(cat(A, B)) = \(LawKit.show(whole.values[0], dtype)), L(A) + L(B) = \(LawKit.show(s, .float64)) — \(LawKit.show(d))"
      )
    })

  static let permutationInvariance = Law(
    name: "permutation-invariance",
    category: .structure,
    losses: LossID.allCases,
    statement: "L(πŷ, πy) = L(ŷ, y) for a permutation π of the elements (elementwise losses, dice, tversky) or of "
      + "the slices along one dimension (class-reducing losses: classes or samples, with their weights); with "
      + "agg = none the result is permuted alike",
    tolerance: "exact identity: the same exact value (sums are exact, so order is irrelevant), hence the same "
      + "correctly rounded result; any other implementation: within the claimed errors of both.",
    generator:
      "natural inputs of all fourteen losses; a random permutation of all elements or of one dimension's slices",
    generate: LawKit.natural(LossID.allCases) { r, input, loss in
      let options = ["all elements"] + (1...4).map { "dimension \($0)" }
      var axis = r.int(0...input.shape.count)
      if loss.reducesOverDims && axis == 0 { axis = r.int(1...Swift.max(1, input.shape.count)) }
      input.choices.append(Choice("permute", axis, options: options))
      input.numbers.append(Number("permutation", Double(r.next() >> 11), kind: .fixed))
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      guard input.count > 0 else { throw .discard("no elements") }
      var axis = input[choice: "permute"] - 1  // −1: all elements
      if loss.reducesOverDims && axis < 0 { axis = 0 }
      if axis >= input.shape.count { axis = input.shape.count - 1 }
      if axis < 0 && input.shape.isEmpty { throw .discard("a 0-dimensional array has one element") }
      let size = axis < 0 ? input.count : input.shape[axis]
      var random = SplitMix64(seed: UInt64(input[number: "permutation"] ?? 0))
      let pi = Array(0..<size).shuffled(using: &random)
      func permute(_ values: [Double], _ shape: [Int]) -> [Double] {
        axis < 0 ? pi.map { values[$0] } : Permutation.slices(values, shape: shape, axis: axis, pi)
      }
      var permuted = input
      for (f, field) in input.fields.enumerated() {
        switch field.extent {
        case .full: permuted.fields[f].values = permute(field.values, input.shape)
        case .classes where axis == 0: permuted.fields[f].values = pi.map { field.values[$0] }
        default: break
        }
      }
      let original = LossCases.request(input, loss)
      let moved = LossCases.request(permuted, loss)
      let a = await probe.evaluate(original)
      let b = await probe.evaluate(moved)
      // The expected result of the permuted input: the original result, permuted alike.
      var expected = a
      if case .value(.array(let t)) = a {
        let outShape = t.shape.dims
        let values: [Double]
        if axis < 0 {
          values = permute(t.values, outShape)
        } else if axis < outShape.count, outShape[axis] == size {
          values = Permutation.slices(t.values, shape: outShape, axis: axis, pi)
        } else {
          values = t.values
        }
        expected = .value(.array((try? Tensor(shape: t.shape, values: values)) ?? t))
      }
      let (d, detail) = LawKit.sameOutcome(b, expected, moved, original, probe: probe)
      let what = axis < 0 ? "all elements" : "dimension \(axis + 1)"
      return .judge(d, "\(loss.rawValue), permuting \(what): \(detail) — \(LawKit.show(d))")
    })

  static let dimsTransposition = Law(
    name: "dims-transposition",
    category: .structure,
    losses: [.crossentropy, .logitcrossentropy, .kldivergence],
    statement: "L(x, y; dims = 2) = L(xᵀ, yᵀ; dims = 1) for matrices, with weights transposed alike "
      + "(a per-class weight of shape (1, b) becomes (b,))",
    tolerance: "exact identity (the same sums over the same values): the same correctly rounded result.",
    generator: "a × b matrices (a, b ≤ 8) of natural inputs with classes along dimension 2; weights none, scalar, "
      + "per class or full; ϵ and agg as for the loss",
    generate: { r, seed in
      let losses: [LossID] = [.crossentropy, .logitcrossentropy, .kldivergence]
      let loss = r.pick(losses)
      let shape = [r.int(1...8), r.int(1...8)]
      var input = LossCases.draw(&r, seed: seed, loss: loss, shape: shape, dimsChoices: [1], weightChoices: [0])
      input.choices.insert(LawKit.lossChoice(loss, among: losses), at: 0)
      if loss != .kldivergence {
        let mode = r.weighted([(40, 0), (20, 1), (20, 2), (20, 3)])
        if let i = input.choices.firstIndex(where: { $0.name == "weight" }) { input.choices[i].value = mode }
        // Per class or full: a full-shape field (a per-class weight reads row 1).
        input.fields.append(
          Field("weight", (0..<input.count).map { _ in LossCases.weightValue(&r, input.dtype) }, kind: .positive))
      }
      return input
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      guard input.shape.count == 2 else { throw .discard("not a matrix") }
      let (a, b) = (input.shape[0], input.shape[1])
      func transpose(_ v: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: v.count)
        for i in 0..<a { for j in 0..<b { out[j + b * i] = v[i + a * j] } }
        return out
      }
      var p1 = LossCases.parameters(input, loss)
      p1.dims = [2]
      p1.weight = nil
      var p2 = p1
      p2.dims = nil
      let w = input[field: "weight"]
      switch input[choice: "weight"] {
      case 1:
        let c = input[number: "weight"] ?? 1
        p1.weight = .scalar(c)
        p2.weight = .scalar(c)
      case 2 where w.count == a * b:
        let row = (0..<b).map { w[a * $0] }
        p1.weight = (try? Tensor(shape: [1, b], values: row)).map { .array($0) }
        p2.weight = .array(Tensor(row))
      case 3 where w.count == a * b:
        p1.weight = (try? Tensor(shape: [a, b], values: w)).map { .array($0) }
        p2.weight = (try? Tensor(shape: [b, a], values: transpose(w))).map { .array($0) }
      default: break
      }
      let left = input.request(loss, yhat: input[field: "yhat"], y: input[field: "y"], params: p1)
      let right = input.request(
        loss, yhat: transpose(input[field: "yhat"]), y: transpose(input[field: "y"]), shape: [b, a], params: p2)
      return await probe.same(left, right, "\(loss.rawValue)(x; dims = 2) vs \(loss.rawValue)(xᵀ; dims = 1)")
    })

  static let dimsMerge = Law(
    name: "dims-merge",
    category: .structure,
    losses: [.crossentropy, .logitcrossentropy, .kldivergence],
    statement: "for x of shape (a, b, c): L(x; dims = [1, 2]) = L(reshape(x, a·b, c); dims = 1) and "
      + "L(x; dims = [2, 3]) = L(reshape(x, a, b·c); dims = 2) (column-major reshapes keep the order)",
    tolerance: "exact identity: the same correctly rounded result.",
    generator: "3-d arrays (each dimension 1–4) of natural inputs, classes over two dimensions; weights none, "
      + "scalar or full; ϵ and agg as for the loss",
    generate: { r, seed in
      let losses: [LossID] = [.crossentropy, .logitcrossentropy, .kldivergence]
      let loss = r.pick(losses)
      let shape = [r.int(1...4), r.int(1...4), r.int(1...4)]
      let merge = r.int(0...1)
      var input = LossCases.draw(
        &r, seed: seed, loss: loss, shape: shape, dimsChoices: [merge == 0 ? 2 : 4], weightChoices: [0, 1, 3])
      input.choices.insert(LawKit.lossChoice(loss, among: losses), at: 0)
      input.choices.append(Choice("merge", merge, options: ["dims 1, 2", "dims 2, 3"], shrinkable: false))
      return input
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      guard input.shape.count == 3 else { throw .discard("not a 3-d array") }
      let (a, b, c) = (input.shape[0], input.shape[1], input.shape[2])
      let firstTwo = input[choice: "merge"] == 0
      var p3 = LossCases.parameters(input, loss)
      p3.dims = firstTwo ? [1, 2] : [2, 3]
      var p2 = p3
      let merged = firstTwo ? [a * b, c] : [a, b * c]
      p2.dims = firstTwo ? nil : [2]
      if case .array(let t)? = p3.weight, t.shape.dims == input.shape {
        p2.weight = (try? Tensor(shape: Shape(merged), values: t.values)).map { .array($0) }
      }
      let left = input.request(loss, yhat: input[field: "yhat"], y: input[field: "y"], params: p3)
      let right = input.request(loss, yhat: input[field: "yhat"], y: input[field: "y"], shape: merged, params: p2)
      let dims = firstTwo ? "[1, 2]" : "[2, 3]"
      return await probe.same(left, right, "\(loss.rawValue)(x; dims = \(dims)) vs the reshaped \(Shape(merged))")
    })

  static let weightScaling = Law(
    name: "weight-scaling",
    category: .structure,
    losses: [.crossentropy, .logitcrossentropy],
    statement: "L(ŷ, y; weight = c) = c · L(ŷ, y) for a number c (converted to the dtype first)",
    tolerance: """
      c·L is formed exactly (FMA residual); |fl(L_c) − c·fl(L)| ≤ e(L_c) + |c|·e(L).
      """,
    generator: "natural crossentropy and logitcrossentropy inputs without weights; c a real over the whole "
      + "exponent range (0 and negative values included)",
    generate: LawKit.natural([.crossentropy, .logitcrossentropy], weights: false) { r, input, _ in
      input.numbers.append(Number("c", Gen.value(&r, input.dtype, .real), kind: .real))
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let c = input.dtype.round(input[number: "c"] ?? 1)
      var params = LossCases.parameters(input, loss)
      params.weight = nil
      let plain = try await probe.result(LossCases.request(input, loss).with(params))
      params.weight = .scalar(c)
      let weighted = try await probe.result(LossCases.request(input, loss).with(params))
      let dtype = input.dtype
      return LawKit.elementwise(
        weighted.values, plain.values.map { c * $0 }, "\(loss.rawValue): L(weight = c) vs c·L", dtype: dtype
      ) {
        _, _, i in
        let l = plain.values[i]
        let (p, e) = l.isFinite ? FloatFacts.twoProduct(c, l) : (c * l, 0)
        return Compare.approximately(
          weighted.values[i], p, error: e.magnitude + weighted.errors[i] + c.magnitude * plain.errors[i], dtype: dtype)
      }
    })

  static let perClassWeights = Law(
    name: "per-class-weights",
    category: .structure,
    losses: [.crossentropy, .logitcrossentropy],
    statement: "L(ŷ, y; weight = w) = L(ŷ, w ⊙ y) for positive weights w per class (shape (C,)) or per element: "
      + "the weight multiplies the target's term",
    tolerance: "exact identity when w ⊙ y is exact in the dtype (the generator cuts y's significand so it is): "
      + "the same correctly rounded result.",
    generator: "natural inputs with per-class or full positive weights (small dyadics, or any positive value); "
      + "targets cut to p − 6 significand bits",
    generate: LawKit.natural([.crossentropy, .logitcrossentropy], weights: true) { r, input, _ in
      if let i = input.choices.firstIndex(where: { $0.name == "weight" }) {
        input.choices[i].value = r.pick([2, 3])
        let classes = input.shape.first ?? 1
        input.fields.removeAll { $0.name == "weight" }
        if input.choices[i].value == 2 {
          input.fields.append(
            Field(
              "weight", (0..<classes).map { _ in LossCases.weightValue(&r, input.dtype) }, extent: .classes,
              kind: .positive))
        } else {
          input.fields.append(
            Field("weight", (0..<input.count).map { _ in LossCases.weightValue(&r, input.dtype) }, kind: .positive))
        }
      }
      input[field: "y"] = input[field: "y"].map { Gen.truncate($0, bits: input.dtype.significandBits - 6) }
    },
    check: { input, probe throws(LawError) in
      let loss = LawKit.loss(input)
      let params = LossCases.parameters(input, loss)
      guard params.weight != nil else { throw .discard("no weight") }
      let w = LawKit.weights(input, loss)
      let y = input[field: "y"]
      var wy: [Double] = []
      for i in 0..<y.count {
        guard w[i] > 0, let p = FloatFacts.exactProduct(w[i], y[i], input.dtype) else {
          throw .discard("w ⊙ y is not exact")
        }
        wy.append(p)
      }
      var unweighted = params
      unweighted.weight = nil
      let left = input.request(loss, yhat: input[field: "yhat"], y: y, params: params)
      let right = input.request(loss, yhat: input[field: "yhat"], y: wy, params: unweighted)
      return await probe.same(left, right, "\(loss.rawValue)(weight = w) vs \(loss.rawValue)(y = w ⊙ y)")
    })

  static let logitShiftInvariance = Law(
    name: "logit-shift-invariance",
    category: .structure,
    losses: [.logitcrossentropy],
    statement: "logitcrossentropy(x + c, y; dims) = logitcrossentropy(x, y; dims) for a constant c per column "
      + "(softmax is shift invariant; logsoftmax subtracts the column maximum first)",
    tolerance: "exact identity when x + c is exact (logits and shifts are integer multiples of a common power of "
      + "two, small enough): the same correctly rounded result.",
    generator: "logits k·2ᵍ with |k| < 2ᵖ⁻²: g from 50 to 90 (Float32) or 900 (Float64), differences beyond 10¹⁵, "
      + "or g from −30 to −2 with |x| ≤ 10³; shifts of the same grain; every dims option; targets probability "
      + "columns, labels or [0, 1]",
    generate: { r, seed in
      let dtype = Gen.dtype(&r)
      let shape = Gen.shape(&r)
      var input = LossCases.draw(
        &r, seed: seed, loss: .logitcrossentropy, dtype: dtype, shape: shape, weightChoices: [0, 1])
      let p = dtype.significandBits
      // Small grains keep every difference below 2·10³, large ones put every non-zero difference
      // beyond 10¹⁵ (see Gen.logits: LossSpec is too slow in between for a test budget).
      let large = r.chance(0.5)
      let g = large ? (dtype == .float32 ? r.int(50...90) : r.int(50...900)) : r.int(-30...(-2))
      let grain = Double(sign: .plus, exponent: g, significand: 1)
      let top = large ? 1 << (p - 2) : Swift.min(1 << (p - 2), Int(1e3 / grain))
      func draw(_ r: inout SplitMix64) -> Double {
        let k = r.weighted([
          (50, r.int(-16...16)), (30, r.int(-(1 << 12)...(1 << 12))), (20, r.int(-(top - 1)...(top - 1))),
        ])
        return Double(Swift.max(-(top - 1), Swift.min(top - 1, k))) * grain
      }
      input[field: "yhat"] = (0..<input.count).map { _ in draw(&r) }
      let columns = Gen.columns(shape, groupDims: LossCases.dims(input)).count
      input.fields.append(Field("shift", (0..<columns).map { _ in draw(&r) }, extent: .free, kind: .real))
      return input
    },
    check: { input, probe throws(LawError) in
      let x = input[field: "yhat"]
      let shifts = input[field: "shift"]
      guard !shifts.isEmpty else { throw .discard("no shifts") }
      let (column, _) = Gen.columns(input.shape, groupDims: LossCases.dims(input))
      var moved: [Double] = []
      for i in 0..<x.count {
        guard let s = FloatFacts.exactSum(x[i], shifts[column[i] % shifts.count], input.dtype) else {
          throw .discard("x + c is not exact")
        }
        moved.append(s)
      }
      let params = LossCases.parameters(input, .logitcrossentropy)
      let y = input[field: "y"]
      let left = input.request(.logitcrossentropy, yhat: moved, y: y, params: params)
      let right = input.request(.logitcrossentropy, yhat: x, y: y, params: params)
      return await probe.same(left, right, "logitcrossentropy(x + c) vs logitcrossentropy(x)")
    })
}

/// Permutations of the slices of one dimension of a column-major array.
enum Permutation {
  /// `values` of `shape` with slice `j` of dimension `axis` taken from slice `pi[j]`.
  static func slices(_ values: [Double], shape: [Int], axis: Int, _ pi: [Int]) -> [Double] {
    var stride = 1
    for k in 0..<axis { stride *= shape[k] }
    let size = shape[axis]
    guard size == pi.count else { return values }
    var out = values
    for linear in 0..<values.count {
      let j = (linear / stride) % size
      let source = linear + (pi[j] - j) * stride
      out[linear] = values[source]
    }
    return out
  }
}

extension LossRequest {
  /// This request with other parameters.
  func with(_ params: LossParameters) -> LossRequest {
    var copy = self
    copy.params = params
    return copy
  }
}

extension LawInput {
  /// The input restricted to the slices `range` of its last dimension (fields of the full shape
  /// are cut; per-class and free fields are kept).
  func slicingLastDimension(_ range: Range<Int>) -> LawInput {
    var copy = self
    guard let last = shape.last, last > 0 else { return copy }
    let slice = count / last
    copy.shape[shape.count - 1] = range.count
    for (f, field) in fields.enumerated() where field.extent == .full {
      copy.fields[f].values = Array(field.values[(range.lowerBound * slice)..<(range.upperBound * slice)])
    }
    return copy
  }
}
