import Foundation
import LossCore

/// The errata of the seed page (SEMANTICS.md): for each, the page's formula, the implemented one,
/// a concrete input, the page formula's value on it (evaluated here in Double) and the request
/// whose implemented value LossSpec computes.
public struct Erratum: Sendable {
  public var number: Int
  public var loss: LossID
  public var title: String
  public var pageFormula: String
  public var implementedFormula: String
  public var input: String
  /// The page's formula evaluated on the input, in Double (`nil` when the page's claim is not a
  /// formula, as for tversky's β or KL's "zero only when equal").
  public var pageValue: Double?
  public var request: LossRequest
  public var note: String

  public static let all: [Erratum] = {
    func vector(_ v: [Double], _ shape: [Int]? = nil) -> Tensor {
      (try? Tensor(shape: Shape(shape ?? [v.count]), values: v)) ?? Tensor(v)
    }
    func request(_ loss: LossID, _ yhat: [Double], _ y: [Double], _ shape: [Int]? = nil, _ p: LossParameters = .init())
      -> LossRequest
    {
      LossRequest(
        id: "erratum", loss: loss, dtype: .float64, yhat: vector(yhat, shape), y: .array(vector(y, shape)), params: p)
    }
    return [
      Erratum(
        number: 1, loss: .huberLoss, title: "Huber's quadratic branch", pageFormula: "0.5·|ŷ − y| for |ŷ − y| ≤ δ",
        implementedFormula: "0.5·|ŷ − y|² for |ŷ − y| < δ", input: "ŷ = [3], y = [0], δ = 5",
        pageValue: 0.5 * 3, request: request(.huberLoss, [3], [0], nil, .init(delta: 5)),
        note: "the page drops the square"),
      Erratum(
        number: 2, loss: .logitcrossentropy, title: "logitcrossentropy's equivalence",
        pageFormula: "crossentropy(softmax(log.(ŷ)), y)", implementedFormula: "crossentropy(softmax(ŷ), y; ϵ = 0)",
        input: "ŷ = [1, 2] (one column), y = [0, 1]", pageValue: -log(2.0 / 3.0),
        request: request(.logitcrossentropy, [1, 2], [0, 1], [2, 1]), note: "softmax(log.([1, 2])) = [1/3, 2/3]"),
      Erratum(
        number: 3, loss: .logitbinarycrossentropy, title: "logitbinarycrossentropy's equivalence",
        pageFormula: "binarycrossentropy(σ(log(ŷ)), y)", implementedFormula: "binarycrossentropy(σ(ŷ), y; ϵ = 0)",
        input: "ŷ = [2], y = [1]", pageValue: -log(2.0 / 3.0 + 0x1p-52),
        request: request(.logitbinarycrossentropy, [2], [1]), note: "σ(log 2) = 2/3"),
      Erratum(
        number: 4, loss: .poissonLoss, title: "poisson_loss's normalisation",
        pageFormula: "sum(ŷ .− y .* log.(ŷ)) / size(y, 2)",
        implementedFormula: "mean(ŷ − xlogy(y, ŷ)) over all elements",
        input: "ŷ = y = ones(2, 3)", pageValue: 6.0 / 3,
        request: request(.poissonLoss, [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1], [2, 3]),
        note: "every term is 1: the mean is 1, the page's 6/3 = 2"),
      Erratum(
        number: 5, loss: .diceCoeffLoss, title: "dice_coeff_loss's smoothing",
        pageFormula: "1 − 2·sum(|ŷ·y| + smooth) / (sum(ŷ²) + sum(y²) + smooth)",
        implementedFormula: "1 − (2·Σ(y·ŷ) + smooth) / (Σy² + Σŷ² + smooth)",
        input: "ŷ = [0.5, −0.5], y = [1, 1], smooth = 1",
        pageValue: 1 - 2 * ((0.5 + 1) + (0.5 + 1)) / (0.5 + 2 + 1),
        request: request(.diceCoeffLoss, [0.5, -0.5], [1, 1]), note: "smooth added per element and |·| on the page"),
      Erratum(
        number: 6, loss: .tverskyLoss, title: "tversky_loss's numerator (and β)",
        pageFormula: "1 − sum(|y .* ŷ| + 1) / (sum(…) + 1)",
        implementedFormula: "1 − (Σ(y·ŷ) + 1) / (Σ(yŷ + β(1 − y)ŷ + (1 − β)y(1 − ŷ)) + 1)",
        input: "ŷ = [0.5, 0.5], y = [1, 0], β = 0.7", pageValue: 1 - ((0.5 + 1) + (0 + 1)) / 2,
        request: request(.tverskyLoss, [0.5, 0.5], [1, 0]),
        note:
          "the page adds 1 per element; it also says a larger β emphasises false negatives, but β multiplies (1 − y)ŷ, the false positives"
      ),
      Erratum(
        number: 7, loss: .crossentropy, title: "crossentropy uses xlogy",
        pageFormula: "−sum(y .* log.(ŷ .+ ϵ))", implementedFormula: "−sum(xlogy.(y, ŷ .+ ϵ))",
        input: "ŷ = [0, 1], y = [0, 1], ϵ = 0",
        pageValue: -(0 * log(0.0) + 1 * log(1.0)),
        request: request(.crossentropy, [0, 1], [0, 1], [2, 1], .init(eps: 0)),
        note: "0·log(0) = 0·(−∞) = NaN on the page; xlogy gives 0"),
      Erratum(
        number: 8, loss: .kldivergence, title: "\"KL is zero only when both distributions are equal\"",
        pageFormula: "KL(p, p) = 0", implementedFormula: "KL(p, p) = −Σ p·log(1 + ϵ/p) < 0 with the default ϵ",
        input: "ŷ = y = [0.5, 0.5]", pageValue: 0, request: request(.kldivergence, [0.5, 0.5], [0.5, 0.5], [2, 1]),
        note: "holds only for ϵ = 0"),
      Erratum(
        number: 9, loss: .binarycrossentropy, title: "binarycrossentropy's ϵ = eps(ŷ)",
        pageFormula: "ϵ = eps(ŷ)", implementedFormula: "ϵ = eps(eltype(ŷ)): 2⁻²³ for Float32, 2⁻⁵² for Float64",
        input: "ŷ = [0], y = [1], Float32", pageValue: -log(0x1p-52),
        request: LossRequest(
          id: "erratum", loss: .binarycrossentropy, dtype: .float32, yhat: vector([0]), y: .array(vector([1]))),
        note: "the page value uses the Float64 epsilon; a Float32 ŷ uses 2⁻²³: −log(2⁻²³) = 23·ln 2"),
    ]
  }()
}
