import Foundation
import LossCore
import LossProperties
import LossSpec
import Testing

/// The machinery under the laws: seeds, generators, the shrinker, the comparisons, the runner,
/// the corpus and the report.
@Suite("Property machinery")
struct MechanismTests {
  @Test("case 0 of a run has the run's seed, so --seed S --count 1 replays case S")
  func caseSeeds() {
    #expect(SplitMix64.caseSeed(run: 42, index: 0) == 42)
    let seeds = (0..<1000).map { SplitMix64.caseSeed(run: 7, index: $0) }
    #expect(Set(seeds).count == 1000)
    var a = SplitMix64(seed: 3)
    var b = SplitMix64(seed: 3)
    #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
  }

  @Test("a law's input is a pure function of its case seed")
  func reproducibleInputs() {
    for law in Catalogue.laws {
      for seed: UInt64 in [0, 1, 99, .max] {
        // Descriptions, not ==: NaN inputs are never equal to themselves.
        #expect(law.input(seed: seed).description == law.input(seed: seed).description, "\(law.name)")
      }
    }
  }

  @Test("probability columns sum to exactly 1 in both dtypes, over any dims")
  func probabilityColumns() {
    var r = SplitMix64(seed: 11)
    for _ in 0..<300 {
      let dtype = Gen.dtype(&r)
      let shape = Gen.shape(&r)
      let dims = LossCases.parseDims(r.pick(LossCases.dimsOptions))
      let p = Gen.probabilityColumns(&r, shape: shape, groupDims: dims, dtype)
      #expect(p.allSatisfy { $0 >= 0 && dtype.represents($0) })
      let (column, count) = Gen.columns(shape, groupDims: dims)
      var sums = [Double](repeating: 0, count: count)
      for (i, c) in column.enumerated() { sums[c] += p[i] }
      #expect(sums.allSatisfy { $0 == 1 }, "\(shape) dims \(dims): \(sums)")
    }
  }

  @Test("generated values stay in their dtype and domain; shapes stay within the budget")
  func generatedValues() {
    var r = SplitMix64(seed: 5)
    for _ in 0..<2000 {
      let dtype = Gen.dtype(&r)
      for kind in [ValueKind.real, .nonnegative, .positive, .unit, .label01, .labelPM1] {
        let x = Gen.value(&r, dtype, kind)
        #expect(x.isFinite && dtype.represents(x))
        switch kind {
        case .nonnegative: #expect(x >= 0)
        case .positive: #expect(x > 0)
        case .unit: #expect(x >= 0 && x <= 1)
        case .label01: #expect(x == 0 || x == 1)
        case .labelPM1: #expect(x == 1 || x == -1)
        default: break
        }
      }
      #expect(Gen.shape(&r, maxCount: 64).reduce(1, *) <= 64)
      // Logit differences avoid (2·10³, 10¹⁵), where LossSpec is slow in a debug build.
      #expect(Gen.logits(&r, count: 4, dtype).allSatisfy { !($0.magnitude > 2.1e3 && $0.magnitude < 0.9e15) })
    }
  }

