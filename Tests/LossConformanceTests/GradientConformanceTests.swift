import Foundation
import LossCore
import LossSpec
import Testing

@testable import LossConformance

extension Fixtures {
  static let gradientDirectory = path("Conformance/vectors/gradients")

  /// The committed golden gradient vectors, read once.
  static let gradientVectors: [GoldenCase] = (try? VectorFiles.load(gradientDirectory)) ?? []
}

/// LossSpec's gradient as the reference, for tests that build their own gradient cases.
let specGradientReference: GradientReferenceEvaluator = { request in
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

/// LossSpec with a deliberately broken gradient (the issue's three bugs), or faithful.
struct BrokenGradient: LossImplementation {
  enum Bug: Sendable {
    case none
    /// The ŷ-gradient of `mse` with the wrong sign.
    case wrongSign
    /// ∇sum reported for ∇mean (every loss, agg = mean).
    case sumForMean
    /// binarycrossentropy's log clamped at −100 (PyTorch, which adds no ϵ): where log(ŷ) < −100
    /// the y·log term has no derivative.
    case clamp100
  }

  var bug: Bug
  let reference = ReferenceImplementation()
  var name: String { "broken-gradient \(bug)" }
  var losses: [LossID] { LossID.allCases }
  var dtypes: [DType] { DType.allCases }

  func evaluate(_ request: LossRequest) async -> LossOutcome { await reference.evaluate(request) }

  func answer(_ request: LossRequest) async -> LossAnswer {
    var answer = await reference.answer(request)
    guard case .gradient(var g)? = answer.gradient else { return answer }
    switch bug {
    case .none:
      break
    case .wrongSign where request.loss == .mse:
      g.yhat = g.yhat.map { -$0 }
    case .sumForMean where request.params.agg == nil || request.params.agg == .mean:
      if request.loss.takesAggregation { g.yhat = g.yhat.map { request.dtype.round($0 * Double(request.yhat.count)) } }
    case .clamp100 where request.loss == .binarycrossentropy:
      let e = request.params.eps ?? request.dtype.machineEpsilon
      let n = Double(request.yhat.count)
      if case .array(let y) = request.y {
        for i in g.yhat.indices where log(request.yhat.values[i]) < -100 {
          // Only the (1 − y)/(1 − ŷ + ϵ) term remains.
          g.yhat[i] = request.dtype.round((1 - y.values[i]) / (1 - request.yhat.values[i] + e) / n)
        }
      }
    default:
      break
    }
    answer.gradient = .gradient(g)
    return answer
  }
}

/// Grades `implementation` in process on `cases` (in parallel over two halves) and returns the
/// report with its evaluation, gradients gated.
func gradeGradients(
  _ implementation: some LossImplementation, _ cases: [GoldenCase], divergences: [DivergenceEntry] = [],
  gate: Bool = true
) async -> (report: ConformanceReport, evaluation: GateEvaluation) {
  let half = cases.count / 2
  async let first = ConformanceRunner.grade(implementation, on: Array(cases[..<half]))
  async let second = ConformanceRunner.grade(implementation, on: Array(cases[half...]))
  let results = await first + second
  let report = ConformanceReport(
    implementation: implementation.name, adapter: "in-process", helloLosses: [], helloDTypes: [],
    options: .init(gateGradients: gate), source: "tests", started: "", seconds: 0, divergences: divergences,
    cases: results)
  return (report, GateEvaluation(report: report))
}

@Suite(
  "Golden gradient vectors",
  .enabled(if: !Fixtures.gradientVectors.isEmpty, "Conformance/vectors/gradients is missing"),
  .timeLimit(.minutes(3)))
struct GradientVectorTests {
  @Test("the same seed plans the same gradient requests, another seed others; ids are content hashes")
  func deterministic() {
    let a = VectorGenerator(seed: 5).gradientCatalogue().map { GoldenCase.contentID(of: $0.request) }
    let b = VectorGenerator(seed: 5).gradientCatalogue().map { GoldenCase.contentID(of: $0.request) }
    let c = VectorGenerator(seed: 6).gradientCatalogue().map { GoldenCase.contentID(of: $0.request) }
    #expect(a == b)
    #expect(a != c)
    #expect(VectorGenerator().gradientCatalogue().allSatisfy { $0.request.gradient != nil })
  }

  @Test("the stored gradient cases are planned ones, in order, with gradients, apart from the value vectors")
  func storedArePlanned() throws {
    let planned = VectorGenerator(seed: VectorSet.recordedSeed(in: Fixtures.gradientDirectory) ?? 0)
      .gradientCatalogue()
    // Files are per loss (read in name order): the order is compared loss by loss.
    for loss in LossID.allCases {
      let ids = planned.filter { $0.request.loss == loss }.map { GoldenCase.contentID(of: $0.request) }
      var iterator = ids.makeIterator()
      for golden in Fixtures.gradientVectors where golden.loss == loss {
        #expect(golden.id == GoldenCase.contentID(of: golden.request))
        #expect(golden.expectation.gradient != nil)
        #expect(golden.request.gradient != nil)
        var found = false
        while let next = iterator.next() {
          if next == golden.id {
            found = true
            break
          }
        }
        #expect(found, "\(golden.id) is not planned (in order)")
      }
    }
    let valueIDs = Set(Fixtures.vectors.map(\.id))
    #expect(Fixtures.gradientVectors.allSatisfy { !valueIDs.contains($0.id) })
    // The value vectors' directory does not read the gradient vectors.
    #expect(Fixtures.vectors.allSatisfy { $0.expectation.gradient == nil })
  }

  @Test("every loss has benign, edge and kink/pole/bug coverage in both dtypes; every bug is tagged")
  func coverage() {
    let cases = Fixtures.gradientVectors
    for loss in LossID.allCases {
      for dtype in DType.standard {
        let own = cases.filter { $0.loss == loss && $0.dtype == dtype }
        #expect(own.contains { $0.regime == .benign }, "\(loss) \(dtype)")
        #expect(own.contains { $0.regime == .edge }, "\(loss) \(dtype)")
        #expect(own.contains { $0.tags.contains("grad:y") }, "\(loss) \(dtype)")
        #expect(own.count <= 60, "\(loss) \(dtype): \(own.count) cases")
      }
    }
    for bug in [
      "bug:nnlib#68", "bug:flux#914", "bug:pytorch#103316", "bug:pytorch#80770", "bug:pytorch#89558",
      "bug:optax#1786", "bug:keras#9664",
    ] {
      #expect(cases.contains { $0.tags.contains(bug) }, "\(bug)")
    }
    #expect(cases.contains { $0.loss == .mae && $0.tags.contains("kink") })
    #expect(cases.contains { $0.loss == .hinge && $0.tags.contains("kink") })
    #expect(cases.contains { $0.tags.contains("cotangent") && $0.request.gradient?.cotangent != nil })
  }

  @Test("lines round-trip, and the manifest records kind, counts, digests and bugs")
  func roundTripAndManifest() throws {
    for golden in Fixtures.gradientVectors.prefix(200) {
      #expect(try GoldenCase(line: golden.vectorLine).vectorLine == golden.vectorLine)
    }
    let set = VectorSet(seed: 20_250_501, cases: Fixtures.gradientVectors, kind: .gradients)
    let manifest = try #require(set.files().last)
    let stored = try String(
      contentsOfFile: (Fixtures.gradientDirectory as NSString).appendingPathComponent("MANIFEST.json"),
      encoding: .utf8)
    #expect(manifest.name == "MANIFEST.json")
    #expect(manifest.text == stored)
    #expect(stored.contains("\"kind\": \"gradients\""))
    #expect(stored.contains("bug:nnlib#68"))
  }

  @Test("no drift: regenerating mae, hinge, logitcrossentropy and binarycrossentropy gives the stored cases")
  func noDrift() async throws {
    let losses: Set<LossID> = [.mae, .hinge, .logitcrossentropy, .binarycrossentropy]
    let seed = VectorSet.recordedSeed(in: Fixtures.gradientDirectory) ?? 0
    let planned = VectorGenerator(seed: seed).gradientCatalogue().filter { losses.contains($0.request.loss) }
    let regenerated = await offCooperativePool {
      let slots = ResultSlots<GoldenCase?>(count: planned.count)
      DispatchQueue.concurrentPerform(iterations: planned.count) { i in
        slots.store(planned[i].goldenGradient(specReference, gradient: specGradientReference), at: i)
      }
      return slots.values.compactMap(\.self)
    }
    let stored = Fixtures.gradientVectors.filter { losses.contains($0.loss) }
    #expect(regenerated.count == stored.count)
    #expect(VectorSet.drift(stored: stored, regenerated: regenerated) == [])
    // A changed element is drift.
    var changed = regenerated
    changed[0].expectation.gradient?.yhat[0] = .value(12345)
    #expect(VectorSet.drift(stored: stored, regenerated: changed).contains { $0.contains("∂/∂yhat[1]") })
  }

  @Test("LossSpec grades correctlyRounded on every gradient vector (value and gradient)")
  func referenceIsCorrectlyRounded() async {
    let (report, evaluation) = await gradeGradients(ReferenceImplementation(), Fixtures.gradientVectors)
    #expect(report.cases.count == Fixtures.gradientVectors.count)
    #expect(report.cases.allSatisfy { $0.tier == .correctlyRounded })
    let notCR = report.cases.filter { $0.gradient?.tier != .correctlyRounded }
    #expect(notCR.isEmpty, "\(notCR.prefix(3).map { "\($0.id): \($0.gradient?.verdict?.note ?? "")" })")
    #expect(evaluation.passed)
    #expect(evaluation.gradientGraded == Fixtures.gradientVectors.count)
    #expect(evaluation.subgradients > 0)
  }
}

@Suite(
  "Gradient grading",
  .enabled(if: !Fixtures.gradientVectors.isEmpty, "Conformance/vectors/gradients is missing"),
  .timeLimit(.minutes(3)))
struct GradientGradingTests {
  /// A kink case of mae: ŷ = [1, 0.5, 2], y = [1, 1, 1], ∂/∂ŷ = [[−⅓, ⅓], −⅓, ⅓], with y.
  static let kink: GoldenCase = {
    let request = LossRequest(
      loss: .mae, dtype: .float64, yhat: Tensor([1, 0.5, 2]), y: .array(Tensor([1, 1, 1])),
      gradient: GradientRequest(withTarget: true))
    let planned = PlannedCase(request: request, regime: .edge, tags: [])
    return planned.goldenGradient(specReference, gradient: specGradientReference)!
  }()

  static func grade(_ gradient: GradientOutcome?) -> GradientResult {
    Grader.gradeGradient(kink, gradient: gradient)!
  }

  @Test("an element inside a kink's interval is a subgradient, conforming and counted")
  func subgradient() throws {
    let third = 1.0 / 3
    #expect(Self.kink.expectation.gradient?.yhat[0] == .subgradient(lower: -third, upper: third))
    #expect(Self.kink.expectation.tags.contains("kink"))
    let inside = Self.grade(.gradient(LossGradient(yhat: [0, -third, third], y: [0, third, -third])))
    #expect(inside.status == .graded)
    #expect(inside.tier == .correctlyRounded)
    #expect(inside.verdict?.subgradients == 2)
    #expect(inside.verdict?.note.contains("subgradient") == true)
    let end = Self.grade(.gradient(LossGradient(yhat: [third, -third, third], y: [-third, third, -third])))
    #expect(end.tier == .correctlyRounded)
    #expect(end.verdict?.subgradients == 2)
  }

  @Test("outside the interval an element is graded from the nearer end; NaN is divergent")
  func outside() {
    let third = 1.0 / 3
    let nearby = Self.grade(.gradient(LossGradient(yhat: [third.nextUp, -third, third], y: [0, third, -third])))
    #expect(nearby.tier == .faithful)
    #expect(nearby.verdict?.worstArgument == "yhat")
    #expect(nearby.verdict?.worstElement == 1)
    #expect(nearby.verdict?.note.hasPrefix("worst element ∂L/∂ŷ[1] of 3: outside the subgradient interval") == true)
    let far = Self.grade(.gradient(LossGradient(yhat: [1, -third, third], y: [0, third, -third])))
    #expect(far.tier == .divergent)
    let nan = Self.grade(.gradient(LossGradient(yhat: [.nan, -third, third], y: [0, third, -third])))
    #expect(nan.tier == .divergent)
  }

  @Test("the worst element names its argument (1-based); wrong counts and a missing y are divergent")
  func worstAndCounts() {
    let third = 1.0 / 3
    let wrongY = Self.grade(.gradient(LossGradient(yhat: [0, -third, third], y: [0, third, third])))
    #expect(wrongY.tier == .divergent)
    #expect(wrongY.verdict?.worstArgument == "y")
    #expect(wrongY.verdict?.worstElement == 3)
    #expect(wrongY.verdict?.note.hasPrefix("worst element ∂L/∂y[3] of 3") == true)
    let short = Self.grade(.gradient(LossGradient(yhat: [0, -third], y: [0, third, -third])))
    #expect(short.tier == .divergent)
    #expect(short.verdict?.note.contains("2 element(s), expected 3") == true)
    let noY = Self.grade(.gradient(LossGradient(yhat: [0, -third, third])))
    #expect(noY.tier == .divergent)
    #expect(noY.verdict?.note.contains("no grad.y") == true)
  }

  @Test("gradUnsupported and a missing gradient part are unsupported, never a verdict")
  func unsupported() {
    let reason = Self.grade(.unsupported("no autodiff"))
    #expect(reason.status == .unsupported)
    #expect(reason.verdict == nil)
    #expect(reason.detail == "no autodiff")
    let missing = Self.grade(nil)
    #expect(missing.status == .unsupported)
    #expect(missing.detail.contains("no gradient part"))
    // A value case has no gradient grade.
    let value = Fixtures.vectors[0]
    #expect(Grader.gradeGradient(value, gradient: nil) == nil)
  }

  @Test("within one ulp of the correctly rounded element is faithful; further out, the u·S bounds decide")
  func tiers() {
    let g = Grader.gradeRounded(0.5, scale: 1, answer: 0.5.nextUp, dtype: .float64, stable: 10, acceptable: 20)
    #expect(g.tier == .faithful)
    let s = Grader.gradeRounded(0.5, scale: 1, answer: 0.5 + 8 * 0x1p-53, dtype: .float64, stable: 10, acceptable: 20)
    #expect(s.tier == .stable)
    let a = Grader.gradeRounded(0.5, scale: 1, answer: 0.5 + 15 * 0x1p-53, dtype: .float64, stable: 10, acceptable: 20)
    #expect(a.tier == .acceptable)
    let d = Grader.gradeRounded(0.5, scale: 1, answer: 0.6, dtype: .float64, stable: 10, acceptable: 20)
    #expect(d.tier == .divergent)
    #expect(
      Grader.gradeRounded(.infinity, scale: 1, answer: .infinity, dtype: .float32, stable: 1, acceptable: 1).tier
        == .correctlyRounded)
    #expect(
      Grader.gradeRounded(0, scale: 0, answer: -0.0, dtype: .float32, stable: 1, acceptable: 1).tier
        == .correctlyRounded)
    #expect(
      Grader.gradeRounded(1, scale: 1, answer: .nan, dtype: .float32, stable: 1, acceptable: 1).tier == .divergent)
  }
}

