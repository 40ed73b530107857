import Foundation
import LossCore
import LossReports

/// The record of a conformance run (or of merged shards): what was run, with which options, and
/// every case's result. Written with `--json` (schema `losscheck-conform/1`), read back by
/// `--merge`; the JUnit, HTML and text outputs are views of it.
public struct ConformanceReport: Sendable, Codable {
  public static let currentSchema = "losscheck-conform/1"

  /// The gate and grading options of the run.
  public struct Options: Sendable, Hashable, Codable {
    /// The tier every gated case must meet.
    public var require: Tier
    /// Whether extreme cases are gated too.
    public var gateExtreme: Bool
    public var grading: GradingOptions
    /// `K/N` when the run was one shard of N.
    public var shard: String?
    /// Whether gradient verdicts are gated (`--gate-gradients`); `nil` when no gradient case
    /// ran (written only when set, so value-only reports are as before).
    public var gateGradients: Bool?

    public init(
      require: Tier = .acceptable, gateExtreme: Bool = false, grading: GradingOptions = .init(), shard: String? = nil,
      gateGradients: Bool? = nil
    ) {
      self.require = require
      self.gateExtreme = gateExtreme
      self.grading = grading
      self.shard = shard
      self.gateGradients = gateGradients
    }
  }

  public var schema: String
  /// The implementation's name from its hello.
  public var implementation: String
  /// The adapter command.
  public var adapter: String
  public var helloLosses: [String]
  public var helloDTypes: [String]
  public var options: Options
  /// Where the cases came from (`Conformance/vectors`, `+ large cases of 100000 elements`).
  public var source: String
  /// UTC date and time of the start (ISO 8601).
  public var started: String
  public var seconds: Double
  public var notes: [String]
  /// Set when the adapter could not be started: nothing was graded.
  public var runError: String?
  /// The known-divergence entries applied.
  public var divergences: [DivergenceEntry]
  public var cases: [CaseResult]

  public init(
    implementation: String, adapter: String, helloLosses: [String], helloDTypes: [String], options: Options,
    source: String, started: String, seconds: Double, notes: [String] = [], runError: String? = nil,
    divergences: [DivergenceEntry] = [], cases: [CaseResult]
  ) {
    self.schema = Self.currentSchema
    self.implementation = implementation
    self.adapter = adapter
    self.helloLosses = helloLosses
    self.helloDTypes = helloDTypes
    self.options = options
    self.source = source
    self.started = started
    self.seconds = seconds
    self.notes = notes
    self.runError = runError
    self.divergences = divergences
    self.cases = cases
  }

  // MARK: JSON

