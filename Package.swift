// swift-tools-version: 6.2
import PackageDescription

#if os(Linux) && arch(x86_64)
  import Foundation
#endif

// Which products link GSL (GPL-3.0): LossSpec, LossVerification, LossCheckCLI and the `losscheck` executable.
// LossCore and LossReports do not, and LossFast must not.
let strict: [SwiftSetting] = [
  .swiftLanguageMode(.v6),
  .treatAllWarnings(as: .error),
]

// LossFast's SIMD kernels can be compiled for the machine's vector units: AVX-512 as in AMD Zen 4
// (`-target-cpu znver4`) where the CPU has all of Zen 4's extensions, else AVX2 + FMA
// (`-target-cpu haswell`: x86-64-v3). Swift's SIMD4<Double> arithmetic is scalarized by the
// front end and re-vectorized by LLVM: wider registers and AVX-512's mask registers (selects and
// comparisons without shuffles) recover far more of it (AVX2 over SSE2: 1.3–1.7× on the
// transcendental losses, 2–3× on the others; Zen 4 over AVX2: see Benchmarks/README.md). The
// results of the full-precision kernels are the same bits: Swift never contracts a·b + c into an
// FMA. `LOSSFAST_FMA` lets the short kernels of the Float32 losses (ShortMath) use explicit fused
// multiply-adds (1.4× faster `log`; on a CPU without FMA each would be a libm call). Opt-in, with
// `LOSSFAST_NATIVE=1` at build time on an x86-64 Linux machine (scripts/test.sh,
// scripts/verify.sh and the benchmarks set it): such a build runs only on CPUs with the same
// extensions, like `-march=native`, and SwiftPM refuses a versioned dependency whose targets carry
// unsafe flags, so a package that depends on this one gets the portable build.
var lossFastSettings = strict
#if os(Linux) && arch(x86_64)
  if ProcessInfo.processInfo.environment["LOSSFAST_NATIVE"] == "1",
    let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
    let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
  {
    let flags = Set(line.split(separator: " ").map(String.init))
    let zen4: Set<String> = [
      "avx2", "fma", "bmi2", "f16c", "movbe", "adx", "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl",
      "avx512ifma", "avx512vbmi", "avx512_vbmi2", "avx512_vnni", "avx512_bitalg", "avx512_vpopcntdq",
      "avx512_bf16", "gfni", "vaes", "vpclmulqdq", "sha_ni", "clwb", "rdpid",
    ]
    if flags.isSuperset(of: zen4) {
      lossFastSettings += [.unsafeFlags(["-target-cpu", "znver4"]), .define("LOSSFAST_FMA")]
    } else if flags.isSuperset(of: ["avx", "avx2", "fma", "bmi2", "f16c"]) {
      lossFastSettings += [.unsafeFlags(["-target-cpu", "haswell"]), .define("LOSSFAST_FMA")]
    }
  }
#endif

let package = Package(
  name: "losscheck",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "LossCore", targets: ["LossCore"]),
    .library(name: "LossSpec", targets: ["LossSpec"]),
    .library(name: "LossFast", targets: ["LossFast"]),
    .executable(name: "losscheck", targets: ["losscheck"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
  ],
  targets: [
    .systemLibrary(
      name: "CGSL",
      pkgConfig: "gsl",
      providers: [.apt(["libgsl-dev"])]
    ),
    .target(name: "LossCore", swiftSettings: strict),
    // LossFast's vector kernels for the Float32 losses with logarithms and exponentials: C, each
    // kernel compiled for x86-64 baseline, AVX2 + FMA and AVX-512 with per-function target
    // attributes and chosen at run time by CPUID (no compiler flags: any dependent package gets
    // them). `fma` from libm is the baseline path's fused multiply-add.
    .target(name: "CLossFastKernels", linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]),
    // LossFast links neither GSL nor LossSpec (only its tests use LossSpec, as the oracle).
    .target(name: "LossFast", dependencies: ["LossCore", "CLossFastKernels"], swiftSettings: lossFastSettings),
    .target(
      name: "LossSpec",
      dependencies: [
        "LossCore", "CGSL",
        .product(name: "BigInt", package: "BigInt"),
      ],
      swiftSettings: strict
    ),
    .target(name: "LossReports", swiftSettings: strict),
    .target(
      name: "LossConformance",
      dependencies: ["LossCore", "LossReports", .product(name: "BigInt", package: "BigInt")],
      swiftSettings: strict
    ),
    .target(
      name: "LossStability",
      dependencies: [
        "LossCore", "LossSpec", "LossReports",
        .product(name: "RealModule", package: "swift-numerics"),
      ],
      swiftSettings: strict
    ),
    .target(name: "LossProperties", dependencies: ["LossCore", "LossReports"], swiftSettings: strict),
    // The verify engine: the checks, their registry and context, the verdict and the index page's model.
    .target(
      name: "LossVerification",
      dependencies: [
        "LossCore", "LossFast", "LossSpec", "LossReports", "LossProperties", "LossStability", "LossConformance",
      ],
      swiftSettings: strict
    ),
    .target(
      name: "LossCheckCLI",
      dependencies: [
        "LossCore", "LossFast", "LossSpec", "LossReports", "LossProperties", "LossStability", "LossConformance",
        "LossVerification", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: strict
    ),
    .executableTarget(name: "losscheck", dependencies: ["LossCheckCLI"], swiftSettings: strict),
    // The helpers the test targets share (temporary directories, ulp distances, outcome classes);
    // only test targets depend on it.
    .target(
      name: "_LossTestSupport", dependencies: ["LossCore"], path: "Tests/_LossTestSupport", swiftSettings: strict),
    .testTarget(name: "LossCoreTests", dependencies: ["LossCore"], swiftSettings: strict),
    .testTarget(
      name: "LossFastTests", dependencies: ["LossFast", "LossCore", "LossSpec", "_LossTestSupport"],
      swiftSettings: strict),
    .testTarget(
      name: "LossSpecTests", dependencies: ["LossSpec", "LossCore", "CGSL", "_LossTestSupport"],
      swiftSettings: strict),
    .testTarget(name: "LossReportsTests", dependencies: ["LossReports"], swiftSettings: strict),
    .testTarget(
      name: "LossConformanceTests", dependencies: ["LossConformance", "LossCore", "LossSpec", "_LossTestSupport"],
      swiftSettings: strict),
    .testTarget(
      name: "LossStabilityTests", dependencies: ["LossStability", "LossReports", "LossCore", "LossSpec"],
      swiftSettings: strict),
    .testTarget(
      name: "LossCheckCLITests",
      dependencies: ["LossCheckCLI", "LossVerification", "LossCore", "LossReports", "_LossTestSupport"],
      swiftSettings: strict),
    .testTarget(
      name: "LossPropertiesTests",
      dependencies: [
        "LossProperties", "LossCore", "LossSpec", "LossReports", "LossFast",
        .product(name: "PropertyBased", package: "swift-property-based"),
      ],
      exclude: ["Corpus"],
      swiftSettings: strict),
  ]
)
