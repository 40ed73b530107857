import LossCore

// The gradients of crossentropy, kldivergence and logitcrossentropy (derivations as LossSpec's,
// `GradientFormulas.swift`). With `f_g` the aggregation's factor of group `g` (`1/G` for `mean`
// over `G` groups, `1` for `sum`, the cotangent `c_g` for `none`):
//
// - crossentropy: `∂/∂ŷᵢ = −f·wᵢ·yᵢ/(ŷᵢ + ϵ)` (exactly 0 where `yᵢ = 0`), `∂/∂yᵢ = −f·wᵢ·log(ŷᵢ + ϵ)`;
// - kldivergence: `∂/∂ŷᵢ` as crossentropy (no weight), `∂/∂yᵢ = f·(log(yᵢ/(ŷᵢ + ϵ)) + 1)`;
// - logitcrossentropy: `∂/∂ŷⱼ = f·(softmaxⱼ·W − wⱼyⱼ)` with `W = Σ_{i∈g} wᵢyᵢ`, and
//   `∂/∂yⱼ = −f·wⱼ·logsoftmaxⱼ`.
//
// The first two are pure maps (no per-group quantity enters a derivative); logitcrossentropy
// needs each group's maximum, `Σ e^(x − m)` and `W` first, computed group by group inside the
// chunk that owns the group (whole groups per chunk, as the value path does).

/// Which group and which weight element each element of a class-reducing loss belongs to,
/// computed from the shape without allocating.
struct ClassIndexer {
  let shape: [Int]
  let dims: [Int]
  /// The weight array's shape (broadcast against ŷ), `nil` for no weight array.
  let weightShape: [Int]?
  /// Contiguous groups of this length (``ClassLayout/groupLength``), else `nil`.
  let groupLength: Int?

  /// The group (the index into the reduced array) and the weight element of element `i`.
  @inline(__always) func indices(_ i: Int) -> (group: Int, weight: Int) {
    if let length = groupLength, weightShape == nil { return (length == 0 ? 0 : i / length, 0) }
    var rest = i
    var group = 0
    var groupStride = 1
    var weight = 0
    var weightStride = 1
    for (k, size) in shape.enumerated() {
      let coordinate = size == 0 ? 0 : rest % size
      rest = size == 0 ? 0 : rest / size
      if !dims.contains(k + 1) {
        group += coordinate * groupStride
        groupStride *= size
      }
      if let weightShape {
        let wsize = k < weightShape.count ? weightShape[k] : 1
        if wsize != 1 { weight += coordinate * weightStride }
        weightStride *= wsize
      }
    }
    return (group, weight)
  }
}

/// One chunk of crossentropy's or kldivergence's gradient: a map over elements, four at a time.
struct CrossentropyGradientChunks<P: Operand, Y: Operand, O: OutputStore>: ChunkBody {
  let kl: Bool
  let eps: Double
  let p: P
  let y: Y
  let factor: GradientFactor
  let indexer: ClassIndexer
  let weight: WeightSpec
  let out: GradientOutputs<O>
  let compensated: Bool

  func callAsFunction(_ range: Range<Int>) -> GradientPartial {
    var target = DoubleDouble.zero
    var bad = Int.max
    let wantsTarget = out.y != nil || out.scalarTarget
    var i = range.lowerBound
    while i < range.upperBound {
      let count = Swift.min(4, range.upperBound - i)
      let keep = leadingLanes(count)
      let a = count == 4 ? p.load(i) : p.loadPartial(i, count: count)
      let b = count == 4 ? y.load(i) : y.loadPartial(i, count: count)
      var c = Lanes(repeating: 1)
      var w = Lanes(repeating: weight.scalarValue)
      for j in 0..<count {
        let (g, k) = indexer.indices(i + j)
        c[j] = factor.cotangent(g)
        if case .array(_, let value) = weight { w[j] = value(k) }
      }
      let (dp, dy) = derivatives(a, b, w, target: wantsTarget)
      let g = settle(factor.pair(dp.0, dp.1, c))
      out.yhat.store(g, at: i, count: count)
      var finite = finiteLanes(g)
      if wantsTarget {
        if let targetOut = out.y {
          let gy = settle(factor.pair(dy.0, dy.1, c))
          targetOut.store(gy, at: i, count: count)
          finite .&= finiteLanes(gy)
        } else {
          let (th, tl) = factor.pair(dy.0, dy.1, c)
          finite .&= finiteLanes(th)
          for j in 0..<count { target += DoubleDouble(th[j], tl[j].isFinite ? tl[j] : 0) }
        }
      }
      if bad == .max && !all(finite .| .!keep) { bad = i }
      i += count
    }
    return GradientPartial(value: .zero, target: target, bad: bad)
  }

