import LossCore
import LossFast
import LossSpec
import Testing

// The shared helpers (SplitMix64 through LossCore, ulps, outcomeClass), for every file of the
// target.
@_exported import _LossTestSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// How a LossFast value compares with LossSpec's exact value `v`.
///
/// - Float32: `ulps = |r − v| / ulp_F(v)`, with `v` the exact value's Float64 rounding (a proxy
///   within 2⁻⁵³ relative, far below a Float ulp); `faithful` means `r` is one of the two
///   Floats bracketing `v` (or `v` itself when `v` is a Float).
/// - Float64: `ulps = |r − v₆₄| / ulp(v₆₄)`, the distance in ulps from the correctly rounded
///   value `v₆₄` (the error against the exact value is below `ulps + 0.5`).
/// - `scaled = |r − v| / (u · S)`, `S` LossSpec's error scale (DESIGN.md, verdicts).
struct Grade: CustomStringConvertible {
  var ulps: Double
  var faithful: Bool
  var scaled: Double
  var description: String { "ulps \(ulps), faithful \(faithful), scaled \(scaled)" }

  init(result r: Double, spec: SpecResult, index: Int = 0) {
    let v = spec.float64[index]
    let scale = spec.errorScale[index]
    let u = spec.dtype.unitRoundoff
    if r == v || (r.isNaN && v.isNaN) {
      ulps = 0
      faithful = true
      scaled = 0
      return
    }
    scaled = scale > 0 && scale.isFinite ? Swift.abs(r - v) / (u * scale) : .infinity
    ulps = _LossTestSupport.ulps(r, v, in: spec.dtype)
    switch spec.dtype {
    case .float32:
      let f = Float(v)
      let below = Double(f) <= v ? f : f.nextDown
      let above = Double(f) >= v ? f : f.nextUp
      faithful = Float(r) == below || Float(r) == above
    case .float64:
      faithful = r == v || r == v.nextUp || r == v.nextDown
    case .float16, .bfloat16:
      let t = spec.dtype
      let nearest = t.round(v)
      let below = nearest <= v ? nearest : t.nextDown(nearest)
      let above = nearest >= v ? nearest : t.nextUp(nearest)
      faithful = r == below || r == above
    }
  }
}

/// Evaluates with LossSpec; the error as an outcome.
func specOutcome(_ request: LossRequest) -> (LossOutcome, SpecResult?) {
  do {
    let result = try LossSpec.evaluate(request)
    return (.value(result.value), result)
  } catch {
    return (.error(error), nil)
  }
}

/// A value of the dtype, as the Double that represents it.
func representable(_ x: Double, _ dtype: DType) -> Double { dtype.round(x) }

/// The per-loss worst case seen by a suite, printed as a table at the end of a test.
struct WorstCases {
  var rows: [String: (ulps: Double, scaled: Double, what: String)] = [:]
  mutating func record(_ key: String, _ grade: Grade, _ what: @autoclosure () -> String) {
    let old = rows[key]
    if old == nil || grade.ulps > old!.ulps {
      rows[key] = (grade.ulps, Swift.max(grade.scaled, old?.scaled ?? 0), what())
    } else if grade.scaled > old!.scaled {
      rows[key]!.scaled = grade.scaled
    }
  }
  func report(_ title: String) {
    print(
      "\(title): worst ulps per loss × dtype (ulps from the exact value, Float32; from the correctly rounded value, Float64)"
    )
    for key in rows.keys.sorted() {
      let r = rows[key]!
      print(
        "  \(key.padding(toLength: 44, withPad: " ", startingAt: 0)) ulps \(format(r.ulps))  scaled \(format(r.scaled))  worst: \(r.what)"
      )
    }
  }
  private func format(_ x: Double) -> String {
    let s = "\((x * 1000).rounded() / 1000)"
    return s.padding(toLength: 8, withPad: " ", startingAt: 0)
  }
}

/// Whether an environment variable is set to a non-empty value other than 0.
func environmentFlag(_ name: String) -> Bool {
  guard let raw = getenv(name) else { return false }
  let s = String(cString: raw)
  return !s.isEmpty && s != "0"
}
