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

/// The options that describe one case, by flags or as a JSON request (`eval`).
///
/// Flags are turned into a `losscheck/1` request object and decoded by `ProtocolCodec`, so both
/// ways read every number once in the dtype and reject the same inputs with the same messages;
/// `--agg`, parsed into an `Aggregation` already, is set on the decoded request.
struct RequestOptions: ParsableArguments {
  @Option(
    name: .customLong("json"),
    help: ArgumentHelp(
      "A losscheck/1 request object, or '-' to read it from standard input.", valueName: "request"))
  var json: String?

  @Option(help: "The loss, by its Flux name.")
  var loss: LossID?

  @Option(help: "The element type.")
  var dtype: DType?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("The predictions ŷ, column-major, separated by commas.", valueName: "numbers"))
  var yhat: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "The targets y, column-major, separated by commas; a single number is a constant label (give --yshape for a one-element array).",
      valueName: "numbers"))
  var y: String?

  @Option(help: ArgumentHelp("The shape of ŷ, e.g. 3,4 (default: a vector).", valueName: "dims"))
  var shape: String?

  @Option(help: ArgumentHelp("The shape of y when it differs from ŷ's.", valueName: "dims"))
  var yshape: String?

  @Option(help: "The aggregation: mean, sum, or none (Flux's identity).")
  var agg: Aggregation?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Flux's ϵ (default: the machine epsilon of the dtype).", valueName: "number"))
  var eps: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("The 1-based dimensions to reduce, e.g. 1 or 1,2 (default 1).", valueName: "dims"))
  var dims: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("A weight: one number, or numbers separated by commas.", valueName: "numbers"))
  var weight: String?

  @Option(
    name: .customLong("weight-shape"),
    help: ArgumentHelp("The shape of an array weight (default: a vector).", valueName: "dims"))
  var weightShape: String?

  @Option(
    parsing: .unconditional, help: ArgumentHelp("Huber's δ (default 1).", valueName: "number"))
  var delta: String?

  @Option(
    parsing: .unconditional, help: ArgumentHelp("Dice's smooth (default 1).", valueName: "number"))
  var smooth: String?

  @Option(
    parsing: .unconditional, help: ArgumentHelp("Tversky's β (default 0.7).", valueName: "number"))
  var beta: String?

  /// The flags that describe a case, by name, for the "cannot combine with --json" message.
  private var caseFlags: [(String, Bool)] {
    [
      ("--loss", loss != nil), ("--dtype", dtype != nil), ("--yhat", yhat != nil), ("--y", y != nil),
      ("--shape", shape != nil), ("--yshape", yshape != nil), ("--agg", agg != nil), ("--eps", eps != nil),
      ("--dims", dims != nil), ("--weight", weight != nil), ("--weight-shape", weightShape != nil),
      ("--delta", delta != nil), ("--smooth", smooth != nil), ("--beta", beta != nil),
    ]
  }

  func validate() throws {
    if json != nil {
      let given = caseFlags.filter(\.1).map(\.0)
      if !given.isEmpty {
        throw ValidationError(
          "--json gives the whole case; it cannot be combined with \(given.joined(separator: ", ")).")
      }
      return
    }
    if loss == nil {
      throw ValidationError("Missing --loss (or give the case as --json).")
    }
    if yhat == nil {
      throw ValidationError("Missing --yhat: the predictions, numbers separated by commas.")
    }
    if y == nil {
      throw ValidationError(
        "Missing --y: the targets, numbers separated by commas, or one number for a constant label.")
    }
    if weightShape != nil && weight == nil {
      throw ValidationError("--weight-shape needs --weight.")
    }
  }

  /// The request these options describe.
  ///
  /// - Throws: `RejectedRequest` (its `LossError` says what is wrong) for malformed JSON, a
  ///   malformed number or shape, or a value count that does not fit a shape.
  func makeRequest(console: Console) throws(RejectedRequest) -> LossRequest {
    if let json {
      let text = json == "-" ? console.readAll() : json
      return try RequestDecoding.decode(text).get()
    }
    let dtype = dtype ?? .float64
    func reject(_ message: String) -> RejectedRequest {
      RejectedRequest(error: .argumentError(message), id: "", dtype: dtype)
    }
    guard let loss, let yhat, let y else { throw reject("missing --loss, --yhat or --y") }
    var members: [(key: String, value: JSONValue)] = [
      ("loss", .string(loss.rawValue)), ("dtype", .string(dtype.rawValue)),
    ]
    let yhatValues = try Self.numbers(yhat, flag: "--yhat", dtype: dtype)
    var yhatShape = [yhatValues.count]
    if let shape {
      yhatShape = try Self.dimensions(shape, flag: "--shape", dtype: dtype)
      let count = yhatShape.reduce(1, *)
      guard count == yhatValues.count else {
        throw reject(
          "--yhat has \(yhatValues.count) value\(yhatValues.count == 1 ? "" : "s") but --shape \(Shape(yhatShape)) holds \(count)"
        )
      }
    }
    members.append(("shape", Self.json(yhatShape)))
    members.append(("yhat", .array(yhatValues)))
    let yValues = try Self.numbers(y, flag: "--y", dtype: dtype)
    if let yshape {
      let dims = try Self.dimensions(yshape, flag: "--yshape", dtype: dtype)
      let count = dims.reduce(1, *)
      guard count == yValues.count else {
        throw reject(
          "--y has \(yValues.count) value\(yValues.count == 1 ? "" : "s") but --yshape \(Shape(dims)) holds \(count)")
      }
      members.append(("y", .array(yValues)))
      members.append(("yshape", Self.json(dims)))
    } else if yValues.count == 1 && !y.contains(",") {
      members.append(("y", yValues[0]))
    } else {
      members.append(("y", .array(yValues)))
      if yValues.count != yhatValues.count {
        // A y of another length: let the loss report the mismatch of the two shapes.
        members.append(("yshape", Self.json([yValues.count])))
      }
    }
    var params: [(key: String, value: JSONValue)] = []
    if let eps { params.append(("eps", try Self.number(eps, flag: "--eps", dtype: dtype))) }
    if let dims { params.append(("dims", Self.json(try Self.integers(dims, flag: "--dims", dtype: dtype)))) }
    if let weight {
      let values = try Self.numbers(weight, flag: "--weight", dtype: dtype)
      if weightShape == nil && values.count == 1 && !weight.contains(",") {
        params.append(("weight", values[0]))
      } else {
        let dims =
          try weightShape.map { s throws(RejectedRequest) in
            try Self.dimensions(s, flag: "--weight-shape", dtype: dtype)
          } ?? [values.count]
        params.append(("weight", .object([("shape", Self.json(dims)), ("data", .array(values))])))
      }
    }
    if let delta { params.append(("delta", try Self.number(delta, flag: "--delta", dtype: dtype))) }
    if let smooth { params.append(("smooth", try Self.number(smooth, flag: "--smooth", dtype: dtype))) }
    if let beta { params.append(("beta", try Self.number(beta, flag: "--beta", dtype: dtype))) }
    if !params.isEmpty { members.append(("params", .object(params))) }
    var request: LossRequest
    do {
      request = try ProtocolCodec.decodeRequest(.object(members))
    } catch {
      throw RejectedRequest(error: error, id: "", dtype: dtype)
    }
    // `--agg` is already an `Aggregation` (its spelling was checked by the parser): it is set on
    // the request as is, not spelled out and read back.
    if let agg { request.params.agg = agg }
    return request
  }

  /// One number as a protocol value: `NaN`, `Inf`/`Infinity` (either sign) become the protocol's
  /// strings; anything else is passed as number text, which `ProtocolCodec` reads in the dtype
  /// and rejects, naming the field, if it is not a number.
  static func number(_ text: String, flag: String, dtype: DType) throws(RejectedRequest) -> JSONValue {
    let token = text.trimmingSpaces
    switch token.lowercased() {
    case "nan", "+nan", "-nan": return .string("NaN")
    case "inf", "+inf", "infinity", "+infinity": return .string("Infinity")
    case "-inf", "-infinity": return .string("-Infinity")
    case "":
      throw RejectedRequest(error: .argumentError("\(flag): a number is missing"), id: "", dtype: dtype)
    default:
      guard Double(token) != nil else {
        throw RejectedRequest(
          error: .argumentError("\(flag): '\(token)' is not a number"), id: "", dtype: dtype)
      }
      return .number(token)
    }
  }

  /// Numbers separated by commas; the empty string is no numbers.
  static func numbers(_ text: String, flag: String, dtype: DType) throws(RejectedRequest) -> [JSONValue] {
    if text.trimmingSpaces.isEmpty { return [] }
    var values: [JSONValue] = []
    for (i, token) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
      values.append(try number(String(token), flag: "\(flag) value \(i + 1)", dtype: dtype))
    }
    return values
  }

  /// Integers separated by commas (signs allowed, so that dims 0 or -1 reach the loss's own
  /// check and its message).
  static func integers(_ text: String, flag: String, dtype: DType) throws(RejectedRequest) -> [Int] {
    if text.trimmingSpaces.isEmpty { return [] }
    var values: [Int] = []
    for token in text.split(separator: ",", omittingEmptySubsequences: false) {
      guard let value = Int(token.trimmingSpaces) else {
        throw RejectedRequest(
          error: .argumentError("\(flag): '\(token.trimmingSpaces)' is not an integer"), id: "", dtype: dtype)
      }
      values.append(value)
    }
    return values
  }

  /// A shape: non-negative integers separated by commas; the empty string is rank 0.
  static func dimensions(_ text: String, flag: String, dtype: DType) throws(RejectedRequest) -> [Int] {
    let values = try integers(text, flag: flag, dtype: dtype)
    if let negative = values.first(where: { $0 < 0 }) {
      throw RejectedRequest(
        error: .argumentError("\(flag): dimensions must be ≥ 0, got \(negative)"), id: "", dtype: dtype)
    }
    let shape = Shape(values)
    do {
      try shape.validate(name: flag)
    } catch {
      throw RejectedRequest(error: error, id: "", dtype: dtype)
    }
    return values
  }

  static func json(_ integers: [Int]) -> JSONValue { .array(integers.map { .number(String($0)) }) }
}