  /// The JSON text of the report (keys sorted, so runs diff well).
  public func jsonText() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
  }

  /// Reads a report written by ``jsonText()``.
  public static func load(_ path: String) throws -> ConformanceReport {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw VectorFileError("cannot read \(path): \(ReportFile.describe(error))")
    }
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    do {
      let report = try decoder.decode(ConformanceReport.self, from: data)
      guard report.schema == currentSchema else {
        throw VectorFileError("\(path): schema '\(report.schema)', expected '\(currentSchema)'")
      }
      return report
    } catch let error as VectorFileError {
      throw error
    } catch {
      throw VectorFileError("\(path) is not a losscheck conform report: \(DivergenceManifest.describe(error))")
    }
  }

  /// Merges shard reports into one: the cases of all, the options of the first (shards of one run
  /// share them), the union of their divergence entries, their notes and errors.
  ///
  /// A merge must be the whole run, once: shards `1/N … N/N` of one implementation, each exactly
  /// once (or reports of disjoint cases without shards). A missing or repeated shard, shards of
  /// different N, a case in two reports, or reports of two implementations are errors, so that a
  /// CI job whose shard failed to upload cannot pass on the shards that did.
  ///
  /// - Throws: ``VectorFileError`` if there is nothing to merge, the shards are incomplete or
  ///   repeated, or were run with different implementations, gates or grading options.
  public static func merge(_ reports: [ConformanceReport]) throws -> ConformanceReport {
    guard var merged = reports.first else { throw VectorFileError("nothing to merge") }
    try checkShards(reports)
    merged.options.shard = nil
    var seen = Set(merged.cases.map(\.id))
    var duplicates: [String] = []
    for report in reports.dropFirst() {
      guard report.options.require == merged.options.require, report.options.gateExtreme == merged.options.gateExtreme,
        report.options.grading == merged.options.grading,
        report.options.gateGradients == nil || merged.options.gateGradients == nil
          || report.options.gateGradients == merged.options.gateGradients
      else {
        throw VectorFileError(
          "the reports were run with different gate or grading options (\(report.options) versus \(merged.options))")
      }
      if report.implementation != merged.implementation {
        throw VectorFileError(
          "the reports are of different implementations ('\(merged.implementation)' and '\(report.implementation)')")
      }
      for result in report.cases {
        if seen.insert(result.id).inserted {
          merged.cases.append(result)
        } else {
          duplicates.append(result.id)
        }
      }
      if merged.options.gateGradients == nil { merged.options.gateGradients = report.options.gateGradients }
      for entry in report.divergences where !merged.divergences.contains(entry) { merged.divergences.append(entry) }
      merged.notes += report.notes
      merged.seconds += report.seconds
      if let error = report.runError {
        merged.runError = merged.runError.map { $0 + "; " + error } ?? error
      }
      for loss in report.helloLosses where !merged.helloLosses.contains(loss) { merged.helloLosses.append(loss) }
      for dtype in report.helloDTypes where !merged.helloDTypes.contains(dtype) { merged.helloDTypes.append(dtype) }
    }
    let shards = reports.compactMap(\.options.shard)
    merged.source += shards.isEmpty ? "" : " (merged shards \(shards.joined(separator: ", ")))"
    if !duplicates.isEmpty {
      throw VectorFileError(
        "\(duplicates.count) case(s) appear in more than one report (first: \(duplicates[0])): a report given twice, "
          + "or shards of different runs")
    }
    return merged
  }

  /// Every report a shard of the same N, and shards 1…N each exactly once; or no shards at all.
  static func checkShards(_ reports: [ConformanceReport]) throws {
    let shards = reports.map { report -> (index: Int, count: Int)? in
      guard let text = report.options.shard else { return nil }
      let parts = text.split(separator: "/").compactMap { Int($0) }
      return parts.count == 2 ? (parts[0], parts[1]) : nil
    }
    let sharded = shards.compactMap(\.self)
    if sharded.isEmpty { return }
    guard sharded.count == reports.count else {
      throw VectorFileError("some reports are shards (--shard K/N) and some are not; merge the shards of one run")
    }
    let counts = Set(sharded.map(\.count))
    guard counts.count == 1, let n = counts.first else {
      throw VectorFileError(
        "the shards are of different runs (of \(counts.sorted().map(String.init).joined(separator: " and ")) shards)")
    }
    var given: [Int: Int] = [:]
    for shard in sharded { given[shard.index, default: 0] += 1 }
    let repeated = given.filter { $0.value > 1 }.keys.sorted()
    let missing = (1...n).filter { given[$0] == nil }
    var problems: [String] = []
    if !repeated.isEmpty { problems.append("given twice: " + repeated.map { "\($0)/\(n)" }.joined(separator: ", ")) }
    if !missing.isEmpty { problems.append("missing: " + missing.map { "\($0)/\(n)" }.joined(separator: ", ")) }
    if !problems.isEmpty {
      throw VectorFileError("incomplete merge of \(n) shards: " + problems.joined(separator: "; "))
    }
  }
}

// MARK: The gate

