import Foundation
import LossCore

/// The golden vectors as files: one JSON Lines file per loss (`mse.jsonl`, …) and a
/// `MANIFEST.json` with the schema, the seed, and each file's case count and SHA-256.
public struct VectorSet: Sendable {
  /// Which vectors a set holds: the value vectors (`Conformance/vectors`) or the gradient
  /// vectors (`Conformance/vectors/gradients`, whose manifest adds `"kind": "gradients"` and
  /// each file's `bugs`).
  public enum Kind: String, Sendable, Hashable {
    case values
    case gradients
  }

  /// The subdirectory of the value vectors' directory that holds the gradient vectors.
  public static let gradientDirectoryName = "gradients"

  public var seed: UInt64
  public var cases: [GoldenCase]
  public var kind: Kind

  public init(seed: UInt64, cases: [GoldenCase], kind: Kind = .values) {
    self.seed = seed
    self.cases = cases
    self.kind = kind
  }

  /// Generates the gradient catalogue of `seed` (``VectorGenerator/gradientCatalogue()``) and
  /// computes every expectation, value and gradient, in parallel over the cores; planned cases
  /// whose value or gradient is an error are left out.
  public static func generateGradients(
    seed: UInt64, evaluate: @escaping ReferenceEvaluator, gradient: @escaping GradientReferenceEvaluator
  ) -> VectorSet {
    let planned = VectorGenerator(seed: seed).gradientCatalogue()
    let results = ResultSlots<GoldenCase?>(count: planned.count)
    DispatchQueue.concurrentPerform(iterations: planned.count) { index in
      results.store(planned[index].goldenGradient(evaluate, gradient: gradient), at: index)
    }
    return VectorSet(seed: seed, cases: results.values.compactMap(\.self), kind: .gradients)
  }

  /// Generates the catalogue of `seed` and computes every expectation with `evaluate`, in
  /// parallel over the cores (each case is independent; the order of the result is the
  /// catalogue's).
  public static func generate(seed: UInt64, evaluate: @escaping ReferenceEvaluator) -> VectorSet {
    let planned = VectorGenerator(seed: seed).catalogue()
    let results = ResultSlots<GoldenCase>(count: planned.count)
    DispatchQueue.concurrentPerform(iterations: planned.count) { index in
      results.store(planned[index].golden(evaluate), at: index)
    }
    return VectorSet(seed: seed, cases: results.values)
  }

  /// The file name of a loss's vectors.
  public static func fileName(_ loss: LossID) -> String { "\(loss.rawValue).jsonl" }

  /// The files of the set: name and text, the per-loss files in `LossID` order, then
  /// `MANIFEST.json`.
  public func files() -> [(name: String, text: String)] {
    var files: [(name: String, text: String)] = []
    var manifestFiles: [JSONValue] = []
    for loss in LossID.allCases {
      let own = cases.filter { $0.loss == loss }
      guard !own.isEmpty else { continue }
      let text = VectorFiles.text(own)
      files.append((Self.fileName(loss), text))
      var regimes: [(key: String, value: JSONValue)] = []
      for regime in Regime.allCases {
        regimes.append((regime.rawValue, .number(String(own.filter { $0.regime == regime }.count))))
      }
      var entry: [(key: String, value: JSONValue)] = [
        ("name", .string(Self.fileName(loss))), ("cases", .number(String(own.count))), ("regimes", .object(regimes)),
        ("sha256", .string(SHA256.hex(text.utf8))),
      ]
      if kind == .gradients {
        var bugs: [String] = []
        for tag in own.flatMap(\.tags) where tag.hasPrefix("bug:") && !bugs.contains(tag) { bugs.append(tag) }
        entry.append(("bugs", .array(bugs.map { .string($0) })))
      }
      manifestFiles.append(.object(entry))
    }
    var members: [(key: String, value: JSONValue)] = [("schema", .string(VectorFiles.schema))]
    if kind == .gradients { members.append(("kind", .string(Kind.gradients.rawValue))) }
    members += [
      ("seed", .number(String(seed))),
      ("cases", .number(String(cases.count))),
      ("regenerate", .string("losscheck vectors --seed \(seed)")),
      ("check", .string("losscheck vectors --check")),
      ("files", .array(manifestFiles)),
    ]
    let manifest = JSONValue.object(members)
    files.append(("MANIFEST.json", Self.pretty(manifest)))
    return files
  }

