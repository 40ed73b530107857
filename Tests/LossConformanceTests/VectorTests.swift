import Foundation
import LossCore
import Testing

@testable import LossConformance

@Suite("Golden vectors: generation")
struct VectorGenerationTests {
  static let plan = VectorGenerator().catalogue()

  @Test("the same seed plans the same requests, another seed others")
  func deterministic() {
    let again = VectorGenerator().catalogue()
    #expect(
      again.map { GoldenCase.contentID(of: $0.request) } == Self.plan.map { GoldenCase.contentID(of: $0.request) })
    let other = VectorGenerator(seed: 1).catalogue()
    #expect(
      Set(other.map { GoldenCase.contentID(of: $0.request) })
        != Set(Self.plan.map { GoldenCase.contentID(of: $0.request) }))
  }

  @Test("every loss and dtype has benign and edge cases; all but binarycrossentropy extreme ones")
  func coverage() {
    for loss in LossID.allCases {
      for dtype in DType.standard {
        let own = Self.plan.filter { $0.request.loss == loss && $0.request.dtype == dtype }
        #expect(own.count >= 40, "\(loss) \(dtype): \(own.count)")
        for regime in Regime.allCases where !(regime == .extreme && loss == .binarycrossentropy) {
          #expect(own.contains { $0.regime == regime }, "\(loss) \(dtype) has no \(regime) case")
        }
      }
      // The half-precision catalogue: benign cases in every shape and aggregation, and the
      // half regimes of the loss (not every loss has one in every regime).
      for dtype in DType.halfPrecision {
        let own = Self.plan.filter { $0.request.loss == loss && $0.request.dtype == dtype }
        #expect(own.count >= 8, "\(loss) \(dtype): \(own.count)")
        #expect(own.contains { $0.regime == .benign }, "\(loss) \(dtype) has no benign case")
        #expect(own.contains { $0.tags.contains("half-accumulation") }, "\(loss) \(dtype) has no accumulation case")
      }
    }
  }

  @Test(
    "shapes and parameters are all exercised",
    arguments: [
      "shape:scalar", "shape:vector", "shape:matrix", "shape:3d", "shape:empty", "agg:mean", "agg:sum", "agg:none",
      "dims:multi", "dims:beyond-rank", "weight:scalar", "weight:broadcast", "weight:full", "eps:0", "eps:custom",
      "param:delta", "param:smooth", "smooth:0", "param:beta", "y:scalar", "special:nan", "special:inf",
      "special:subnormal", "special:negative-zero", "y:shape-mismatch", "accumulation", "logits:large", "yhat:zero",
      "boundary:delta", "boundary:margin", "overflow-intermediate", "underflow-intermediate",
    ])
  func tagPresent(_ tag: String) {
    #expect(Self.plan.contains { $0.tags.contains(tag) })
  }

  @Test("requests use only values of their dtype")
  func representable() {
    for planned in Self.plan {
      let request = planned.request
      #expect(request.yhat.values.allSatisfy(request.dtype.represents))
    }
  }

  @Test("ids are content hashes: equal requests, equal ids; a changed value, another id")
  func contentIDs() throws {
    let request = try #require(Self.plan.first?.request)
    var changed = request
    changed.yhat.values[0] = changed.yhat.values[0] + 1
    var renamed = request
    renamed.id = "something else"
    #expect(GoldenCase.contentID(of: request) == GoldenCase.contentID(of: renamed))
    #expect(GoldenCase.contentID(of: request) != GoldenCase.contentID(of: changed))
    #expect(GoldenCase.contentID(of: request).hasPrefix("mae-f32-"))
  }

  @Test("SHA-256 matches the FIPS 180-4 examples")
  func sha256() {
    #expect(SHA256.hex("abc".utf8) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(SHA256.hex("".utf8) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(
      SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
  }
}

@Suite(
  "Golden vectors: the committed files",
  .enabled(if: !Fixtures.vectors.isEmpty, "Conformance/vectors is missing"))