@Suite(
  "Gradient gate",
  .enabled(if: !Fixtures.gradientVectors.isEmpty, "Conformance/vectors/gradients is missing"),
  .timeLimit(.minutes(3)))
struct GradientGateTests {
  static func cases(_ losses: Set<LossID>) -> [GoldenCase] {
    Fixtures.gradientVectors.filter { losses.contains($0.loss) }
  }

  @Test("the wrong sign, ∇sum for ∇mean and the −100 clamp are flagged by the gate; the faithful one is not")
  func brokenGradientsAreFlagged() async throws {
    let cases = Self.cases([.mse, .binarycrossentropy])
    let faithful = await gradeGradients(BrokenGradient(bug: .none), cases)
    #expect(faithful.evaluation.passed)
    #expect(faithful.evaluation.gradientFailures.isEmpty)

    let sign = await gradeGradients(BrokenGradient(bug: .wrongSign), cases)
    #expect(!sign.evaluation.passed)
    #expect(!sign.evaluation.gradientFailures.isEmpty)
    #expect(sign.evaluation.gradientFailures.allSatisfy { $0.loss == "mse" })
    #expect(sign.evaluation.failures.isEmpty)  // the values are right

    let sum = await gradeGradients(BrokenGradient(bug: .sumForMean), cases)
    #expect(!sum.evaluation.passed)
    #expect(sum.evaluation.gradientFailures.contains { $0.loss == "binarycrossentropy" })
    #expect(sum.evaluation.gradientFailures.contains { $0.loss == "mse" })

    let clamp = await gradeGradients(BrokenGradient(bug: .clamp100), cases)
    #expect(!clamp.evaluation.passed)
    let flagged = clamp.evaluation.gradientFailures.map(\.tags)
    #expect(flagged.contains { $0.contains("bug:pytorch#103316") })

    // Not gated (--no-gate-gradients): reported, the gate passes.
    let ungated = await gradeGradients(BrokenGradient(bug: .wrongSign), cases, gate: false)
    #expect(ungated.evaluation.passed)
    #expect(!ungated.evaluation.gradientBelowUngated.isEmpty)
    #expect(ungated.report.textSummary(ungated.evaluation).contains("gradients below acceptable, not gated"))
  }

