import Foundation
import LossCore
import Testing

@testable import LossSpec

/// The examples Flux's documentation publishes, with their printed outputs
/// (`Conformance/published/flux_examples.json`, each entry citing its source).
///
/// Published outputs are Flux's own *rounded* evaluations in the dtype, not exact values, so
/// LossSpec's correctly rounded result differs from them by the rounding errors of Flux's
/// straightforward evaluation: at most 4 ulps, or 8·u·S where the loss is ill-conditioned (S the
/// case's error scale, u the unit roundoff: msle near a ratio of 1, dice near a perfect fit —
/// `fluxMsleReproduced` shows that a plain Float32 evaluation reproduces Flux's printed digits). Where the inputs were printed rounded (`inputs_exact: false`, e.g. a
/// printed `softmax(…)`), only 1e-6 relative (Float32) / 1e-12 (Float64) is meaningful.
@Suite struct PublishedExamplesTests {
  @Test func publishedValuesWithinAFewUlps() throws {
    let url = OracleTests.packageRoot.appendingPathComponent("Conformance/published/flux_examples.json")
    let json = try JSONValue(parsing: String(contentsOf: url, encoding: .utf8))
    guard case .array(let entries) = json else {
      Issue.record("not an array")
      return
    }
    var compared = 0
    var skipped: [String: Int] = [:]
    for entry in entries {
      guard case .string(let use)? = entry["use"] else { continue }
      guard use == "value" || use == "one_minus_value" || use == "array" else {
        skipped[use, default: 0] += 1
        continue
      }
      guard case .array(let expectedItems)? = entry["expected"] else { continue }
      var request = try ProtocolCodec.decodeRequest(entry)
      request.id = "published"
      let exactInputs = entry["inputs_exact"] != .bool(false)
      let result = try LossSpec.evaluate(request)
      let values = result.rounded
      try #require(values.count == expectedItems.count)
      for (k, item) in expectedItems.enumerated() {
        guard case .string(let text) = item, let published = OracleTests.parse(text, float32: request.dtype == .float32)
        else { continue }
        var mine = values[k]
        if use == "one_minus_value" { mine = 1 - mine }
        let scale = request.dtype.ulp(of: published)
        let distanceUlps = published.isFinite ? abs(mine - published) / scale : (mine == published ? 0 : .infinity)
        let errorBound = 8 * request.dtype.unitRoundoff * result.errorScale[min(k, result.errorScale.count - 1)]
        if exactInputs {
          #expect(
            distanceUlps <= 4 || abs(mine - published) <= errorBound,
            "\(request.loss.rawValue): LossSpec \(mine), Flux printed \(text)")
        } else {
          let relative = abs(mine - published) / abs(published)
          #expect(
            relative <= (request.dtype == .float32 ? 1e-6 : 1e-12), "\(request.loss.rawValue): \(mine) vs \(text)")
        }
        compared += 1
      }
    }
    print("published: \(compared) values compared; not numeric here: \(skipped)")
    #expect(compared >= 25)
  }

  /// Flux's published `msle(Float32[1.1, 2.2, 3.3], 1:3) = 0.009084041f0` is its straightforward
  /// Float32 evaluation: the same evaluation here (glibc's correctly rounded `logf`) reproduces it,
  /// while the exact value rounds to 0.009084031.
  @Test func fluxMsleReproduced() throws {
    let yhat: [Float] = [1.1, 2.2, 3.3]
    let y: [Float] = [1, 2, 3]
    let eps = Float.ulpOfOne
    var total: Float = 0
    for i in 0..<3 {
      let l = Foundation.log((yhat[i] + eps) / (y[i] + eps))
      total += l * l
    }
    let naive = total / 3
    #expect(naive == 0.009084041)
    let exact = try spec(.msle, yhat.map(Double.init), y.map(Double.init), dtype: .float32).float32[0]
    #expect(Float(exact) == 0.009084031)
  }
}
