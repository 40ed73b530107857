import Foundation
import Testing

/// `losscheck stability` end to end: the gradient page next to the value page, linked both ways;
/// `--no-gradients` skips it.
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
}
