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
        writes one JSON Lines file per loss and a MANIFEST.json. The same seed gives the same files, \
        byte for byte. With --check nothing is written: the vectors are regenerated in memory and \
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

    @Option(name: .customLong("only"), help: .hidden)
    var only: [String] = []

    func run() async throws {
      let console = Console.current
      let seed = self.seed ?? VectorSet.recordedSeed(in: out) ?? VectorGenerator.defaultSeed
      if !only.isEmpty {
        for planned in VectorGenerator(seed: seed).catalogue()
        where only.contains(GoldenCase.contentID(of: planned.request)) {
          let started = Date()
          let golden = planned.golden(Self.reference)
          console.write(golden.vectorLine + "\n\(Date().timeIntervalSince(started)) s\n")
        }
        return
      }
      if plan {
        for planned in VectorGenerator(seed: seed).catalogue() {
          let golden = GoldenCase(
            request: planned.request,
            expectation: Expectation(outcome: .scalar, regime: planned.regime, tags: planned.tags))
          console.write(golden.requestLine + "\n")
        }
        return
      }
      let started = Date()
      let set = VectorSet.generate(seed: seed, evaluate: Self.reference)
      let seconds = Date().timeIntervalSince(started)
      if check {
        let stored: [GoldenCase]
        do {
          stored = try VectorFiles.load(out)
        } catch {
          throw CommandFailure("cannot read the stored vectors: \(error)")
        }
        let drift = VectorSet.drift(stored: stored, regenerated: set.cases)
        if drift.isEmpty {
          if !quiet {
            console.write(
              "vectors: \(stored.count) stored cases match a regeneration with seed \(seed) (\(String(format: "%.1f", seconds)) s)\n"
            )
          }
          return
        }
        console.write("DRIFT: the stored vectors in \(out) differ from a regeneration with seed \(seed):\n")
        for line in drift { console.write("  \(line)\n") }
        console.write("Regenerate with `losscheck vectors --seed \(seed) --out \(out)` if the change is intended.\n")
        throw ExitCode(1)
      }
      do {
        try set.write(to: out)
      } catch {
        throw CommandFailure("cannot write the vectors to \(out): \(ReportFile.describe(error))")
      }
      if !quiet {
        let counts = Regime.allCases.map { regime in
          "\(set.cases.filter { $0.regime == regime }.count) \(regime.rawValue)"
        }
        console.write(
          "vectors: wrote \(set.cases.count) cases (\(counts.joined(separator: ", "))) to \(out) with seed \(seed) "
            + "in \(String(format: "%.1f", seconds)) s\n")
      }
    }

    /// LossSpec as the reference of the golden vectors: exact values to 40 significant digits.
    static let reference: ReferenceEvaluator = { request in
      do throws(LossError) {
        let result = try LossSpec.evaluate(request, exactDigits: 40)
        return .value(
          shape: result.shape, exact: result.exact, float32: result.float32, float64: result.float64,
          errorScale: result.errorScale)
      } catch {
        return .error(error)
      }
    }
  }
}
