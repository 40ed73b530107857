import ArgumentParser
import LossCore
import LossFast
import LossVerification

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// `losscheck bench`: LossFast throughput per loss, dtype and size, against a streaming baseline
/// (two arrays read and summed, nothing else) measured in the same run, and the peers
/// (numpy, JAX, PyTorch) where installed.
///
/// An honest harness: inputs generated once per size, warm-up calls, then `--repetitions`
/// samples of a batch of calls sized to last at least 2 ms; per call the median, min and max.
struct Bench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure LossFast's throughput (with numpy/JAX/PyTorch peers where installed).",
    discussion: """
      Prints one row per loss, dtype and size: the median time per call (min–max), elements per \
      second, and the fraction of the streaming baseline (two arrays read and summed with the \
      same threads). Threads: --threads, else LOSSFAST_THREADS, else all cores.
      """)

  @Option(help: "Element counts, comma-separated.")
  var sizes: String = "1000,100000,10000000"

  @Option(help: "Element types (repeatable).")
  var dtype: [DType] = [.float32, .float64]

  @Option(help: "Losses (repeatable); default all fourteen.")
  var loss: [LossID] = []

  @OptionGroup var threadOptions: ThreadOptions

  @Option(help: "Timed samples per case (the median is reported).")
  var repetitions: Int = 15

  @Option(help: "Run this peer script too (numpy, JAX, PyTorch where installed), e.g. scripts/bench-peers.py.")
  var peers: String?

  @Option(
    help: ArgumentHelp(
      "Inputs: 'domain' (each loss's own: probabilities, logits in [−4, 4], ±1 or 0/1 labels, counts) or 'peers' (scripts/bench-peers.py's for every loss: ŷ uniform in (0.001, 0.999), soft labels with 30% zeros), to compare on the same data."
    ))
  var inputs: BenchInputKind = .domain

  func validate() throws {
    guard let sizes = parsedSizes else { throw ValidationError("--sizes must be positive integers, comma-separated") }
    for size in sizes { try OptionBounds.integer("--sizes", size, in: 1...100_000_000) }
    try OptionBounds.integer("--repetitions", repetitions, in: 1...100_000)
    try threadOptions.validate()
  }

  var parsedSizes: [Int]? {
    let values = sizes.split(separator: ",").map { Int($0.filter { $0 != " " }) }
    guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
    return values.map { $0! }
  }

  func run() async throws {
    let console = Console.current
    let losses = loss.isEmpty ? LossID.allCases : loss
    let threadCount = threadOptions.resolved
    console.write(
      "LossFast bench: \(threadCount) threads, \(repetitions) samples per case, \(inputs.rawValue) inputs, medians (min–max) per call\n"
    )
    let machine = MachineDescription.current
    console.write("machine: \(machine.model), \(machine.cores) cores; vector extensions: \(machine.vectorExtensions)\n")
    let available = LossFast.VectorPath.available.map(\.rawValue).joined(separator: ", ")
    console.write(
      "LossFast vector path: \(LossFast.VectorPath.selected.rawValue) (available here: \(available); LOSSFAST_ISA overrides)\n"
    )
    if let problem = LossFast.VectorPath.environmentProblem { console.write("warning: \(problem)\n") }
    for n in parsedSizes ?? [] {
      for dtype in dtype {
        switch dtype {
        case .float32: runSize(n, Float.self, losses, threadCount, console)
        case .float64: runSize(n, Double.self, losses, threadCount, console)
        case .float16, .bfloat16: console.write("\(dtype.rawValue): LossFast has no kernels for it, skipped\n")
        }
      }
    }
    if let peers {
      console.write("\npeers (\(peers)):\n")
      // Never hangs: the peers get an hour (timeout(1) ends them and the run goes on).
      let command = "timeout 3600 python3 \(peers) --sizes \(sizes) --repetitions \(repetitions)"
      guard let pipe = popen(command, "r") else {
        console.write("  could not start: \(command)\n")
        return
      }
      var buffer = [CChar](repeating: 0, count: 4096)
      while fgets(&buffer, Int32(buffer.count), pipe) != nil {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        console.write(String(decoding: bytes, as: UTF8.self))
      }
      pclose(pipe)
    }
  }

  private func runSize<T: LossFastFloat>(
    _ n: Int, _: T.Type, _ losses: [LossID], _ threads: Int, _ console: Console
  ) {
    let baselineInputs = BenchInputs<T>(loss: .mse, count: n, kind: inputs)
    let baseline = BenchTiming.measure(repetitions: repetitions) {
      baselineInputs.run(streaming: true, threads: threads)
    }
    let cBaseline = BenchTiming.measure(repetitions: repetitions) {
      LossFast._cStreamingSum(baselineInputs.yhat, baselineInputs.y, threads: threads)
    }
    let dtypeName = T.self == Float.self ? "float32" : "float64"
    let limit = Double(n) / baseline.median
    let cLimit = Double(n) / cBaseline.median
    console.write(
      "\n\(dtypeName) n = \(n): streaming baseline (read ŷ and y, sum) \(BenchTiming.format(baseline)), \(BenchTiming.rate(limit)); plain C streaming loop (Σ(ŷ − y)², same threads) \(BenchTiming.format(cBaseline)), \(BenchTiming.rate(cLimit))\n"
    )
    for id in losses {
      let data = BenchInputs<T>(loss: id, count: n, kind: inputs)
      // The loss and the plain C loop over the loss's own arrays, sample by sample in turn: the
      // ratio of the two is the engine's overhead on these pages, free of the guest's drift
      // between one measurement and the next.
      let (t, c) = BenchTiming.measurePair(repetitions: repetitions) {
        data.run(streaming: false, threads: threads)
      } _: {
        LossFast._cStreamingSum(data.yhat, data.y, threads: threads)
      }
      let rate = Double(n) / t.median
      let name = id.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0)
      console.write(
        "  \(name) \(BenchTiming.format(t))  \(BenchTiming.rate(rate))  \(Int((rate / limit * 100).rounded()))% of streaming, \(Int((c.median / t.median * 100).rounded()))% of C streaming (the C loop on these arrays, interleaved: \(BenchTiming.duration(c.median)))\n"
      )
    }
  }
}