  /// `∂t/∂ŷ` and (when `target`) `∂t/∂y` before the factor, as pairs.
  @inline(__always) func derivatives(_ a: Lanes, _ b: Lanes, _ w: Lanes, target: Bool) -> (
    yhat: (Lanes, Lanes), y: (Lanes, Lanes)
  ) {
    let (s, se) = compensated ? twoSum(a, Lanes(repeating: eps)) : (a + eps, .zero)
    var (qh, ql) = compensated ? quotient(b, .zero, s, se) : (b / s, .zero)
    let zero = b .== 0
    qh = qh.replacing(with: 0, where: zero)
    ql = ql.replacing(with: 0, where: zero)
    let (wh, wl) = kl ? (qh, ql) : (compensated ? product(qh, ql, w) : (qh * w, .zero))
    var dy = (Lanes.zero, Lanes.zero)
    if target {
      if kl {
        dy = Self.logRatioPlusOne(b, s, se)
      } else {
        let la = VectorMath.log(s, plus: logCorrection(s, se))
        dy = compensated ? product(-la, .zero, w) : (-la * w, .zero)
      }
    }
    return ((-wh, -wl), dy)
  }

  /// `log(y/q) + 1` with `q = s + se` (kldivergence's `∂/∂y`): `log1p((y − q)/q)` near `y = q`,
  /// `log` of the ratio with its rounding error folded in elsewhere, `log y − log q` where the
  /// ratio leaves the range; `−∞` where `y = 0`.
  @inline(__always) static func logRatioPlusOne(_ y: Lanes, _ s: Lanes, _ se: Lanes) -> (Lanes, Lanes) {
    let t = ((y - s) - se) / s
    let near = VectorMath.abs(t) .<= 0.25
    let r = y / s
    let (pr, er) = twoProduct(r, s)
    let correction = (((y - pr) - er) / y - se / s).replacing(with: 0, where: .!finiteLanes(er))
    var l = either(near, VectorMath.log1p(t), VectorMath.log(r, plus: correction))
    let magnitude = VectorMath.abs(r)
    let outOfRange = .!near .& ((magnitude .< 0x1p-1022) .| (magnitude .== .infinity))
    if any(outOfRange) {
      let direct = VectorMath.log(y) - VectorMath.log(s)
      l = l.replacing(with: direct, where: outOfRange .& (y .> 0) .& (y .< .infinity) .& (s .> 0) .& (s .< .infinity))
    }
    l = l.replacing(with: -.infinity, where: y .== 0)
    return twoSum(l, Lanes(repeating: 1))
  }
}

// MARK: Double-double helpers (scalar)

/// `a·b` as a double-double.
@inline(__always) func ddProduct(_ a: DoubleDouble, _ b: Double) -> DoubleDouble {
  let p = a.hi * b
  guard p.isFinite else { return DoubleDouble(p) }
  return DoubleDouble(p, (-p).addingProduct(a.hi, b) + a.lo * b)
}

/// `a/b` as a double-double (first order in `b.lo`).
@inline(__always) func ddQuotient(_ a: DoubleDouble, _ b: DoubleDouble) -> DoubleDouble {
  let q = a.hi / b.hi
  guard q.isFinite, q != 0 else { return DoubleDouble(a.value / b.value) }
  let r = a.hi.addingProduct(-q, b.hi) + a.lo - q * b.lo
  return DoubleDouble(q, r / b.hi)
}