struct StoredVectorTests {
  @Test("the stored cases are the planned ones, in order, and every id is its request's content hash")
  func idsMatchPlan() {
    let seed = VectorSet.recordedSeed(in: Fixtures.vectorsDirectory) ?? VectorGenerator.defaultSeed
    let planned = VectorGenerator(seed: seed).catalogue()
    for loss in LossID.allCases {
      let plannedIDs = planned.filter { $0.request.loss == loss }.map { GoldenCase.contentID(of: $0.request) }
      let storedIDs = Fixtures.vectors.filter { $0.loss == loss }.map(\.id)
      #expect(storedIDs.count == plannedIDs.count, "\(loss): \(storedIDs.count) stored, \(plannedIDs.count) planned")
      let mismatch = zip(storedIDs, plannedIDs).first { $0 != $1 }
      #expect(mismatch == nil, "\(loss): stored \(mismatch?.0 ?? "") where the plan has \(mismatch?.1 ?? "")")
    }
    for golden in Fixtures.vectors.prefix(500) {
      #expect(golden.id == GoldenCase.contentID(of: golden.request))
    }
  }

  @Test("lines round-trip: reading a line and writing it again gives the same text")
  func roundTrip() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.vectorsDirectory).filter {
      $0.hasSuffix(".jsonl")
    }
    let text = try String(
      contentsOfFile: (Fixtures.vectorsDirectory as NSString).appendingPathComponent(try #require(files.first)),
      encoding: .utf8)
    for line in text.split(separator: "\n").prefix(200) {
      #expect(try GoldenCase(line: String(line)).vectorLine == String(line))
    }
  }

  @Test(
    "no drift: regenerating every vector with LossSpec gives the stored ids, in order, and values (CI drift check)",
    .timeLimit(.minutes(5)))
  func noDrift() async {
    // The same check as `losscheck vectors --check` (about 45 s in a debug build, 5 s in release).
    let seed = VectorSet.recordedSeed(in: Fixtures.vectorsDirectory) ?? VectorGenerator.defaultSeed
    let regenerated = await offCooperativePool { VectorSet.generate(seed: seed, evaluate: specReference) }
    #expect(regenerated.cases.count == Fixtures.vectors.count)
    #expect(VectorSet.drift(stored: Fixtures.vectors, regenerated: regenerated.cases) == [])
  }

  @Test("a changed value or a missing case is reported as drift")
  func driftIsDetected() throws {
    let sample = Array(Fixtures.vectors.filter { $0.expectation.outcome == .scalar }.prefix(3))
    var changed = sample
    changed[0].expectation.exact = ["1.5"]
    changed[0].expectation.float64 = [1.5]
    let drift = VectorSet.drift(stored: sample, regenerated: Array(changed.prefix(2)))
    #expect(drift.contains { $0.contains("exact") })
    #expect(drift.contains { $0.contains("stored but no longer generated") })
  }

  @Test("the manifest records the schema, the seed and each file's count and digest")
  func manifest() throws {
    let text = try String(
      contentsOfFile: (Fixtures.vectorsDirectory as NSString).appendingPathComponent("MANIFEST.json"), encoding: .utf8)
    let json = try JSONValue(parsing: text)
    #expect(json["schema"] == .string(VectorFiles.schema))
    guard case .array(let files)? = json["files"] else {
      Issue.record("no files")
      return
    }
    #expect(files.count == LossID.allCases.count)
    let total = files.compactMap { file -> Int? in
      if case .number(let n)? = file["cases"] { return Int(n) }
      return nil
    }.reduce(0, +)
    #expect(total == Fixtures.vectors.count)
    let bytes = try FileManager.default.contentsOfDirectory(atPath: Fixtures.vectorsDirectory).reduce(0) {
      $0
        + ((try? FileManager.default.attributesOfItem(
          atPath: (Fixtures.vectorsDirectory as NSString).appendingPathComponent($1))[.size] as? Int) ?? 0)
    }
    #expect(bytes < 8_000_000, "the vectors take \(bytes) bytes")
  }
}
