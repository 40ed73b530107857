import Foundation

extension ConformanceReport {
  /// The report as JUnit XML, for CI systems: one `<testsuite>` per loss and dtype, one
  /// `<testcase>` per case.
  ///
  /// A gated case below the required tier is a `<failure>`; an adapter fault is an `<error>`; an
  /// unsupported case and a known divergence are `<skipped>` with the reason; an ungated extreme
  /// case below the tier passes with its verdict in `<system-out>`.
  public func junitXML(_ evaluation: GateEvaluation) -> String {
    let failed = Set(evaluation.failures.map(\.id))
    var known: [String: Int] = [:]
    for item in evaluation.knownDivergences { known[item.result.id] = item.entry }
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
    let totalFailures = evaluation.failures.count
    let totalErrors = evaluation.faults.count + (runError == nil ? 0 : 1)
    let totalSkipped = evaluation.unsupported.count + evaluation.knownDivergences.count
    out +=
      "<testsuites name=\"\(xml("losscheck conform: \(implementation)"))\" tests=\"\(cases.count)\" "
      + "failures=\"\(totalFailures)\" errors=\"\(totalErrors)\" skipped=\"\(totalSkipped)\" "
      + "time=\"\(String(format: "%.3f", seconds))\">\n"
    if let runError {
      out += "  <testsuite name=\"adapter\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n"
      out += "    <testcase classname=\"conform\" name=\"start\"><error message=\"\(xml(runError))\"/></testcase>\n"
      out += "  </testsuite>\n"
    }
    for suite in suites {
      let failures = suite.cases.filter { failed.contains($0.id) }.count
      let errors = suite.cases.filter { $0.status == .fault }.count
      let skipped = suite.cases.filter { $0.status == .unsupported || known[$0.id] != nil }.count
      let time = suite.cases.reduce(0) { $0 + $1.seconds }
      out +=
        "  <testsuite name=\"\(xml(suite.name))\" tests=\"\(suite.cases.count)\" failures=\"\(failures)\" "
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
      }
      out += "  </testsuite>\n"
    }
    out += "</testsuites>\n"
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
