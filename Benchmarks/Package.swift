// swift-tools-version: 6.3
// LossFast's benchmarks, in their own package so that users of LossFast never resolve the
// benchmark dependencies. Run from this folder: `swift package benchmark` (see README.md).
import PackageDescription

let package = Package(
  name: "LossFastBenchmarks",
  platforms: [.macOS(.v15)],
  dependencies: [
    .package(name: "losscheck", path: ".."),
    .package(url: "https://github.com/ordo-one/package-benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
  ],
  targets: [
    .executableTarget(
      name: "LossFastBenchmarks",
      dependencies: [
        .product(name: "Benchmark", package: "package-benchmark"),
        .product(name: "LossFast", package: "losscheck"),
        .product(name: "LossCore", package: "losscheck"),
      ],
      path: "Benchmarks/LossFastBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
    )
  ]
)
