import Foundation
import LossCore
import LossReports
import LossSpec

/// The numerical-stability report: sweeps, bits-of-error charts, ULP tables and the errata page,
/// as one self-contained HTML document (inline CSS and SVG, no scripts, no network).
///
/// The same page renders a gradient run (``StabilityRun/runGradients(_:progress:)``, measure
/// ``Measure/gradients``): the bits of error of the worst element of ∂L/∂ŷ per point, a summary
/// table per loss and implementation instead of the ULP table, and no errata.
public struct StabilityReport: Sendable {
  /// What the run graded: loss values, or ∂L/∂ŷ.
  public enum Measure: Sendable {
    case values
    case gradients
  }

  public var run: StabilityRun
  /// Name–value pairs: date, toolchain, machine, the command that reproduces the page.
  public var environment: [(String, String)]
  public var measure: Measure
  /// A page to link from the summary (relative address and its title): the gradient page from
  /// the value page, and back.
  public var companion: (address: String, title: String)?

  /// A report of `run`.
  ///
  /// - Parameters:
  ///   - run: the evaluated sweeps (values, or gradients with `measure` `.gradients`).
  ///   - environment: name–value pairs for the method-and-environment section.
  ///   - measure: what the run graded.
  ///   - companion: a page to link from the summary (relative address and title).
  ///   - seeAlso: more pages to link after the companion.
  public init(
    run: StabilityRun, environment: [(String, String)], measure: Measure = .values,
    companion: (address: String, title: String)? = nil, seeAlso: [(address: String, title: String)] = []
  ) {
    self.run = run
    self.environment = environment
    self.measure = measure
    self.companion = companion
    self.seeAlso = seeAlso
  }

  /// More pages to link from the summary (relative address and title), after ``companion``.
  public var seeAlso: [(address: String, title: String)] = []

  var names: [String] { run.implementations.map(\.name) }

  /// The dtypes the run swept, in `DType.allCases` order: the columns of the tables.
  var dtypes: [DType] { DType.allCases.filter { dtype in run.results.contains { $0.sweep.dtype == dtype } } }

  /// Whether the run swept only the half dtypes (the half-precision page: its own title, the
  /// user-view table, no errata).
  var halfPrecisionOnly: Bool { !dtypes.isEmpty && dtypes.allSatisfy(\.isHalfPrecision) }

  /// "Float32", "Float64", "Float16", "BFloat16".
  static func displayName(_ dtype: DType) -> String {
    switch dtype {
    case .float32: "Float32"
    case .float64: "Float64"
    case .float16: "Float16"
    case .bfloat16: "BFloat16"
    }
  }

  /// Formats ulps compactly: "0", "0.5", "12", "3.4e5", "—" for a different outcome.
  static func formatUlps(_ u: Double) -> String {
    if !u.isFinite { return "NaN/Inf/error" }
    if u == 0 { return "0" }
    if u < 10 { return String(format: "%.2g", u) }
    if u < 1e4 { return String(format: "%.0f", u) }
    return String(format: "%.2e", u)
  }

  static func formatX(_ x: Double) -> String { String(format: "%g", x) }

  public func html() -> String {
    var body: [HTML] = [summarySection()]
    if measure == .values && halfPrecisionOnly { body.append(halfPrecisionTable()) }
    body.append(measure == .values ? ulpTable() : gradientTable())
    for loss in LossID.allCases {
      let sweeps = run.results.filter { $0.sweep.loss == loss }
      if !sweeps.isEmpty { body.append(lossSection(loss, sweeps)) }
    }
    if measure == .values && !halfPrecisionOnly { body.append(errataSection()) }
    let title =
      measure == .gradients
      ? "Gradient stability of the fourteen losses (∂L/∂ŷ)"
      : halfPrecisionOnly
        ? "Numerical stability of the fourteen losses in half precision (Float16, BFloat16)"
        : "Numerical stability of the fourteen losses"
    var page = ReportPage(title: title, body: body, styles: [LineChart.css, Self.css])
    page.documentTitle =
      measure == .gradients
      ? "losscheck — gradient stability"
      : halfPrecisionOnly ? "losscheck — numerical stability in half precision" : "losscheck — numerical stability"
    page.environmentTitle = "Method and environment"
    page.environmentNotes =
      measure == .gradients ? Self.gradientMethod : halfPrecisionOnly ? Self.method + Self.halfMethod : Self.method
    page.environment = environment.map { (name: $0.0, value: $0.1) }
    return page.html()
  }