/// The verdict of a report under its options and divergence entries.
public struct GateEvaluation: Sendable {
  /// Graded cases in a gated regime below the required tier and not listed as known divergences.
  public var failures: [CaseResult] = []
  /// Cases below the required tier that an entry lists, with the entry's index.
  public var knownDivergences: [(result: CaseResult, entry: Int)] = []
  /// Cases an entry lists that meet the required tier.
  public var unexpectedPasses: [(result: CaseResult, entry: Int)] = []
  /// Indices of entries that list no case below the required tier.
  public var staleEntries: [Int] = []
  public var faults: [CaseResult] = []
  public var unsupported: [CaseResult] = []
  public var graded = 0
  /// Graded cases of the gated regimes, and how many of them are known divergences.
  public var gatedGraded = 0
  public var gatedKnown = 0
  /// Extreme cases graded, and how many of them meet the required tier (the robustness score).
  public var extremeGraded = 0
  public var extremeMeeting = 0
  /// Extreme cases below the required tier (reported, gated only with `--gate-extreme`).
  public var extremeBelow: [CaseResult] = []
  /// Cases answered NaN where a DomainError is exact.
  public var nanForDomainError: [CaseResult] = []

  // Gradients (PROTOCOL.md, "Gradient grading").
  /// Gradient cases whose gradient was graded.
  public var gradientGraded = 0
  /// Gradient cases whose gradient was unsupported (`gradUnsupported` or no gradient part).
  public var gradientUnsupported: [CaseResult] = []
  /// Gradient verdicts of gated regimes below the required tier, not known divergences (they fail
  /// the gate when gradients are gated).
  public var gradientFailures: [CaseResult] = []
  /// Gradient verdicts below the required tier that a `part: gradient` entry lists.
  public var gradientKnown: [(result: CaseResult, entry: Int)] = []
  /// Gradient verdicts a `part: gradient` entry lists that meet the required tier.
  public var gradientUnexpectedPasses: [(result: CaseResult, entry: Int)] = []
  /// Gradient verdicts below the required tier that are not gated (ungated gradients or extreme
  /// cases), not known divergences: reported.
  public var gradientBelowUngated: [CaseResult] = []
  /// Gradient elements inside their kink interval, over all cases.
  public var subgradients = 0
  /// Whether gradient verdicts gate.
  public var gradientsGated = false

  /// PASS: every gated case meets the tier (or is a known divergence), no fault, something graded.
  public var passed: Bool { failures.isEmpty && gradientFailures.isEmpty && faults.isEmpty && graded > 0 }

  /// Exit status (DESIGN.md): 0 pass; 1 a gated case below the tier, or nothing graded; 2 an
  /// adapter error (a case that crashed, hung or got an unreadable answer, or no start at all).
  public func exitStatus(runError: String?) -> Int32 {
    if runError != nil || !faults.isEmpty { return 2 }
    return passed ? 0 : 1
  }

  public init(report: ConformanceReport) {
    let options = report.options
    var entryHasDivergence = [Bool](repeating: false, count: report.divergences.count)
    for result in report.cases {
      switch result.status {
      case .fault:
        faults.append(result)
        continue
      case .unsupported:
        unsupported.append(result)
        continue
      case .graded:
        break
      }
      graded += 1
      guard let verdict = result.verdict else { continue }
      if verdict.nanForDomainError { nanForDomainError.append(result) }
      let meets = verdict.tier.meets(options.require)
      let gated = result.regime != .extreme || options.gateExtreme
      if result.regime == .extreme {
        extremeGraded += 1
        if meets { extremeMeeting += 1 } else { extremeBelow.append(result) }
      }
      if gated { gatedGraded += 1 }
      let entry = report.divergences.firstIndex { $0.matches(result, part: .value) }
      if let entry {
        if meets {
          unexpectedPasses.append((result, entry))
        } else {
          knownDivergences.append((result, entry))
          entryHasDivergence[entry] = true
          if gated { gatedKnown += 1 }
        }
        continue
      }
      if gated && !meets { failures.append(result) }
    }
    gradientsGated = options.gateGradients ?? false
    for result in report.cases where result.status == .graded {
      guard let gradient = result.gradient else { continue }
      guard gradient.status == .graded, let verdict = gradient.verdict else {
        gradientUnsupported.append(result)
        continue
      }
      gradientGraded += 1
      subgradients += verdict.subgradients
      let meets = verdict.tier.meets(options.require)
      let gated = gradientsGated && (result.regime != .extreme || options.gateExtreme)
      if let entry = report.divergences.firstIndex(where: { $0.matches(result, part: .gradient) }) {
        if meets {
          gradientUnexpectedPasses.append((result, entry))
        } else {
          gradientKnown.append((result, entry))
          entryHasDivergence[entry] = true
        }
        continue
      }
      if !meets {
        if gated { gradientFailures.append(result) } else { gradientBelowUngated.append(result) }
      }
    }
    staleEntries = entryHasDivergence.indices.filter { !entryHasDivergence[$0] }
  }

