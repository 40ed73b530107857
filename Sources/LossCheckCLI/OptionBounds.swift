import ArgumentParser

/// The ranges of the numeric options, checked in each command's `validate()`, so that a value
/// too large for what the option feeds (a deadline, an allocation, a thread count) is a usage
/// error naming the option and its range, never an overflow trap or an allocation failure.
enum OptionBounds {
  /// The longest timeout any option accepts: about 11.6 days.
  static let maxSeconds = 1_000_000.0

  /// A duration in seconds: finite, positive, at most ``maxSeconds``.
  static func seconds(_ flag: String, _ value: Double) throws {
    guard value.isFinite, value > 0, value <= maxSeconds else {
      throw ValidationError("\(flag) must be a number of seconds in (0, \(Int(maxSeconds))], got \(value)")
    }
  }

  /// An integer in `range`.
  static func integer(_ flag: String, _ value: Int, in range: ClosedRange<Int>) throws {
    guard range.contains(value) else {
      throw ValidationError("\(flag) must lie in \(range.lowerBound)…\(range.upperBound), got \(value)")
    }
  }

  /// Milliseconds of a validated seconds value, as a `Duration`.
  static func duration(_ seconds: Double) -> Duration {
    .milliseconds(Int64((min(seconds, maxSeconds) * 1000).rounded()))
  }
}