  private func summarySection() -> HTML {
    let points = run.results.reduce(0) { $0 + $1.points.count }
    let everything = halfPrecisionOnly ? "11 (Float16) or 8 (BFloat16)" : "24 or 53"
    let graded =
      measure == .values
      ? "Every point is graded against LossSpec's correctly rounded value: bits of error = log₂(1 + ulps) "
        + "(0 is exact, 1 bit is about an ulp, \(everything) bits is everything wrong); shaded bands mark NaN, ±∞ or an error where the exact value is finite."
      : "Every point asks for ∂L/∂ŷ and is graded by its worst element against LossSpec's exact gradient, correctly rounded per element: "
        + "bits of error = log₂(1 + ulps) (0 is exact, 24 or 53 bits is everything wrong); at a kink any value between the one-sided derivatives is exact. "
        + "Shaded bands mark NaN, ±∞ or an error where the exact element is finite; an implementation that does not differentiate is shown as not run."
    var items: [HTML] = [
      .element(
        "p",
        text:
          "\(run.results.count) sweeps, \(points) points, \(names.count) implementations, in \(String(format: "%.1f", run.seconds)) s. "
          + graded)
    ]
    if measure == .gradients && run.undecidedCount > 0 {
      items.append(
        .element(
          "p", ["class": "note"], text: "LossSpec left \(run.undecidedCount) points undecided (midpoint rounding)."))
    }
    let links = (companion.map { [$0] } ?? []) + seeAlso
    if !links.isEmpty {
      var line: [HTML] = [.text("See also: ")]
      for (i, link) in links.enumerated() {
        if i > 0 { line.append(.text("; ")) }
        line.append(.element("a", ["href": link.address], text: link.title))
      }
      line.append(.text("."))
      items.append(.element("p", [:], line))
    }
    var header: [HTML] = [.element("th", text: "implementation")]
    for dtype in dtypes { header.append(.element("th", text: "worst bits (\(Self.displayName(dtype)))")) }
    header += [.element("th", text: "non-finite where finite"), .element("th", text: "not run")]
    var rows: [HTML] = [.element("tr", [:], header)]
    for (k, name) in names.enumerated() {
      var cells: [HTML] = [.element("td", text: name)]
      for dtype in dtypes {
        let worst = run.results.filter { $0.sweep.dtype == dtype }.compactMap { $0.worst(k) }
        let nonFinite = worst.contains { $0.bits == nil }
        let bits = worst.compactMap(\.bits).max() ?? 0
        // Nothing graded in this dtype (not run everywhere): no figure, not a perfect 0.
        let notRun = run.results.allSatisfy { $0.sweep.dtype != dtype || $0.skippedCount(k) == $0.points.count }
        let text = notRun ? "not run" : nonFinite ? "non-finite" : String(format: "%.1f", bits)
        cells.append(.element("td", ["class": nonFinite || bits > 4 ? "bad num" : "num"], text: text))
      }
      let count = run.results.reduce(0) { $0 + $1.nonFiniteCount(k) }
      cells.append(.element("td", ["class": count > 0 ? "bad num" : "num"], text: "\(count) points"))
      let skipped = run.results.reduce(0) { $0 + $1.skippedCount(k) }
      let reason = run.results.lazy.flatMap(\.points).first { $0.accuracy[k].skipped }?.accuracy[k].summary
      cells.append(
        .element(
          "td", ["class": "num", "title": reason ?? ""],
          text: skipped == 0 ? "—" : "\(skipped) points (e.g. \(reason ?? ""))"))
      rows.append(.element("tr", [:], cells))
    }
    items.append(.element("table", [:], rows))
    return .element("section", [:], [.element("h2", text: "Summary")] + items)
  }