  /// One sentence: the verdict and its main figures.
  public func summary(report: ConformanceReport) -> String {
    if let error = report.runError { return "the adapter could not be run: \(error)" }
    let options = report.options
    let regimes = options.gateExtreme ? "every regime" : "benign and edge cases"
    var parts: [String] = []
    if graded == 0 {
      parts.append("no case was graded (\(unsupported.count) unsupported, \(faults.count) faults)")
    } else if failures.isEmpty {
      parts.append(
        "all \(gatedGraded - gatedKnown) gated graded cases meet \(options.require.rawValue) on \(regimes)")
    } else {
      parts.append("\(failures.count) of \(graded) graded cases are below \(options.require.rawValue) on \(regimes)")
    }
    if gradientGraded > 0 || !gradientUnsupported.isEmpty {
      var text =
        gradientFailures.isEmpty
        ? "gradients: \(gradientGraded) graded" : "gradients: \(gradientFailures.count) of \(gradientGraded) below"
      text += gradientsGated ? " (gated)" : " (not gated)"
      if !gradientBelowUngated.isEmpty {
        text += ", \(gradientBelowUngated.count) below \(options.require.rawValue) ungated"
      }
      if !gradientKnown.isEmpty { text += ", \(gradientKnown.count) known" }
      if subgradients > 0 { text += ", \(subgradients) subgradient element(s)" }
      if !gradientUnsupported.isEmpty { text += ", \(gradientUnsupported.count) unsupported" }
      parts.append(text)
    }
    if !faults.isEmpty { parts.append("\(faults.count) adapter fault(s)") }
    if !knownDivergences.isEmpty { parts.append("\(knownDivergences.count) known divergence(s)") }
    if !unsupported.isEmpty { parts.append("\(unsupported.count) unsupported") }
    if extremeGraded > 0 { parts.append("extreme robustness \(extremeMeeting)/\(extremeGraded)") }
    return parts.joined(separator: "; ")
  }
}

// MARK: Tallies

/// Counts per tier and status for a group of cases (a loss × dtype row).
public struct TierTally: Sendable, Hashable {
  public var tiers: [Tier: Int] = [:]
  public var known = 0
  public var unsupported = 0
  public var faults = 0
  /// The gated graded case with the worst tier that no divergence entry lists, ties broken by the
  /// largest scaled error (ungated extreme cases are reported by the robustness score instead).
  public var worst: CaseResult?
  /// Gradient verdicts per tier, gradient-unsupported cases, known gradient divergences, and
  /// subgradient elements (gradient cases only).
  public var gradientTiers: [Tier: Int] = [:]
  public var gradientUnsupported = 0
  public var gradientKnown = 0
  public var subgradients = 0

  public var total: Int { tiers.values.reduce(0, +) + unsupported + faults }

  /// The number of graded gradients.
  public var gradientGraded: Int { gradientTiers.values.reduce(0, +) }

  /// The matrix's gradient cell: the worst gradient tier with its count over the graded ones
  /// (`CR 40/40`, `DIVERGENT 2/40`), then the known divergences, subgradients and unsupported;
  /// `-` without gradient cases.
  public var gradientCell: String {
    var parts: [String] = []
    if let worst = gradientTiers.keys.max() {
      parts.append("\(worst.shortLabel) \(gradientTiers[worst, default: 0])/\(gradientGraded)")
    }
    if gradientKnown > 0 { parts.append("\(gradientKnown) known") }
    if subgradients > 0 { parts.append("\(subgradients) sub") }
    if gradientUnsupported > 0 { parts.append("\(gradientUnsupported) unsup") }
    return parts.isEmpty ? "-" : parts.joined(separator: " ")
  }

