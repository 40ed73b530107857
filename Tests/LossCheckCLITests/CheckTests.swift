import Foundation
import LossCore
import Testing

@testable import LossCheckCLI
@testable import LossVerification

@Suite("The oracle check")
struct OracleCheckTests {
  static let lines = [
    #"{"id":"s32","loss":"mse","dtype":"float32","yhat":[1,2],"y":[0,0],"oracle":{"outcome":"finite","float32":"2.5","float64":"2.5","exact":"2.5","category":"benign"}}"#,
    #"{"id":"ovf","loss":"mse","dtype":"float32","yhat":[3e38],"y":[-3e38],"oracle":{"outcome":"finite","float32":"Infinity","float64":"3.6e77","category":"extreme"}}"#,
    #"{"id":"arr","loss":"mae","dtype":"float64","shape":[2],"yhat":[1,2],"y":[0,0],"params":{"agg":"none"},"oracle":{"outcome":"array","shape":[2],"float32":["1.0","2.0"],"float64":["1.0","2.0"],"category":"benign"}}"#,
    #"{"id":"dm","loss":"mse","yhat":[1,2],"y":[1,2,3],"yshape":[3],"oracle":{"outcome":"DimensionMismatch","category":"error"}}"#,
    #"{"id":"ae","loss":"mse","yhat":[1],"y":[1],"params":{"agg":"median"},"oracle":{"outcome":"ArgumentError","category":"error"}}"#,
    #"{"id":"z","loss":"mae","yhat":[0],"y":[0],"oracle":{"outcome":"finite","float32":"0.0","float64":"0.0","category":"benign"}}"#,
  ]

  /// The right answers (the two errors come from decoding and shape checking).
  static let right: [String: LossOutcome] = [
    "s32": .value(.scalar(2.5)),
    "ovf": .value(.scalar(.infinity)),
    "arr": .value(.array(Tensor([1, 2]))),
    "dm": .error(.dimensionMismatch("ŷ has shape (2,) but y has shape (3,)")),
    "z": .value(.scalar(-0.0)),
  ]

  func run(_ answers: [String: LossOutcome], lines: [String] = OracleCheckTests.lines) async throws -> [(
    Check, CheckResult
  )] {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("oracle.jsonl")
    try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
    let context = VerificationContext(
      implementation: TableImplementation(answers: answers),
      oracleFile: .init(path: file.path, isExplicit: true),
      publishedExamplesFile: .init(path: directory.appendingPathComponent("absent.json").path, isExplicit: false))
    var results: [(Check, CheckResult)] = []
    for check in await OracleChecks.checks(for: context) { results.append((check, await check.run())) }
    return results
  }

  @Test("right answers pass: bits, overflow to Infinity, arrays, errors; -0 is noted")
  func rightAnswers() async throws {
    let results = try await run(Self.right)
    #expect(results.map(\.0.name) == ["file", "mae", "mse"])
    for (check, result) in results {
      #expect(result.passed, "\(check.name): \(result.detail) \(result.findings)")
    }
    let mae = try #require(results.first { $0.0.name == "mae" }?.1)
    #expect(mae.cases == 2)
    #expect(mae.detail.contains("sign of zero"))
  }

  @Test("a value one ulp off fails, with the ulps and the category")
  func oneULPOff() async throws {
    var answers = Self.right
    answers["s32"] = .value(.scalar(Double(Float(2.5).nextUp)))
    let mse = try #require(try await run(answers).first { $0.0.name == "mse" }?.1)
    #expect(!mse.passed)
    #expect(mse.detail.hasPrefix("1 of 4 cases differ"))
    #expect(mse.findings.first?.contains("1.0 ulp") == true)
    #expect(mse.findings.first?.contains("[benign]") == true)
  }

  @Test("another outcome class fails: NaN for a value, a value for an error, unsupported")
  func outcomeClass() async throws {
    var answers = Self.right
    answers["s32"] = .value(.scalar(.nan))
    answers["dm"] = .value(.scalar(1))
    answers["arr"] = nil  // unsupported
    let results = try await run(answers)
    let mse = try #require(results.first { $0.0.name == "mse" }?.1)
    #expect(!mse.passed)
    #expect(mse.detail.hasPrefix("2 of 4 cases differ"))
    let mae = try #require(results.first { $0.0.name == "mae" }?.1)
    #expect(!mae.passed)
    #expect(mae.findings.first?.contains("unsupported") == true)
  }

