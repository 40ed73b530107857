import Foundation

extension ConformanceReport {
  /// The report as JUnit XML, for CI systems: one `<testsuite>` per loss and dtype, one
  /// `<testcase>` per case.
  ///
  /// A gated case below the required tier is a `<failure>`; an adapter fault is an `<error>`; an
  /// unsupported case and a known divergence are `<skipped>` with the reason; an ungated extreme
  /// case below the tier passes with its verdict in `<system-out>`.
  ///
  /// A gradient case whose gradient was graded or unsupported adds a `<testcase>` named
  /// `<id>/grad` after its own: a `<failure>` when its gated gradient verdict is below the tier,
  /// `<skipped>` when unsupported or a known gradient divergence, otherwise passing (an ungated
  /// verdict below the tier in `<system-out>`).
  public func junitXML(_ evaluation: GateEvaluation) -> String {
    let failed = Set(evaluation.failures.map(\.id))
    var known: [String: Int] = [:]
    for item in evaluation.knownDivergences { known[item.result.id] = item.entry }
    let gradientFailed = Set(evaluation.gradientFailures.map(\.id))
    var gradientKnown: [String: Int] = [:]
    for item in evaluation.gradientKnown { gradientKnown[item.result.id] = item.entry }
    func hasGradientCase(_ result: CaseResult) -> Bool { result.status == .graded && result.gradient != nil }
    func gradientSkipped(_ result: CaseResult) -> Bool {
      hasGradientCase(result) && (result.gradient?.status == .unsupported || gradientKnown[result.id] != nil)
    }
    var suites: [(name: String, cases: [CaseResult])] = []
    var index: [String: Int] = [:]
    for result in cases {
      let name = "\(result.loss).\(result.dtype)"
      if let i = index[name] {
        suites[i].cases.append(result)
      } else {
        index[name] = suites.count
        suites.append((name, [result]))
      }
    }
    var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
    let totalFailures = evaluation.failures.count + evaluation.gradientFailures.count
    let totalErrors = evaluation.faults.count + (runError == nil ? 0 : 1)
    let totalSkipped =
      evaluation.unsupported.count + evaluation.knownDivergences.count + cases.filter(gradientSkipped).count
    let totalTests = cases.count + cases.filter(hasGradientCase).count
    out +=
      "<testsuites name=\"\(xml("losscheck conform: \(implementation)"))\" tests=\"\(totalTests)\" "
      + "failures=\"\(totalFailures)\" errors=\"\(totalErrors)\" skipped=\"\(totalSkipped)\" "
      + "time=\"\(String(format: "%.3f", seconds))\">\n"
    if let runError {
      out += "  <testsuite name=\"adapter\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n"
      out += "    <testcase classname=\"conform\" name=\"start\"><error message=\"\(xml(runError))\"/></testcase>\n"
      out += "  </testsuite>\n"
    }
    for suite in suites {
      let failures =
        suite.cases.filter { failed.contains($0.id) }.count
        + suite.cases.filter { gradientFailed.contains($0.id) }.count
      let errors = suite.cases.filter { $0.status == .fault }.count
      let skipped =
        suite.cases.filter { $0.status == .unsupported || known[$0.id] != nil }.count
        + suite.cases.filter(gradientSkipped).count
      let time = suite.cases.reduce(0) { $0 + $1.seconds }
      let tests = suite.cases.count + suite.cases.filter(hasGradientCase).count
      out +=
        "  <testsuite name=\"\(xml(suite.name))\" tests=\"\(tests)\" failures=\"\(failures)\" "
        + "errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(String(format: "%.3f", time))\">\n"
      for result in suite.cases {
        out +=
          "    <testcase classname=\"conform.\(xml(suite.name))\" name=\"\(xml(result.id))\" "
          + "time=\"\(String(format: "%.4f", result.seconds))\""
        let tier = result.verdict?.tier.rawValue ?? ""
        let note = result.verdict?.note ?? result.detail
        let context =
          "[\(result.regime.rawValue)] tags: \(result.tags.joined(separator: ", ")); expected \(result.expected); got \(result.answer)"
        if failed.contains(result.id) {
          out +=
            "><failure type=\"\(tier)\" message=\"\(xml("\(tier): \(note)"))\">\(xml(context))</failure></testcase>\n"
        } else if result.status == .fault {
          out +=
            "><error type=\"\(result.fault?.rawValue ?? "fault")\" message=\"\(xml(result.detail))\">\(xml(context))</error></testcase>\n"
        } else if result.status == .unsupported {
          out += "><skipped message=\"\(xml("unsupported: \(result.detail)"))\"/></testcase>\n"
        } else if let entry = known[result.id] {
          out +=
            "><skipped message=\"\(xml("known divergence (\(tier)): \(divergences[entry].reason) \(divergences[entry].link)"))\"/></testcase>\n"
        } else if let verdict = result.verdict, !verdict.tier.meets(options.require) {
          out +=
            "><system-out>\(xml("not gated (\(result.regime.rawValue)): \(tier): \(note)"))</system-out></testcase>\n"
        } else {
          out += "/>\n"
        }
        if hasGradientCase(result), let gradient = result.gradient {
          out += gradientTestCase(
            result, gradient, suite: suite.name, failed: gradientFailed.contains(result.id),
            known: gradientKnown[result.id])
        }
      }
      out += "  </testsuite>\n"
    }
    out += "</testsuites>\n"
    return out
  }
}

extension ConformanceReport {
  /// The `<testcase>` line of a case's gradient (`<id>/grad`).
  func gradientTestCase(_ result: CaseResult, _ gradient: GradientResult, suite: String, failed: Bool, known: Int?)
    -> String
  {
    var out =
      "    <testcase classname=\"conform.\(xml(suite))\" name=\"\(xml(result.id + "/grad"))\" time=\"0.0000\""
    let tier = gradient.verdict?.tier.rawValue ?? ""
    let note = gradient.verdict?.note ?? gradient.detail
    let context =
      "[\(result.regime.rawValue)] tags: \(result.tags.joined(separator: ", ")); expected \(gradient.expected); got \(gradient.answer)"
    if failed {
      out +=
        "><failure type=\"\(tier)\" message=\"\(xml("gradient \(tier): \(note)"))\">\(xml(context))</failure></testcase>\n"
    } else if gradient.status == .unsupported {
      out += "><skipped message=\"\(xml("gradient unsupported: \(gradient.detail)"))\"/></testcase>\n"
    } else if let known {
      out +=
        "><skipped message=\"\(xml("known gradient divergence (\(tier)): \(divergences[known].reason) \(divergences[known].link)"))\"/></testcase>\n"
    } else if let verdict = gradient.verdict, !verdict.tier.meets(options.require) {
      out += "><system-out>\(xml("not gated: gradient \(tier): \(note)"))</system-out></testcase>\n"
    } else if let verdict = gradient.verdict, verdict.subgradients > 0 {
      out += "><system-out>\(xml("gradient \(tier): \(note)"))</system-out></testcase>\n"
    } else {
      out += "/>\n"
    }
    return out
  }
}

/// Escapes text for XML content and attribute values; characters XML 1.0 does not allow become
/// U+FFFD.
func xml(_ text: String) -> String {
  var out = ""
  out.reserveCapacity(text.utf8.count)
  for scalar in text.unicodeScalars {
    switch scalar {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&apos;"
    case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
    default:
      if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
        out += "\u{FFFD}"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
  }
  return out
}
