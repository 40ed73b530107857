import ArgumentParser
import LossCore
import LossProperties
import LossVerification

/// The options of the properties family of `losscheck verify`: `--count`, `--seed`, `--law`.
struct PropertyOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Random cases per law of the property catalogue (default: \(PropertyChecks.defaultCount)\(PropertyChecks.debugNote)).",
      valueName: "n"))
  var count: Int?

  @Option(
    help: ArgumentHelp(
      "The seed of the property run; case 0 has this seed, so a failing case seed S is replayed by --seed S --count 1 (default: a fresh seed, shown in the report).",
      valueName: "seed"))
  var seed: UInt64?

  @Option(
    name: .customLong("law"),
    help: ArgumentHelp("Check only this law of the catalogue (repeatable; default: every law).", valueName: "name"))
  var laws: [String] = []

  func validate() throws {
    if let count { try OptionBounds.integer("--count", count, in: 0...PropertyChecks.maxCount) }
    for name in laws where Catalogue.law(named: name) == nil {
      throw ValidationError(
        "--law: no law '\(name)' in the catalogue (known: \(Catalogue.laws.map(\.name).joined(separator: ", ")))")
    }
  }

  /// What the provider uses.
  var resolved: PropertyChecks.Options {
    .init(count: count ?? PropertyChecks.defaultCount, seed: seed ?? SplitMix64.freshSeed(), laws: laws)
  }

  /// The options given, for the reproduction line.
  var reproductionArguments: [String] {
    var words: [String] = []
    if let count { words += ["--count", String(count)] }
    if let seed { words += ["--seed", String(seed)] }
    for law in laws { words += ["--law", law] }
    return words
  }
}
