import Foundation

/// A fresh, empty directory under the system's temporary directory, named
/// `<prefix>-<UUID>`; the caller removes it.
///
/// ```swift
/// let directory = try makeTemporaryDirectory(prefix: "report")
/// defer { try? FileManager.default.removeItem(at: directory) }
/// ```
public func makeTemporaryDirectory(prefix: String = "losscheck-tests") throws -> URL {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}
