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
    func scalar(_ value: Double?, _ name: String, default fallback: Double) throws(LossError) -> Double {
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
    var eps = try scalar(self.eps, "eps", default: dtype.machineEpsilon)
    guard eps >= 0 else { throw .argumentError("eps must be ≥ 0, got \(eps)") }
    eps = eps == 0 ? 0 : eps  // −0 is 0: ŷ + ϵ never becomes −0 through ϵ
    let delta = try scalar(self.delta, "delta", default: 1)
    guard delta > 0 else { throw .argumentError("delta must be > 0, got \(delta)") }
    let smooth = try scalar(self.smooth, "smooth", default: 1)
    guard smooth >= 0 else { throw .argumentError("smooth must be ≥ 0, got \(smooth)") }
    let beta = try scalar(self.beta, "beta", default: 0.7)
    guard beta >= 0 && beta <= 1 else {
      throw .argumentError("beta must lie in [0, 1], got \(beta)")
    }
    var dimSet: Set<Int> = [1]
    if let dims {
      for d in dims where d < 1 {
        throw .argumentError("dims are 1-based and must be ≥ 1, got \(d) in \(dims)")
      }
      dimSet = Set(dims)
    }
    var weight = self.weight
    switch weight {
    case .scalar(let w):
      weight = .scalar(try scalar(w, "weight", default: 1))
    case .array(let w):
      guard w.shape.broadcasts(to: yhatShape) else {
        throw .dimensionMismatch(
          "weight of shape \(w.shape) does not broadcast against ŷ of shape \(yhatShape)")
      }
      var converted = w
      for (i, v) in w.values.enumerated() {
        guard v.isFinite else { throw .argumentError("weight[\(i + 1)] must be finite, got \(v)") }
        converted.values[i] = dtype.round(v)
        if v.isFinite && !converted.values[i].isFinite {
          throw .argumentError("weight[\(i + 1)] = \(v) overflows \(dtype.rawValue)")
        }
      }
      weight = .array(converted)
    case nil:
      break
    }
    return ResolvedParameters(
      agg: agg ?? .mean, eps: eps, dims: dimSet, weight: weight, delta: delta, smooth: smooth,
      beta: beta)
  }
}
