import Foundation
import LossCore
import LossSpec
@_exported import _LossTestSupport

@testable import LossConformance

/// Paths and tools the tests use.
enum Fixtures {
  /// The package root (Tests/LossConformanceTests/Support.swift → ../..).
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  static let vectorsDirectory = path("Conformance/vectors")
  static let adapters = path("Conformance/adapters")

  /// The committed golden vectors, read once.
  static let vectors: [GoldenCase] = (try? VectorFiles.load(vectorsDirectory)) ?? []

  /// Whether `python3` can import `module` (run once per module, at first use).
  static func pythonCanImport(_ module: String) -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "python3 -c 'import \(module)' >/dev/null 2>&1"]
    do {
      try process.run()
    } catch {
      return false
    }
    process.waitUntilExit()
    return process.terminationStatus == 0
  }

  /// Whether `python3` with numpy can run (the Python adapters need it).
  static let pythonWithNumpy = pythonCanImport("numpy")

  /// Whether that `python3` also has ml_dtypes (the Python adapters' bfloat16; JAX installs it).
  static let pythonWithMLDtypes = pythonCanImport("ml_dtypes")

  /// The `losscheck` executable built with the tests, if any.
  static let losscheck: String? = {
    var candidates: [URL] = []
    for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
      candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("losscheck"))
    }
    if let executable = Bundle.main.executableURL {
      candidates.append(executable.deletingLastPathComponent().appendingPathComponent("losscheck"))
    }
    candidates.append(root.appendingPathComponent(".build/debug/losscheck"))
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path
  }()

  /// A fresh directory under the system's temporary directory (`<prefix>-<UUID>`), removed by
  /// the caller (the test support's ``makeTemporaryDirectory(prefix:)``).
  static func temporaryDirectory(_ prefix: String) throws -> URL { try makeTemporaryDirectory(prefix: prefix) }

  /// A shell command running a Python adapter file of Conformance/adapters.
  static func python(_ file: String, _ arguments: String = "") -> String {
    "python3 '\(adapters)/\(file)' \(arguments)"
  }

  /// The golden cases selected by `predicate`, in file order.
  static func cases(where predicate: (GoldenCase) -> Bool) -> [CaseSource] {
    vectors.filter(predicate).map(CaseSource.golden)
  }
}

/// LossSpec as the reference, for tests that build their own cases.
let specReference: ReferenceEvaluator = { request in
  do throws(LossError) {
    let result = try LossSpec.evaluate(request, exactDigits: 40)
    return .value(
      shape: result.shape, exact: result.exact, float32: result.float32, float64: result.float64,
      halfPrecision: result.dtype.isHalfPrecision ? result.rounded : [], errorScale: result.errorScale)
  } catch {
    return .error(error)
  }
}

/// Runs `cases` against `command` and returns the report with its evaluation.
func conform(
  _ command: String, _ cases: [CaseSource], require: Tier = .acceptable, timeout: Duration = .seconds(10),
  startupTimeout: Duration = .seconds(60), maxRestarts: Int = 10, divergences: [DivergenceEntry] = [],
  grading: GradingOptions = .init()
) async throws -> (report: ConformanceReport, evaluation: GateEvaluation) {
  let runner = ConformanceRunner(
    configuration: RunnerConfiguration(
      command: command, caseTimeout: timeout, startupTimeout: startupTimeout, maxRestarts: maxRestarts,
      grading: grading))
  let outcome = try await runner.run(cases)
  let report = ConformanceReport(
    implementation: outcome.hello.implementation, adapter: command, helloLosses: outcome.hello.losses,
    helloDTypes: outcome.hello.dtypes,
    options: ConformanceReport.Options(require: require, grading: grading), source: "tests", started: "",
    seconds: outcome.seconds, notes: outcome.notes, divergences: divergences, cases: outcome.results)
  return (report, GateEvaluation(report: report))
}
