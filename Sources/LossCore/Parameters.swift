/// How the elementwise losses (or the per-sample sums of the class-reducing losses) are combined:
/// Flux's `agg` keyword.
public enum Aggregation: String, CaseIterable, Sendable, Hashable, Codable {
  /// `mean`, the default: the sum divided by the number of elements reduced (NaN for none).
  case mean
  /// `sum` (0 for no elements).
  case sum
  /// Flux's `agg = identity`: the unreduced array is the result.
  case none
}

/// A `weight`: a number, or an array broadcast against `ŷ` by Julia's rule.
public enum Weight: Sendable, Hashable {
  case scalar(Double)
  case array(Tensor)
}

/// The parameters of a loss as given by a caller; `nil` means "absent: use Flux's default".
public struct LossParameters: Sendable, Hashable {
  public var agg: Aggregation?
  /// Flux's `ϵ`.
  public var eps: Double?
  /// 1-based dimensions; Flux's default is `dims = 1`.
  public var dims: [Int]?
  public var weight: Weight?
  /// Flux's `δ` of `huber_loss`.
  public var delta: Double?
  public var smooth: Double?
  /// Flux's `β` of `tversky_loss`.
  public var beta: Double?

  public init(
    agg: Aggregation? = nil, eps: Double? = nil, dims: [Int]? = nil, weight: Weight? = nil,
    delta: Double? = nil, smooth: Double? = nil, beta: Double? = nil
  ) {
    self.agg = agg
    self.eps = eps
    self.dims = dims
    self.weight = weight
    self.delta = delta
    self.smooth = smooth
    self.beta = beta
  }

  /// The names of the parameters that are present.
  public var present: Set<ParameterName> {
    var names: Set<ParameterName> = []
    if agg != nil { names.insert(.agg) }
    if eps != nil { names.insert(.eps) }
    if dims != nil { names.insert(.dims) }
    if weight != nil { names.insert(.weight) }
    if delta != nil { names.insert(.delta) }
    if smooth != nil { names.insert(.smooth) }
    if beta != nil { names.insert(.beta) }
    return names
  }
}

/// Parameters with Flux's defaults applied, converted to the element type (as Flux's `ofeltype`
/// does) and validated. Every implementation evaluates a loss from these.
public struct ResolvedParameters: Sendable, Hashable {
  /// The loss with the one scalar parameter it takes: what implementations dispatch on.
  public var loss: ResolvedLoss
  public var agg: Aggregation
  /// `ϵ` in the element type; default `eps(T)`.
  public var eps: Double
  /// The 1-based dimensions reduced by the class-reducing losses; default `[1]`.
  public var dims: Set<Int>
  /// `nil` is Flux's `weight = nothing` (acts as 1).
  public var weight: Weight?
  /// `δ` in the element type; default 1.
  public var delta: Double
  /// `smooth` in the element type; default 1.
  public var smooth: Double
  /// `β` in the element type; default `T(0.7)`.
  public var beta: Double
}

