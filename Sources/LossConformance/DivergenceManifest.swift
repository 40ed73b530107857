import Foundation
import LossReports

/// A known-divergence manifest (`Conformance/divergences/*.json`): the cases where an
/// implementation is known, documented and accepted to differ from Flux's semantics.
///
/// ```json
/// {"schema": "losscheck-divergences/1",
///  "implementation": "torch native",
///  "divergences": [
///    {"loss": "binarycrossentropy", "tag": ["yhat:zero", "yhat:one"],
///     "reason": "torch clamps log at -100 and adds no ϵ",
///     "link": "https://pytorch.org/docs/stable/generated/torch.nn.BCELoss.html"}]}
/// ```
///
/// An entry selects cases by `id`, `loss`, `dtype`, `tag` and `regime` (each a string or an
/// array of strings: any of them matches; every field given must match; at least one field must
/// be given). A selected case that misses the required tier is a *known divergence* and does not
/// fail the gate; a selected case that meets it is an *unexpected pass*, reported; an entry that
/// selects no failing case is *stale*, warned about.
public struct DivergenceManifest: Sendable, Hashable, Codable {
  public static let schema = "losscheck-divergences/1"

  public var schema: String
  public var implementation: String?
  public var divergences: [DivergenceEntry]

  public init(implementation: String? = nil, divergences: [DivergenceEntry]) {
    self.schema = Self.schema
    self.implementation = implementation
    self.divergences = divergences
  }

  /// Reads and validates a manifest file.
  ///
  /// - Throws: ``VectorFileError`` naming the file and what is wrong.
  public static func load(_ path: String) throws -> DivergenceManifest {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw VectorFileError("cannot read the divergence manifest \(path): \(ReportFile.describe(error))")
    }
    let manifest: DivergenceManifest
    do {
      manifest = try JSONDecoder().decode(DivergenceManifest.self, from: data)
    } catch {
      throw VectorFileError("\(path) is not a divergence manifest: \(Self.describe(error))")
    }
    guard manifest.schema == schema else {
      throw VectorFileError("\(path): schema '\(manifest.schema)', expected '\(schema)'")
    }
    for (index, entry) in manifest.divergences.enumerated() {
      if let problem = entry.problem {
        throw VectorFileError("\(path): divergence \(index + 1): \(problem)")
      }
    }
    return manifest
  }

  static func describe(_ error: any Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let key, let context):
      "missing '\(key.stringValue)' at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
      DecodingError.dataCorrupted(let context):
      "\(context.debugDescription) at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
    default: "\(error)"
    }
  }
}

/// One entry of a ``DivergenceManifest``.
public struct DivergenceEntry: Sendable, Hashable, Codable {
  public var id: [String]?
  public var loss: [String]?
  public var dtype: [String]?
  public var tag: [String]?
  public var regime: [String]?
  /// Which verdicts of the selected cases the entry covers: `value` (also when absent, the
  /// meaning of every entry written before gradients), `gradient`, or both.
  public var part: [String]?
  /// Why the implementation differs, in a sentence.
  public var reason: String
  /// The framework's documentation or issue that documents the difference (http or https).
  public var link: String

  public init(
    id: [String]? = nil, loss: [String]? = nil, dtype: [String]? = nil, tag: [String]? = nil,
    regime: [String]? = nil, part: [String]? = nil, reason: String, link: String
  ) {
    self.id = id
    self.loss = loss
    self.dtype = dtype
    self.tag = tag
    self.regime = regime
    self.part = part
    self.reason = reason
    self.link = link
  }

  enum CodingKeys: String, CodingKey { case id, loss, dtype, tag, regime, part, reason, link }

  /// The parts of a case's result an entry can cover.
  public enum Part: String, Sendable, Hashable, CaseIterable {
    case value
    case gradient
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    func strings(_ key: CodingKeys) throws -> [String]? {
      guard container.contains(key) else { return nil }
      if let one = try? container.decode(String.self, forKey: key) { return [one] }
      return try container.decode([String].self, forKey: key)
    }
    id = try strings(.id)
    loss = try strings(.loss)
    dtype = try strings(.dtype)
    tag = try strings(.tag)
    regime = try strings(.regime)
    part = try strings(.part)
    reason = try container.decode(String.self, forKey: .reason)
    link = try container.decode(String.self, forKey: .link)
  }

  /// What makes the entry invalid, or `nil`.
  var problem: String? {
    if [id, loss, dtype, tag, regime].allSatisfy({ $0 == nil }) {
      return "no selector (give at least one of id, loss, dtype, tag, regime)"
    }
    if let part, part.isEmpty || part.contains(where: { Part(rawValue: $0) == nil }) {
      return "part must be \"value\", \"gradient\" or both, got \(part)"
    }
    if reason.trimmingCharacters(in: .whitespaces).isEmpty { return "the reason is empty" }
    if !(link.hasPrefix("https://") || link.hasPrefix("http://")) { return "the link must be an http(s) URL" }
    return nil
  }

  /// Whether the entry covers `part` (an entry without `part` covers the value only).
  public func covers(_ part: Part) -> Bool { (self.part ?? [Part.value.rawValue]).contains(part.rawValue) }

  /// Whether the entry selects `result`'s verdict of `part`.
  public func matches(_ result: CaseResult, part: Part) -> Bool { covers(part) && matches(result) }

  /// Whether the entry selects `result` (whatever its parts).
  public func matches(_ result: CaseResult) -> Bool {
    if let id, !id.contains(result.id) { return false }
    if let loss, !loss.contains(result.loss) { return false }
    if let dtype, !dtype.contains(result.dtype) { return false }
    if let regime, !regime.contains(result.regime.rawValue) { return false }
    if let tag, !tag.contains(where: result.tags.contains) { return false }
    return true
  }

  /// The selector, for messages: `loss=binarycrossentropy tag=yhat:zero|yhat:one`.
  public var selectorDescription: String {
    var parts: [String] = []
    for (name, values) in [
      ("id", id), ("loss", loss), ("dtype", dtype), ("tag", tag), ("regime", regime), ("part", part),
    ] {
      if let values { parts.append("\(name)=\(values.joined(separator: "|"))") }
    }
    return parts.joined(separator: " ")
  }
}
