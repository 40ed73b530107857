/// The shape of a column-major (Julia-order) N-dimensional array.
///
/// `Shape([3, 4])` is a 3 × 4 matrix: 3 classes by 4 samples; element `(i, j)` (0-based) lives at
/// linear index `i + 3j`. The empty shape `[]` is a 0-dimensional array holding one element.
public struct Shape: Sendable, Hashable, CustomStringConvertible, ExpressibleByArrayLiteral {
  public var dims: [Int]

  public init(_ dims: [Int]) { self.dims = dims }
  public init(arrayLiteral elements: Int...) { self.dims = elements }

  /// The number of dimensions.
  public var rank: Int { dims.count }

  /// The number of elements: the product of the dimensions (1 for rank 0).
  public var count: Int { dims.reduce(1, *) }

  /// The size of 1-based dimension `d`; dimensions beyond the rank have size 1, as in Julia.
  public func size(_ d: Int) -> Int { d >= 1 && d <= rank ? dims[d - 1] : 1 }

  /// Julia's spelling: `(3, 4)`, `(5,)` for a vector, `()` for rank 0.
  public var description: String {
    dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.map(String.init).joined(separator: ", ") + ")"
  }

  /// The largest dimension, and the largest product of the nonzero dimensions, that a shape may
  /// have: 2⁴⁰ (about 10¹², far beyond any array this package can hold, far below `Int.max`).
  public static let elementLimit = 1 << 40

  /// Checks that every dimension is non-negative, and that every dimension and the product of the
  /// nonzero dimensions are at most ``elementLimit``.
  ///
  /// The rule does not depend on the order of the dimensions: `[2³², 2³², 0]` and
  /// `[0, 2³², 2³²]` are both rejected (a zero dimension does not excuse the others, wherever it
  /// stands), while `[0, 2⁴⁰]` and `[2²⁰, 0, 2²⁰]` are accepted. The product is formed with
  /// overflow checks, so no shape traps.
  ///
  /// - Throws: `ArgumentError` naming `name` (the array or the field holding the dimensions, e.g.
  ///   `ŷ`, `shape`, `yshape`, `--shape`), the dimensions and the rule.
  public func validate(name: String) throws(LossError) {
    for d in dims where d < 0 {
      throw .argumentError("\(name) has a negative dimension: \(self)")
    }
    let limit = Shape.elementLimit
    let rule = "every dimension and the product of the nonzero dimensions must be at most 2^40 = \(limit)"
    for d in dims where d > limit {
      throw .argumentError("\(name): dimensions \(self) are too large (dimension \(d) exceeds the limit); \(rule)")
    }
    var product = 1
    for d in dims where d != 0 {
      let (p, overflow) = product.multipliedReportingOverflow(by: d)
      if overflow || p > limit {
        throw .argumentError(
          "\(name): dimensions \(self) are too large (the product of the nonzero ones exceeds the limit); \(rule)")
      }
      product = p
    }
  }

  /// Whether ŷ of shape `self` and y of shape `other` pass Flux's `_check_sizes`
  /// (`src/losses/utils.jl`): `size(ŷ, d) == size(y, d)` for every `d` up to the larger rank, so
  /// missing trailing dimensions count as 1 — `(3,)` agrees with `(3, 1)` and `(2, 3)` with
  /// `(2, 3, 1)` — while shapes that numpy or PyTorch would broadcast, `(1, 4)` against `(3, 4)`,
  /// `(1,)` against `(3,)`, `(3, 1)` against `(1, 4)`, do not.
  public func agreesForLoss(with other: Shape) -> Bool { firstDisagreement(with: other) == nil }

  /// The shape of Julia's broadcast of two arrays whose shapes agree by ``agreesForLoss(with:)``:
  /// the one with more dimensions (its extra dimensions all have size 1, so the elements pair up
  /// one to one, in column-major order).
  public func lossBroadcast(with other: Shape) -> Shape {
    other.rank > rank ? other : self
  }