  /// Zimmermann-style table: loss × implementation × dtype, the largest ulps and where.
  private func ulpTable() -> HTML {
    var header: [HTML] = [.element("th", text: "loss")]
    for name in names {
      for dtype in dtypes { header.append(.element("th", text: "\(name), \(dtype.rawValue)")) }
    }
    var rows: [HTML] = [.element("tr", [:], header)]
    for loss in LossID.allCases {
      var cells: [HTML] = [.element("th", ["scope": "row"], text: loss.rawValue)]
      for k in names.indices {
        for dtype in dtypes {
          var worst: (ulps: Double, where: String)?
          for result in run.results where result.sweep.loss == loss && result.sweep.dtype == dtype {
            for p in result.points where p.graded(k) {
              let u = p.accuracy[k].ulps
              if worst == nil || u > worst!.ulps {
                worst = (u, "\(result.sweep.name) at \(result.sweep.variable) = \(Self.formatX(p.x))")
              }
            }
          }
          if let worst {
            cells.append(
              .element(
                "td", ["class": worst.ulps > 16 ? "bad num" : "num", "title": worst.where],
                [
                  .text(Self.formatUlps(worst.ulps)), .element("br"), .element("small", text: worst.where),
                ]))
          } else {
            cells.append(.element("td", text: "—"))
          }
        }
      }
      rows.append(.element("tr", [:], cells))
    }
    return .element(
      "section", [:],
      [
        .element("h2", text: "ULP table"),
        .element(
          "p",
          text:
            "The largest error in ulps of the dtype over every sweep point, and where (Zimmermann's libm tables, per loss)."
        ),
        .element("div", ["class": "scroll"], [.element("table", ["class": "ulps"], rows)]),
      ])
  }

  /// The gradient page's summary table: per loss and implementation, the worst bits of error of
  /// ∂L/∂ŷ in each dtype and the input where, the non-finite results and the points not run.
  private func gradientTable() -> HTML {
    var rows: [HTML] = [
      .element("tr", [:], [.element("th", text: "loss")] + names.map { .element("th", text: $0) })
    ]
    for loss in LossID.allCases {
      let results = run.results.filter { $0.sweep.loss == loss }
      guard !results.isEmpty else { continue }
      var cells: [HTML] = [.element("th", ["scope": "row"], text: loss.rawValue)]
      for k in names.indices {
        var lines: [HTML] = []
        var bad = false
        for dtype in dtypes {
          let mine = results.filter { $0.sweep.dtype == dtype }
          let candidates = mine.compactMap { result in result.worst(k).map { (result, $0) } }
          let nonFinite = mine.reduce(0) { $0 + $1.nonFiniteCount(k) }
          let skipped = mine.reduce(0) { $0 + $1.skippedCount(k) }
          var text = "\(dtype.rawValue): "
          // The worst: a non-finite result first, else the most bits.
          let worst = candidates.first { $0.1.bits == nil } ?? candidates.max { ($0.1.bits ?? 0) < ($1.1.bits ?? 0) }
          if let (result, w) = worst {
            let bits = w.bits.map { String(format: "%.1f bits", $0) } ?? "non-finite"
            text += "\(bits) (\(result.sweep.name) at \(result.sweep.variable) = \(Self.formatX(w.point.x)))"
            if nonFinite > 0 { text += "; \(nonFinite) non-finite" }
            if w.bits == nil || w.bits! > 4 { bad = true }
          } else {
            text += "not run"
          }
          if skipped > 0 && worst != nil { text += "; \(skipped) not run" }
          if !lines.isEmpty { lines.append(.element("br")) }
          lines.append(.element("small", text: text))
        }
        cells.append(.element("td", ["class": bad ? "bad" : ""], lines))
      }
      rows.append(.element("tr", [:], cells))
    }
    return .element(
      "section", [:],
      [
        .element("h2", text: "Summary per loss"),
        .element(
          "p",
          text:
            "The largest bits of error of ∂L/∂ŷ over every sweep of a loss, per implementation and dtype, and the input where; non-finite: NaN or ±∞ where the exact element is finite."
        ),
        .element("div", ["class": "scroll"], [.element("table", [:], rows)]),
      ])
  }

