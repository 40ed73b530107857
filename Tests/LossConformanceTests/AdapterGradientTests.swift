import Foundation
import LossCore
import LossSpec
import Testing

@testable import LossConformance

/// `AdapterImplementation.answer(_:)` and the gradient extension of `losscheck/1`: a gradient
/// request is sent with its `grad` and `cotangent`, and the answer's `grad` or `gradUnsupported`
/// comes back in the `LossAnswer`; `evaluate(_:)` sends the value request only.
@Suite(
  "AdapterImplementation: gradients",
  .enabled(if: Fixtures.pythonWithNumpy, "python3 is not installed"),
  .timeLimit(.minutes(5)))
struct AdapterGradientTests {
  /// A tests-only adapter (standard library only), answering by loss:
  /// - `mse`: the value 1, ∂/∂ŷ = the cotangent when the request has one, else 2ŷ; ∂/∂y = −2y;
  /// - `mae`: the value 1 and `gradUnsupported`;
  /// - `hinge`: the value 1 only (an adapter that predates the extension);
  /// - `msle`: a malformed `grad` (`"yhat"` a string);
  /// - `huber_loss`: a DomainError.
  /// A value request (no `grad`) that carries a `cotangent` is answered with an error.
  static let script = #"""
    import json, sys
    def out(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()
    out({"protocol": "losscheck/1", "implementation": "grad-fixture 1",
         "losses": ["mse", "mae", "hinge", "msle", "huber_loss"], "dtypes": ["float64"],
         "gradients": True})
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        rid, loss, grad = req["id"], req["loss"], req.get("grad")
        if grad is None:
            if "cotangent" in req:
                out({"id": rid, "error": {"kind": "Other", "message": "a cotangent without grad"}})
            else:
                out({"id": rid, "value": 1})
            continue
        if loss == "mse":
            g = {"yhat": req.get("cotangent") or [2 * v for v in req["yhat"]]}
            if "y" in grad:
                y = req["y"] if isinstance(req["y"], list) else [req["y"]]
                g["y"] = [-2 * v for v in y]
            out({"id": rid, "value": 1, "grad": g})
        elif loss == "mae":
            out({"id": rid, "value": 1, "gradUnsupported": "mae: no autodiff\u001b[31m"})
        elif loss == "hinge":
            out({"id": rid, "value": 1})
        elif loss == "msle":
            out({"id": rid, "value": 1, "grad": {"yhat": "x"}})
        else:
            out({"id": rid, "error": {"kind": "DomainError", "message": "no"}})
    """#

  /// Writes the fixture adapter and starts it.
  static func start() async throws -> (AdapterImplementation, URL) {
    let directory = try Fixtures.temporaryDirectory("grad-adapter")
    let file = directory.appendingPathComponent("grad_adapter.py")
    try Data(script.utf8).write(to: file)
    let command = "python3 '\(file.path)'"
    let result = await offCooperativePool { () -> Result<AdapterImplementation, AdapterStartError> in
      Result { () throws(AdapterStartError) in
        try AdapterImplementation(command: command, timeout: .seconds(20))
      }
    }
    return (try result.get(), directory)
  }

  static func request(_ loss: LossID, gradient: GradientRequest?, y: Target = .scalar(0.25)) -> LossRequest {
    LossRequest(loss: loss, dtype: .float64, yhat: Tensor([0.5, -1]), y: y, gradient: gradient)
  }

  @Test("the hello's gradients is read; a gradient request gets the adapter's grad")
  func gradient() async throws {
    let (adapter, directory) = try await Self.start()
    defer {
      adapter.stop()
      try? FileManager.default.removeItem(at: directory)
    }
    #expect(adapter.gradients)
    let yhatOnly = await adapter.answer(Self.request(.mse, gradient: GradientRequest()))
    #expect(yhatOnly == LossAnswer(outcome: .value(.scalar(1)), gradient: .gradient(LossGradient(yhat: [1, -2]))))
    // ∂/∂y of a scalar y: one element.
    let both = await adapter.answer(Self.request(.mse, gradient: GradientRequest(withTarget: true)))
    #expect(both.gradient == .gradient(LossGradient(yhat: [1, -2], y: [-0.5])))
    let arrayTarget = await adapter.answer(
      Self.request(.mse, gradient: GradientRequest(withTarget: true), y: .array(Tensor([1, 2]))))
    #expect(arrayTarget.gradient == .gradient(LossGradient(yhat: [1, -2], y: [-2, -4])))
    // The cotangent is sent (the fixture echoes it as ∂/∂ŷ).
    let withCotangent = await adapter.answer(Self.request(.mse, gradient: GradientRequest(cotangent: [0.5, 3])))
    #expect(withCotangent.gradient == .gradient(LossGradient(yhat: [0.5, 3])))
    #expect(adapter.faults.count == 0)
  }

  @Test("gradUnsupported, and a value without any gradient part, are unsupported gradients")
  func unsupported() async throws {
    let (adapter, directory) = try await Self.start()
    defer {
      adapter.stop()
      try? FileManager.default.removeItem(at: directory)
    }
    let mae = await adapter.answer(Self.request(.mae, gradient: GradientRequest()))
    #expect(mae.outcome == .value(.scalar(1)))
    // The adapter's reason, made display-safe like every text an adapter sends.
    #expect(mae.gradient == .unsupported("mae: no autodiff\\u{1B}[31m"))
    let hinge = await adapter.answer(Self.request(.hinge, gradient: GradientRequest()))
    #expect(hinge.outcome == .value(.scalar(1)))
    guard case .unsupported(let reason)? = hinge.gradient else {
      Issue.record("expected an unsupported gradient, got \(String(describing: hinge.gradient))")
      return
    }
    #expect(reason.contains("without 'grad' or 'gradUnsupported'"), "\(reason)")
    // An error has no gradient.
    let huber = await adapter.answer(Self.request(.huberLoss, gradient: GradientRequest()))
    #expect(huber == LossAnswer(outcome: .error(.domainError("no"))))
    #expect(adapter.faults.count == 0)
  }

  @Test("a malformed grad is a fault: the answer is unsupported, the next request is answered")
  func malformed() async throws {
    let (adapter, directory) = try await Self.start()
    defer {
      adapter.stop()
      try? FileManager.default.removeItem(at: directory)
    }
    let msle = await adapter.answer(Self.request(.msle, gradient: GradientRequest()))
    guard case .unsupported(let reason) = msle.outcome else {
      Issue.record("expected a fault, got \(msle)")
      return
    }
    #expect(reason.contains("invalid answer") && reason.contains("grad.yhat"), "\(reason)")
    #expect(msle.gradient == nil)
    #expect(adapter.faults.count == 1)
    let next = await adapter.answer(Self.request(.mse, gradient: GradientRequest()))
    #expect(next.gradient == .gradient(LossGradient(yhat: [1, -2])))
  }

  @Test("evaluate sends the value request only; answer without a gradient request has no gradient part")
  func valueOnly() async throws {
    let (adapter, directory) = try await Self.start()
    defer {
      adapter.stop()
      try? FileManager.default.removeItem(at: directory)
    }
    // The fixture errs on a cotangent without grad: evaluate must leave both out.
    #expect(
      await adapter.evaluate(Self.request(.mse, gradient: GradientRequest(cotangent: [1, 1]))) == .value(.scalar(1)))
    #expect(await adapter.answer(Self.request(.mse, gradient: nil)) == LossAnswer(outcome: .value(.scalar(1))))
    #expect(await adapter.answer(Self.request(.hinge, gradient: nil)) == LossAnswer(outcome: .value(.scalar(1))))
  }

  @Test(
    "losscheck serve --impl fast as an adapter: gradients advertised, the value and LossSpec's gradient",
    .enabled(if: Fixtures.losscheck != nil, "the losscheck executable is not built"))
  func serveFast() async throws {
    let command = "'\(try #require(Fixtures.losscheck))' serve --impl fast --threads 1"
    let result = await offCooperativePool { () -> Result<AdapterImplementation, AdapterStartError> in
      Result { () throws(AdapterStartError) in try AdapterImplementation(command: command, timeout: .seconds(20)) }
    }
    let adapter = try result.get()
    defer { adapter.stop() }
    #expect(adapter.gradients)
    let request = LossRequest(
      loss: .mse, dtype: .float64, yhat: Tensor([1, 2]), y: .array(Tensor([0, 0])),
      gradient: GradientRequest(withTarget: true))
    let answer = await adapter.answer(request)
    #expect(answer.outcome == .value(.scalar(2.5)))
    // The expected gradient is LossSpec's exact one (2(ŷ − y)/2 and its negation).
    #expect(answer.gradient == .gradient(try LossSpec.gradient(request).lossGradient))
    #expect(await adapter.evaluate(request) == .value(.scalar(2.5)))
  }
}
