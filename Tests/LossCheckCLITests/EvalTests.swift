import LossCore
import Testing

@testable import LossCheckCLI
@testable import LossVerification

@Suite("eval: bad input exits with status 2 and a clear message")
struct EvalInputErrorTests {
  @Test("malformed JSON names the column")
  func malformedJSON() async {
    let run = await runLossCheck(["eval", "--json", #"{"loss":"mse","yhat":[1,2],"#])
    #expect(run.status == 2)
    #expect(run.error.hasPrefix("error: ArgumentError: malformed JSON at column 28"))
    #expect(run.output.isEmpty)
  }

  @Test("an unknown loss in a JSON request")
  func unknownLossJSON() async {
    let run = await runLossCheck(["eval", "--json", #"{"loss":"median_loss","yhat":[1],"y":[1]}"#])
    #expect(run.status == 2)
    #expect(run.error.contains("error: ArgumentError: unknown loss 'median_loss'"))
    #expect(run.error.contains("mse"))
  }

  @Test("an unknown loss by flag is a usage error listing the losses")
  func unknownLossFlag() async {
    let run = await runLossCheck(["eval", "--loss", "median_loss", "--yhat", "1", "--y", "1"])
    #expect(run.status == 2)
    #expect(run.error.contains("'median_loss' is invalid for '--loss <loss>'"))
    #expect(run.error.contains("tversky_loss"))
  }

  @Test("more ŷ values than --shape holds")
  func yhatCountVersusShape() async {
    let run = await runLossCheck(["eval", "--loss", "mse", "--yhat", "1,2,3", "--shape", "2", "--y", "1"])
    #expect(run.status == 2)
    #expect(run.error == "error: ArgumentError: --yhat has 3 values but --shape (2,) holds 2\n")
  }

  @Test("more ŷ values than the JSON shape holds")
  func yhatCountVersusShapeJSON() async {
    let run = await runLossCheck(["eval", "--json", #"{"loss":"mse","shape":[2],"yhat":[1,2,3],"y":[1,2]}"#])
    #expect(run.status == 2)
    #expect(run.error.contains("DimensionMismatch"))
    #expect(run.error.contains("(2,)"))
    #expect(run.error.contains("got 3"))
  }

  @Test("y of another shape than ŷ is a DimensionMismatch naming both shapes")
  func shapesDiffer() async {
    let run = await runLossCheck(["eval", "--loss", "mse", "--yhat", "1,2", "--y", "1,2,3"])
    #expect(run.status == 2)
    #expect(run.error.hasPrefix("error: DimensionMismatch: "))
    #expect(run.error.contains("(2,)"))
    #expect(run.error.contains("(3,)"))
  }

  @Test("dims 0 (dims are 1-based)")
  func dimsZero() async {
    let run = await runLossCheck([
      "eval", "--loss", "crossentropy", "--yhat", "0.5,0.5", "--y", "1,0", "--dims", "0",
    ])
    #expect(run.status == 2)
    #expect(run.error.hasPrefix("error: ArgumentError: dims are 1-based"))
    #expect(run.error.contains("got 0"))
  }

  @Test("a negative δ")
  func negativeDelta() async {
    let run = await runLossCheck(["eval", "--loss", "huber_loss", "--yhat", "1,2", "--y", "0,0", "--delta", "-1"])
    #expect(run.status == 2)
    #expect(run.error.hasPrefix("error: ArgumentError: delta must be > 0"))
  }

  @Test("a parameter the loss does not take")
  func foreignParameter() async {
    let run = await runLossCheck(["eval", "--loss", "mse", "--yhat", "1", "--y", "1", "--delta", "2"])
    #expect(run.status == 2)
    #expect(run.error.contains("mse does not take the parameter 'delta'"))
  }

  @Test("a missing field 'y' in a JSON request")
  func missingYJSON() async {
    let run = await runLossCheck(["eval", "--json", #"{"id":"q","loss":"mse","yhat":[1,2]}"#])
    #expect(run.status == 2)
    #expect(run.error == "error: ArgumentError: request 'q' is missing the field 'y'\n")
  }

  @Test("a missing --y")
  func missingYFlag() async {
    let run = await runLossCheck(["eval", "--loss", "mse", "--yhat", "1,2"])
    #expect(run.status == 2)
    #expect(run.error.contains("Missing --y"))
  }

  @Test("a value that is not a number names the flag and the position")
  func notANumber() async {
    let run = await runLossCheck(["eval", "--loss", "mse", "--yhat", "1,abc", "--y", "0,0"])
    #expect(run.status == 2)
    #expect(run.error == "error: ArgumentError: --yhat value 2: 'abc' is not a number\n")
  }

  @Test("a number outside the dtype's range")
  func outOfRange() async {
    let run = await runLossCheck(["eval", "--loss", "mse", "--dtype", "float32", "--yhat", "1e39", "--y", "0"])
    #expect(run.status == 2)
    #expect(run.error.contains("outside the range of float32"))
  }

  @Test("with --format json, a rejected request is also answered by an error response")
  func jsonFormatError() async {
    let run = await runLossCheck(["eval", "--format", "json", "--json", #"{"id":"r1","loss":"mse","yhat":[1]}"#])
    #expect(run.status == 2)
    #expect(
      run.output
        == #"{"id":"r1","error":{"kind":"ArgumentError","message":"request 'r1' is missing the field 'y'"}}"# + "\n")
  }

  @Test("a request read from standard input")
  func standardInput() async {
    let run = await runLossCheck(["eval", "--json", "-"], input: [#"{"loss":"mse","#, #""yhat":[1,2]}"#])
    #expect(run.status == 2)
    #expect(run.error.contains("missing the field 'y'"))
  }
}

@Suite("eval: values")
struct EvalValueTests {
  /// mse([1, 2], [0, 0]) = ((1 − 0)² + (2 − 0)²) / 2 = (1 + 4) / 2 = 2.5, exactly representable.
  @Test("mse of [1, 2] against [0, 0] is exactly 2.5")
  func mseByHand() async {
    let run = await runLossCheck(["eval", "--loss", "mse", "--yhat", "1,2", "--y", "0,0"])
    #expect(run.error.isEmpty)
    #expect(run.status == 0)
    #expect(run.output == "2.5\n")
  }
}

@Suite("eval: value formatting")
struct ValueFormattingTests {
  @Test(
    "shortest round-trip decimals in the dtype",
    arguments: [
      (Double(Float(0.1)), DType.float32, "0.1"),
      (Double(Float(0.1)), DType.float64, "0.10000000149011612"),
      (0.1, DType.float64, "0.1"),
      (Double.nan, DType.float32, "NaN"),
      (-Double.infinity, DType.float64, "-Infinity"),
      (-0.0, DType.float64, "-0.0"),
    ])
  func shortest(value: Double, dtype: DType, text: String) {
    #expect(ValueFormatting.format(value, dtype: dtype) == text)
  }

  @Test("arrays are printed with their shape, column-major")
  func arrays() throws {
    let t = try Tensor(shape: [2, 2], values: [1, 2, 3, 0.5])
    #expect(ValueFormatting.format(.array(t), dtype: .float64) == "shape (2, 2), column-major: [1.0, 2.0, 3.0, 0.5]")
  }
}