  mutating func addGradient(_ result: CaseResult, isKnown: Bool) {
    guard result.status == .graded, let gradient = result.gradient else { return }
    guard gradient.status == .graded, let verdict = gradient.verdict else {
      gradientUnsupported += 1
      return
    }
    gradientTiers[verdict.tier, default: 0] += 1
    subgradients += verdict.subgradients
    if isKnown { gradientKnown += 1 }
  }

  mutating func add(_ result: CaseResult, isKnown: Bool, gated: Bool) {
    switch result.status {
    case .unsupported: unsupported += 1
    case .fault: faults += 1
    case .graded:
      guard let verdict = result.verdict else { return }
      tiers[verdict.tier, default: 0] += 1
      if isKnown { known += 1 }
      guard gated && !isKnown else { return }
      if let current = worst?.verdict {
        if verdict.tier > current.tier
          || (verdict.tier == current.tier && (verdict.scaled ?? 0) > (current.scaled ?? 0))
        {
          worst = result
        }
      } else {
        worst = result
      }
    }
  }
}

extension ConformanceReport {
  /// Tallies per (loss, dtype), in the order of `LossID.allCases` then dtype.
  public func tallies(_ evaluation: GateEvaluation) -> [(loss: String, dtype: String, tally: TierTally)] {
    let knownIDs = Set(evaluation.knownDivergences.map(\.result.id))
    let knownGradientIDs = Set(evaluation.gradientKnown.map(\.result.id))
    var table: [String: [String: TierTally]] = [:]
    for result in cases {
      table[result.loss, default: [:]][result.dtype, default: TierTally()].add(
        result, isKnown: knownIDs.contains(result.id), gated: result.regime != .extreme || options.gateExtreme)
      table[result.loss, default: [:]][result.dtype, default: TierTally()].addGradient(
        result, isKnown: knownGradientIDs.contains(result.id))
    }
    let lossOrder = LossID.allCases.map(\.rawValue) + table.keys.filter { LossID(rawValue: $0) == nil }.sorted()
    var rows: [(String, String, TierTally)] = []
    for loss in lossOrder {
      guard let byDType = table[loss] else { continue }
      for dtype in DType.allCases.map(\.rawValue) + byDType.keys.filter({ DType(rawValue: $0) == nil }).sorted() {
        if let tally = byDType[dtype] { rows.append((loss, dtype, tally)) }
      }
    }
    return rows
  }