  /// The first 1-based dimension where `self` and `other` differ by ``agreesForLoss(with:)``, or
  /// `nil` if they agree.
  public func firstDisagreement(with other: Shape) -> Int? {
    (1...Swift.max(rank, other.rank, 1)).first { size($0) != other.size($0) }
  }

  /// Whether an array of shape `self` broadcasts to `target` without enlarging it, by Julia's
  /// rule: each dimension equal or 1, missing trailing dimensions counting as 1.
  public func broadcasts(to target: Shape) -> Bool {
    for i in 0..<max(rank, target.rank) {
      let mine = i < rank ? dims[i] : 1
      let theirs = i < target.rank ? target.dims[i] : 1
      if mine != theirs && mine != 1 { return false }
    }
    return true
  }

  /// For each linear index of `target`, the linear index of the element of `self` (which must
  /// broadcast to `target`) that Julia's broadcast pairs with it.
  public func broadcastIndices(to target: Shape) -> [Int] {
    precondition(broadcasts(to: target), "internal: checked by broadcasts(to:)")
    let n = target.count
    var result = [Int](repeating: 0, count: n)
    if n == 0 { return result }
    var index = [Int](repeating: 0, count: target.rank)
    // Strides of `self`, 0 along broadcast (size-1) dimensions.
    var strides = [Int](repeating: 0, count: target.rank)
    var stride = 1
    for i in 0..<rank {
      if i < target.rank { strides[i] = dims[i] == 1 ? 0 : stride }
      stride *= dims[i]
    }
    var offset = 0
    for linear in 0..<n {
      result[linear] = offset
      // Increment the multi-index (column-major: first dimension fastest).
      var d = 0
      while d < target.rank {
        index[d] += 1
        offset += strides[d]
        if index[d] < target.dims[d] { break }
        offset -= strides[d] * index[d]
        index[d] = 0
        d += 1
      }
    }
    return result
  }
}

/// How `sum(x; dims)` maps the elements of an array onto its reduced array.
///
/// Julia keeps reduced dimensions with size 1: summing a 3 × 4 matrix over `dims = 1` gives a
/// 1 × 4 matrix. Dimensions beyond the rank are size 1 and reducing over them changes nothing.
public struct Reduction: Sendable, Hashable {
  /// The shape being reduced.
  public var input: Shape
  /// The 1-based dimensions summed over.
  public var dims: Set<Int>
  /// The shape of the result (the reduced dimensions have size 1).
  public var output: Shape

  public init(_ input: Shape, dims: Set<Int>) {
    self.input = input
    self.dims = dims
    self.output = Shape(input.dims.enumerated().map { dims.contains($0.offset + 1) ? 1 : $0.element })
  }

  /// For each linear index of the input, the linear index of the output element it is summed into.
  public func outputIndices() -> [Int] {
    // The output is the input with the reduced dimensions broadcast away, i.e. the output shape
    // broadcast to the input shape.
    output.broadcastIndices(to: input)
  }
}

/// A column-major array of values of one element type, held as `Double`s.
///
/// Float32 data are stored as the `Double`s that represent them exactly, so every implementation
/// and the protocol share one container. `values.count == shape.count` always holds.
public struct Tensor: Sendable, Hashable {
  public var shape: Shape
  public var values: [Double]

  public init(shape: Shape, values: [Double]) throws(LossError) {
    try shape.validate(name: "array")
    guard shape.count == values.count else {
      throw .dimensionMismatch(
        "an array of shape \(shape) needs \(shape.count) values, got \(values.count)")
    }
    self.shape = shape
    self.values = values
  }

  /// A vector.
  public init(_ values: [Double]) {
    self.shape = Shape([values.count])
    self.values = values
  }

  /// A 0-dimensional array holding one value.
  public init(scalar: Double) {
    self.shape = Shape([])
    self.values = [scalar]
  }

  public var count: Int { values.count }
}
