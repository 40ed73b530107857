import LossCore

/// Symmetries and scalings.
extension Catalogue {
  static let symmetries: [Law] = [
    symmetric(.mse), symmetric(.mae), symmetric(.huberLoss), symmetric(.msle),
    scaling(.mse), scaling(.mae),
    msleScaleInvariance,
    binarycrossentropyLabelFlip,
    logitbinarycrossentropyLabelFlip,
  ]

  /// `L(ŷ, y) = L(y, ŷ)`.
  static func symmetric(_ loss: LossID) -> Law {
    Law(
      name: "\(loss.rawValue)-symmetry",
      category: .symmetry,
      losses: [loss],
      statement: "\(loss.rawValue)(ŷ, y) = \(loss.rawValue)(y, ŷ) (with the same parameters, every agg)",
      tolerance: "exact identity: the same exact value, so the same correctly rounded result.",
      generator:
        "natural \(loss.rawValue) inputs: values over the whole exponent range, perfect fits and one-ulp misses"
        + (loss == .huberLoss ? ", δ on the boundary |ŷ − y| = δ" : ""),
      generate: LawKit.natural([loss]),
      check: { input, probe throws(LawError) in
        let params = LossCases.parameters(input, loss)
        let a = input.request(loss, yhat: input[field: "yhat"], y: input[field: "y"], params: params)
        let b = input.request(loss, yhat: input[field: "y"], y: input[field: "yhat"], params: params)
        return await probe.same(a, b, "\(loss.rawValue)(ŷ, y) vs \(loss.rawValue)(y, ŷ)")
      })
  }

