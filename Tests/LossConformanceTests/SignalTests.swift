import Foundation
import Testing

/// Interrupting `losscheck conform` must end the adapter it runs: the adapter has a process group
/// of its own (the terminal's Ctrl-C never reaches it), so without `AdapterGroups` it and its
/// children outlive losscheck.
@Suite(
  "losscheck conform: an interrupt ends the adapter's process group",
  .enabled(if: Fixtures.losscheck != nil, "the losscheck executable is not built"),
  .enabled(if: !Fixtures.vectors.isEmpty, "Conformance/vectors is missing"),
  .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/stat"), "no /proc to list process groups"),
  .timeLimit(.minutes(3)))
struct SignalTests {
  @Test(
    "SIGINT and SIGTERM: losscheck ends by the signal, and no process of the adapter's group lives on",
    arguments: [SIGINT, SIGTERM])
  func interrupt(_ number: Int32) async throws {
    let directory = try Fixtures.temporaryDirectory("signal")
    defer { try? FileManager.default.removeItem(at: directory) }
    let groupFile = directory.appendingPathComponent("group").path
    // An adapter that records its process group, starts a child, says hello and then hangs on
    // the first request (the case timeout is far away).
    let script = directory.appendingPathComponent("hang.sh").path
    try """
    ps -o pgid= $$ | tr -d ' ' > "$1.tmp" && mv "$1.tmp" "$1"
    sleep 300 &
    printf '{"protocol":"losscheck/1","implementation":"hang","losses":["mae"],"dtypes":["float32","float64"]}\\n'
    sleep 300
    """.write(toFile: script, atomically: true, encoding: .utf8)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: try #require(Fixtures.losscheck))
    process.arguments = [
      "conform", "--adapter", "sh '\(script)' '\(groupFile)'", "--loss", "mae", "--timeout", "600", "--quiet",
    ]
    process.currentDirectoryURL = Fixtures.root
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let watchdog = Task {
      try await Task.sleep(for: .seconds(60))
      kill(process.processIdentifier, SIGKILL)
    }
    defer { watchdog.cancel() }

    // Wait for the adapter's group (its hello follows at once), then for the runner to be inside
    // the first case.
    var group: pid_t?
    for _ in 0..<600 where group == nil {
      group = (try? String(contentsOfFile: groupFile, encoding: .utf8)).flatMap {
        pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
      }
      if group == nil { try await Task.sleep(for: .milliseconds(50)) }
    }
    let adapterGroup = try #require(group, "the adapter never started")
    defer { kill(-adapterGroup, SIGKILL) }
    try await Task.sleep(for: .milliseconds(500))
    #expect(Self.livingMembers(of: adapterGroup).count >= 2, "the adapter and its child run before the signal")

    kill(process.processIdentifier, number)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal)
    #expect(process.terminationStatus == number)

    var living = Self.livingMembers(of: adapterGroup)
    for _ in 0..<40 where !living.isEmpty {
      try await Task.sleep(for: .milliseconds(50))
      living = Self.livingMembers(of: adapterGroup)
    }
    #expect(living.isEmpty, "processes of the adapter's group \(adapterGroup) still run: \(living)")
  }

  /// The processes of `group` that have not ended (zombies, dead but not yet reaped, do not count).
  static func livingMembers(of group: pid_t) -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> String? in
      guard Int(entry) != nil, let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { return nil }
      // After "pid (comm) ": state, ppid, pgrp.
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      guard fields.count > 2, fields[0] != "Z", pid_t(fields[2]) == group else { return nil }
      return "\(entry) \(stat[..<close])"
    }
  }
}