  /// The plain-text summary printed by `losscheck conform`: a table of tiers per loss and dtype,
  /// the worst case per row, the findings, and the verdict.
  public func textSummary(_ evaluation: GateEvaluation, maxFindings: Int = 25) -> String {
    var out = "losscheck conform — \(implementation)\nadapter: \(adapter)\ncases: \(source)\n"
    if let runError { return out + "ERROR: \(runError)\n" }
    let columns = ["CR", "faith", "stable", "accept", "DIVERG", "known", "unsup", "fault"]
    // The gradient column appears only when some case is a gradient case: a value-only run
    // prints the table as before.
    let withGradients = hasGradients
    out +=
      "loss".padded(24) + "dtype".padded(8) + columns.map { $0.leftPadded(7) }.joined()
      + (withGradients ? "  " + "gradient".padded(26) : "") + "  worst gated case (tier, ulps, u·S, id)\n"
    for row in tallies(evaluation) {
      let t = row.tally
      let counts = [
        t.tiers[.correctlyRounded, default: 0], t.tiers[.faithful, default: 0], t.tiers[.stable, default: 0],
        t.tiers[.acceptable, default: 0], t.tiers[.divergent, default: 0], t.known, t.unsupported, t.faults,
      ]
      var worst = ""
      if let w = t.worst, let v = w.verdict {
        worst = "\(v.tier.rawValue)"
        if let ulps = v.ulps, let scaled = v.scaled {
          worst += " \(ulps.formatted(significantDigits: 3)) \(scaled.formatted(significantDigits: 3))"
        }
        worst += " \(w.id)"
      }
      out +=
        row.loss.padded(24) + row.dtype.padded(8) + counts.map { String($0).leftPadded(7) }.joined()
        + (withGradients ? "  " + t.gradientCell.padded(26) : "") + "  " + worst + "\n"
    }
    func list(_ title: String, _ items: [String]) {
      guard !items.isEmpty else { return }
      out += "\n\(title) (\(items.count)):\n"
      for item in items.prefix(maxFindings) { out += "  \(item)\n" }
      if items.count > maxFindings { out += "  … and \(items.count - maxFindings) more (see --json/--html)\n" }
    }
    list("FAILED (below \(options.require.rawValue), gated)", evaluation.failures.map(Self.line))
    list(
      "FAILED gradients (below \(options.require.rawValue), gated)", evaluation.gradientFailures.map(Self.gradientLine))
    list(
      "FAULTS (adapter errors)", evaluation.faults.map { "\($0.id): \($0.fault?.rawValue ?? "fault"): \($0.detail)" })
    list(
      "known divergences",
      evaluation.knownDivergences.map { "\($0.result.id): \(divergences[$0.entry].reason)" })
    list(
      "unexpected passes (listed as divergent, but meet \(options.require.rawValue))",
      evaluation.unexpectedPasses.map { "\($0.result.id) (\(divergences[$0.entry].selectorDescription))" })
    list(
      "warning: stale divergence entries (they select no divergent case)",
      evaluation.staleEntries.map { "\(divergences[$0].selectorDescription): \(divergences[$0].reason)" })
    list(
      "extreme cases below \(options.require.rawValue) (\(options.gateExtreme ? "gated" : "not gated: robustness"))",
      evaluation.extremeBelow.map(Self.line))
    list(
      "known gradient divergences",
      evaluation.gradientKnown.map { "\($0.result.id)/grad: \(divergences[$0.entry].reason)" })
    list(
      "unexpected gradient passes (listed as divergent, but meet \(options.require.rawValue))",
      evaluation.gradientUnexpectedPasses.map { "\($0.result.id)/grad (\(divergences[$0.entry].selectorDescription))" })
    list(
      "gradients below \(options.require.rawValue), not gated"
        + (evaluation.gradientsGated ? " (extreme regime)" : " (--no-gate-gradients, or the hello has no gradients)"),
      evaluation.gradientBelowUngated.map(Self.gradientLine))
    if !evaluation.gradientUnsupported.isEmpty {
      var groups: [String: Int] = [:]
      for result in evaluation.gradientUnsupported { groups[result.gradient?.detail ?? "", default: 0] += 1 }
      let reasons = groups.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
      list("gradients unsupported (by reason)", reasons.map { "\($0.value) × \($0.key)" })
    }
    if !evaluation.unsupported.isEmpty {
      let reasons = unsupportedReasons(evaluation.unsupported)
      list("unsupported (by reason)", reasons.map { "\($0.count) × \($0.reason)" })
    }
    list("notes", notes)
    out += "\n\(evaluation.passed ? "PASS" : "FAIL"): \(evaluation.summary(report: self))\n"
    return out
  }

  /// Whether some case is a gradient case (has a gradient result).
  public var hasGradients: Bool { cases.contains { $0.gradient != nil } }

  static func gradientLine(_ result: CaseResult) -> String {
    "\(result.id)/grad [\(result.regime.rawValue)] \(result.gradient?.verdict?.tier.rawValue ?? ""): "
      + (result.gradient?.verdict?.note ?? result.gradient?.detail ?? "")
  }

  static func line(_ result: CaseResult) -> String {
    "\(result.id) [\(result.regime.rawValue)] \(result.verdict?.tier.rawValue ?? ""): \(result.verdict?.note ?? result.detail)"
  }
}

extension String {
  func padded(_ width: Int) -> String {
    count >= width ? self + " " : self + String(repeating: " ", count: width - count)
  }
  func leftPadded(_ width: Int) -> String {
    count >= width ? " " + self : String(repeating: " ", count: width - count) + self
  }
}