  @Test("malformed lines fail the file check and name their line")
  func malformedLines() async throws {
    let lines = Self.lines + ["{not json", #"{"loss":"mse","yhat":[1],"y":[1]}"#]
    let file = try #require(try await run(Self.right, lines: lines).first?.1)
    #expect(!file.passed)
    #expect(file.findings.contains { $0.hasPrefix("line 7: malformed JSON at column 2") })
    #expect(file.findings.contains { $0.hasPrefix("line 8: no \"oracle\" object") })
  }

  @Test("an absent default oracle file is skipped; an absent explicit one fails")
  func absentFile() async {
    func context(explicit: Bool) -> VerificationContext {
      VerificationContext(
        implementation: TableImplementation(answers: [:]),
        oracleFile: .init(path: "/nonexistent/oracle.jsonl", isExplicit: explicit),
        publishedExamplesFile: .init(path: "/nonexistent/published.json", isExplicit: false))
    }
    let skipped = await OracleChecks.checks(for: context(explicit: false))
    #expect(skipped.count == 1)
    #expect(await skipped[0].run().skipped)
    let failed = await OracleChecks.checks(for: context(explicit: true))
    #expect(await !failed[0].run().passed)
  }
}

@Suite("The published-examples check")
struct PublishedExampleCheckTests {
  func check(_ example: String, answer: LossOutcome) async throws -> CheckResult {
    let json = try JSONValue(parsing: example)
    let implementation = TableImplementation(answers: ["published-1": answer])
    return await PublishedExampleChecks.check(json, number: 1, implementation: implementation)
  }

  static let mae =
    #"{"loss":"mae","dtype":"float64","shape":[3],"yhat":[1.1,1.9,3.1],"y":[1,2,3],"params":{},"published":"0.10000000000000009","inputs_exact":true}"#

  @Test("within 4 ulps of a Float64 literal, or 8·u·S")
  func ulps() async throws {
    let p = 0.10000000000000009
    var x = p
    for _ in 0..<4 { x = x.nextUp }
    #expect(try await check(Self.mae, answer: .value(.scalar(x))).passed)
    // mae's error scale here is mean(2|ŷ − y|) = 0.2, so 8·u·S = 1.6·2⁻⁵³ ≈ 1.8e-16: 20 ulps of
    // 0.1 (2.8e-16) is beyond both tolerances.
    var far = p
    for _ in 0..<20 { far = far.nextUp }
    #expect(try await !check(Self.mae, answer: .value(.scalar(far))).passed)
  }

  @Test("a Float32 literal (f0) is compared in Float32 ulps")
  func float32Literal() async throws {
    let example = #"{"loss":"msle","dtype":"float32","shape":[1],"yhat":[1.1],"y":[1],"published":"0.009084041f0"}"#
    var x = Float("0.009084041")!
    for _ in 0..<3 { x = x.nextDown }
    let result = try await check(example, answer: .value(.scalar(Double(x))))
    #expect(result.passed, "\(result.detail)")
    #expect(result.detail.contains("3.0 ulps of Float32"))
  }

  @Test("rounded inputs: a relative tolerance, and the detail says so")
  func roundedInputs() async throws {
    let example =
      #"{"loss":"crossentropy","dtype":"float32","shape":[2],"yhat":[0.5,0.5],"y":[1,0],"published":"1.6076053f0","inputs_exact":false}"#
    let near = try await check(example, answer: .value(.scalar(Double(Float(1.6076053 * (1 + 5e-7))))))
    #expect(near.passed)
    #expect(near.detail.contains("relative"))
    #expect(try await !check(example, answer: .value(.scalar(1.6076053 * (1 + 2e-6)))).passed)
  }

  @Test("agg = identity and an array display")
  func identityArray() async throws {
    let example =
      #"{"loss":"binarycrossentropy","dtype":"float64","shape":[2],"yhat":[0.5,0.25],"y":[1,0],"params":{"agg":"identity"},"published":"2-element Array{Float64,1}:\n 0.6931471805599453\n 0.2876820724517809"}"#
    let result = try await check(example, answer: .value(.array(Tensor([0.6931471805599453, 0.2876820724517809]))))
    #expect(result.passed, "\(result.detail)")
  }

  @Test("a rational and Inf")
  func rationalAndInfinity() async throws {
    let rational = #"{"loss":"mse","dtype":"float64","shape":[2],"yhat":[0,2],"y":[1,1],"published":"1//1"}"#
    #expect(try await check(rational, answer: .value(.scalar(1))).passed)
    let infinite =
      #"{"loss":"kldivergence","dtype":"float64","shape":[2],"yhat":[1,0],"y":[0.5,0.5],"params":{"eps":0},"published":"Inf"}"#
    #expect(try await check(infinite, answer: .value(.scalar(.infinity))).passed)
    #expect(try await !check(infinite, answer: .value(.scalar(.nan))).passed)
  }

  @Test("a boolean check")
  func booleanCheck() async throws {
    let example =
      #"{"loss":"kldivergence","dtype":"float64","shape":[2,2],"yhat":[0.5,0.5,0.5,0.5],"y":[1,0,0,1],"published":"true","check":"isapprox(result, log(2))"}"#
    #expect(try await check(example, answer: .value(.scalar(0.6931471805599453))).passed)
    #expect(try await !check(example, answer: .value(.scalar(0.7))).passed)
  }

  @Test("an unreadable published result fails with a reason")
  func unreadable() async throws {
    let example = #"{"loss":"mse","dtype":"float64","yhat":[1],"y":[0],"published":"about one"}"#
    let result = try await check(example, answer: .value(.scalar(1)))
    #expect(!result.passed)
    #expect(result.detail.contains("cannot read the published result"))
  }
}