  @Test("a divergence entry with part gradient makes a gradient failure known; one without part does not")
  func divergenceParts() async {
    let cases = Self.cases([.mse])
    let valueOnly = DivergenceEntry(loss: ["mse"], reason: "values", link: "https://example.com/a")
    let gradient = DivergenceEntry(
      loss: ["mse"], part: ["gradient"], reason: "gradients", link: "https://example.com/b")
    let plain = await gradeGradients(BrokenGradient(bug: .wrongSign), cases, divergences: [valueOnly])
    #expect(!plain.evaluation.passed)
    #expect(plain.evaluation.staleEntries == [0])
    let known = await gradeGradients(BrokenGradient(bug: .wrongSign), cases, divergences: [gradient])
    #expect(known.evaluation.passed)
    #expect(!known.evaluation.gradientKnown.isEmpty)
    #expect(known.evaluation.staleEntries.isEmpty)
    #expect(DivergenceEntry(loss: ["mse"], part: ["both"], reason: "x", link: "https://e.com").problem != nil)
  }

  @Test("JUnit has <id>/grad test cases, the JSON report carries the gradient records and merges")
  func reports() async throws {
    let cases = Self.cases([.mse, .mae])
    let (report, evaluation) = await gradeGradients(BrokenGradient(bug: .wrongSign), cases)
    let junit = report.junitXML(evaluation)
    let failing = try #require(evaluation.gradientFailures.first)
    #expect(junit.contains("name=\"\(failing.id)/grad\""))
    #expect(junit.contains("gradient divergent"))
    #expect(junit.contains("tests=\"\(2 * cases.count)\""))
    let json = try report.jsonText()
    #expect(json.contains("\"gradient\":{"))
    #expect(json.contains("\"worstElement\""))
    #expect(json.contains("\"gateGradients\":true"))
    let directory = try Fixtures.temporaryDirectory("grad-report")
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("r.json").path
    try json.write(toFile: path, atomically: true, encoding: .utf8)
    let loaded = try ConformanceReport.load(path)
    #expect(loaded.cases == report.cases)
    let merged = try ConformanceReport.merge([loaded])
    #expect(GateEvaluation(report: merged).gradientFailures.count == evaluation.gradientFailures.count)
    let text = report.textSummary(evaluation)
    #expect(text.contains("gradient"))
    #expect(text.contains("FAILED gradients"))
    #expect(report.html(evaluation).contains("Gradient failures"))
  }
}

