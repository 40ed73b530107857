import Foundation

/// A line chart drawn as inline SVG: one polyline per series, a logarithmic or linear x axis,
/// a legend, and marked bands where a series has no finite value (NaN or ±∞ results).
///
/// The SVG carries `role="img"`, a `<title>` and a `<desc>`, so it reads without scripts and
/// with a screen reader; the exact numbers belong in a table beside it.
///
/// ```swift
/// let chart = LineChart(title: "mse, Float32", xLabel: "n", yLabel: "bits of error",
///                       logX: true, series: [.init(name: "LossFast", points: [(10, 0), (1e6, 0.5)])])
/// chart.svg()  // <svg role="img" …>…</svg>
/// ```
public struct LineChart: Sendable {
  public struct Series: Sendable {
    public var name: String
    /// `y == nil` marks a point where the series has no finite value (drawn as a band).
    public var points: [(x: Double, y: Double?)]

    public init(name: String, points: [(x: Double, y: Double?)]) {
      self.name = name
      self.points = points
    }
  }

  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var logX: Bool
  /// The y range; by default from 0 to the largest value (at least 1).
  public var yRange: ClosedRange<Double>?
  public var series: [Series]

  /// Colours distinguishable in colour-blind palettes (Okabe–Ito).
  static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
  static let dashes = ["", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4"]

  public init(
    title: String, xLabel: String, yLabel: String, logX: Bool, yRange: ClosedRange<Double>? = nil,
    series: [Series]
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.logX = logX
    self.yRange = yRange
    self.series = series
  }

  /// The chart as an `<svg>` element `width × height` user units (it scales to its container).
  public func svg(width: Double = 640, height: Double = 280, id: String = "chart") -> HTML {
    let left = 56.0
    let right = 12.0
    let top = 28.0
    let bottom = 64.0 + 16 * Double((series.count + 1) / 2)
    let plotWidth = width - left - right
    let plotHeight = height - top - 64
    let totalHeight = height - 64 + bottom
    let xs = series.flatMap { $0.points.map(\.x) }.filter { !logX || $0 > 0 }
    let xMin = xs.min() ?? 1
    let xMax = Swift.max(xs.max() ?? 10, xMin * (logX ? 10 : 1) + (logX ? 0 : 1))
    let ys = series.flatMap { $0.points.compactMap(\.y) }.filter(\.isFinite)
    let range = yRange ?? 0...Swift.max(1, (ys.max() ?? 1))
    func tx(_ x: Double) -> Double {
      let t = logX ? (log10(x) - log10(xMin)) / (log10(xMax) - log10(xMin)) : (x - xMin) / (xMax - xMin)
      return left + t * plotWidth
    }
    func ty(_ y: Double) -> Double {
      let clamped = Swift.min(Swift.max(y, range.lowerBound), range.upperBound)
      return top + plotHeight - (clamped - range.lowerBound) / (range.upperBound - range.lowerBound) * plotHeight
    }
    func f(_ v: Double) -> String { String(format: "%.1f", v) }
    var parts: [HTML] = [
      .element("title", ["id": "\(id)-title"], text: title),
      .element(
        "desc", ["id": "\(id)-desc"],
        text: "\(yLabel) against \(xLabel)\(logX ? " (logarithmic)" : ""), one line per implementation: "
          + series.map(\.name).joined(separator: ", ") + ". Shaded bands: no finite result."),
      .element("rect", ["x": f(left), "y": f(top), "width": f(plotWidth), "height": f(plotHeight), "class": "plot"]),
    ]
    // Y grid and ticks.
    let yStep = Swift.max(1, ((range.upperBound - range.lowerBound) / 6).rounded(.up))
    var yTick = range.lowerBound
    while yTick <= range.upperBound + 1e-9 {
      parts.append(
        .element(
          "line", ["x1": f(left), "x2": f(left + plotWidth), "y1": f(ty(yTick)), "y2": f(ty(yTick)), "class": "grid"]))
      parts.append(
        .element(
          "text", ["x": f(left - 6), "y": f(ty(yTick) + 4), "text-anchor": "end", "class": "tick"],
          text: String(format: "%g", yTick)))
      yTick += yStep
    }
    // X ticks: decades on a log axis, about six steps on a linear one.
    var xTicks: [Double] = []
    if logX {
      // At most about eight labelled decades.
      let first = floor(log10(xMin))
      let last = ceil(log10(xMax))
      let step = Swift.max(1, ((last - first) / 8).rounded(.up))
      var d = first
      while d <= last {
        let v = pow(10, d)
        if v >= xMin * 0.999 && v <= xMax * 1.001 { xTicks.append(v) }
        d += step
      }
    } else {
      for k in 0...6 { xTicks.append(xMin + Double(k) * (xMax - xMin) / 6) }
    }
    for v in xTicks {
      parts.append(
        .element("line", ["x1": f(tx(v)), "x2": f(tx(v)), "y1": f(top), "y2": f(top + plotHeight), "class": "grid"]))
      let label = logX ? "1e\(Int(log10(v).rounded()))" : String(format: "%g", v)
      parts.append(
        .element(
          "text", ["x": f(tx(v)), "y": f(top + plotHeight + 16), "text-anchor": "middle", "class": "tick"], text: label)
      )
    }
    // Axis labels and title.
    parts.append(
      .element(
        "text",
        ["x": f(left + plotWidth / 2), "y": f(top + plotHeight + 34), "text-anchor": "middle", "class": "label"],
        text: xLabel))
    parts.append(
      .element(
        "text",
        [
          "x": "14", "y": f(top + plotHeight / 2), "text-anchor": "middle", "class": "label",
          "transform": "rotate(-90 14 \(f(top + plotHeight / 2)))",
        ], text: yLabel))
    parts.append(.element("text", ["x": f(left), "y": "18", "class": "chart-title"], text: title))
    // Series: bands where non-finite, then polylines over the finite runs.
    for (k, s) in series.enumerated() {
      let color = Self.palette[k % Self.palette.count]
      let sorted = s.points.filter { !logX || $0.x > 0 }.sorted { $0.x < $1.x }
      for (i, p) in sorted.enumerated() where p.y == nil || !(p.y!.isFinite) {
        let x0 = i > 0 ? (tx(sorted[i - 1].x) + tx(p.x)) / 2 : tx(p.x) - 3
        let x1 = i + 1 < sorted.count ? (tx(p.x) + tx(sorted[i + 1].x)) / 2 : tx(p.x) + 3
        let bandHeight = 6.0
        parts.append(
          .element(
            "rect",
            [
              "x": f(x0), "y": f(top + plotHeight - bandHeight * Double(k + 1)), "width": f(Swift.max(1, x1 - x0)),
              "height": f(bandHeight), "fill": color, "class": "nonfinite",
            ],
            [
              .element("title", text: "\(s.name): no finite result at \(String(format: "%g", p.x))")
            ]))
      }
      var run: [String] = []
      func flush() {
        if run.count == 1 {
          let xy = run[0].split(separator: ",")
          parts.append(.element("circle", ["cx": String(xy[0]), "cy": String(xy[1]), "r": "2.5", "fill": color]))
        } else if run.count > 1 {
          var attributes: HTML.Attributes = ["points": run.joined(separator: " "), "stroke": color, "class": "series"]
          let dash = Self.dashes[k % Self.dashes.count]
          if !dash.isEmpty {
            attributes = [
              "points": run.joined(separator: " "), "stroke": color, "stroke-dasharray": dash, "class": "series",
            ]
          }
          parts.append(.element("polyline", attributes))
        }
        run = []
      }
      for p in sorted {
        if let y = p.y, y.isFinite { run.append("\(f(tx(p.x))),\(f(ty(y)))") } else { flush() }
      }
      flush()
      // Legend entry.
      let column = Double(k % 2)
      let row = Double(k / 2)
      let lx = left + column * (plotWidth / 2)
      let ly = top + plotHeight + 52 + row * 16
      var legendLine: HTML.Attributes = [
        "x1": f(lx), "x2": f(lx + 22), "y1": f(ly - 4), "y2": f(ly - 4), "stroke": color, "class": "series",
      ]
      let dash = Self.dashes[k % Self.dashes.count]
      if !dash.isEmpty {
        legendLine = [
          "x1": f(lx), "x2": f(lx + 22), "y1": f(ly - 4), "y2": f(ly - 4), "stroke": color, "stroke-dasharray": dash,
          "class": "series",
        ]
      }
      parts.append(.element("line", legendLine))
      parts.append(.element("text", ["x": f(lx + 28), "y": f(ly), "class": "legend"], text: s.name))
    }
    return .element(
      "svg",
      [
        "xmlns": "http://www.w3.org/2000/svg", "viewbox": "0 0 \(f(width)) \(f(totalHeight))", "role": "img",
        "aria-labelledby": "\(id)-title \(id)-desc", "class": "chart",
      ], parts)
  }

  /// The CSS the charts use (include once per page).
  public static let css: StaticString = """
    svg.chart { width: 100%; max-width: 720px; height: auto; font-family: system-ui, sans-serif; }
    svg.chart .plot { fill: #fafafa; stroke: #bbb; }
    svg.chart .grid { stroke: #e3e3e3; stroke-width: 1; }
    svg.chart .tick { font-size: 10px; fill: #555; }
    svg.chart .label { font-size: 11px; fill: #333; }
    svg.chart .legend { font-size: 11px; fill: #222; }
    svg.chart .chart-title { font-size: 13px; font-weight: 600; fill: #111; }
    svg.chart .series { fill: none; stroke-width: 1.8; }
    svg.chart .nonfinite { opacity: 0.55; }
    """
}