/// The members of one group: element indices.
protocol GroupMembers {
  var count: Int { get }
  subscript(_ k: Int) -> Int { get }
}

/// A contiguous group `start ..< start + count`.
struct ContiguousMembers: GroupMembers {
  let start: Int
  let count: Int
  @inline(__always) subscript(_ k: Int) -> Int { start + k }
}

/// A group listed by its element indices (the general layouts).
struct ListedMembers: GroupMembers {
  let base: UnsafePointer<Int>
  let count: Int
  @inline(__always) subscript(_ k: Int) -> Int { base[k] }
}

enum LogitGradient {
  /// One group of logitcrossentropy: its derivatives scaled by `f` (the group's factor) stored,
  /// and its value `−Σ wᵢyᵢ·logsoftmaxᵢ` returned (with whether every stored lane is finite).
  ///
  /// Finite maximum `m`: `dᵢ = xᵢ − m` (Float64: split exactly), `eᵢ = e^dᵢ`, `s = Σ' eᵢ` over all
  /// but the first maximal element `a` (whose `e` is 1), `L = log1p(s)`, `W = Σ wᵢyᵢ`. Then
  /// `softmaxᵢ = eᵢ/(1 + s)`, and `∂/∂ŷᵢ = eᵢ·W/(1 + s) − wᵢyᵢ` except at `a`, where it is written
  /// `((W − w_a·y_a) − w_a·y_a·s)/(1 + s)`, which does not cancel when the label is one-hot and
  /// the prediction confident (saturated logits give `−w_a·y_a·s/(1 + s)`, tiny, not 0).
  /// `∂/∂yᵢ = −f·wᵢ·(dᵢ − L)` (`dᵢ ≤ 0 ≤ L`: no cancellation). NNlib's rule at `m = +∞` (the
  /// `+∞` entries shift to 0, the others to −∞); a NaN, or `m = −∞`, makes the group NaN.
  @inline(__always)
  static func group<M: GroupMembers, P: Operand, Y: Operand, O: OutputStore>(
    _ members: M, _ p: P, _ y: Y, weightAt: (Int) -> Double, f: Double, kind: GradientFactor.Kind,
    out: GradientOutputs<O>, target: inout DoubleDouble
  ) -> (value: Double, finite: Bool) {
    let n = members.count
    if n == 0 { return (0, true) }
    func scale(_ v: DoubleDouble) -> Double {
      switch kind {
      case .unit: return v.value + 0
      case .mean(let count): return v.divided(by: count) + 0
      case .cotangent: return v.multiplied(by: f) + 0
      }
    }
    var m = -Double.infinity
    var nan = false
    for k in 0..<n {
      let x = p[members[k]]
      if x.isNaN { nan = true }
      if x > m { m = x }
    }
    var finite = true
    func store(_ i: Int, _ g: Double, _ gy: Double) {
      out.yhat.store(g, at: i)
      if !g.isFinite { finite = false }
      if let targetOut = out.y {
        targetOut.store(gy, at: i)
        if !gy.isFinite { finite = false }
      } else if out.scalarTarget {
        target += DoubleDouble(gy)
      }
    }
    var weighted = DoubleDouble.zero  // W = Σ w·y
    for k in 0..<n {
      let i = members[k]
      weighted += ddProduct(DoubleDouble(y[i]), weightAt(i))
    }
    if nan || m == -.infinity {
      for k in 0..<n { store(members[k], .nan, .nan) }
      return (.nan, false)
    }
    if m == .infinity {
      // NNlib: x − m is 0 for the +∞ entries, −∞ for the others.
      var infinite = 0.0
      for k in 0..<n where p[members[k]] == .infinity { infinite += 1 }
      let logCount = libmLog(infinite)
      var value = 0.0
      for k in 0..<n {
        let i = members[k]
        let isMax = p[i] == .infinity
        let w = weightAt(i)
        let shifted = isMax ? -logCount : -.infinity
        let softmax = isMax ? 1 / infinite : 0
        value += w * (y[i] * shifted)
        let g = (ddProduct(weighted, softmax) + DoubleDouble(-(w * y[i]))).value
        store(i, scale(DoubleDouble(g)), scale(DoubleDouble(-(w * shifted))))
      }
      return (-value, finite && (-value).isFinite)
    }
    var argmax = 0
    while p[members[argmax]] != m { argmax += 1 }
    // s = Σ' e^(x − m), four at a time.
    var sum = Lanes.zero
    var k = 0
    while k < n {
      let count = Swift.min(4, n - k)
      var x = Lanes(repeating: m)
      for j in 0..<count where k + j != argmax { x[j] = p[members[k + j]] }
      let e = VectorMath.exp(x - m)
      for j in 0..<count where k + j != argmax { sum[j] += e[j] }
      k += count
    }
    let s = (sum[0] + sum[1]) + (sum[2] + sum[3])
    let logSum = VectorMath.log1p(s)
    let (dh, dl) = (1 + s, (1 - (1 + s)) + s)
    let denominator = DoubleDouble(dh, dl)
    var value = DoubleDouble.zero
    k = 0
    while k < n {
      let count = Swift.min(4, n - k)
      var x = Lanes(repeating: m)
      for j in 0..<count { x[j] = p[members[k + j]] }
      let (xh, xl) = twoSum(x, Lanes(repeating: -m))
      let e = VectorMath.exp(xh)
      for j in 0..<count {
        let i = members[k + j]
        let w = weightAt(i)
        let wy = ddProduct(DoubleDouble(y[i]), w)
        let d = DoubleDouble(xh[j], xl[j])
        let g: DoubleDouble
        if k + j == argmax {
          let rest = weighted + DoubleDouble(-wy.hi, -wy.lo)
          let numerator = rest + ddProduct(DoubleDouble(-wy.hi, -wy.lo), s)
          g = ddQuotient(numerator, denominator)
        } else {
          // e^(xh + xl) = e^xh·(1 + xl) to first order.
          let ej = DoubleDouble(e[j], e[j] * xl[j])
          let softmaxW = ddQuotient(ddProduct(weighted, ej.hi) + DoubleDouble(weighted.hi * ej.lo), denominator)
          g = softmaxW + DoubleDouble(-wy.hi, -wy.lo)
        }
        let ls = d + DoubleDouble(-logSum)
        let gy = ddProduct(ls, -w)
        value += ddProduct(ls, w * y[i])
        store(i, scale(g), scale(gy))
      }
      k += count
    }
    let v = -value.value
    return (v, finite && v.isFinite)
  }

