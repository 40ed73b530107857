import Foundation
import LossCore
import LossReports

/// One golden case: a `losscheck/1` request and what it must produce.
///
/// A vector file line is the request object followed by an `"expect"` member
/// (`Conformance/PROTOCOL.md`, "Golden vectors"):
///
/// ```
/// {"id":"mse-f32-1a2b3c4d5e6f","loss":"mse","dtype":"float32","shape":[2],"yhat":[1,2],"y":[0,0],
///  "expect":{"outcome":"finite","exact":"2.5","float32":2.5,"float64":2.5,"errorScale":10,
///            "regime":"benign","tags":["shape:vector"]}}
/// ```
public struct GoldenCase: Sendable {
  /// The case's id: `<loss>-<f32|f64>-<12 hex digits of the SHA-256 of the canonical request>`.
  public var id: String { request.id }
  /// The request, with ``id`` set.
  public var request: LossRequest
  public var expectation: Expectation

  /// A case whose id is derived from the request's content (any id the request has is replaced).
  public init(request: LossRequest, expectation: Expectation) {
    var request = request
    request.id = GoldenCase.contentID(of: request)
    self.request = request
    self.expectation = expectation
  }

  /// A case with a given id (as read from a file, or a generated large case).
  public init(id: String, request: LossRequest, expectation: Expectation) {
    var request = request
    request.id = id
    self.request = request
    self.expectation = expectation
  }

  public var loss: LossID { request.loss }
  public var dtype: DType { request.dtype }
  public var regime: Regime { expectation.regime }
  public var tags: [String] { expectation.tags }

  /// The request line sent to an adapter (without the expectation), without a line feed.
  public var requestLine: String { ProtocolCodec.encode(request).serialized() }

  /// The vector file line, without a line feed.
  public var vectorLine: String {
    guard case .object(var members) = ProtocolCodec.encode(request) else { return "" }
    members.append(("expect", expectation.json(dtype: request.dtype)))
    return JSONValue.object(members).serialized()
  }

  /// The stable content-hash id of a request: its canonical serialization (ProtocolCodec's, with
  /// an empty id) hashed with SHA-256, the first 48 bits in hexadecimal, after a readable prefix.
  public static func contentID(of request: LossRequest) -> String {
    var canonical = request
    canonical.id = ""
    let digest = SHA256.hex(ProtocolCodec.encode(canonical).serialized().utf8)
    return "\(request.loss.rawValue)-\(request.dtype.shortName)-\(digest.prefix(12))"
  }

  /// Reads one vector line.
  ///
  /// - Throws: ``VectorFileError`` naming what is wrong.
  public init(line: String) throws(VectorFileError) {
    let json: JSONValue
    do {
      json = try JSONValue(parsing: line)
    } catch {
      throw VectorFileError(error.description)
    }
    let request: LossRequest
    do {
      request = try ProtocolCodec.decodeRequest(json)
    } catch {
      throw VectorFileError("the request does not decode: \(error)")
    }
    guard let expect = json["expect"] else { throw VectorFileError("the line has no 'expect' object") }
    guard !request.id.isEmpty else { throw VectorFileError("the line has no id") }
    self.request = request
    self.expectation = try Expectation.decode(expect, dtype: request.dtype)
  }
}

/// Reading and writing golden vector files (JSON Lines).
public enum VectorFiles {
  /// The version of the vector schema (`expect` object, ids, file layout) this code reads and
  /// writes; recorded in `MANIFEST.json`.
  public static let schema = "losscheck-vectors/1"

  /// The cases of one file or of every `*.jsonl` file of a directory (in name order).
  ///
  /// - Throws: ``VectorFileError`` naming the file and line of the first bad line, or a read error.
  public static func load(_ path: String) throws -> [GoldenCase] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw VectorFileError("no such file or directory: \(path)")
    }
    var files = [path]
    if isDirectory.boolValue {
      do {
        files = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".jsonl") }.sorted()
          .map { (path as NSString).appendingPathComponent($0) }
      } catch {
        throw VectorFileError("cannot list \(path): \(ReportFile.describe(error))")
      }
      if files.isEmpty { throw VectorFileError("no .jsonl files in \(path)") }
    }
    var cases: [GoldenCase] = []
    var seen: Set<String> = []
    for file in files {
      let text: String
      do {
        text = try String(contentsOfFile: file, encoding: .utf8)
      } catch {
        throw VectorFileError("cannot read \(file): \(ReportFile.describe(error))")
      }
      var lineNumber = 0
      for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        lineNumber += 1
        if line.allSatisfy(\.isWhitespace) { continue }
        let golden: GoldenCase
        do {
          golden = try GoldenCase(line: String(line))
        } catch {
          throw VectorFileError("\(file):\(lineNumber): \(error.message)")
        }
        guard seen.insert(golden.id).inserted else {
          throw VectorFileError("\(file):\(lineNumber): duplicate id '\(golden.id)'")
        }
        cases.append(golden)
      }
    }
    return cases
  }

  /// The text of a vector file: one line per case, each ended by a line feed.
  public static func text(_ cases: [GoldenCase]) -> String {
    cases.map { $0.vectorLine + "\n" }.joined()
  }
}
