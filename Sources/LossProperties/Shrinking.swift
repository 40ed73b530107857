import LossCore

/// The shrinker shared by every law: the candidates simpler than an input, most simplified
/// first.
///
/// PropertyBased's `propertyCheck` (in the test suite) and ``PropertyRunner`` (in the CLI) use the
/// same function: they move to the first candidate that still fails, and ask again. Each candidate
/// is strictly smaller in the lexicographic order (element count, rank, sum of choices, non-zero
/// probability entries, sum of value costs), so shrinking terminates; ``stepLimit`` bounds it.
public enum Shrinker {
  /// The most shrinking steps from a generated input.
  public static let stepLimit = 150

  /// The candidates, most simplified first: remove slices (halves, then single slices), drop a
  /// trailing size-1 dimension, lower the choices, simplify the numbers, then the fields (a whole
  /// field at once, then element by element; probability columns by moving one entry's mass onto
  /// another, which keeps each sum exact).
  public static func candidates(_ input: LawInput) -> [LawInput] {
    guard input.shrinks < stepLimit else { return [] }
    var out: [LawInput] = []
    func add(_ candidate: LawInput?) {
      guard var c = candidate else { return }
      c.shrinks = input.shrinks + 1
      out.append(c)
    }
    // Shapes.
    for d in (0..<input.shape.count).reversed() where input.shape[d] > 1 {
      let size = input.shape[d]
      if size >= 4 { add(removing(Array((size / 2)..<size), along: d, from: input)) }
      add(removing([size - 1], along: d, from: input))
      add(removing([0], along: d, from: input))
    }
    if input.shape.count > 1, input.shape.last == 1 {
      var c = input
      c.shape.removeLast()
      add(c)
    }
    // Choices.
    for (i, choice) in input.choices.enumerated() where choice.shrinkable && choice.value > 0 {
      var c = input
      c.choices[i].value = 0
      add(c)
      if choice.value > 1 {
        var d = input
        d.choices[i].value -= 1
        add(d)
      }
    }
    // Numbers.
    for (i, number) in input.numbers.enumerated() {
      for v in simpler(number.value, number.kind, input.dtype).prefix(2) {
        var c = input
        c.numbers[i].value = v
        add(c)
      }
    }
    // Fields: a whole field to its simplest value, then element by element.
    for (f, field) in input.fields.enumerated() {
      if case .probability(let groupDims) = field.kind {
        for c in massMoves(field.values, shape: input.shape, groupDims: groupDims, dtype: input.dtype) {
          var candidate = input
          candidate.fields[f].values = c
          add(candidate)
        }
        continue
      }
      if let simplest = simplest(field.kind), field.values.count > 1,
        field.values.contains(where: { cost($0) > cost(simplest) })
      {
        var c = input
        c.fields[f].values = field.values.map { cost($0) > cost(simplest) ? simplest : $0 }
        add(c)
      }
      for (j, x) in field.values.enumerated() {
        for v in simpler(x, field.kind, input.dtype).prefix(2) {
          var c = input
          c.fields[f].values[j] = v
          add(c)
        }
      }
    }
    return out
  }

  /// `input` without the slices `indices` of dimension `d` (0-based), or `nil` if a probability
  /// field would lose mass.
  static func removing(_ indices: [Int], along d: Int, from input: LawInput) -> LawInput? {
    let shape = input.shape
    let removed = Set(indices)
    // Column-major strides.
    var stride = 1
    for k in 0..<d { stride *= shape[k] }
    let size = shape[d]
    func keep(_ linear: Int) -> Bool { !removed.contains((linear / stride) % size) }
    var c = input
    c.shape[d] -= indices.count
    for (f, field) in input.fields.enumerated() {
      switch field.extent {
      case .full:
        if case .probability(let groupDims) = field.kind, groupDims.contains(d + 1) {
          // Removing entries of a distribution keeps its sum only if they are all zero.
          for (i, v) in field.values.enumerated() where !keep(i) && v != 0 { return nil }
        }
        c.fields[f].values = field.values.enumerated().filter { keep($0.offset) }.map(\.element)
      case .classes:
        if d == 0 {
          c.fields[f].values = field.values.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        }
      case .free:
        break
      }
    }
    return c
  }

  /// Candidates for a distribution field: in each column, the mass of one non-zero entry moved
  /// onto the largest entry (an exact dyadic sum, or skipped).
  static func massMoves(_ values: [Double], shape: [Int], groupDims: [Int], dtype: DType) -> [[Double]] {
    let (index, count) = Gen.columns(shape, groupDims: groupDims)
    guard index.count == values.count else { return [] }
    var members = [[Int]](repeating: [], count: count)
    for (i, c) in index.enumerated() { members[c].append(i) }
    var out: [[Double]] = []
    for column in members {
      let nonzero = column.filter { values[$0] != 0 }
      guard nonzero.count > 1, let largest = nonzero.max(by: { values[$0] < values[$1] }) else { continue }
      for j in nonzero where j != largest {
        guard let merged = FloatFacts.exactSum(values[largest], values[j], dtype) else { continue }
        var c = values
        c[largest] = merged
        c[j] = 0
        out.append(c)
        if out.count >= 24 { return out }
      }
    }
    return out
  }

  /// The simplest value of a kind (the target of whole-field shrinking).
  static func simplest(_ kind: ValueKind) -> Double? {
    switch kind {
    case .real, .nonnegative, .unit, .label01: 0
    case .positive, .labelPM1: 1
    case .probability, .fixed: nil
    }
  }

  /// Values of `kind` simpler than `x` (lower ``cost(_:)``), most simplified first.
  static func simpler(_ x: Double, _ kind: ValueKind, _ dtype: DType) -> [Double] {
    var options: [Double]
    switch kind {
    case .label01: options = [0]
    case .labelPM1: options = [1]
    case .probability, .fixed: return []
    case .real, .nonnegative, .positive, .unit:
      options = [0, 1, -1, 0.5]
      if x.isFinite {
        if x.magnitude >= 1 { options.append(x.rounded()) }
        for bits in [1, 2, 4, 8, 16, 32] { options.append(Gen.truncate(x, bits: bits)) }
        options.append(-x)
      }
    }
    let inDomain: (Double) -> Bool = {
      switch kind {
      case .real: true
      case .nonnegative: $0 >= 0
      case .positive: $0 > 0
      case .unit: $0 >= 0 && $0 <= 1
      default: true
      }
    }
    let c = cost(x)
    var seen: Set<Double> = []
    var result: [(Double, Double)] = []
    for v in options where inDomain(v) && dtype.represents(v) && cost(v) < c && !seen.contains(v) {
      seen.insert(v)
      result.append((cost(v), v))
    }
    return result.sorted { $0.0 < $1.0 }.map(\.1)
  }

  /// The complexity of a value: 0 for 0; then 1, −1, small integers, and finally the number of
  /// significand bits plus a share of the exponent; non-finite values cost the most.
  static func cost(_ x: Double) -> Double {
    if x.isNaN { return 1000 }
    if x.isInfinite { return 900 }
    if x == 0 { return x.sign == .minus ? 0.5 : 0 }
    let negative = x < 0 ? 0.5 : 0
    let m = x.magnitude
    if m == 1 { return 1 + negative }
    if m == m.rounded(), m <= 0x1p20 { return 2 + Double(Int(m.exponent)) + Double(m.significandWidth) / 4 + negative }
    let bits = Double(m.significandWidth + 1)
    return 4 + bits + Double(abs(Int(m.exponent))) / 32 + negative
  }
}