/// Which inputs `losscheck bench` times.
enum BenchInputKind: String, ExpressibleByArgument, CaseIterable, Sendable {
  /// Each loss's own domain (probabilities, logits, labels, counts).
  case domain
  /// The peer script's inputs for every loss (ŷ uniform in (0.001, 0.999), soft labels).
  case peers
}

/// Inputs in each loss's domain (probabilities, logits, labels), or the peers' inputs, generated
/// once.
struct BenchInputs<T: LossFastFloat> {
  let loss: LossID
  var yhat: [T]
  var y: [T]
  var shape: [Int]

  init(loss: LossID, count n: Int, kind: BenchInputKind = .domain) {
    self.loss = loss
    var state: UInt64 = 0x5EED
    func next() -> Double {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(state >> 11) * 0x1p-53
    }
    yhat = [T](repeating: 0, count: n)
    y = [T](repeating: 0, count: n)
    for i in 0..<n {
      let a = 0.001 + 0.998 * next()
      let b = next()
      switch kind == .peers ? .crossentropy : loss {
      case .logitcrossentropy, .logitbinarycrossentropy, .mae, .mse, .huberLoss:
        yhat[i] = T(8 * a - 4)
        y[i] = b < 0.5 ? 0 : 1
      case .hinge, .squaredHinge:
        yhat[i] = T(4 * a - 2)
        y[i] = b < 0.5 ? -1 : 1
      case .poissonLoss:
        yhat[i] = T(5 * a)
        y[i] = T((5 * b).rounded(.down))
      default:
        yhat[i] = T(a)
        y[i] = T(b < 0.3 ? 0 : b)
      }
    }
    shape = loss.reducesOverDims && n % 10 == 0 ? [10, n / 10] : [n]
  }

  /// One call (or the streaming baseline); the result is returned so it is not optimized away.
  func run(streaming: Bool, threads: Int) -> Double {
    do {
      if streaming { return Double(LossFast._streamingSum(yhat, y, threads: threads)) }
      let v: T
      switch loss {
      case .mae: v = try LossFast.mae(yhat, y, threads: threads)
      case .mse: v = try LossFast.mse(yhat, y, threads: threads)
      case .msle: v = try LossFast.msle(yhat, y, threads: threads)
      case .huberLoss: v = try LossFast.huberLoss(yhat, y, threads: threads)
      case .crossentropy: v = try LossFast.crossentropy(yhat, y, shape: shape, threads: threads)
      case .logitcrossentropy: v = try LossFast.logitcrossentropy(yhat, y, shape: shape, threads: threads)
      case .binarycrossentropy: v = try LossFast.binarycrossentropy(yhat, y, threads: threads)
      case .logitbinarycrossentropy: v = try LossFast.logitbinarycrossentropy(yhat, y, threads: threads)
      case .kldivergence: v = try LossFast.kldivergence(yhat, y, shape: shape, threads: threads)
      case .poissonLoss: v = try LossFast.poissonLoss(yhat, y, threads: threads)
      case .hinge: v = try LossFast.hinge(yhat, y, threads: threads)
      case .squaredHinge: v = try LossFast.squaredHinge(yhat, y, threads: threads)
      case .diceCoeffLoss: v = try LossFast.diceCoeffLoss(yhat, y, threads: threads)
      case .tverskyLoss: v = try LossFast.tverskyLoss(yhat, y, threads: threads)
      }
      return Double(v)
    } catch {
      return .nan
    }
  }
}

