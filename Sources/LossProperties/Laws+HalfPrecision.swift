import LossCore

/// Half-precision laws (SEMANTICS.md, "Half precision"): what a Float16 or BFloat16 result must be
/// in terms of the same loss evaluated on the same values in Float64.
extension Catalogue {
  static let halfPrecision: [Law] = [halfPrecisionIsTheFloat64ValueRoundedOnce]

  /// The losses whose parameters a half request converts: ϵ defaults to the dtype's `eps`, β to
  /// `T(0.7)`; the Float64 request is given the converted values explicitly.
  static func float64Twin(_ request: LossRequest) -> LossRequest {
    var twin = request
    twin.dtype = .float64
    let dtype = request.dtype
    let accepted = request.loss.acceptedParameters
    var p = request.params
    if accepted.contains(.eps) { p.eps = dtype.round(p.eps ?? dtype.machineEpsilon) }
    if accepted.contains(.beta) { p.beta = dtype.round(p.beta ?? 0.7) }
    if let delta = p.delta { p.delta = dtype.round(delta) }
    if let smooth = p.smooth { p.smooth = dtype.round(smooth) }
    if case .scalar(let w)? = p.weight { p.weight = .scalar(dtype.round(w)) }
    twin.params = p
    return twin
  }

  static let halfPrecisionIsTheFloat64ValueRoundedOnce = Law(
    name: "half-precision-is-the-float64-value-rounded",
    category: .equivalence,
    losses: LossID.allCases,
    statement: "L_T(ŷ, y) = round_T(L_Float64(ŷ, y)) for T = Float16, BFloat16: on the same values (exact in T) "
      + "with the parameters converted to T, the half result is the Float64 result rounded to T (ties to even), "
      + "±∞ where that overflows T; the same error where the Float64 one errs",
    tolerance: """
      the exact value lies within ½ ulp of the Float64 result r₆₄, so its rounding to T is round_T of a point of \
      [r₆₄⁻, r₆₄⁺] (the Float64 neighbours): either of round_T(r₆₄⁻) and round_T(r₆₄⁺) is accepted (they differ \
      only where r₆₄ is within a Float64 ulp of a midpoint of T); ±0 compare equal. The Float64 value is \
      LossSpec's (the reference), the half one the subject's.
      """,
    generator: "natural inputs of every loss drawn in Float16 or BFloat16 (subnormals to the largest finite, "
      + "probability columns, labels), all dims and weight options, ϵ default/0/given, agg mean/sum/none",
    generate: LawKit.natural(LossID.allCases, dtypes: DType.halfPrecision),
    check: { input, probe throws(LawError) in
      let dtype = input.dtype
      let loss = LawKit.loss(input)
      let request = LossCases.request(input, loss)
      let half = await probe.evaluate(request)
      let wide = await probe.evaluate(float64Twin(request), on: probe.subject.reference)
      switch (half, wide) {
      case (.error(let e), .error(let f)):
        return .judge(
          e.kind == f.kind ? .exact : .differentClass,
          "\(dtype.rawValue): \(e.kind.rawValue), Float64: \(f.kind.rawValue)")
      case (.value(let h), .value(let w)):
        return LawKit.elementwise(h.values, w.values, "\(dtype.rawValue) vs round(Float64)", dtype: dtype) { r, x, _ in
          if r.isNaN || x.isNaN { return r.isNaN && x.isNaN ? .exact : .differentClass }
          let low = dtype.round(x.isFinite ? x.nextDown : x)
          let high = dtype.round(x.isFinite ? x.nextUp : x)
          if r == low || r == high { return .exact }
          let nearest = dtype.round(x)
          guard r.isFinite, nearest.isFinite else { return .differentClass }
          return Deviation(ulps: (r - nearest).magnitude / dtype.ulp(of: nearest), boundUlps: 0, holds: false)
        }
      default:
        return .fails(
          .differentClass, "\(dtype.rawValue): \(Probe.describe(half)), Float64: \(Probe.describe(wide))")
      }
    })
}
