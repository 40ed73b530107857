import LossCore
import Testing

/// Resolves `params` for `loss` on a ŷ of `shape`.
private func resolve(
  _ params: LossParameters, for loss: LossID, dtype: DType = .float64, shape: Shape = [3, 4]
) throws(LossError) -> ResolvedParameters {
  try params.resolved(for: loss, dtype: dtype, yhatShape: shape)
}

/// Flux's defaults, in the element type.
@Suite("LossParameters defaults")
struct ParameterDefaultTests {
  @Test("eps defaults to eps(T): 2⁻²³ for Float32, 2⁻⁵² for Float64")
  func epsDefault() throws {
    #expect(try resolve(LossParameters(), for: .crossentropy, dtype: .float32).eps == 0x1p-23)
    #expect(try resolve(LossParameters(), for: .crossentropy, dtype: .float64).eps == 0x1p-52)
  }

  @Test("beta defaults to T(0.7): 0.699999988079071044921875 in Float32, 0.7 in Float64")
  func betaDefault() throws {
    #expect(try resolve(LossParameters(), for: .tverskyLoss, dtype: .float32).beta == 0.699999988079071044921875)
    #expect(try resolve(LossParameters(), for: .tverskyLoss, dtype: .float64).beta == 0.7)
  }

  @Test("agg mean, dims 1, weight nothing, delta 1, smooth 1", arguments: DType.allCases)
  func otherDefaults(dtype: DType) throws {
    let resolved = try resolve(LossParameters(), for: .crossentropy, dtype: dtype)
    #expect(resolved.agg == .mean)
    #expect(resolved.dims == [1])
    #expect(resolved.weight == nil)
    #expect(resolved.delta == 1)
    #expect(resolved.smooth == 1)
  }

  @Test("every loss resolves its defaults without complaint", arguments: LossID.allCases, DType.allCases)
  func defaultsAreValid(loss: LossID, dtype: DType) throws {
    _ = try resolve(LossParameters(), for: loss, dtype: dtype)
  }
}

/// Scalar parameters are converted to ŷ's element type, as Flux's `ofeltype` does.
@Suite("LossParameters conversion")
struct ParameterConversionTests {
  @Test("Float32 scalars are rounded to Float32")
  func float32Scalars() throws {
    let p = Float32Facts.pointOne  // Float32(0.1), by hand
    #expect(try resolve(LossParameters(eps: 0.1), for: .msle, dtype: .float32).eps == p)
    #expect(try resolve(LossParameters(delta: 0.1), for: .huberLoss, dtype: .float32).delta == p)
    #expect(try resolve(LossParameters(smooth: 0.1), for: .diceCoeffLoss, dtype: .float32).smooth == p)
    #expect(try resolve(LossParameters(beta: 0.7), for: .tverskyLoss, dtype: .float32).beta == Float32Facts.pointSeven)
    let weight = try resolve(LossParameters(weight: .scalar(0.1)), for: .crossentropy, dtype: .float32).weight
    #expect(weight == .scalar(p))
  }

  @Test("a Float32 weight array is rounded element by element")
  func float32WeightArray() throws {
    let w = try Tensor(shape: [3, 1], values: [0.1, 0.7, 0.5])
    let resolved = try resolve(LossParameters(weight: .array(w)), for: .crossentropy, dtype: .float32)
    let expected = try Tensor(shape: [3, 1], values: [Float32Facts.pointOne, Float32Facts.pointSeven, 0.5])
    #expect(resolved.weight == .array(expected))
  }

  @Test("Float64 scalars are kept as they are")
  func float64Scalars() throws {
    #expect(try resolve(LossParameters(eps: 0.1), for: .msle).eps == 0.1)
    #expect(try resolve(LossParameters(delta: 0.1), for: .huberLoss).delta == 0.1)
    #expect(try resolve(LossParameters(beta: 0.7), for: .tverskyLoss).beta == 0.7)
  }

  @Test("eps = −0.0 becomes +0.0", arguments: DType.allCases)
  func negativeZeroEps(dtype: DType) throws {
    let eps = try resolve(LossParameters(eps: -0.0), for: .binarycrossentropy, dtype: dtype).eps
    #expect(eps == 0)
    #expect(eps.sign == .plus)
  }

  @Test("the domain boundaries are accepted: eps 0, smooth 0, beta 0 and 1")
  func boundaries() throws {
    #expect(try resolve(LossParameters(eps: 0), for: .msle).eps == 0)
    #expect(try resolve(LossParameters(smooth: 0), for: .diceCoeffLoss).smooth == 0)
    #expect(try resolve(LossParameters(beta: 0), for: .tverskyLoss).beta == 0)
    #expect(try resolve(LossParameters(beta: 1), for: .tverskyLoss).beta == 1)
    #expect(try resolve(LossParameters(delta: 0x1p-1074), for: .huberLoss).delta == 0x1p-1074)
  }