  /// Writes the files into `directory` (created if needed), removing `*.jsonl` files that are
  /// no longer part of the set.
  public func write(to directory: String) throws {
    let manager = FileManager.default
    try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let files = files()
    let names = Set(files.map(\.name))
    for existing in (try? manager.contentsOfDirectory(atPath: directory)) ?? []
    where existing.hasSuffix(".jsonl") && !names.contains(existing) {
      try manager.removeItem(atPath: (directory as NSString).appendingPathComponent(existing))
    }
    for file in files {
      try Data(file.text.utf8).write(
        to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent(file.name)), options: .atomic)
    }
  }

  /// The seed recorded in a directory's `MANIFEST.json`, if any.
  public static func recordedSeed(in directory: String) -> UInt64? {
    let path = (directory as NSString).appendingPathComponent("MANIFEST.json")
    guard let text = try? String(contentsOfFile: path, encoding: .utf8), let json = try? JSONValue(parsing: text),
      case .number(let seed)? = json["seed"]
    else { return nil }
    return UInt64(seed)
  }

  /// The differences between stored vectors and a regeneration: ids must agree exactly and in
  /// order; outcomes, regimes, tags and the correctly rounded values exactly; the exact values
  /// to 40 significant digits (relative 10⁻⁴⁰, the digits a vector promises); the error scales
  /// to the 6 digits they are written with (relative 10⁻⁵; they are estimates computed with libm).
  ///
  /// - Returns: one line per difference (at most `limit`, then a count); empty when none.
  public static func drift(stored: [GoldenCase], regenerated: [GoldenCase], limit: Int = 50) -> [String] {
    var findings: [String] = []
    func note(_ text: String) { findings.append(text) }
    // Files are per loss (and read in name order), so the order is compared loss by loss.
    for loss in LossID.allCases {
      let storedIDs = stored.filter { $0.loss == loss }.map(\.id)
      let newIDs = regenerated.filter { $0.loss == loss }.map(\.id)
      guard storedIDs != newIDs else { continue }
      let storedSet = Set(storedIDs)
      let newSet = Set(newIDs)
      for id in storedIDs where !newSet.contains(id) { note("\(id): stored but no longer generated") }
      for id in newIDs where !storedSet.contains(id) { note("\(id): generated but not stored") }
      if storedSet == newSet { note("\(loss.rawValue): the ids are the same but in another order") }
    }
    let byID = Dictionary(regenerated.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    for old in stored {
      guard let new = byID[old.id] else { continue }
      let a = old.expectation
      let b = new.expectation
      if a.outcome != b.outcome || a.outcomeName != b.outcomeName {
        note("\(old.id): outcome \(a.outcomeName) became \(b.outcomeName)")
        continue
      }
      if a.regime != b.regime { note("\(old.id): regime \(a.regime.rawValue) became \(b.regime.rawValue)") }
      if a.tags != b.tags { note("\(old.id): tags \(a.tags) became \(b.tags)") }
      if a.gradient != b.gradient {
        if let finding = Self.gradientDrift(old.id, a.gradient, b.gradient) { note(finding) }
      }
      for i in 0..<min(a.exact.count, b.exact.count) {
        if !sameBits(a.float32[i], b.float32[i]) || !sameBits(a.float64[i], b.float64[i]) {
          note("\(old.id)[\(i + 1)]: the correctly rounded value changed (\(a.float64[i]) → \(b.float64[i]))")
        }
        if !agree(a.exact[i], b.exact[i]) {
          note("\(old.id)[\(i + 1)]: exact \(a.exact[i]) became \(b.exact[i])")
        }
        let (s, t) = (a.errorScale[i], b.errorScale[i])
        if !(s == t || (s.isNaN && t.isNaN) || abs(s - t) <= 1e-5 * max(abs(s), abs(t))) {
          note("\(old.id)[\(i + 1)]: error scale \(s) became \(t)")
        }
      }
    }
    if findings.count > limit {
      return Array(findings.prefix(limit)) + ["… and \(findings.count - limit) more differences"]
    }
    return findings
  }

  private static func sameBits(_ a: Double, _ b: Double) -> Bool { a == b || (a.isNaN && b.isNaN) }

  /// How two gradient expectations differ: elements exactly (bit for bit, kinks as pairs), the
  /// term count exactly, error scales to the 6 digits they are written with; `nil` if they agree.
  static func gradientDrift(_ id: String, _ a: GradientExpectation?, _ b: GradientExpectation?) -> String? {
    guard let a, let b else { return "\(id): the gradient expectation \(a == nil ? "appeared" : "disappeared")" }
    if a.terms != b.terms { return "\(id): gradient terms \(a.terms) became \(b.terms)" }
    func same(_ x: GradientElement, _ y: GradientElement) -> Bool {
      switch (x, y) {
      case (.value(let p), .value(let q)): sameBits(p, q)
      case (.subgradient(let p0, let p1), .subgradient(let q0, let q1)): sameBits(p0, q0) && sameBits(p1, q1)
      default: false
      }
    }
    for argument in GradientRequest.Argument.allCases {
      let x = a.elements(argument)
      let y = b.elements(argument)
      guard let x, let y else {
        if (x == nil) != (y == nil) { return "\(id): ∂/∂\(argument.rawValue) appeared or disappeared" }
        continue
      }
      guard x.elements.count == y.elements.count else {
        return "\(id): ∂/∂\(argument.rawValue) has \(y.elements.count) elements, stored \(x.elements.count)"
      }
      for i in x.elements.indices where !same(x.elements[i], y.elements[i]) {
        return "\(id): ∂/∂\(argument.rawValue)[\(i + 1)] \(x.elements[i]) became \(y.elements[i])"
      }
      for i in x.scales.indices where i < y.scales.count {
        let (s, t) = (x.scales[i], y.scales[i])
        if !(s == t || (s.isNaN && t.isNaN) || abs(s - t) <= 1e-5 * max(abs(s), abs(t))) {
          return "\(id): ∂/∂\(argument.rawValue)[\(i + 1)] error scale \(s) became \(t)"
        }
      }
    }
    return nil
  }

  /// Whether two exact-value spellings agree to 40 significant digits.
  private static func agree(_ a: String, _ b: String) -> Bool {
    if a == b { return true }
    guard let x = ExactRational(decimal: a), let y = ExactRational(decimal: b) else { return false }
    let gap = (x - y).magnitude
    if gap.isZero { return true }
    return gap.scaledByPowerOfTen(40) <= max(x.magnitude, y.magnitude)
  }

  /// JSON with two-space indentation, one member per line (for a manifest a person reads).
  static func pretty(_ value: JSONValue, indent: String = "") -> String {
    let inner = indent + "  "
    switch value {
    case .object(let members) where !members.isEmpty:
      let lines = members.map { inner + JSONValue.string($0.key).serialized() + ": " + pretty($0.value, indent: inner) }
      return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}" + (indent.isEmpty ? "\n" : "")
    case .array(let items) where !items.isEmpty:
      return "[\n" + items.map { inner + pretty($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
    default:
      return value.serialized()
    }
  }
}

/// Result slots filled concurrently, one writer per slot.
final class ResultSlots<Value: Sendable>: @unchecked Sendable {
  // Each index is written exactly once, by one worker, before `values` is read (after
  // `concurrentPerform` returns): no two threads touch the same slot.
  private var slots: [Value?]
  private let lock = NSLock()

  init(count: Int) { slots = [Value?](repeating: nil, count: count) }

  func store(_ value: Value, at index: Int) {
    lock.lock()
    slots[index] = value
    lock.unlock()
  }

  var values: [Value] {
    lock.lock()
    defer { lock.unlock() }
    return slots.map { $0! }
  }
}