  /// Contiguous groups, no weight array: whole groups per chunk, each chunk's group values
  /// summed (agg mean or sum) or stored (`none`).
  struct Chunks<P: Operand, Y: Operand, O: OutputStore>: ChunkBody {
    let p: P
    let y: Y
    let groupLength: Int
    let weight: Double
    let factor: GradientFactor
    let out: GradientOutputs<O>

    func callAsFunction(_ groups: Range<Int>) -> GradientPartial {
      var value = DoubleDouble.zero
      var target = DoubleDouble.zero
      var bad = Int.max
      let w = weight
      for g in groups {
        let c = factor.cotangent(g)
        let (v, finite) = LogitGradient.group(
          ContiguousMembers(start: g * groupLength, count: groupLength), p, y, weightAt: { _ in w }, f: c,
          kind: factor.kind, out: out, target: &target)
        if let values = out.values { values.store(v + 0, at: g) } else { value += DoubleDouble(v) }
        if !finite && bad == .max { bad = g }
      }
      return GradientPartial(value: value, target: target, bad: bad)
    }
  }
}

enum ClassGradient {
  /// The value (`nil` for `agg = none`, whose values go to `out.values` when given) and the
  /// gradient of a class-reducing loss.
  ///
  /// crossentropy and kldivergence: the value by the value path (``ClassKernel/evaluate``, which
  /// raises the DomainErrors), then the gradient map (a non-finite lane recomputed literally).
  /// logitcrossentropy with contiguous groups and no weight array: one pass computing each
  /// group's value and derivatives; other layouts and weight arrays: the same per-group
  /// formulas, sequentially over listed groups (allocating the group lists, as the value path's
  /// general layout does). A non-finite logitcrossentropy value is decided by the value path.
  static func run<P: Operand, Y: Operand, O: OutputStore>(
    _ kind: ClassKernel.Kind, _ p: P, _ y: Y, shape: [Int], dims: [Int], weight: WeightSpec, weightShape: [Int]?,
    eps: Double, agg: Aggregation, factor: GradientFactor, out: GradientOutputs<O>, compensated: Bool, threads: Int
  ) throws(LossError) -> (value: Double?, target: Double?) {
    let layout = ClassLayout(shape: shape, dims: dims)
    let n = layout.count
    func valuePath() throws(LossError) -> Double? {
      let result = try ClassKernel.evaluate(
        kind, p, y, shape: shape, dims: dims, weight: weight, eps: eps, agg: agg, compensated: compensated,
        threads: threads)
      switch result {
      case .scalar(let v): return v
      case .array(let values):
        if let store = out.values { for (g, v) in values.enumerated() { store.store(v, at: g) } }
        return nil
      }
    }
    switch kind {
    case .crossentropy, .kldivergence:
      let value = try valuePath()
      let indexer = ClassIndexer(
        shape: shape, dims: dims, weightShape: weight.isArray ? weightShape : nil, groupLength: layout.groupLength)
      let partial = Parallel.reduce(
        count: n, threads: threads, cost: compensated ? 32 : 16,
        CrossentropyGradientChunks(
          kl: kind == .kldivergence, eps: eps, p: p, y: y, factor: factor, indexer: indexer, weight: weight, out: out,
          compensated: compensated))
      var target = out.scalarTarget ? partial.target.value + 0 : nil
      if partial.bad != .max {
        // The rare path: from the first non-finite lane on, a non-finite fast derivative is
        // replaced by the literal one; a non-finite sum over a scalar y is summed again.
        let body = CrossentropyGradientChunks(
          kl: kind == .kldivergence, eps: eps, p: p, y: y, factor: factor, indexer: indexer, weight: weight, out: out,
          compensated: compensated)
        let redoTarget = out.scalarTarget && !(target ?? 0).isFinite
        var total = DoubleDouble.zero
        var literalTarget = 0.0
        for i in (redoTarget ? 0 : partial.bad)..<n {
          let (g, k) = indexer.indices(i)
          let c = factor.cotangent(g)
          var w = weight.scalarValue
          if case .array(_, let lookup) = weight { w = lookup(k) }
          let (dp, dy) = body.derivatives(
            Lanes(repeating: p[i]), Lanes(repeating: y[i]), Lanes(repeating: w), target: out.y != nil || redoTarget)
          let q = p[i] + eps
          let literalY = kind == .kldivergence ? libmLog(y[i]) + 1 - libmLog(q) : -w * libmLog(q)
          if i >= partial.bad {
            let literal = y[i] == 0 ? 0.0 : -w * y[i] / q
            if !settle(factor.pair(dp.0, dp.1, Lanes(repeating: c)))[0].isFinite {
              out.yhat.store(factor.scalar(literal, cotangent: c) + 0, at: i)
            }
            if let targetOut = out.y, !settle(factor.pair(dy.0, dy.1, Lanes(repeating: c)))[0].isFinite {
              targetOut.store(factor.scalar(literalY, cotangent: c) + 0, at: i)
            }
          }
          if redoTarget {
            let (h, l) = factor.pair(dy.0, dy.1, Lanes(repeating: c))
            if h[0].isFinite {
              total += DoubleDouble(h[0], l[0].isFinite ? l[0] : 0)
            } else {
              literalTarget += factor.scalar(literalY, cotangent: c)
            }
          }
        }
        if redoTarget { target = total.value + literalTarget + 0 }
      }
      return (value, target)
    case .logitcrossentropy:
      var value: Double?
      var target: Double?
      let groups = layout.outputCount
      if let length = layout.groupLength, !weight.isArray {
        let perChunk = Swift.max(1, Chunking.length / Swift.max(1, length))
        let partial = Parallel.reduce(
          count: groups, chunk: perChunk, threads: threads, cost: 16 * Swift.max(1, length),
          LogitGradient.Chunks(
            p: p, y: y, groupLength: length, weight: weight.scalarValue, factor: factor, out: out))
        target = out.scalarTarget ? partial.target.value + 0 : nil
        if agg != .none && partial.bad == .max && partial.value.isFinite {
          value =
            agg == .mean
            ? (groups == 0 ? .nan : partial.value.divided(by: Double(groups)) + 0) : partial.value.value + 0
        } else if agg != .none || partial.bad != .max {
          value = try valuePath()
        }
      } else {
        (value, target) = try general(
          p, y, shape: shape, dims: dims, weight: weight, weightShape: weightShape, agg: agg, factor: factor,
          out: out)
        if value == nil && agg != .none { value = try valuePath() }
        if agg != .none, let v = value, !v.isFinite { value = try valuePath() }
      }
      return (value, target)
    }
  }