  @Test("the shrinker: every candidate is strictly simpler, keeps the fields aligned and the columns' sums")
  func shrinker() {
    var r = SplitMix64(seed: 8)
    for law in Catalogue.laws {
      let input = law.generate(&r, 1)
      for c in Shrinker.candidates(input) {
        #expect(c.shrinks == input.shrinks + 1)
        #expect(c.count <= input.count)
        for (f, field) in c.fields.enumerated() where field.extent == .full {
          #expect(field.values.count == c.count, "\(law.name): field \(field.name)")
          if case .probability(let dims) = field.kind, input.fields[f].values.count == input.count {
            let before = Self.sums(input.fields[f].values, input.shape, dims)
            let after = Self.sums(field.values, c.shape, dims)
            if c.count == input.count { #expect(before == after, "\(law.name)") }
          }
        }
      }
    }
  }

  static func sums(_ v: [Double], _ shape: [Int], _ dims: [Int]) -> [Double] {
    let (column, count) = Gen.columns(shape, groupDims: dims)
    var sums = [Double](repeating: 0, count: count)
    for (i, c) in column.enumerated() { sums[c] += v[i] }
    return sums
  }

  @Test("shrinking terminates within its step limit")
  func shrinkingTerminates() {
    var input = LawInput(
      seed: 1, dtype: .float64, shape: [4, 4],
      fields: [Field("yhat", (0..<16).map { Double($0) * 1.234_567 }, kind: .real)],
      choices: [Choice("agg", 2, options: ["mean", "sum", "none"])])
    var steps = 0
    while let next = Shrinker.candidates(input).last {
      input = next
      steps += 1
      if steps > Shrinker.stepLimit + 1 { break }
    }
    #expect(steps <= Shrinker.stepLimit)
  }

  @Test("comparisons: NaN with NaN, overflow to ∞ against values beyond the threshold, ulps")
  func comparisons() {
    #expect(Compare.approximately(.nan, .nan, error: 0, dtype: .float32).holds)
    #expect(!Compare.approximately(.nan, 1, error: 1, dtype: .float32).holds)
    #expect(Compare.approximately(.infinity, 3.5e38, error: 0, dtype: .float32).holds)
    #expect(!Compare.approximately(.infinity, 3.4e38, error: 0, dtype: .float32).holds)
    #expect(!Compare.approximately(3.4028234663852886e38, .infinity, error: 1e30, dtype: .float32).holds)
    let d = Compare.approximately(1 + 0x1p-52, 1, error: 0x1p-53, dtype: .float64)
    #expect(!d.holds && d.ulps == 1 && d.boundUlps == 0.5)
    #expect(Compare.atLeast(0, -0.0, error: 0, dtype: .float64).holds)
    #expect(!Compare.atLeast(-0x1p-1074, 0, error: 0, dtype: .float64).holds)
    #expect(Compare.sameValue(0, -0.0, dtype: .float64, identical: true, errors: (0, 0)).holds)
    #expect(!Compare.sameValue(1, 1 + 0x1p-52, dtype: .float64, identical: true, errors: (1, 1)).holds)
    #expect(FloatFacts.halfUlp(0, .float64) == 0x1p-1074)
    #expect(FloatFacts.halfUlp(1, .float32) == 0x1p-24)
  }

  @Test("accurate sums: exact for dyadics, a rigorous bound otherwise, no overflow near the largest Double")
  func accurateSums() {
    let s = AccurateSum([1e308, 1e308, -1e308])
    #expect(s.value == 1e308)
    // 0.1 + 0.2 − 0.3 in binary is 2⁻⁵⁵ exactly, though Double arithmetic gives 2⁻⁵⁴.
    let t = AccurateSum([0.1, 0.2, -0.3])
    #expect(t.value == 0x1p-55 && t.error < 0x1p-100)
    #expect(AccurateSum([1, 0x1p-60, -1]).value == 0x1p-60)
    #expect(AccurateSum([.infinity, 1]).value == .infinity)
    #expect(AccurateSum([.infinity, -.infinity]).value.isNaN)
  }

  @Test("the runner is deterministic and reports the same counts for the same seed")
  func runnerDeterminism() async throws {
    let law = try #require(Catalogue.law(named: "mse-symmetry"))
    let a = await PropertyRunner.run(law, on: Subjects.reference, count: 12, seed: 9)
    let b = await PropertyRunner.run(law, on: Subjects.reference, count: 12, seed: 9, parallelism: 1)
    #expect(a.passed && b.passed)
    #expect(a.cases == 12 && b.cases == 12)
    #expect(a.histogram == b.histogram)
    #expect(a.seed == 9)
  }

  @Test("the runner replays seeds first and shrinks a failure to a small counterexample")
  func runnerShrinks() async throws {
    let law = try #require(Catalogue.law(named: "squared-hinge-is-hinge-squared-elementwise"))
    // Squared after aggregation is right for agg = none; the aggregation law flags it instead.
    let aggregation = try #require(Catalogue.law(named: "agg-none-then-aggregate"))
    let mutant = Subject(
      implementation: Mutant.squaredHingeSquaredAfterAggregation, accuracy: .correctlyRounded,
      reference: ReferenceImplementation())
    let clean = await PropertyRunner.run(law, on: mutant, count: 10, seed: 3, replay: [1, 2])
    #expect(clean.passed)
    #expect(clean.replayed == 2)
    var report = await PropertyRunner.run(aggregation, on: mutant, count: 200, seed: 3)
    if report.passed { report = await PropertyRunner.run(aggregation, on: mutant, count: 400, seed: 4) }
    let c = try #require(report.counterexample)
    #expect(c.shrunk.count <= 2, "\(c.text)")
    #expect(c.verifyCommand.hasPrefix("losscheck verify --law agg-none-then-aggregate --seed "))
    #expect(c.evalCommands.allSatisfy { $0.hasPrefix("losscheck eval --json '{") })
  }

  @Test("every corpus seed names a law of the catalogue")
  func corpus() {
    #expect(!Corpus.entries.isEmpty, "no corpus at \(Corpus.path)")
    for entry in Corpus.entries {
      #expect(Catalogue.law(named: entry.law) != nil, "unknown law \(entry.law)")
    }
    #expect(Corpus.parse("a 1 # note\n# comment\nb x\n\nc 2") == [.init(law: "a", seed: 1), .init(law: "c", seed: 2)])
  }

  @Test("every loss is the subject of laws, and every law states a tolerance and a generator")
  func coverage() {
    for loss in LossID.allCases {
      #expect(Catalogue.laws(concerning: loss).count >= 6, "\(loss)")
    }
    for law in Catalogue.laws {
      #expect(!law.statement.isEmpty && !law.tolerance.isEmpty && !law.generator.isEmpty)
      #expect(law.name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_" })
    }
    #expect(Set(Catalogue.laws.map(\.name)).count == Catalogue.laws.count)
  }

  @Test("the report is self-contained, escaped, with charts and reproduction commands")
  func report() async throws {
    let law = try #require(Catalogue.law(named: "hinge-nonnegative"))
    var report = LawReport(law: law, implementation: "impl <&>", seed: 5)
    report.record(.judge(.exact, "fine"))
    report.record(.judge(Deviation(ulps: 0.25, boundUlps: 1, holds: true), "close"))
    var failing = LawReport(law: law, implementation: "x", seed: 6)
    failing.record(.fails(.differentClass, "<script>alert(1)</script>"))
    let input = law.input(seed: 6)
    var probe = Probe(subject: Subjects.reference)
    _ = await probe.evaluate(LossRequest(loss: .hinge, dtype: .float32, yhat: Tensor([1]), y: .array(Tensor([0]))))
    failing.counterexample = Counterexample(
      law: law.name, caseSeed: 6, original: input, shrunk: input, shrinkSteps: 0,
      finding: .fails(.differentClass, "bad"), probe: probe)
    let page = PropertyReport(
      title: "t & t", run: "run", subjects: ["s"], laws: [report, failing],
      mutants: [MutantFinding(name: "m", bug: "b", caughtBy: ["x"], counterexample: failing.counterexample)],
      environment: [("k", "v")]
    ).html()
    #expect(page.hasPrefix("<!DOCTYPE html>"))
    #expect(page.contains("t &amp; t") && page.contains("impl &lt;&amp;&gt;"))
    #expect(!page.lowercased().contains("<script"))
    #expect(!page.contains("http://") && !page.contains("https://"))
    #expect(page.contains("<svg") && page.contains("<rect"))
    #expect(page.contains("losscheck verify --law hinge-nonnegative --seed 6 --count 1"))
    #expect(page.contains("losscheck eval --json"))
    #expect(page.contains("FAIL"))
  }
}