  @Test("agg and dims pass through; dims is a set and may exceed the rank, as in Julia")
  func aggAndDims() throws {
    let resolved = try resolve(LossParameters(agg: Aggregation.none, dims: [2, 1, 2]), for: .kldivergence)
    #expect(resolved.agg == Aggregation.none)
    #expect(resolved.dims == [1, 2])
    #expect(try resolve(LossParameters(dims: [3]), for: .crossentropy).dims == [3])
  }

  @Test(
    "a weight array that broadcasts against ŷ is accepted",
    arguments: [[3, 1], [1, 4], [3, 4], [3], [], [3, 4, 1]] as [[Int]])
  func broadcastingWeight(dims: [Int]) throws {
    let shape = Shape(dims)
    let w = try Tensor(shape: shape, values: Array(repeating: 2, count: shape.count))
    let resolved = try resolve(LossParameters(weight: .array(w)), for: .logitcrossentropy, shape: [3, 4])
    #expect(resolved.weight == .array(w))
  }
}

/// One rejected parameter set: the loss, the parameters, the error kind and the words the message
/// must contain (the parameter's name).
struct Rejection: Sendable, CustomTestStringConvertible {
  var loss: LossID
  var params: LossParameters
  var dtype: DType = .float64
  var kind: LossError.Kind = .argumentError
  var mentions: [String]
  var testDescription: String { "\(loss.rawValue) \(mentions.joined(separator: " "))" }
}

/// Parameters outside their domain or not taken by the loss are errors naming the parameter.
@Suite("LossParameters rejections")
struct ParameterRejectionTests {
  static let domain: [Rejection] = [
    Rejection(loss: .msle, params: LossParameters(eps: -1e-3), mentions: ["eps"]),
    Rejection(loss: .crossentropy, params: LossParameters(eps: -0x1p-1074), mentions: ["eps"]),
    Rejection(loss: .huberLoss, params: LossParameters(delta: 0), mentions: ["delta"]),
    Rejection(loss: .huberLoss, params: LossParameters(delta: -0.0), mentions: ["delta"]),
    Rejection(loss: .huberLoss, params: LossParameters(delta: -1), mentions: ["delta"]),
    Rejection(loss: .diceCoeffLoss, params: LossParameters(smooth: -0.5), mentions: ["smooth"]),
    Rejection(loss: .tverskyLoss, params: LossParameters(beta: 1.5), mentions: ["beta"]),
    Rejection(loss: .tverskyLoss, params: LossParameters(beta: -0.1), mentions: ["beta"]),
    Rejection(loss: .crossentropy, params: LossParameters(dims: [0]), mentions: ["dims"]),
    Rejection(loss: .kldivergence, params: LossParameters(dims: [1, -2]), mentions: ["dims"]),
  ]

  static let notTaken: [Rejection] = [
    Rejection(loss: .mae, params: LossParameters(eps: 0.1), mentions: ["eps", "mae"]),
    Rejection(loss: .diceCoeffLoss, params: LossParameters(agg: .sum), mentions: ["agg", "dice_coeff_loss"]),
    Rejection(loss: .tverskyLoss, params: LossParameters(agg: .mean), mentions: ["agg"]),
    Rejection(loss: .mse, params: LossParameters(delta: 1), mentions: ["delta"]),
    Rejection(loss: .diceCoeffLoss, params: LossParameters(beta: 0.5), mentions: ["beta"]),
    Rejection(loss: .tverskyLoss, params: LossParameters(smooth: 1), mentions: ["smooth"]),
    Rejection(loss: .kldivergence, params: LossParameters(weight: .scalar(1)), mentions: ["weight"]),
    Rejection(loss: .msle, params: LossParameters(dims: [1]), mentions: ["dims"]),
    Rejection(loss: .logitcrossentropy, params: LossParameters(eps: 0), mentions: ["eps"]),
    Rejection(loss: .huberLoss, params: LossParameters(eps: 0.1), mentions: ["eps"]),
  ]

  static let nonFinite: [Rejection] = [
    Rejection(loss: .msle, params: LossParameters(eps: .nan), mentions: ["eps"]),
    Rejection(loss: .msle, params: LossParameters(eps: .infinity), mentions: ["eps"]),
    Rejection(loss: .huberLoss, params: LossParameters(delta: .infinity), mentions: ["delta"]),
    Rejection(loss: .diceCoeffLoss, params: LossParameters(smooth: .nan), mentions: ["smooth"]),
    Rejection(loss: .tverskyLoss, params: LossParameters(beta: -.infinity), mentions: ["beta"]),
    Rejection(loss: .crossentropy, params: LossParameters(weight: .scalar(.nan)), mentions: ["weight"]),
    // Finite as a Double, but beyond Float32's range: the converted parameter would be +∞.
    Rejection(loss: .huberLoss, params: LossParameters(delta: 1e39), dtype: .float32, mentions: ["delta"]),
    Rejection(
      loss: .crossentropy, params: LossParameters(weight: .scalar(-1e39)), dtype: .float32, mentions: ["weight"]),
  ]

