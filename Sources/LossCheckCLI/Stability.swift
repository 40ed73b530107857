import ArgumentParser
import Foundation
import LossConformance
import LossCore
import LossReports
import LossStability
import LossVerification

extension LossCheck {
  /// `losscheck stability`: parametric sweeps over the regimes where losses break, graded in
  /// bits of error against LossSpec, written as one self-contained HTML report.
  struct Stability: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "stability",
      abstract: "Numerical-stability sweeps of every loss, graded against LossSpec.",
      discussion: """
        Every sweep point is evaluated by LossSpec (the exact, correctly rounded reference), by \
        the Flux evaluation order emulated in the dtype (what Flux users get), and by the \
        built-in implementations named with --impl (default: every built-in one except spec), and \
        by every adapter named with --adapter (numpy, JAX, PyTorch: Conformance/adapters). Writes a self-contained HTML report (charts, ULP tables, errata). \
        Then the gradient sweeps: ∂L/∂ŷ of the same implementations (Flux order: Zygote's rules \
        for Flux's source) graded by its worst element against LossSpec's exact gradient, written \
        to --gradients-out; an implementation without gradients is shown as not run. \
        Then the half-precision sweeps (Float16, BFloat16: input scale, and growing n up to \
        min(--max-n, 10⁶)), written to --half-out; an implementation (or adapter) that does not \
        list a half dtype is shown as not run there.
        """)

    @Option(name: .customLong("impl"), help: "A built-in implementation to include (repeatable).")
    var implementations: [BuiltInImplementation] = []

    @Option(
      name: .customLong("adapter"),
      help: ArgumentHelp(
        "An adapter command speaking losscheck/1 to include (repeatable), e.g. \"python3 Conformance/adapters/numpy_adapter.py\".",
        discussion: "Points above --adapter-max-elements elements are not sent to adapters (shown as not run)."))
    var adapters: [String] = []

    @Option(name: .customLong("adapter-max-elements"), help: "The largest input sent to an adapter.")
    var adapterMaxElements: Int = 200_000

    @Option(name: .customLong("adapter-timeout"), help: "Seconds an adapter may take for one point.")
    var adapterTimeout: Double = 60

    @Option(help: "Where to write the report.")
    var out: String = "Reports/stability.html"

    @Option(
      name: .customLong("gradients-out"),
      help: "Where to write the gradient report (default: the report's name with -gradients, same directory).")
    var gradientsOut: String?

    @Flag(name: .customLong("no-gradients"), help: "Skip the gradient sweeps.")
    var noGradients = false

    @Option(
      name: .customLong("half-out"),
      help: "Where to write the half-precision report (default: the report's name with -half, same directory).")
    var halfOut: String?

    @Flag(name: .customLong("no-half"), help: "Skip the half-precision sweeps (Float16, BFloat16).")
    var noHalf = false

    @Option(name: .customLong("max-n"), help: "The largest n of the growing-n sweeps.")
    var maxN: Int = 10_000_000

    @Flag(help: "A quick run: growing-n sweeps up to n = 1000.")
    var quick = false

    @Option(name: .customLong("loss"), help: "Sweep only these losses (repeatable; default: all fourteen).")
    var losses: [LossID] = []

    func validate() throws {
      try OptionBounds.integer("--max-n", maxN, in: 10...100_000_000)
      try OptionBounds.integer("--adapter-max-elements", adapterMaxElements, in: 1...100_000_000)
      try OptionBounds.seconds("--adapter-timeout", adapterTimeout)
    }

    func run() async throws {
      let console = Console.current
      do throws(ReportFile.Failure) {
        try ReportFile.check(out)
        if !noGradients { try ReportFile.check(gradientPath) }
        if !noHalf { try ReportFile.check(halfPath) }
      } catch {
        throw CommandFailure(error.description)
      }
      let started = Date()
      let chosen = implementations.isEmpty ? BuiltInImplementation.allCases.filter { $0 != .spec } : implementations
      var external: [AdapterImplementation] = []
      for command in adapters {
        do {
          let adapter = try AdapterImplementation(
            command: command, timeout: OptionBounds.duration(adapterTimeout), maxElements: adapterMaxElements)
          console.writeError("stability: adapter \(adapter.name) (\(command))\n")
          external.append(adapter)
        } catch {
          throw CommandFailure("cannot start the adapter '\(command)': \(error.message)")
        }
      }
      defer { for adapter in external { adapter.stop() } }
      let builtIn: [any LossImplementation] = [NaiveFluxImplementation()] + chosen.map(\.implementation)
      var run = StabilityRun(implementations: builtIn + external.map { $0 as any LossImplementation })
      let sweeps = SweepCatalogue.all(maxN: quick ? 1000 : maxN).filter { losses.isEmpty || losses.contains($0.loss) }
      await run.run(sweeps) { done, total in
        if console.errorIsTerminal { console.writeError("\rstability: \(done)/\(total) sweeps") }
      }
      if console.errorIsTerminal { console.writeError("\n") }
      let environment: [(String, String)] = [
        ("Date (UTC)", started.formatted(.iso8601)),
        ("Duration", String(format: "%.1f s", run.seconds)),
        ("Implementations", run.implementations.map(\.name).joined(separator: "; ")),
        ("Compiler", "Swift \(Verification.compilerVersion)"),
        ("Machine", "\(Verification.machine), \(Self.cpuModel), \(ProcessInfo.processInfo.activeProcessorCount) cores"),
        ("Reproduce", reproduction),
      ]
      let gradientLink = Self.relativeAddress(of: gradientPath, from: out)
      let halfLink = Self.relativeAddress(of: halfPath, from: out)
      let html = StabilityReport(
        run: run, environment: environment,
        companion: noGradients ? nil : (gradientLink, "the gradient sweeps (∂L/∂ŷ)"),
        seeAlso: noHalf ? [] : [(halfLink, "the sweeps in half precision (Float16, BFloat16)")]
      ).html()
      do throws(ReportFile.Failure) {
        try ReportFile.write(html, to: out)
      } catch {
        throw CommandFailure(error.description)
      }
      // A one-line summary per implementation.
      for k in run.implementations.indices { console.write(run.summary(k).line + "\n") }
      console.write(
        "stability: \(run.results.count) sweeps in \(String(format: "%.1f", run.seconds)) s; report: \(out)\n")
      if !noGradients {
        var gradients = StabilityRun(implementations: run.implementations)
        let gradientSweeps = SweepCatalogue.gradients(maxN: quick ? 1000 : Swift.min(maxN, 100_000)).filter {
          losses.isEmpty || losses.contains($0.loss)
        }
        await gradients.runGradients(gradientSweeps) { done, total in
          if console.errorIsTerminal { console.writeError("\rstability: \(done)/\(total) gradient sweeps") }
        }
        if console.errorIsTerminal { console.writeError("\n") }
        var gradientEnvironment = environment
        gradientEnvironment[1] = ("Duration", String(format: "%.1f s", gradients.seconds))
        let page = StabilityReport(
          run: gradients, environment: gradientEnvironment, measure: .gradients,
          companion: (Self.relativeAddress(of: out, from: gradientPath), "the value sweeps")
        ).html()
        do throws(ReportFile.Failure) {
          try ReportFile.write(page, to: gradientPath)
        } catch {
          throw CommandFailure(error.description)
        }
        for k in gradients.implementations.indices { console.write("gradients: " + gradients.summary(k).line + "\n") }
        console.write(
          "stability: \(gradients.results.count) gradient sweeps in \(String(format: "%.1f", gradients.seconds)) s; report: \(gradientPath)\n"
        )
        if gradients.undecidedCount > 0 {
          console.write("stability: LossSpec left \(gradients.undecidedCount) gradient points undecided\n")
        }
      }
      if !noHalf {
        var half = StabilityRun(implementations: run.implementations)
        let halfSweeps = SweepCatalogue.halfPrecision(maxN: quick ? 1000 : Swift.min(maxN, 1_000_000)).filter {
          losses.isEmpty || losses.contains($0.loss)
        }
        await half.run(halfSweeps) { done, total in
          if console.errorIsTerminal { console.writeError("\rstability: \(done)/\(total) half-precision sweeps") }
        }
        if console.errorIsTerminal { console.writeError("\n") }
        var halfEnvironment = environment
        halfEnvironment[1] = ("Duration", String(format: "%.1f s", half.seconds))
        let page = StabilityReport(
          run: half, environment: halfEnvironment,
          companion: (Self.relativeAddress(of: out, from: halfPath), "the value sweeps in Float32 and Float64")
        ).html()
        do throws(ReportFile.Failure) {
          try ReportFile.write(page, to: halfPath)
        } catch {
          throw CommandFailure(error.description)
        }
        for k in half.implementations.indices { console.write("half: " + half.summary(k).line + "\n") }
        for adapter in external where !adapter.dtypes.contains(where: \.isHalfPrecision) {
          console.write("half: \(adapter.name) lists no half dtype (its hello): not run in half precision\n")
        }
        console.write(
          "stability: \(half.results.count) half-precision sweeps in \(String(format: "%.1f", half.seconds)) s; report: \(halfPath)\n"
        )
      }
      // An adapter that failed (crashed, hung, answered garbage) or answered nothing is an adapter
      // error, not a clean sweep: its points are missing from the charts.
      var failed: [String] = []
      for (offset, adapter) in external.enumerated() {
        let summary = run.summary(builtIn.count + offset)
        let faults = adapter.faults
        if faults.count > 0 {
          failed.append("\(adapter.name) failed on \(faults.count) points (first: \(faults.first ?? "?"))")
        } else if summary.graded == 0 {
          failed.append("\(adapter.name) was graded on no point")
        }
      }
      if !failed.isEmpty {
        throw CommandFailure("adapter error: " + failed.joined(separator: "; "))
      }
    }

    /// Where the gradient report goes: `--gradients-out`, else the report's path with
    /// `-gradients` before its extension.
    var gradientPath: String {
      if let gradientsOut { return gradientsOut }
      if out.hasSuffix(".html") { return String(out.dropLast(5)) + "-gradients.html" }
      return out + "-gradients.html"
    }

    /// Where the half-precision report goes: `--half-out`, else the report's path with `-half`
    /// before its extension.
    var halfPath: String {
      if let halfOut { return halfOut }
      if out.hasSuffix(".html") { return String(out.dropLast(5)) + "-half.html" }
      return out + "-half.html"
    }

    /// `target`'s address relative to the page at `page`: its file name when both are in the same
    /// directory, else the path as given.
    static func relativeAddress(of target: String, from page: String) -> String {
      let a = URL(fileURLWithPath: target).standardizedFileURL
      let b = URL(fileURLWithPath: page).standardizedFileURL
      return a.deletingLastPathComponent() == b.deletingLastPathComponent() ? a.lastPathComponent : a.path
    }

    /// The command line that reproduces this report.
    var reproduction: String {
      var words = ["losscheck stability"]
      if quick { words.append("--quick") } else if maxN != 10_000_000 { words.append("--max-n \(maxN)") }
      for impl in implementations { words.append("--impl \(impl.rawValue)") }
      for command in adapters { words.append("--adapter " + Verify.shellQuoted(command)) }
      if adapterMaxElements != 200_000 { words.append("--adapter-max-elements \(adapterMaxElements)") }
      for loss in losses { words.append("--loss \(loss.rawValue)") }
      if let gradientsOut { words.append("--gradients-out " + Verify.shellQuoted(gradientsOut)) }
      if noGradients { words.append("--no-gradients") }
      if let halfOut { words.append("--half-out " + Verify.shellQuoted(halfOut)) }
      if noHalf { words.append("--no-half") }
      return words.joined(separator: " ")
    }

    /// The CPU model from /proc/cpuinfo (Linux), or the architecture.
    static var cpuModel: String {
      if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
        let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
        let colon = line.firstIndex(of: ":")
      {
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      }
      return "unknown CPU"
    }
  }
}
