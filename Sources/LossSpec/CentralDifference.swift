import LossCore

/// The central difference of one gradient element, computed by LossSpec's value formulas in ball
/// arithmetic, against the gradient LossSpec derived by hand for it.
///
/// `D = (L(x + h) − L(x − h)) / 2h` with `h = 2^(e − 120)` (`e` the exponent of `|x|`; at `x = 0`
/// the least of the exponents of the request's smallest nonzero input and of the reciprocal of
/// its largest), the perturbed input exact and everything else
/// exact balls: no rounding noise, only the truncation `h²·L‴/6`, below `2⁻¹³⁰` of the gradient
/// for the Double inputs of the losses, whose poles (a log's argument `ŷ + ϵ`, `1 − ŷ + ϵ`) are at
/// least `|x|` or 2⁻⁵³ away, unless `ϵ` is set below 2⁻⁵³ by hand. The element conforms when
/// `D`'s ball, widened by `2⁻⁹⁰·|D|` for the truncation, meets the set of reals that round to the
/// reported value (at a kink: the interval between its two ends, where the central difference is
/// the mean of the one-sided derivatives).
///
/// A gradient small against the curvature (0 at a minimum, where `D` is the truncation alone; 0
/// where a one-sided square starts, `squared_hinge` at a zero margin, where `D = h/2`) fails that
/// test; it is then decided by a second step `h·2⁻⁴⁰⁰`, whose truncation is bounded by 4·2⁻⁴⁰⁰ of
/// the change between the two steps (an error linear or quadratic in `h`). That bound is an
/// estimate (it assumes the truncation is a power of `h`), as the issue's "exact central
/// difference" is everywhere except at such points.
public struct CentralDifference: Sendable, Hashable {
  /// What became of one element.
  public enum Verdict: String, Sendable, Hashable {
    /// The central difference rounds to the reported gradient element.
    case holds
    /// It does not: the hand-derived formula is wrong at this input.
    case fails
    /// Not checkable: `x ± h` leaves the domain (a log of a negative number), or the element or
    /// an input is not finite, or the ball stayed wider than the rounding interval.
    case skipped
  }

  /// Which input was moved.
  public var argument: GradientRequest.Argument
  /// The element's index (0-based, column-major; 0 for a scalar `y`).
  public var index: Int
  public var verdict: Verdict
  /// `D`, rounded to Double (`nan` when skipped).
  public var difference: Double
  /// The gradient element reported by ``LossSpec/gradient(_:)`` (at a kink, its lower end).
  public var reported: Double
  /// The working precision of the last evaluation, in bits.
  public var precision: Int
}