  @Test("a value outside the parameter's domain is an ArgumentError naming it", arguments: domain)
  func outsideDomain(_ r: Rejection) throws {
    try check(r)
  }

  @Test("a parameter the loss does not take is an ArgumentError naming it", arguments: notTaken)
  func notTakenByTheLoss(_ r: Rejection) throws {
    try check(r)
  }

  @Test("a non-finite scalar parameter (or one that overflows the dtype) is an ArgumentError", arguments: nonFinite)
  func nonFiniteScalar(_ r: Rejection) throws {
    try check(r)
  }

  @Test("a weight array that does not broadcast is a DimensionMismatch naming both shapes")
  func nonBroadcastingWeight() throws {
    let w = try Tensor(shape: [4], values: [1, 1, 1, 1])
    let error = try #require(throws: LossError.self) {
      try resolve(LossParameters(weight: .array(w)), for: .crossentropy, shape: [3, 4])
    }
    #expect(error.kind == .dimensionMismatch)
    #expect(error.message.contains("(4,)"))
    #expect(error.message.contains("(3, 4)"))
    #expect(error.message.contains("weight"))
  }

  @Test("a weight array element that overflows Float32 is an ArgumentError naming the weight")
  func overflowingWeightElement() throws {
    let w = try Tensor(shape: [3], values: [1, 1e39, 1])
    let error = try #require(throws: LossError.self) {
      try resolve(LossParameters(weight: .array(w)), for: .crossentropy, dtype: .float32, shape: [3])
    }
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("weight"))
  }

  /// PROTOCOL.md: every parameter's domain is "all finite", and `resolved`'s contract rejects "a
  /// non-finite parameter"; a non-finite scalar weight is rejected (the `nonFinite` table), so an
  /// array weight holding the same value must be too.
  @Test(
    "a non-finite element of a weight array is an ArgumentError naming the weight",
    arguments: [Double.nan, .infinity, -.infinity])
  func nonFiniteWeightArray(value: Double) throws {
    let w = try Tensor(shape: [3], values: [1, value, 1])
    let error = try #require(throws: LossError.self) {
      try resolve(LossParameters(weight: .array(w)), for: .crossentropy, shape: [3])
    }
    #expect(error.kind == .argumentError)
    #expect(error.message.contains("weight"))
  }

  private func check(_ r: Rejection, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let error = try #require(throws: LossError.self, sourceLocation: sourceLocation) {
      try resolve(r.params, for: r.loss, dtype: r.dtype)
    }
    #expect(error.kind == r.kind, sourceLocation: sourceLocation)
    for word in r.mentions {
      #expect(error.message.contains(word), "message: \(error.message)", sourceLocation: sourceLocation)
    }
  }
}

/// Which parameters a caller gave.
@Suite("LossParameters presence")
struct ParameterPresenceTests {
  @Test("present lists exactly the non-nil parameters")
  func present() {
    #expect(LossParameters().present.isEmpty)
    #expect(LossParameters(agg: .sum, dims: [1], beta: 0.5).present == [.agg, .dims, .beta])
    let all = LossParameters(
      agg: .mean, eps: 0, dims: [1], weight: .scalar(1), delta: 1, smooth: 1, beta: 0.5)
    #expect(all.present == Set(ParameterName.allCases))
  }
}

/// The resolved loss: the case of the loss, carrying the parameter it takes.
@Suite("ResolvedLoss")
struct ResolvedLossTests {
  @Test("every loss resolves to its own case", arguments: LossID.allCases)
  func identity(loss: LossID) throws {
    #expect(try resolve(LossParameters(), for: loss).loss.id == loss)
  }

  @Test("the case carries the resolved parameter, in the element type")
  func parameters() throws {
    #expect(try resolve(LossParameters(eps: 0), for: .msle, dtype: .float32).loss == .msle(eps: 0))
    #expect(try resolve(LossParameters(), for: .crossentropy, dtype: .float32).loss == .crossentropy(eps: 0x1p-23))
    #expect(
      try resolve(LossParameters(delta: 0.1), for: .huberLoss, dtype: .float32).loss
        == .huberLoss(delta: 0.100000001490116119384765625))
    #expect(try resolve(LossParameters(), for: .tverskyLoss, dtype: .float64).loss == .tverskyLoss(beta: 0.7))
    #expect(try resolve(LossParameters(smooth: 2), for: .diceCoeffLoss).loss == .diceCoeffLoss(smooth: 2))
    #expect(try resolve(LossParameters(), for: .hinge).loss == .hinge)
  }
}