  /// `L(c·ŷ, c·y) = |c|^q · L(ŷ, y)`, `q = 2` for mse and 1 for mae, with the inputs rounded.
  static func scaling(_ loss: LossID) -> Law {
    let q = loss == .mse ? 2 : 1
    let power = q == 2 ? "c²" : "|c|"
    return Law(
      name: "\(loss.rawValue)-scaling",
      category: .symmetry,
      losses: [loss],
      statement: "\(loss.rawValue)(fl(c·ŷ), fl(c·y)) = \(power) · \(loss.rawValue)(ŷ, y) up to the rounding of the "
        + "scaled inputs (exactly for c a power of two in range)",
      tolerance: """
        the scaled inputs are rounded: fl(c·ŷᵢ) − fl(c·yᵢ) = c·dᵢ + ηᵢ with |ηᵢ| ≤ hᵢ = ½ulp(fl(c·ŷᵢ)) + ½ulp(fl(c·yᵢ)) \
        (0 when exact). Per element the term moves by at most \(q == 2 ? "hᵢ·(2|aᵢ| + hᵢ), aᵢ the scaled difference" : "hᵢ"); \
        aggregated like the loss. Plus e(L′) + \(power)·e(L), and the exact product \(power)·fl(L) by FMA residual \
        (c is cut to 26 bits so c² is exact).
        """,
      generator: "natural \(loss.rawValue) inputs; c a power of two (40%) or a real cut to 12–26 bits over a wide "
        + "range; cases whose scaled inputs overflow are discarded",
      generate: LawKit.natural([loss]) { r, input, _ in
        let c: Double =
          r.chance(0.4)
          ? Double(sign: r.chance(0.3) ? .minus : .plus, exponent: r.int(-40...40), significand: 1)
          : Gen.truncate(Gen.value(&r, .float32, .real), bits: r.int(1...26))
        input.numbers.append(Number("c", c == 0 ? 3 : c, kind: .real))
      },
      check: { input, probe throws(LawError) in
        let dtype = input.dtype
        let c = Gen.truncate(dtype.round(input[number: "c"] ?? 1), bits: 26)
        let yhat = input[field: "yhat"]
        let y = input[field: "y"]
        let sy = yhat.map { dtype.round(c * $0) }
        let sx = y.map { dtype.round(c * $0) }
        guard (sy + sx).allSatisfy(\.isFinite) else { throw .discard("a scaled input overflows") }
        var perElement: [Double] = []
        for i in 0..<yhat.count {
          // Exact products leave no FMA residual (far from the subnormals, where ulp/2 is counted anyway).
          func rounding(_ s: Double, _ x: Double) -> Double {
            (-s).addingProduct(c, x) == 0 && s.magnitude > 0x1p-960 ? 0 : FloatFacts.halfUlp(s, dtype)
          }
          let h = rounding(sy[i], yhat[i]) + rounding(sx[i], y[i])
          let a = (sy[i] - sx[i]).magnitude
          perElement.append((q == 2 ? h * (2 * a + h) : h) * (1 + 0x1p-50))
        }
        let params = LossCases.parameters(input, loss)
        let agg = LossCases.aggregation(input)
        let bounds = LawKit.aggregate(perElement, agg)
        let scaled = try await probe.result(input.request(loss, yhat: sy, y: sx, params: params))
        let plain = try await probe.result(input.request(loss, yhat: yhat, y: y, params: params))
        let factor = q == 2 ? c * c : c.magnitude
        if factor < 1 && plain.values.contains(where: \.isInfinite) {
          throw .discard("L(ŷ, y) overflows, so c·L cannot be predicted for |c| < 1")
        }
        if plain.values.contains(where: \.isInfinite) && bounds.contains(where: { $0 != 0 }) {
          // Rounded scaled inputs: their difference may collapse (fl(c·ŷ) = fl(c·y)), and the bound of
          // that change is itself beyond the range.
          throw .discard("L(ŷ, y) overflows and the scaled inputs are rounded")
        }
        return LawKit.elementwise(
          scaled.values, plain.values.map { factor * $0 },
          "\(loss.rawValue)(c·ŷ, c·y) vs \(power)·\(loss.rawValue)(ŷ, y)", dtype: dtype
        ) {
          _, _, i in
          let l = plain.values[i]
          let (p, e) = l.isFinite ? FloatFacts.twoProduct(factor, l) : (factor * l, 0)
          let error = e.magnitude + bounds[Swift.min(i, bounds.count - 1)] + scaled.errors[i] + factor * plain.errors[i]
          return Compare.approximately(scaled.values[i], p, error: error, dtype: dtype)
        }
      })
  }

  static let msleScaleInvariance = Law(
    name: "msle-scale-invariance",
    category: .symmetry,
    losses: [.msle],
    statement: "msle(2ᵏŷ, 2ᵏy; ϵ = 2ᵏϵ) = msle(ŷ, y; ϵ): a logarithm of a ratio does not see a common scale",
    tolerance: "exact identity when the scaled values are exact (checked): the same correctly rounded result.",
    generator: "natural msle inputs (non-negative, whole exponent range, near fits); k from −60 to 60; ϵ default, "
      + "0 or given",
    generate: LawKit.natural([.msle]) { r, input, _ in
      input.numbers.append(Number("k", Double(r.int(-60...60)), kind: .fixed))
    },
    check: { input, probe throws(LawError) in
      let dtype = input.dtype
      let k = Int(input[number: "k"] ?? 1)
      let scale = Double(sign: .plus, exponent: k, significand: 1)
      func scaled(_ x: Double) throws(LawError) -> Double {
        let s = dtype.round(x * scale)
        guard s.isFinite, s / scale == x, dtype.represents(s) else { throw .discard("a scaled value is not exact") }
        return s
      }
      let eps = resolvedEpsilon(input)
      var params = LossCases.parameters(input, .msle)
      params.eps = eps
      var scaledParams = params
      scaledParams.eps = try scaled(eps)
      let yhat = input[field: "yhat"]
      let y = input[field: "y"]
      var sy: [Double] = []
      var sx: [Double] = []
      for i in 0..<yhat.count {
        sy.append(try scaled(yhat[i]))
        sx.append(try scaled(y[i]))
      }
      let a = input.request(.msle, yhat: sy, y: sx, params: scaledParams)
      let b = input.request(.msle, yhat: yhat, y: y, params: params)
      return await probe.same(a, b, "msle(2^\(k)·ŷ, 2^\(k)·y; 2^\(k)·ϵ) vs msle(ŷ, y; ϵ)")
    })