extension LossSpec {
  /// The central differences of every element of ŷ (and of y when `request.gradient` asks for
  /// it) against `gradient`, LossSpec's own gradient of `request` (see ``CentralDifference``).
  ///
  /// The precision grows (256, 768, 2304 bits) until `D`'s ball is narrower than a thousandth of
  /// the rounding interval of the reported element; an element that would need more (a gradient
  /// of exactly 0 among inexact terms: its rounding interval is the smallest subnormal's) is
  /// skipped.
  ///
  /// - Throws: the value's error when `request` itself is an error.
  public static func centralDifferences(_ request: LossRequest, gradient: SpecGradient) throws(LossError)
    -> [CentralDifference]
  {
    let (y, params) = try request.validated()
    let cotangent = try request.validatedCotangent(params)
    let scalarTarget: Bool
    if case .scalar = request.y { scalarTarget = true } else { scalarTarget = false }
    let inputs = request.yhat.values + y
    // The step at x = 0: below the smallest nonzero input and the reciprocal of the largest, so
    // that it does not reach past a kink or a boundary near 0 (mae at y = 1e−323; hinge's margin
    // 1 − ŷ·y, whose kink is at ŷ = 1/y, at ŷ = −0 beside y = 1e256).
    let finite = inputs.filter { $0.isFinite && $0 != 0 }.map(\.magnitude)
    let smallest = finite.min() ?? 1
    let largest = finite.max() ?? 1
    let exponentAtZero = Swift.min(smallest.exponent, largest >= 1 ? -largest.exponent - 1 : 0)
    var out: [CentralDifference] = []
    for argument in [GradientRequest.Argument.yhat, .y] {
      guard let elements = argument == .yhat ? gradient.yhat : gradient.y else { continue }
      for (index, element) in elements.enumerated() {
        let x = argument == .yhat ? request.yhat.values[index] : y[scalarTarget ? 0 : index]
        let (lower, upper): (Double, Double)
        switch element {
        case .value(let v): (lower, upper) = (v, v)
        case .subgradient(let a, let b): (lower, upper) = (a, b)
        }
        var result = CentralDifference(
          argument: argument, index: index, verdict: .skipped, difference: .nan, reported: lower, precision: 0)
        guard inputs.allSatisfy(\.isFinite), lower.isFinite, upper.isFinite else {
          out.append(result)
          continue
        }
        let scaleExponent = x != 0 ? Int(x.magnitude.exponent) : exponentAtZero
        let accept = (
          low: roundingInterval(lower, request.dtype).low, high: roundingInterval(upper, request.dtype).high
        )
        // An elementwise loss's other terms do not depend on x: its central difference is the
        // aggregation's factor (1/N, 1, or the cotangent's element) times that of the one term,
        // the same loss of the single element with agg = sum.
        let factor: Double?
        var subject = (request: request, y: y, params: params, cotangent: cotangent, index: Optional(index))
        if request.loss.takesAggregation && !request.loss.reducesOverDims && !(argument == .y && scalarTarget) {
          switch params.agg {
          case .mean: factor = nil
          case .sum: factor = 1
          case .none: factor = cotangent?[index] ?? 1
          }
          var single = LossRequest(
            loss: request.loss, dtype: request.dtype,
            yhat: try Tensor(shape: Shape([1]), values: [request.yhat.values[index]]),
            y: .array(try Tensor(shape: Shape([1]), values: [y[index]])), params: request.params)
          single.params.agg = .sum
          let (singleY, singleParams) = try single.validated()
          subject = (single, singleY, singleParams, nil, 0)
        } else {
          factor = 1
          if argument == .y && scalarTarget { subject.index = nil }
        }
        // D at the step h = 2^(e − bits); `previous` is D at the first step, for the second.
        func attempt(bits: Int, precisions: [Int], previous: Dyadic?) throws -> Dyadic? {
          let h = Dyadic(mantissa: 1, exponent: scaleExponent - bits)
          for precision in precisions {
            result.precision = precision
            func loss(_ offset: Dyadic) throws -> ExtendedReal {
              var formulas = Formulas(
                request: subject.request, y: subject.y, params: subject.params, precision: precision)
              formulas.perturbation = .init(
                argument: argument, index: subject.index, offset: .finite(Ball(offset, precision: precision)))
              let values = try formulas.evaluate().values
              guard let cotangent = subject.cotangent else { return values[0] }
              var total = ExtendedReal.exact(0, precision: precision)
              for (c, v) in zip(cotangent, values) {
                let term = try ExtendedReal(c, precision: precision) * v
                total = total + term
              }
              return total
            }
            let plus: ExtendedReal
            let minus: ExtendedReal
            do {
              plus = try loss(h)
              minus = try loss(-h)
            } catch is ExtendedReal.Undecided {
              continue  // a sign the IEEE reading needs: more precision
            } catch {
              return nil  // x ± h outside the domain
            }
            guard case .finite(var difference) = plus - minus else { return nil }
            if let factor {
              difference = Ball(difference.mid * Dyadic(factor), rad: difference.rad, precision: precision)
              difference.rad = Bound(atLeast: difference.rad.dyadic * Dyadic(factor.magnitude))
            } else {
              // agg = mean: the one term's difference over N.
              let count = ExtendedReal.exact(request.yhat.count, precision: precision)
              guard case .finite(let quotient) = try? ExtendedReal.finite(difference) / count else { return nil }
              difference = quotient
            }
            // D = (L(x + h) − L(x − h)) / 2h: a division by a power of two, exact.
            let twoH = Dyadic(mantissa: 1, exponent: -(scaleExponent - bits + 1))
            let mid = difference.mid * twoH
            result.difference = mid.approximation
            let width = accept.high - accept.low
            // An underflowed exp leaves a radius like 2^(−2⁵⁰) (Elementary.exp): coarsened to
            // 2⁻⁴⁰⁰ of the rounding interval (in the difference's units, width·2h), so that no sum
            // below aligns mantissas across that gap (a 2⁴⁷-byte shift otherwise).
            let rad =
              difference.rad.coarsened(relativeTo: width.scaled(by: scaleExponent - bits + 1), precision: 336)
              .dyadic * twoH
            guard Dyadic.compare(rad * Dyadic(1000), width) <= 0 else {
              // The bits still missing; past the ladder's last precision: skipped at once.
              let missing = (rad * Dyadic(1000)).topExponent - width.topExponent + 2
              if precision + missing > precisions.last! { return nil }
              continue
            }
            // The truncation h²·L‴/6: relative to D when the gradient is not small against
            // the curvature; at the second step, the first step's change scaled down by the step
            // ratio 2⁻⁴⁰⁰, times 4: an error linear in h (a one-sided curvature, squared_hinge at
            // a zero margin) or quadratic (then 2⁻⁴⁰⁰ more than needed).
            var slack = mid.magnitude * Dyadic(mantissa: 1, exponent: -90) + rad
            if let previous {
              let change = (previous - mid).magnitude
              if !change.isZero {
                slack = slack + Dyadic(mantissa: 1, exponent: change.topExponent + 3 - (bits - 120))
              }
            }
            let holds =
              Dyadic.compare(mid + slack, accept.low) >= 0 && Dyadic.compare(mid - slack, accept.high) <= 0
            result.verdict = holds ? .holds : .fails
            return mid
          }
          return nil
        }
        // A gradient that is small against the curvature (0 at a minimum: D = h²·L‴/6 alone; 0
        // where a one-sided square starts: D = h/2) fails at the first step; the second, 2⁻⁴⁰⁰
        // of it, decides it.
        if let first = try? attempt(bits: 120, precisions: [256, 768, 2304], previous: nil),
          result.verdict == .fails
        {
          result.verdict = .skipped
          _ = try? attempt(bits: 520, precisions: [1536, 3072], previous: first)
        }
        out.append(result)
      }
    }
    return out
  }

  /// The reals that round to `r` in `dtype` (round to nearest): from the midpoint with the value
  /// below to the midpoint with the value above.
  static func roundingInterval(_ r: Double, _ dtype: DType) -> (low: Dyadic, high: Dyadic) {
    // ±∞ past the largest finite value: the interval then extends by half the spacing below.
    let (below, above) = (dtype.nextDown(r), dtype.nextUp(r))
    let half = Dyadic(mantissa: 1, exponent: -1)
    let x = Dyadic(r)
    let low = below.isFinite ? (x + Dyadic(below)) * half : x - (Dyadic(above) - x) * half
    let high = above.isFinite ? (x + Dyadic(above)) * half : x + (x - Dyadic(below)) * half
    return (low, high)
  }
}
