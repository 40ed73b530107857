import LossCore

/// One generated case of a law: the raw, shrinkable material its check builds requests from.
///
/// A law's generator draws a `LawInput` from a `SplitMix64` seeded with the case seed; the
/// law's check turns it into one or more `LossRequest`s. Keeping the material generic (a
/// shape, named arrays, named numbers, named choices, each with a ``ValueKind``) lets one
/// shrinker simplify the cases of every law: remove slices, drop size-1 trailing dimensions,
/// lower choices, and replace numbers by simpler ones of the same kind.
public struct LawInput: Sendable, Hashable, CustomStringConvertible {
  /// The case seed the input was generated from (kept through shrinking, for provenance).
  public var seed: UInt64
  /// The number of shrinking steps from the generated case (0: as generated).
  public var shrinks = 0
  public var dtype: DType
  /// The shape of `ŷ` (column-major, Julia order); fields of extent `.full` have this shape.
  public var shape: [Int]
  public var fields: [Field]
  public var numbers: [Number]
  public var choices: [Choice]

  public init(
    seed: UInt64, dtype: DType, shape: [Int], fields: [Field] = [], numbers: [Number] = [],
    choices: [Choice] = []
  ) {
    self.seed = seed
    self.dtype = dtype
    self.shape = shape
    self.fields = fields
    self.numbers = numbers
    self.choices = choices
  }

  /// The number of elements of the shape.
  public var count: Int { shape.reduce(1, *) }

  /// The values of the field `name` (empty if absent).
  public subscript(field name: String) -> [Double] {
    get { fields.first { $0.name == name }?.values ?? [] }
    set {
      if let i = fields.firstIndex(where: { $0.name == name }) { fields[i].values = newValue }
    }
  }

  /// The number `name` (`nil` if absent).
  public subscript(number name: String) -> Double? {
    numbers.first { $0.name == name }?.value
  }

  /// The choice `name` (0 if absent).
  public subscript(choice name: String) -> Int {
    choices.first { $0.name == name }?.value ?? 0
  }

  /// A compact, exact rendering: `float32 (2, 3) ŷ=[…] y=[…] eps=1.0e-7 agg=sum`.
  public var description: String {
    var parts = [dtype.rawValue, Shape(shape).description]
    for field in fields {
      parts.append("\(field.name)=[\(field.values.map { format($0, dtype) }.joined(separator: ", "))]")
    }
    for number in numbers {
      // A parameter whose choice keeps the default (or none, or 0) is not used: not shown.
      if let choice = choices.first(where: { $0.name == number.name }), ["default", "none", "0"].contains(choice.label)
      {
        continue
      }
      parts.append("\(number.name)=\(format(number.value, dtype))")
    }
    for choice in choices { parts.append("\(choice.name)=\(choice.label)") }
    return parts.joined(separator: " ")
  }
}

/// A named array of values.
public struct Field: Sendable, Hashable {
  public var name: String
  public var values: [Double]
  public var extent: Extent
  public var kind: ValueKind

  public init(_ name: String, _ values: [Double], extent: Extent = .full, kind: ValueKind) {
    self.name = name
    self.values = values
    self.extent = extent
    self.kind = kind
  }

  /// How a field's length follows the input's shape (so removing a slice keeps them aligned).
  public enum Extent: Sendable, Hashable {
    /// The input's shape.
    case full
    /// The size of dimension 1 (a per-class weight vector).
    case classes
    /// Independent of the shape.
    case free
  }
}

/// A named scalar (a loss parameter or a law's constant).
public struct Number: Sendable, Hashable {
  public var name: String
  public var value: Double
  public var kind: ValueKind

  public init(_ name: String, _ value: Double, kind: ValueKind) {
    self.name = name
    self.value = value
    self.kind = kind
  }
}

/// A named discrete choice `0..<options.count`; shrinking moves it towards 0, so option 0
/// should be the simplest (e.g. `agg = mean`, `dims = 1`).
public struct Choice: Sendable, Hashable {
  public var name: String
  public var value: Int
  public var options: [String]
  /// Whether shrinking may lower it (not for a choice that changes the input's domain, such as
  /// the loss of a law about several losses).
  public var shrinkable: Bool

  public init(_ name: String, _ value: Int, options: [String], shrinkable: Bool = true) {
    self.name = name
    self.value = value
    self.options = options
    self.shrinkable = shrinkable
  }

  public var label: String { value < options.count ? options[value] : String(value) }
}

/// What values a field or number may take, so that shrinking stays in the law's domain.
public enum ValueKind: Sendable, Hashable {
  /// Any value; shrinks towards 0, ±1, small integers and short significands.
  case real
  /// `x ≥ 0`.
  case nonnegative
  /// `x > 0`.
  case positive
  /// `0 ≤ x ≤ 1`.
  case unit
  /// A label 0 or 1 (shrinks towards 0).
  case label01
  /// A label −1 or 1 (shrinks towards 1).
  case labelPM1
  /// Probability columns summing exactly to 1 over `groupDims`: shrinking moves mass between
  /// entries of a column (exact dyadic sums), so every candidate is still a distribution.
  case probability(groupDims: [Int])
  /// Kept as generated.
  case fixed
}

/// The shortest decimal that round-trips `x` in `dtype`; the infinities as Julia writes them
/// (`Inf`, `-Inf`).
func format(_ x: Double, _ dtype: DType) -> String {
  dtype.spelling(of: x, .julia)
}

extension LawInput {
  /// A request for `loss` on this input's dtype: `ŷ` and `y` arrays of `shape` (default: the
  /// input's shape), or a scalar `y`.
  public func request(
    _ loss: LossID, yhat: [Double], y: [Double], shape: [Int]? = nil, yShape: [Int]? = nil,
    params: LossParameters = LossParameters(), id: String = ""
  ) -> LossRequest {
    let s = Shape(shape ?? self.shape)
    let ys = Shape(yShape ?? shape ?? self.shape)
    // Counts always match the shapes: the generators and shrinker keep them aligned.
    let yhatTensor = (try? Tensor(shape: s, values: yhat)) ?? Tensor(yhat)
    let yTensor = (try? Tensor(shape: ys, values: y)) ?? Tensor(y)
    return LossRequest(id: id, loss: loss, dtype: dtype, yhat: yhatTensor, y: .array(yTensor), params: params)
  }

  /// A request with a scalar target.
  public func request(
    _ loss: LossID, yhat: [Double], scalarY: Double, shape: [Int]? = nil, params: LossParameters = LossParameters()
  ) -> LossRequest {
    let s = Shape(shape ?? self.shape)
    let yhatTensor = (try? Tensor(shape: s, values: yhat)) ?? Tensor(yhat)
    return LossRequest(loss: loss, dtype: dtype, yhat: yhatTensor, y: .scalar(scalarY), params: params)
  }
}