  private func lossSection(_ loss: LossID, _ results: [SweepResult]) -> HTML {
    var parts: [HTML] = [.element("h2", ["id": loss.rawValue], text: loss.rawValue)]
    // Pair the versions of each sweep in the dtypes swept.
    let names = results.map(\.sweep.name).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    for (s, sweepName) in names.enumerated() {
      let pair = results.filter { $0.sweep.name == sweepName }
      guard let first = pair.first else { continue }
      parts.append(.element("h3", text: sweepName))
      parts.append(.element("p", ["class": "note"], text: first.sweep.note))
      var charts: [HTML] = []
      for result in pair {
        let precision = Double(result.sweep.dtype.significandBits)
        let series = self.names.indices.map { k in
          LineChart.Series(
            name: self.names[k],
            points: result.points.filter { !$0.accuracy[k].skipped }.map { p in
              (p.x, p.reference == nil ? 0 : p.accuracy[k].bits)
            })
        }
        let chart = LineChart(
          title: "\(loss.rawValue), \(result.sweep.dtype.rawValue): \(sweepName)", xLabel: result.sweep.variable,
          yLabel: measure == .values ? "bits of error" : "bits of error of ∂L/∂ŷ", logX: result.sweep.logX,
          yRange: 0...precision, series: series)
        charts.append(.element("figure", [:], [chart.svg(id: "\(loss.rawValue)-\(s)-\(result.sweep.dtype.rawValue)")]))
      }
      parts.append(.element("div", ["class": "charts"], charts))
      parts.append(decadeTable(pair))
    }
    return .element("section", [:], parts)
  }

  /// Max and mean bits per decade of the swept variable (per tenth of the range on a linear
  /// sweep), per implementation and dtype, with the worst input.
  private func decadeTable(_ pair: [SweepResult]) -> HTML {
    var header: [HTML] = [.element("th", text: "dtype"), .element("th", text: "range")]
    for name in names { header.append(.element("th", text: "\(name): max / mean bits")) }
    var rows: [HTML] = [.element("tr", [:], header)]
    for result in pair {
      let sweep = result.sweep
      var buckets: [(String, [SweepPoint])] = []
      if sweep.logX {
        let grouped = Dictionary(grouping: result.points) { Int(floor(log10($0.x))) }
        for d in grouped.keys.sorted() { buckets.append(("1e\(d) – 1e\(d + 1)", grouped[d]!)) }
      } else {
        buckets.append(("all", result.points))
      }
      for (label, points) in buckets {
        var cells: [HTML] = [.element("td", text: sweep.dtype.rawValue), .element("td", text: label)]
        for k in names.indices {
          let valid = points.filter { $0.graded(k) }
          let bits = valid.compactMap { $0.accuracy[k].bits }
          let nonFinite = valid.count - bits.count
          let maxBits = bits.max() ?? 0
          let mean = bits.isEmpty ? 0 : bits.reduce(0, +) / Double(bits.count)
          let notRun = points.allSatisfy { $0.accuracy[k].skipped }
          var text = notRun ? "not run" : String(format: "%.1f / %.1f", maxBits, mean)
          if nonFinite > 0 { text += " · \(nonFinite) non-finite" }
          cells.append(.element("td", ["class": nonFinite > 0 || maxBits > 4 ? "bad num" : "num"], text: text))
        }
        rows.append(.element("tr", [:], cells))
      }
      for k in names.indices {
        if let worst = result.worst(k), worst.bits ?? 1 > 0 {
          let p = worst.point
          let returned =
            measure == .values
            ? "returned \(p.accuracy[k].summary), exact \(p.referenceSummary)"
            : "\(p.accuracy[k].summary); exact \(p.referenceSummary)"
          rows.append(
            .element(
              "tr", ["class": "worst"],
              [
                .element("td", text: sweep.dtype.rawValue),
                .element(
                  "td", ["colspan": String(names.count + 1)],
                  text:
                    "\(names[k]) worst at \(sweep.variable) = \(Self.formatX(p.x)): \(returned) (\(Self.formatUlps(p.accuracy[k].ulps)) ulps)"
                ),
              ]))
        }
      }
    }
    return .element(
      "details", [:], [.element("summary", text: "Per decade, and the worst inputs"), .element("table", [:], rows)])
  }

