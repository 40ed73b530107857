import ArgumentParser
import Foundation
import LossConformance
import LossCore
import LossReports
import LossSpec

extension LossCheck {
  /// `losscheck vectors`: (re)generates the golden vectors, or checks them for drift.
  struct Vectors: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Generate the golden vectors (Conformance/vectors) deterministically, or check them for drift.",
      discussion: """
        Builds the case catalogue of every loss and dtype from a seed (benign, edge and extreme \
        regimes), computes each expectation with LossSpec (the exact value to at least 40 \
        significant digits, the correctly rounded Float32 and Float64 values, the error scale) and \
        writes one JSON Lines file per loss and a MANIFEST.json; the gradient vectors (each case also \
        asks for the gradient, and expects LossSpec's exact gradient rounded per element) go to the \
        gradients/ subdirectory in the same way. The same seed gives the same files, byte for byte. With --check nothing is written: the vectors are regenerated in memory and \
        compared with the stored ones (ids exactly, values within their bounds); exit status 1 on \
        drift. The schema is described in Conformance/PROTOCOL.md.
        """
    )

    static let defaultDirectory = "Conformance/vectors"

    @Option(
      help: "The generator's seed (default: the seed recorded in the directory's MANIFEST.json, else the built-in one)."
    )
    var seed: UInt64?

    @Option(help: ArgumentHelp("The directory of the vector files.", valueName: "directory"))
    var out = Vectors.defaultDirectory

    @Flag(help: "Regenerate in memory and compare with the stored vectors instead of writing them.")
    var check = false

    @Flag(help: "Print only errors and drift.")
    var quiet = false

    @Flag(help: "Print the planned requests (JSON Lines, with regime and tags) instead of generating.")
    var plan = false

    @Flag(help: "Only the gradient vectors (the gradients/ subdirectory): generate or check those alone.")
    var gradientsOnly = false

    @Option(name: .customLong("only"), help: .hidden)
    var only: [String] = []

    func run() async throws {
      let console = Console.current
      let seed = self.seed ?? VectorSet.recordedSeed(in: out) ?? VectorGenerator.defaultSeed
      let generator = VectorGenerator(seed: seed)
      if !only.isEmpty {
        for planned in generator.catalogue() + generator.gradientCatalogue()
        where only.contains(GoldenCase.contentID(of: planned.request)) {
          let started = Date()
          let golden =
            planned.request.gradient == nil
            ? planned.golden(Self.reference)
            : planned.goldenGradient(Self.reference, gradient: Self.gradientReference)
          console.write(
            (golden?.vectorLine ?? "(an error: no gradient case)") + "\n\(Date().timeIntervalSince(started)) s\n")
        }
        return
      }
      if plan {
        for planned in (gradientsOnly ? [] : generator.catalogue()) + generator.gradientCatalogue() {
          let golden = GoldenCase(
            request: planned.request,
            expectation: Expectation(outcome: .scalar, regime: planned.regime, tags: planned.tags))
          console.write(golden.requestLine + "\n")
        }
        return
      }
      let gradientOut = (out as NSString).appendingPathComponent(VectorSet.gradientDirectoryName)
      var drifted = false
      for kind in [VectorSet.Kind.values, .gradients] {
        if kind == .values && gradientsOnly { continue }
        let directory = kind == .values ? out : gradientOut
        let started = Date()
        let set =
          kind == .values
          ? VectorSet.generate(seed: seed, evaluate: Self.reference)
          : VectorSet.generateGradients(seed: seed, evaluate: Self.reference, gradient: Self.gradientReference)
        let seconds = Date().timeIntervalSince(started)
        let what = kind == .values ? "vectors" : "gradient vectors"
        if check {
          let stored: [GoldenCase]
          do {
            stored = try VectorFiles.load(directory)
          } catch {
            throw CommandFailure("cannot read the stored \(what): \(error)")
          }
          let drift = VectorSet.drift(stored: stored, regenerated: set.cases)
          if drift.isEmpty {
            if !quiet {
              console.write(
                "\(what): \(stored.count) stored cases match a regeneration with seed \(seed) (\(String(format: "%.1f", seconds)) s)\n"
              )
            }
            continue
          }
          console.write("DRIFT: the stored \(what) in \(directory) differ from a regeneration with seed \(seed):\n")
          for line in drift { console.write("  \(line)\n") }
          console.write("Regenerate with `losscheck vectors --seed \(seed) --out \(out)` if the change is intended.\n")
          drifted = true
          continue
        }
        do {
          try set.write(to: directory)
        } catch {
          throw CommandFailure("cannot write the \(what) to \(directory): \(ReportFile.describe(error))")
        }
        if !quiet {
          let counts = Regime.allCases.map { regime in
            "\(set.cases.filter { $0.regime == regime }.count) \(regime.rawValue)"
          }
          console.write(
            "\(what): wrote \(set.cases.count) cases (\(counts.joined(separator: ", "))) to \(directory) with seed \(seed) "
              + "in \(String(format: "%.1f", seconds)) s\n")
        }
      }
      if drifted { throw ExitCode(1) }
    }

    /// LossSpec's exact gradient as the reference of the gradient vectors: each element correctly
    /// rounded to the dtype (kinks as both one-sided derivatives), with its error scale.
    static let gradientReference: GradientReferenceEvaluator = { request in
      do throws(LossError) {
        let g = try LossSpec.gradient(request)
        return .gradient(
          GradientExpectation(
            yhat: g.yhat, y: g.y, yhatErrorScale: g.yhatErrorScale, yErrorScale: g.yErrorScale,
            terms: Grader.gradientTermCount(request), decided: g.decided))
      } catch {
        return .error(error)
      }
    }

    /// LossSpec as the reference of the golden vectors: exact values to 40 significant digits.
    static let reference: ReferenceEvaluator = { request in
      do throws(LossError) {
        let result = try LossSpec.evaluate(request, exactDigits: 40)
        return .value(
          shape: result.shape, exact: result.exact, float32: result.float32, float64: result.float64,
          halfPrecision: result.dtype.isHalfPrecision ? result.rounded : [],
          errorScale: result.errorScale)
      } catch {
        return .error(error)
      }
    }
  }
}
