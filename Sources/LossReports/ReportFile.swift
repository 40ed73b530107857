import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes the files the commands produce (reports, pages, JSON) to the paths users give, the way
/// a user means them, and checks those paths before a run.
///
/// - A regular file, or a path that does not exist yet, is replaced *atomically*: the text goes to
///   a temporary file in the same directory, which is then renamed over the path (a reader never
///   sees half a report; an existing file keeps its permissions).
/// - A **symbolic link** is followed: its target is written (atomically, as above) and the link
///   stays.
/// - A **character device, FIFO or socket** (`/dev/stdout`, `/dev/full`, a named pipe) is opened
///   and written in place, never replaced: a FIFO's reader gets the text, and a device's write
///   error (`/dev/full`: "No space left on device") is reported. Opening a FIFO that nobody reads
///   waits at most ``fifoWait``, then fails: nothing blocks forever.
/// - A directory is an error.
///
/// Every failure is a ``Failure`` naming the path and the reason in words (never a raw `NSError`).
public enum ReportFile {
  /// Why a path cannot be written.
  public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
      self.path = path
      self.reason = reason
    }

    public var description: String { "cannot write \(path): \(reason)" }
  }

  /// How long opening a FIFO waits for a reader.
  public static let fifoWait: Duration = .seconds(10)

  /// Writes `text` to `path` (see the type's discussion), creating missing parent directories.
  public static func write(_ text: String, to path: String) throws(Failure) {
    let target = try resolved(path)
    switch try kind(of: target, reporting: path) {
    case .directory: throw Failure(path: path, reason: "it is a directory")
    case .special: try writeInPlace(Array(text.utf8), to: target, reporting: path)
    case .regular(let mode): try replace(target, with: Array(text.utf8), mode: mode, reporting: path)
    case .missing:
      try makeDirectory(directoryName(target), reporting: path)
      try replace(target, with: Array(text.utf8), mode: nil, reporting: path)
    }
  }

  /// Checks, before a run, that ``write(_:to:)`` can write `path`: its directory exists (or is
  /// created) and accepts new files, an existing file is writable, a device opens for writing.
  /// A FIFO is accepted as it is (opening it would wait for its reader).
  public static func check(_ path: String) throws(Failure) {
    let target = try resolved(path)
    switch try kind(of: target, reporting: path) {
    case .directory: throw Failure(path: path, reason: "it is a directory")
    case .special(let isFIFO):
      if isFIFO { return }
      let fd = open(target, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
      if fd < 0 { throw Failure(path: path, reason: errnoText()) }
      close(fd)
    case .regular:
      if access(target, W_OK) != 0 { throw Failure(path: path, reason: errnoText()) }
      try probe(directoryName(target), reporting: path)
    case .missing:
      try makeDirectory(directoryName(target), reporting: path)
      try probe(directoryName(target), reporting: path)
    }
  }

  /// Checks that `directory` exists (creating it if needed) and accepts new files.
  public static func checkDirectory(_ directory: String) throws(Failure) {
    let target = try resolved(directory)
    switch try kind(of: target, reporting: directory) {
    case .directory: break
    case .missing: try makeDirectory(target, reporting: directory)
    case .regular, .special: throw Failure(path: directory, reason: "it is not a directory")
    }
    try probe(target, reporting: directory)
  }

  /// The reason of a file-system error in words: the POSIX message for an `NSError` of the POSIX
  /// or Cocoa domain ("No such file or directory", "Permission denied"), else the description.
  public static func describe(_ error: any Error) -> String {
    if let failure = error as? Failure { return failure.reason }
    if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
    let ns = error as NSError
    if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
      return String(cString: strerror(Int32(underlying.code)))
    }
    if let cocoa = error as? CocoaError {
      switch cocoa.code {
      case .fileNoSuchFile, .fileReadNoSuchFile: return "No such file or directory"
      case .fileReadNoPermission, .fileWriteNoPermission: return "Permission denied"
      case .fileReadCorruptFile: return "not readable as text"
      case .fileReadInapplicableStringEncoding: return "not valid UTF-8"
      case .fileWriteOutOfSpace: return "No space left on device"
      case .fileWriteVolumeReadOnly: return "Read-only file system"
      default: break
      }
    }
    return ns.localizedDescription
  }

  // MARK: Implementation

  private enum Kind {
    case missing
    case directory
    case regular(mode: mode_t)
    case special(isFIFO: Bool)
  }

  /// `path` with every symbolic link (of the last component, repeatedly) replaced by its target.
  private static func resolved(_ path: String) throws(Failure) -> String {
    guard !path.isEmpty else { throw Failure(path: path, reason: "the path is empty") }
    var current = path
    for _ in 0..<40 {
      var info = stat()
      guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let count = readlink(current, &buffer, buffer.count - 1)
      guard count >= 0 else { throw Failure(path: path, reason: "cannot read the symbolic link: \(errnoText())") }
      let link = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      current = link.hasPrefix("/") ? link : directoryName(current) + "/" + link
    }
    throw Failure(path: path, reason: "too many levels of symbolic links")
  }

  private static func kind(of target: String, reporting path: String) throws(Failure) -> Kind {
    var info = stat()
    if stat(target, &info) != 0 {
      if errno == ENOENT { return .missing }
      throw Failure(path: path, reason: errnoText())
    }
    switch info.st_mode & S_IFMT {
    case S_IFDIR: return .directory
    case S_IFREG: return .regular(mode: info.st_mode & 0o7777)
    default: return .special(isFIFO: info.st_mode & S_IFMT == S_IFIFO)
    }
  }

  private static func directoryName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let head = path[..<slash]
    return head.isEmpty ? "/" : String(head)
  }

  private static func makeDirectory(_ directory: String, reporting path: String) throws(Failure) {
    var info = stat()
    if stat(directory, &info) == 0 {
      if info.st_mode & S_IFMT == S_IFDIR { return }
      throw Failure(path: path, reason: "\(directory) is not a directory")
    }
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw Failure(path: path, reason: "cannot create the directory \(directory): \(describe(error))")
    }
  }

  /// Creates and removes a file in `directory`: the only test of "accepts new files" that holds
  /// for root, read-only mounts and virtual file systems alike.
  private static func probe(_ directory: String, reporting path: String) throws(Failure) {
    var template = Array((directory + "/.losscheck-probe-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { throw Failure(path: path, reason: "\(directory) does not accept new files (\(errnoText()))") }
    close(fd)
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
  }

  /// Writes to a temporary file next to `target`, then renames it over `target`.
  private static func replace(_ target: String, with bytes: [UInt8], mode: mode_t?, reporting path: String)
    throws(Failure)
  {
    let name = target.split(separator: "/").last.map(String.init) ?? "report"
    var template = Array((directoryName(target) + "/." + name + ".losscheck-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { throw Failure(path: path, reason: errnoText()) }
    let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    var failure: String?
    if let error = writeAll(bytes, to: fd) { failure = error }
    let permissions = mode ?? (0o666 & ~currentUmask())
    if failure == nil && fchmod(fd, permissions) != 0 { failure = errnoText() }
    if close(fd) != 0 && failure == nil { failure = errnoText() }
    if failure == nil && rename(temporary, target) != 0 { failure = errnoText() }
    if let failure {
      unlink(temporary)
      throw Failure(path: path, reason: failure)
    }
  }

  /// Opens a device, FIFO or socket and writes to it in place.
  private static func writeInPlace(_ bytes: [UInt8], to target: String, reporting path: String) throws(Failure) {
    let deadline = ContinuousClock.now + fifoWait
    var fd: Int32 = -1
    while true {
      fd = open(target, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
      if fd >= 0 { break }
      if errno == EINTR { continue }
      // ENXIO: a FIFO without a reader (or a socket file, which cannot be opened).
      guard errno == ENXIO, ContinuousClock.now < deadline else {
        let reason = errno == ENXIO ? "no process reads it (waited \(fifoWait))" : errnoText()
        throw Failure(path: path, reason: reason)
      }
      usleep(50_000)
    }
    defer { close(fd) }
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    if let error = writeAll(bytes, to: fd) { throw Failure(path: path, reason: error) }
  }

  /// Writes every byte; the error's text, or `nil`.
  private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> String? {
    var offset = 0
    while offset < bytes.count {
      let n = bytes.withUnsafeBytes { posixWrite(fd, $0.baseAddress! + offset, $0.count - offset) }
      if n < 0 {
        if errno == EINTR { continue }
        return errnoText()
      }
      offset += n
    }
    return nil
  }

  private static func currentUmask() -> mode_t {
    let mask = umask(0o022)
    umask(mask)
    return mask
  }

  private static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// `write(2)` (inside ``ReportFile`` the name `write` is its method).
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
  write(fd, buffer, count)
}
