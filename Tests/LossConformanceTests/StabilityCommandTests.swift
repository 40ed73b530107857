import Foundation
import Testing

/// `losscheck stability` end to end: the gradient page next to the value page, linked both ways;
/// `--no-gradients` skips it; the half-precision page likewise (`--no-half`).
@Suite struct StabilityCommandTests {
  @Test func gradientPageNextToTheValuePage() async throws {
    let directory = try Fixtures.temporaryDirectory("stability")
    defer { try? FileManager.default.removeItem(at: directory) }
    let out = directory.appendingPathComponent("s.html")
    let run = try await runExecutable([
      "stability", "--quick", "--loss", "hinge", "--impl", "fast", "--out", out.path,
    ])
    #expect(run.status == 0, "\(run.output)\(run.error)")
    let gradients = directory.appendingPathComponent("s-gradients.html")
    let page = try String(contentsOf: gradients, encoding: .utf8)
    #expect(page.contains("Gradient stability of the fourteen losses"))
    #expect(page.contains("<a href=\"s.html\">"))
    #expect(try String(contentsOf: out, encoding: .utf8).contains("<a href=\"s-gradients.html\">"))
    #expect(run.output.contains("gradients: Flux order (emulated in Swift): "), "\(run.output)")
    // LossFast answers no gradient yet, or answers them: either way it is never a failure.
    #expect(run.output.contains("gradients: LossFast"), "\(run.output)")
  }

  @Test func noGradients() async throws {
    let directory = try Fixtures.temporaryDirectory("stability")
    defer { try? FileManager.default.removeItem(at: directory) }
    let out = directory.appendingPathComponent("s.html")
    let run = try await runExecutable([
      "stability", "--quick", "--loss", "hinge", "--impl", "fast", "--out", out.path, "--no-gradients",
    ])
    #expect(run.status == 0, "\(run.output)\(run.error)")
    #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("s-gradients.html").path))
    #expect(!(try String(contentsOf: out, encoding: .utf8).contains("s-gradients.html")))
    #expect(!run.output.contains("gradients:"))
  }

  /// The half-precision page next to the value page, linked both ways; LossFast is run on the
  /// half dtypes it lists and shown as not run on the others.
  @Test func halfPrecisionPage() async throws {
    let directory = try Fixtures.temporaryDirectory("stability")
    defer { try? FileManager.default.removeItem(at: directory) }
    let out = directory.appendingPathComponent("s.html")
    let run = try await runExecutable([
      "stability", "--quick", "--loss", "hinge", "--impl", "fast", "--out", out.path, "--no-gradients",
    ])
    #expect(run.status == 0, "\(run.output)\(run.error)")
    let page = try String(contentsOf: directory.appendingPathComponent("s-half.html"), encoding: .utf8)
    #expect(page.contains("What a user gets in half precision"))
    #expect(page.contains("<a href=\"s.html\">"))
    #expect(try String(contentsOf: out, encoding: .utf8).contains("<a href=\"s-half.html\">"))
    #expect(run.output.contains("half: Flux order (emulated in Swift): "), "\(run.output)")
    #expect(run.output.contains("half: LossFast"), "\(run.output)")
    let noHalf = try await runExecutable([
      "stability", "--quick", "--loss", "hinge", "--impl", "fast", "--out", out.path, "--no-gradients", "--no-half",
      "--half-out", directory.appendingPathComponent("other.html").path,
    ])
    #expect(noHalf.status == 0, "\(noHalf.output)\(noHalf.error)")
    #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("other.html").path))
    #expect(!noHalf.output.contains("half:"))
  }
}