/// The rules of the parameters, in one place: Flux's defaults, the conversion to the element type
/// and each parameter's domain, with the error messages every implementation reports.
/// ``LossParameters/resolved(for:dtype:yhatShape:)`` applies them to a request, and LossFast's
/// typed functions to their arguments (values already of the element type, which convert exactly;
/// inlinable, so they are optimized with LossFast's call path).
@usableFromInline package enum ParameterRule {
  /// `value` (`nil`: `fallback`) converted to `dtype`; ArgumentError naming the parameter for a
  /// non-finite value or one that overflows the dtype.
  @inlinable static func scalar(_ value: Double?, _ name: String, default fallback: Double, dtype: DType)
    throws(LossError)
    -> Double
  {
    guard let value else { return dtype.round(fallback) }
    guard value.isFinite else {
      throw .argumentError("\(name) must be finite, got \(value)")
    }
    let converted = dtype.round(value)
    guard converted.isFinite else {
      throw .argumentError("\(name) = \(value) overflows \(dtype.rawValue)")
    }
    return converted
  }

  /// Flux's `ϵ`: default `eps(T)`, ≥ 0; −0 becomes 0 (so ŷ + ϵ never becomes −0 through ϵ).
  @inlinable package static func eps(_ value: Double?, dtype: DType) throws(LossError) -> Double {
    let eps = try scalar(value, "eps", default: dtype.machineEpsilon, dtype: dtype)
    guard eps >= 0 else { throw .argumentError("eps must be ≥ 0, got \(eps)") }
    return eps == 0 ? 0 : eps
  }

  /// huber_loss's `δ`: default 1, > 0.
  @inlinable package static func delta(_ value: Double?, dtype: DType) throws(LossError) -> Double {
    let delta = try scalar(value, "delta", default: 1, dtype: dtype)
    guard delta > 0 else { throw .argumentError("delta must be > 0, got \(delta)") }
    return delta
  }

  /// dice_coeff_loss's `smooth`: default 1, ≥ 0.
  @inlinable package static func smooth(_ value: Double?, dtype: DType) throws(LossError) -> Double {
    let smooth = try scalar(value, "smooth", default: 1, dtype: dtype)
    guard smooth >= 0 else { throw .argumentError("smooth must be ≥ 0, got \(smooth)") }
    return smooth
  }

  /// tversky_loss's `β`: default `T(0.7)`, in [0, 1].
  @inlinable package static func beta(_ value: Double?, dtype: DType) throws(LossError) -> Double {
    let beta = try scalar(value, "beta", default: 0.7, dtype: dtype)
    guard beta >= 0 && beta <= 1 else {
      throw .argumentError("beta must lie in [0, 1], got \(beta)")
    }
    return beta
  }

  /// `dims`: 1-based, every entry ≥ 1.
  @inlinable package static func dims(_ dims: [Int]) throws(LossError) {
    for d in dims where d < 1 {
      throw .argumentError("dims are 1-based and must be ≥ 1, got \(d) in \(dims)")
    }
  }

  /// A scalar `weight` converted to `dtype` (finite).
  package static func weight(_ value: Double, dtype: DType) throws(LossError) -> Double {
    try scalar(value, "weight", default: 1, dtype: dtype)
  }

  /// Element `index` (0-based; the message counts from 1) of a weight array converted to `dtype`
  /// (finite).
  package static func weight(_ value: Double, at index: Int, dtype: DType) throws(LossError) -> Double {
    guard value.isFinite else { throw .argumentError("weight[\(index + 1)] must be finite, got \(value)") }
    let converted = dtype.round(value)
    guard converted.isFinite else {
      throw .argumentError("weight[\(index + 1)] = \(value) overflows \(dtype.rawValue)")
    }
    return converted
  }

  /// A weight array must broadcast against ŷ (Julia's rule); DimensionMismatch naming both shapes.
  package static func weight(shape: Shape, broadcastsTo yhatShape: Shape) throws(LossError) {
    guard shape.broadcasts(to: yhatShape) else {
      throw .dimensionMismatch("weight of shape \(shape) does not broadcast against ŷ of shape \(yhatShape)")
    }
  }
}

extension LossParameters {
  /// Applies the defaults of `loss`, converts every scalar to `dtype` and validates.
  ///
  /// - Throws: `ArgumentError` naming the parameter for a parameter the loss does not take, a
  ///   value outside its domain (`eps < 0`, `delta ≤ 0`, `smooth < 0`, `beta ∉ [0, 1]`, a
  ///   `dims` entry below 1, a non-finite parameter); `DimensionMismatch` naming both shapes for
  ///   a weight array that does not broadcast against `ŷ`.
  public func resolved(for loss: LossID, dtype: DType, yhatShape: Shape) throws(LossError)
    -> ResolvedParameters
  {
    let unexpected = present.subtracting(loss.acceptedParameters)
    if let name = unexpected.sorted().first {
      let accepted = loss.acceptedParameters.sorted().map(\.rawValue).joined(separator: ", ")
      throw .argumentError(
        "\(loss.rawValue) does not take the parameter '\(name.rawValue)' (it takes: \(accepted.isEmpty ? "none" : accepted))"
      )
    }
    let eps = try ParameterRule.eps(self.eps, dtype: dtype)
    let delta = try ParameterRule.delta(self.delta, dtype: dtype)
    let smooth = try ParameterRule.smooth(self.smooth, dtype: dtype)
    let beta = try ParameterRule.beta(self.beta, dtype: dtype)
    var dimSet: Set<Int> = [1]
    if let dims {
      try ParameterRule.dims(dims)
      dimSet = Set(dims)
    }
    var weight = self.weight
    switch weight {
    case .scalar(let w):
      weight = .scalar(try ParameterRule.weight(w, dtype: dtype))
    case .array(let w):
      try ParameterRule.weight(shape: w.shape, broadcastsTo: yhatShape)
      var converted = w
      for (i, v) in w.values.enumerated() {
        converted.values[i] = try ParameterRule.weight(v, at: i, dtype: dtype)
      }
      weight = .array(converted)
    case nil:
      break
    }
    return ResolvedParameters(
      loss: ResolvedLoss(loss, eps: eps, delta: delta, smooth: smooth, beta: beta),
      agg: agg ?? .mean, eps: eps, dims: dimSet, weight: weight, delta: delta, smooth: smooth,
      beta: beta)
  }
}
