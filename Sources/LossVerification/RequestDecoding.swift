import LossCore

/// A request line that could not be decoded, with what could be salvaged for the error response.
package struct RejectedRequest: Error {
  /// The error to report: `ArgumentError` for malformed JSON or a missing or malformed field,
  /// `DimensionMismatch` when a value count does not fit its shape (as `ProtocolCodec` decides).
  package var error: LossError
  /// The request's id if it could be read, else `""`.
  package var id: String
  /// The request's dtype if it could be read, else Float64 (for encoding the response).
  package var dtype: DType

  package init(error: LossError, id: String, dtype: DType) {
    self.error = error
    self.id = id
    self.dtype = dtype
  }
}

/// Decoding of `losscheck/1` request text, shared by `eval --json` and `serve`.
package enum RequestDecoding {
  /// Decodes one request from its JSON text.
  package static func decode(_ text: String) -> Result<LossRequest, RejectedRequest> {
    let json: JSONValue
    do {
      json = try JSONValue(parsing: text)
    } catch {
      return .failure(
        RejectedRequest(
          error: .argumentError(error.description), id: salvageID(fromMalformed: text) ?? "",
          dtype: .float64))
    }
    do {
      return .success(try ProtocolCodec.decodeRequest(json))
    } catch {
      return .failure(RejectedRequest(error: error, id: id(of: json), dtype: dtype(of: json)))
    }
  }

  /// The id of a parsed but undecodable request, as `ProtocolCodec` reads it (a string, or a
  /// number's text), else `""`.
  package static func id(of json: JSONValue) -> String {
    switch json["id"] {
    case .string(let s)?: s
    case .number(let n)?: n
    default: ""
    }
  }

  /// The dtype of a parsed request, Float64 when absent or unknown.
  package static func dtype(of json: JSONValue) -> DType {
    if case .string(let name)? = json["dtype"], let dtype = DType(rawValue: name) { return dtype }
    return .float64
  }

  /// Best effort: the id of a line that is not valid JSON, from the first `"id"` key followed by
  /// `:` and a complete string or number, so that a client can still match the error response
  /// to its request.
  ///
  /// - Complexity: O(*n*) in the length of `text`.
  package static func salvageID(fromMalformed text: String) -> String? {
    let bytes = Array(text.utf8)
    let key = Array("\"id\"".utf8)
    var start = 0
    while start + key.count <= bytes.count {
      guard bytes[start..<start + key.count].elementsEqual(key) else {
        start += 1
        continue
      }
      var i = start + key.count
      func skipSpaces() { while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 } }
      skipSpaces()
      guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
        start += 1
        continue
      }
      i += 1
      skipSpaces()
      guard i < bytes.count else { return nil }
      let valueStart = i
      if bytes[i] == UInt8(ascii: "\"") {
        // Scan to the closing quote, skipping escaped characters.
        i += 1
        while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
          i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
        }
        guard i < bytes.count else { return nil }
        let token = String(decoding: bytes[valueStart...i], as: UTF8.self)
        if case .string(let s)? = try? JSONValue(parsing: token) { return s }
        return nil
      }
      while i < bytes.count,
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i])
          || bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: ".")
          || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") || bytes[i] == UInt8(ascii: "+")
      {
        i += 1
      }
      let token = String(decoding: bytes[valueStart..<i], as: UTF8.self)
      if case .number(let n)? = try? JSONValue(parsing: token) { return n }
      return nil
    }
    return nil
  }
}

extension StringProtocol {
  /// The text without leading and trailing spaces and tabs.
  package var trimmingSpaces: String {
    var scalars = Substring(self).unicodeScalars
    while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
    while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
    return String(scalars)
  }
}