@Suite(
  "Gradient vectors and adapters without gradients",
  .enabled(if: Fixtures.losscheck != nil, "the losscheck executable is not built"),
  .enabled(if: !Fixtures.gradientVectors.isEmpty, "Conformance/vectors/gradients is missing"),
  .timeLimit(.minutes(3)))
struct GradientSelectionTests {
  @Test("an adapter without gradients is graded on the value cases exactly as without gradient vectors")
  func valueGradingUnchanged() async throws {
    // LossFast answers gradients; its hello with `"gradients":true` removed is an adapter that
    // does not advertise them.
    let command = "\(Fixtures.losscheck!) serve --impl fast | sed -u 's/,\"gradients\":true//'"
    let values = Fixtures.cases { $0.loss == .mse || $0.loss == .hinge }
    let gradients = Fixtures.gradientVectors.filter { $0.loss == .mse }.map(CaseSource.golden)
    let plain = try await conform(command, values)
    let mixed = try await conform(command, values + gradients)
    func strip(_ results: [CaseResult]) -> [CaseResult] {
      results.map {
        var r = $0
        r.seconds = 0
        return r
      }
    }
    #expect(strip(mixed.report.cases) == strip(plain.report.cases))
    #expect(mixed.report.cases.allSatisfy { $0.gradient == nil })
    #expect(try mixed.report.jsonText().contains("\"gradient\"") == false)
    #expect(mixed.report.textSummary(mixed.evaluation) == plain.report.textSummary(plain.evaluation))
  }