/// Timing: warm-up, batches of calls lasting at least 2 ms, per-call median, min and max.
enum BenchTiming {
  struct Result {
    var median: Double
    var min: Double
    var max: Double
  }

  static func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
  }

  nonisolated(unsafe) static var sink = 0.0

  static func measure(repetitions: Int, _ body: () -> Double) -> Result {
    // Warm-up, and the batch size: at least 2 ms per sample.
    var batch = 1
    while true {
      let start = now()
      for _ in 0..<batch { sink += body() }
      if now() - start >= 0.002 || batch >= 1 << 20 { break }
      batch *= 2
    }
    var samples: [Double] = []
    for _ in 0..<repetitions {
      let start = now()
      for _ in 0..<batch { sink += body() }
      samples.append((now() - start) / Double(batch))
    }
    samples.sort()
    return Result(median: samples[samples.count / 2], min: samples.first!, max: samples.last!)
  }

  /// Two bodies measured as ``measure(repetitions:_:)`` does, their samples taken in turn (the
  /// order swapped every repetition), so that both see the same conditions.
  static func measurePair(repetitions: Int, _ a: () -> Double, _ b: () -> Double) -> (Result, Result) {
    func batchSize(_ body: () -> Double) -> Int {
      var batch = 1
      while true {
        let start = now()
        for _ in 0..<batch { sink += body() }
        if now() - start >= 0.002 || batch >= 1 << 20 { return batch }
        batch *= 2
      }
    }
    let batchA = batchSize(a)
    let batchB = batchSize(b)
    var samplesA: [Double] = []
    var samplesB: [Double] = []
    func sample(_ body: () -> Double, _ batch: Int) -> Double {
      let start = now()
      for _ in 0..<batch { sink += body() }
      return (now() - start) / Double(batch)
    }
    for r in 0..<repetitions {
      if r % 2 == 0 {
        samplesA.append(sample(a, batchA))
        samplesB.append(sample(b, batchB))
      } else {
        samplesB.append(sample(b, batchB))
        samplesA.append(sample(a, batchA))
      }
    }
    func result(_ samples: [Double]) -> Result {
      let sorted = samples.sorted()
      return Result(median: sorted[sorted.count / 2], min: sorted.first!, max: sorted.last!)
    }
    return (result(samplesA), result(samplesB))
  }

  static func format(_ r: Result) -> String {
    "\(duration(r.median)) (\(duration(r.min))–\(duration(r.max)))"
  }

  static func duration(_ s: Double) -> String {
    if s < 1e-3 { return "\(((s * 1e7).rounded()) / 10) µs" }
    return "\(((s * 1e5).rounded()) / 100) ms"
  }

  static func rate(_ elementsPerSecond: Double) -> String {
    "\(((elementsPerSecond / 1e7).rounded()) / 100) Gelem/s"
  }
}

/// The machine as the bench reports it: the CPU model, the cores, and the vector extensions the
/// CPU reports (Linux: `/proc/cpuinfo`'s flags, the SIMD ones only).
struct MachineDescription {
  var model: String
  var cores: Int
  var vectorExtensions: String

  static var current: MachineDescription {
    let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    guard let file = fopen("/proc/cpuinfo", "r") else {
      return MachineDescription(model: "unknown CPU", cores: cores, vectorExtensions: "unknown (no /proc/cpuinfo)")
    }
    defer { fclose(file) }
    var model = "unknown CPU"
    var flags: [Substring] = []
    var buffer = [CChar](repeating: 0, count: 1 << 16)
    while fgets(&buffer, Int32(buffer.count), file) != nil {
      let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      let parts = line.split(separator: ":", maxSplits: 1)
      guard parts.count == 2 else { continue }
      let key = parts[0].trimmingCharacters()
      let value = parts[1].trimmingCharacters()
      if key == "model name" && model == "unknown CPU" { model = String(value) }
      if key == "flags" && flags.isEmpty { flags = value.split(separator: " ") }
    }
    let simd = flags.filter { flag in
      ["sse", "ssse3", "avx", "fma", "f16c"].contains { flag.hasPrefix($0) }
    }
    return MachineDescription(
      model: model, cores: cores, vectorExtensions: simd.isEmpty ? "none reported" : simd.joined(separator: " "))
  }
}

extension Substring {
  fileprivate func trimmingCharacters() -> Substring {
    var s = self
    while let c = s.first, c == " " || c == "\t" || c == "\n" { s.removeFirst() }
    while let c = s.last, c == " " || c == "\t" || c == "\n" { s.removeLast() }
    return s
  }
}
