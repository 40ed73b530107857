import Foundation
import LossCore
import LossReports
import LossSpec
import LossStability

/// The errata and stability families of `losscheck verify`.
///
/// - `errata`: each erratum of the seed page shown on its concrete input (the page's formula and
///   LossSpec's implemented value differ).
/// - `stability`: the sweeps of `losscheck stability` (growing n up to 1e4, so the main job stays
///   quick), written to `<reports>/stability.html`. The Flux evaluation order is reported, not
///   gated (it is what Flux users get); a built-in implementation fails if it returns NaN, ±∞ or
///   an error where the exact value is finite.
/// - `stability`, `gradient sweeps`: the gradient sweeps (growing n up to 1e3) for LossFast and
///   the Flux order, written to `<reports>/stability-gradients.html`. It passes when LossSpec
///   decided every point and the page was written; the implementations' bits of error are
///   findings, not gated (LossFast's gradients are gated on the golden vectors; an implementation
///   that does not differentiate shows as not run).
enum StabilityChecks {
  /// The largest n of the gradient sweeps in `verify` (each point is an exact gradient).
  static let gradientMaxN = 1000

  static func errata(for context: VerificationContext) async -> [Check] {
    Erratum.all.map { erratum in
      Check(group: "errata", name: "\(erratum.number). \(erratum.loss.rawValue): \(erratum.title)") {
        let dtype = erratum.request.dtype
        guard let page = erratum.pageValue else { return .skipped("no formula to evaluate") }
        let implemented: Double
        do {
          implemented = try LossSpec.evaluate(erratum.request).rounded[0]
        } catch {
          return CheckResult(passed: false, detail: "LossSpec failed on the counterexample: \(error)", cases: 1)
        }
        let differ = !(page == implemented)
        let show = { (x: Double) in ProtocolCodec.encode(x, dtype: dtype).serialized() }
        return CheckResult(
          passed: differ,
          detail:
            "on \(erratum.input): the page's \(erratum.pageFormula) gives \(show(page)); implemented \(erratum.implementedFormula) gives \(show(implemented))",
          cases: 1)
      }
    }
  }

  static func sweeps(for context: VerificationContext) async -> [Check] {
    await valueSweeps(for: context) + gradientSweeps(for: context) + halfSweeps(for: context)
  }

  /// The largest n of the half-precision sweeps in `verify` (coarse sweeps: a few seconds).
  static let halfMaxN = 10_000

  /// The half-precision sweeps (coarse, growing n up to `halfMaxN`), written to
  /// `<reports>/stability-half.html`: the Flux order in Float16 and every built-in implementation
  /// on the half dtypes it lists. It passes when LossSpec decided every point and the page was
  /// written; the bits of error are findings, not gated (Flux's in-dtype sums are what Flux users
  /// get; LossFast's half results are gated on the golden vectors).
  static func halfSweeps(for context: VerificationContext) async -> [Check] {
    let directory = context.reportsDirectory
    let builtIn = BuiltInImplementation.allCases.filter { $0 != .spec }.map(\.implementation)
    return [
      Check(group: "stability", name: "half-precision sweeps against LossSpec (report: stability-half.html)") {
        var run = StabilityRun(implementations: [NaiveFluxImplementation()] + builtIn)
        await run.run(SweepCatalogue.halfPrecision(maxN: halfMaxN, coarse: true))
        let html = StabilityReport(
          run: run,
          environment: [
            ("Reproduce", "losscheck stability --max-n 10000 (its half-precision page; coarse sweeps)"),
            ("Duration", String(format: "%.1f s", run.seconds)),
          ],
          companion: ("stability.html", "the value sweeps in Float32 and Float64")
        ).html()
        do throws(ReportFile.Failure) {
          try ReportFile.write(html, to: directory + "/stability-half.html")
        } catch {
          return CheckResult(passed: false, detail: error.description, cases: 0)
        }
        let findings = run.implementations.indices.map { run.summary($0).line + " (reported, not gated)" }
        let points = run.results.reduce(0) { $0 + $1.points.count }
        let undecided = run.undecidedCount
        return CheckResult(
          passed: undecided == 0,
          detail:
            "\(run.results.count) sweeps, \(points) points in Float16 and BFloat16 in \(String(format: "%.1f", run.seconds)) s"
            + (undecided == 0 ? ", LossSpec decided every point" : ", LossSpec left \(undecided) points undecided")
            + "; see stability-half.html",
          cases: points, findings: findings)
      }
    ]
  }