  /// A tests-only adapter (standard library only) for mse in float64, advertising gradients:
  /// the value in Python floats, and the gradient faithfully, with the wrong sign, or ∇sum for
  /// ∇mean.
  static let script = #"""
    import json, sys
    mode = sys.argv[1]
    def out(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()
    out({"protocol": "losscheck/1", "implementation": "mse-grad " + mode, "losses": ["mse"],
         "dtypes": ["float64"], "gradients": True})
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        yhat = req["yhat"]
        y = req["y"] if isinstance(req["y"], list) else [req["y"]] * len(yhat)
        agg = req.get("params", {}).get("agg", "mean")
        terms = [(a - b) ** 2 for a, b in zip(yhat, y)]
        n = len(yhat)
        if agg == "none":
            resp = {"id": req["id"], "value": terms, "shape": req.get("shape", [n])}
            factor = req.get("cotangent") or [1.0] * n
        else:
            resp = {"id": req["id"], "value": sum(terms) / n if agg == "mean" else sum(terms)}
            f = 1.0 / n if agg == "mean" and mode != "sum-for-mean" else 1.0
            factor = [f] * n
        if "grad" in req:
            g = [2 * (a - b) * c for a, b, c in zip(yhat, y, factor)]
            if mode == "wrong-sign":
                g = [-v for v in g]
            grad = {"yhat": g}
            if "y" in req["grad"]:
                gy = [-v for v in g]
                grad["y"] = gy if isinstance(req["y"], list) else [sum(gy)]
            resp["grad"] = grad
        out(resp)
    """#

  @Test(
    "the default gate (hello gradients:true) flags a wrong gradient through losscheck conform; the faithful one passes",
    .enabled(if: Fixtures.pythonWithNumpy, "python3 is not installed"))
  func defaultGate() async throws {
    let directory = try Fixtures.temporaryDirectory("grad-gate")
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("mse_grad.py")
    try Self.script.write(to: file, atomically: true, encoding: .utf8)
    func run(_ mode: String, _ extra: [String] = []) async throws -> (Int32, String, String) {
      let json = directory.appendingPathComponent("\(mode).json").path
      let result = try await runExecutable(
        [
          "conform", "--adapter", "python3 '\(file.path)' \(mode)", "--loss", "mse", "--dtype", "float64",
          "--regime", "benign", "--json", json, "--junit", directory.appendingPathComponent("\(mode).xml").path,
        ] + extra)
      return (result.status, result.output, try String(contentsOfFile: json, encoding: .utf8))
    }
    let (ok, okText, okJSON) = try await run("faithful")
    #expect(ok == 0, "\(okText)")
    #expect(okText.contains("gradients:"))
    #expect(okJSON.contains("\"gateGradients\":true"))
    let (sign, signText, _) = try await run("wrong-sign")
    #expect(sign == 1)
    #expect(signText.contains("FAILED gradients"))
    let (sum, _, _) = try await run("sum-for-mean")
    #expect(sum == 1)
    let (ungated, _, _) = try await run("wrong-sign", ["--no-gate-gradients"])
    #expect(ungated == 0)
    let (off, _, offJSON) = try await run("wrong-sign", ["--gradients", "off"])
    #expect(off == 0)
    #expect(!offJSON.contains("\"gradient\""))
  }
}
