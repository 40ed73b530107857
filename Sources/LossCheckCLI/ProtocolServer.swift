import LossCore
import LossVerification

/// The `losscheck/1` server side: a hello line, then exactly one response line per request line.
///
/// `respond(to:)` is a pure function of one line, so the protocol can be tested without a
/// process; ``serve(console:)`` adds the loop over standard input.
struct ProtocolServer: Sendable {
  let implementation: any LossImplementation
  /// The budget (seconds) of a request that carries none (`serve --budget`); `nil`: no limit.
  var defaultBudget: Double? = nil

  /// The hello line (without its line feed).
  var helloLine: String { ProtocolCodec.encode(implementation.hello).serialized() }

  /// The response line (without its line feed) to one request line, or `nil` for a blank line,
  /// which gets no response.
  ///
  /// A line that cannot be decoded (malformed JSON, a missing or malformed field, an unknown loss)
  /// gets an error response carrying its id when the id can be read, else `""`, and the kind
  /// `ArgumentError` (or `DimensionMismatch` when a value count does not fit its shape). Values
  /// are encoded in the request's dtype, Float64 when it is unknown. A request without a
  /// `budget` gets ``defaultBudget``. A request with `grad` is answered by the implementation's
  /// `answer(_:)`, and its gradient part (`grad` or `gradUnsupported`) follows the outcome; a
  /// request without one gets the plain `losscheck/1` line.
  func respond(to line: String) async -> String? {
    var text = Substring(line)
    if text.last == "\r" { text.removeLast() }
    guard text.contains(where: { !$0.isWhitespace }) else { return nil }
    let response: LossResponse
    let dtype: DType
    switch RequestDecoding.decode(String(text)) {
    case .success(var request):
      if request.budget == nil { request.budget = defaultBudget }
      let answer = await implementation.answer(request)
      response = LossResponse(id: request.id, outcome: answer.outcome, gradient: answer.gradient)
      dtype = request.dtype
    case .failure(let rejected):
      response = LossResponse(id: rejected.id, outcome: .error(rejected.error))
      dtype = rejected.dtype
    }
    return ProtocolCodec.encode(response, dtype: dtype).serialized()
  }

  /// Writes the hello line, then answers each line of standard input in order until its end.
  /// Each line is written with one unbuffered write, so it reaches the client at once.
  func serve(console: Console) async {
    console.write(helloLine + "\n")
    // Once an answer cannot be written, the client gets no more of them: stop reading.
    while console.outputFailure() == nil, let line = console.readLine() {
      if let response = await respond(to: line) {
        console.write(response + "\n")
      }
    }
  }
}