  static func valueSweeps(for context: VerificationContext) async -> [Check] {
    let directory = context.reportsDirectory
    let builtIn = BuiltInImplementation.allCases.filter { $0 != .spec }.map(\.implementation)
    return [
      Check(group: "stability", name: "sweeps against LossSpec (report: stability.html)") {
        var run = StabilityRun(implementations: [NaiveFluxImplementation()] + builtIn)
        await run.run(SweepCatalogue.all(maxN: 10_000))
        let html = StabilityReport(
          run: run,
          environment: [
            ("Reproduce", "losscheck stability --max-n 10000"), ("Duration", String(format: "%.1f s", run.seconds)),
          ],
          companion: ("stability-gradients.html", "the gradient sweeps (∂L/∂ŷ)"),
          seeAlso: [("stability-half.html", "the sweeps in half precision (Float16, BFloat16)")]
        ).html()
        do throws(ReportFile.Failure) {
          try ReportFile.write(html, to: directory + "/stability.html")
        } catch {
          return CheckResult(passed: false, detail: error.description, cases: 0)
        }
        var findings: [String] = []
        var passed = true
        for k in run.implementations.indices {
          let summary = run.summary(k)
          let gated = k > 0
          if gated && (summary.nonFinite > 0 || summary.graded == 0) { passed = false }
          findings.append(summary.line + (gated ? "" : " (reported, not gated)"))
        }
        let points = run.results.reduce(0) { $0 + $1.points.count }
        return CheckResult(
          passed: passed,
          detail:
            "\(run.results.count) sweeps, \(points) points in \(String(format: "%.1f", run.seconds)) s; see stability.html",
          cases: points, findings: findings)
      }
    ]
  }

  static func gradientSweeps(for context: VerificationContext) async -> [Check] {
    let directory = context.reportsDirectory
    let builtIn = BuiltInImplementation.allCases.filter { $0 != .spec }.map(\.implementation)
    return [
      Check(group: "stability", name: "gradient sweeps against LossSpec (report: stability-gradients.html)") {
        var run = StabilityRun(implementations: [NaiveFluxImplementation()] + builtIn)
        await run.runGradients(SweepCatalogue.gradients(maxN: gradientMaxN))
        let html = StabilityReport(
          run: run,
          environment: [
            ("Reproduce", "losscheck stability --max-n 1000 (its gradient page)"),
            ("Duration", String(format: "%.1f s", run.seconds)),
          ],
          measure: .gradients, companion: ("stability.html", "the value sweeps")
        ).html()
        do throws(ReportFile.Failure) {
          try ReportFile.write(html, to: directory + "/stability-gradients.html")
        } catch {
          return CheckResult(passed: false, detail: error.description, cases: 0)
        }
        let findings = run.implementations.indices.map { run.summary($0).line + " (reported, not gated)" }
        let points = run.results.reduce(0) { $0 + $1.points.count }
        let undecided = run.undecidedCount
        return CheckResult(
          passed: undecided == 0,
          detail:
            "\(run.results.count) sweeps, \(points) points of ∂L/∂ŷ in \(String(format: "%.1f", run.seconds)) s"
            + (undecided == 0 ? ", LossSpec decided every point" : ", LossSpec left \(undecided) points undecided")
            + "; see stability-gradients.html",
          cases: points, findings: findings)
      }
    ]
  }
}