  static let binarycrossentropyLabelFlip = Law(
    name: "binarycrossentropy-label-flip",
    category: .symmetry,
    losses: [.binarycrossentropy],
    statement: "binarycrossentropy(ŷ, y; ϵ) = binarycrossentropy(1 − ŷ, 1 − y; ϵ)",
    tolerance: "exact identity when 1 − ŷ and 1 − y are exact (the generator makes them so): the same correctly "
      + "rounded result.",
    generator: "ŷ in [0, 1] with 0, 1, tiny and 1 − tiny values; 0/1 labels or targets in [0, 1]; ϵ default, 0 "
      + "or given; agg mean/sum/none",
    generate: LawKit.natural([.binarycrossentropy]) { _, input, _ in
      input[field: "yhat"] = input[field: "yhat"].map { LawKit.complementable($0, input.dtype) }
      input[field: "y"] = input[field: "y"].map { LawKit.complementable($0, input.dtype) }
    },
    check: { input, probe throws(LawError) in
      let dtype = input.dtype
      func flipped(_ xs: [Double]) throws(LawError) -> [Double] {
        var out: [Double] = []
        for x in xs {
          guard let v = FloatFacts.exactSum(1, -x, dtype) else { throw .discard("1 − x is not exact") }
          out.append(v)
        }
        return out
      }
      let params = LossCases.parameters(input, .binarycrossentropy)
      let a = input.request(.binarycrossentropy, yhat: input[field: "yhat"], y: input[field: "y"], params: params)
      let b = input.request(
        .binarycrossentropy, yhat: try flipped(input[field: "yhat"]), y: try flipped(input[field: "y"]), params: params)
      return await probe.same(a, b, "binarycrossentropy(ŷ, y) vs binarycrossentropy(1 − ŷ, 1 − y)")
    })

  static let logitbinarycrossentropyLabelFlip = Law(
    name: "logitbinarycrossentropy-label-flip",
    category: .symmetry,
    losses: [.logitbinarycrossentropy],
    statement: "logitbinarycrossentropy(x, y) = logitbinarycrossentropy(−x, 1 − y) "
      + "((1 − y)x − logσ(x) = y(−x) − logσ(−x) since logσ(x) − logσ(−x) = x)",
    tolerance: "exact identity when 1 − y is exact (the generator makes it so): the same correctly rounded result.",
    generator: "natural logitbinarycrossentropy inputs: logits up to 10³⁰, 0/1 labels or targets in [0, 1]",
    generate: LawKit.natural([.logitbinarycrossentropy]) { _, input, _ in
      input[field: "y"] = input[field: "y"].map { LawKit.complementable($0, input.dtype) }
    },
    check: { input, probe throws(LawError) in
      let dtype = input.dtype
      var flippedY: [Double] = []
      for y in input[field: "y"] {
        guard let v = FloatFacts.exactSum(1, -y, dtype) else { throw .discard("1 − y is not exact") }
        flippedY.append(v)
      }
      let params = LossCases.parameters(input, .logitbinarycrossentropy)
      let x = input[field: "yhat"]
      let a = input.request(.logitbinarycrossentropy, yhat: x, y: input[field: "y"], params: params)
      let b = input.request(.logitbinarycrossentropy, yhat: x.map { -$0 }, y: flippedY, params: params)
      return await probe.same(a, b, "logitbinarycrossentropy(x, y) vs logitbinarycrossentropy(−x, 1 − y)")
    })
}
