// The helpers shared by the test targets: temporary directories, ulp distances, outcome classes.
// A test target's Support.swift imports this module with `@_exported`, so every file of the target
// sees the helpers; LossCore is re-exported with it (the helpers speak its vocabulary, and the seeded
// generator `SplitMix64` the tests draw from lives there).
@_exported import LossCore