/// `--threads N`: LossFast's thread count (`eval`, `serve`, `bench`).
///
/// Without the flag, `LOSSFAST_THREADS` decides, else all cores (DESIGN.md). A count below 1, or a
/// `LOSSFAST_THREADS` that is not a positive integer, is a usage error rather than being ignored.
struct ThreadOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "LossFast's thread count (default: LOSSFAST_THREADS, else all cores); results are the same bits for any count.",
      valueName: "n"))
  var threads: Int?

  func validate() throws {
    if let threads {
      try OptionBounds.integer("--threads", threads, in: 1...1024)
    } else if let raw = Self.environmentValue, Self.parse(raw) == nil {
      throw ValidationError("LOSSFAST_THREADS must be an integer in 1…1024, got '\(raw)'")
    }
  }

  /// The thread count to use: the flag, else `LOSSFAST_THREADS`, else all cores.
  var resolved: Int { threads ?? LossFast.defaultThreadCount }

  private static var environmentValue: String? {
    guard let raw = getenv("LOSSFAST_THREADS") else { return nil }
    return String(cString: raw)
  }

  private static func parse(_ raw: String) -> Int? {
    guard let n = Int(raw), (1...1024).contains(n) else { return nil }
    return n
  }
}

/// `--budget SECONDS`: the time allowed for each request that carries no `budget` of its own
/// (`eval`, `serve`). LossSpec then answers `unsupported` ("budget exceeded: …") instead of
/// running longer; LossFast ignores budgets. The value must be a finite number of seconds in
/// (0, 1e6], as the protocol's `budget`; anything else (0, a negative number, `nan`, `inf`, `1e300`)
/// is a usage error.
struct BudgetOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Seconds allowed per request without a 'budget' of its own; LossSpec answers 'unsupported: budget exceeded …' when it runs out (default: no limit).",
      valueName: "seconds"))
  var budget: Double?

  func validate() throws {
    if let budget, let problem = LossRequest.budgetProblem(budget) {
      throw ValidationError("--budget: \(problem)")
    }
  }

  /// `request` with this budget when it has none of its own.
  func applied(to request: LossRequest) -> LossRequest {
    var request = request
    if request.budget == nil { request.budget = budget }
    return request
  }
}