  /// logitcrossentropy for any layout and weight: group lists built once, then the per-group
  /// formulas of ``LogitGradient/group`` sequentially. The value is the sum (or mean) of the
  /// group values; `nil` for `agg = none` (stored to `out.values`).
  static func general<P: Operand, Y: Operand, O: OutputStore>(
    _ p: P, _ y: Y, shape: [Int], dims: [Int], weight: WeightSpec, weightShape: [Int]?, agg: Aggregation,
    factor: GradientFactor, out: GradientOutputs<O>
  ) throws(LossError) -> (value: Double?, target: Double?) {
    let shapeValue = Shape(shape)
    let reduction = Reduction(shapeValue, dims: Set(dims))
    let groupOf = reduction.outputIndices()
    let groups = reduction.output.count
    var starts = [Int](repeating: 0, count: groups + 1)
    for g in groupOf { starts[g + 1] += 1 }
    for g in 0..<groups { starts[g + 1] += starts[g] }
    var members = [Int](repeating: 0, count: groupOf.count)
    var fill = starts
    for (i, g) in groupOf.enumerated() {
      members[fill[g]] = i
      fill[g] += 1
    }
    var weights = [Double](repeating: weight.scalarValue, count: groupOf.count)
    if case .array(let wshape, let value) = weight {
      let indices = Shape(wshape).broadcastIndices(to: shapeValue)
      for i in 0..<weights.count { weights[i] = value(indices[i]) }
    }
    var total = DoubleDouble.zero
    var target = DoubleDouble.zero
    var allFinite = true
    members.withUnsafeBufferPointer { list in
      for g in 0..<groups {
        let c = factor.cotangent(g)
        let (v, finite) = LogitGradient.group(
          ListedMembers(base: list.baseAddress! + starts[g], count: starts[g + 1] - starts[g]), p, y,
          weightAt: { weights[$0] }, f: c, kind: factor.kind, out: out, target: &target)
        allFinite = allFinite && finite
        if let values = out.values { values.store(v + 0, at: g) } else { total += DoubleDouble(v) }
      }
    }
    let t = out.scalarTarget ? target.value + 0 : nil
    guard agg != .none else { return (nil, t) }
    guard allFinite, total.isFinite else { return (nil, t) }
    return (agg == .mean ? (groups == 0 ? .nan : total.divided(by: Double(groups)) + 0) : total.value + 0, t)
  }
}