  private func errataSection() -> HTML {
    var rows: [HTML] = [
      .element(
        "tr", [:],
        [
          "#", "loss", "the page says", "implemented (normative)", "input", "page value",
          "implemented value (LossSpec)",
        ].map { .element("th", text: $0) })
    ]
    for erratum in Erratum.all {
      var implemented = "—"
      if let result = try? LossSpec.evaluate(erratum.request) {
        implemented = ProtocolCodec.encode(result.rounded[0], dtype: erratum.request.dtype).serialized()
      }
      let page = erratum.pageValue.map { ProtocolCodec.encode($0, dtype: .float64).serialized() } ?? "—"
      rows.append(
        .element(
          "tr", [:],
          [
            .element("td", text: String(erratum.number)),
            .element("td", text: erratum.loss.rawValue),
            .element("td", [:], [.element("code", text: erratum.pageFormula)]),
            .element("td", [:], [.element("code", text: erratum.implementedFormula)]),
            .element("td", [:], [.text(erratum.input), .element("br"), .element("small", text: erratum.note)]),
            .element("td", ["class": "num"], text: page),
            .element("td", ["class": "num"], text: implemented),
          ]))
    }
    return .element(
      "section", ["id": "errata"],
      [
        .element("h2", text: "Errata of the seed page"),
        .element(
          "p",
          text:
            "Where Flux's \"Loss Functions\" page and Flux's implemented behaviour disagree, the implemented behaviour is normative (SEMANTICS.md). Each erratum with a concrete counterexample: the page's formula evaluated in Float64, and LossSpec's correctly rounded value of the implemented one."
        ),
        .element("div", ["class": "scroll"], [.element("table", [:], rows)]),
      ])
  }

  /// How the page was made: the reference, the measure, the Flux order, the bands.
  static let method = [
    "Reference: LossSpec, exact ball arithmetic rounded correctly to Float32 and Float64 (checked against an independent mpmath oracle: 610/610 cases identical).",
    "Bits of error: log₂(1 + |r − v|/ulp(v)), v the correctly rounded reference in the dtype (ulp of the smallest subnormal when v = 0), capped at the precision (24 or 53).",
    "Flux order (emulated in Swift): each loss transcribed from Flux.Losses term by term in the dtype — both Huber branches evaluated and masked, msle's quotient before its log, NNlib's logσ and logsoftmax; sum is a sequential left-to-right sum (Julia's pairwise sum is within this envelope; for n ≤ 1024 they differ only by SIMD reassociation); log, exp and log1p are glibc's.",
    "Shaded bands under a chart: the implementation returned NaN, ±∞ or an error where the exact value is finite.",
  ]

  /// How the gradient page was made.
  static let gradientMethod = [
    "Reference: LossSpec's exact gradient (SEMANTICS.md, \"Gradients\"): the derivative of the literal formula in ball arithmetic, correctly rounded per element to the dtype; at a kink the interval between the one-sided derivatives, any point of which is exact.",
    "Bits of error of a point: those of its worst element of ∂L/∂ŷ, log₂(1 + |r − v|/ulp(v)) capped at the precision; a NaN, ±∞ or error where the exact element is finite ranks worst.",
    "Flux order (emulated in Swift): ∂L/∂ŷ as Zygote computes it for Flux 0.13's source, rule by rule in the dtype — Zygote's unfused broadcast adjoints (x .^ 2 through _pow_grad, abs through sign with sign(0) = 0, max by its dual derivative), Flux's xlogy adjoint Δ·x/y (NaN at x = y = 0), NNlib's logσ rule Δ·sigmoid_fast(−x) (clamped at 40 and −80) and ∇logsoftmax (softmax recomputed as exp of the rounded logsoftmax), ChainRules' mean pullback ȳ/n.",
    "Not run: the implementation answered the value without a gradient (gradUnsupported), or did not evaluate the point.",
  ]

  static let css: StaticString = """
    body { font-family: system-ui, -apple-system, sans-serif; margin: 0 auto; max-width: 1180px; padding: 16px 24px; color: #1a1a1a; line-height: 1.45; }
    h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
    h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
    h3 { font-size: 1.02rem; margin: 1.2rem 0 0.2rem; }
    p.note { color: #555; margin: 0 0 0.4rem; font-size: 0.92rem; }
    table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.86rem; }
    th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; }
    th { background: #f3f3f3; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; }
    td.bad { background: #fff1ec; color: #8a2400; }
    td small { color: #666; }
    .scroll { overflow-x: auto; }
    .charts { display: flex; flex-wrap: wrap; gap: 12px; }
    .charts figure { margin: 0; flex: 1 1 460px; min-width: 320px; }
    details { margin: 0.3rem 0 1rem; }
    tr.worst td { font-size: 0.8rem; color: #444; }
    code { font-size: 0.85em; }
    """
}
