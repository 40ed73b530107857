import Foundation
import LossCore
import Testing

@testable import LossSpec

/// The nine errata of the seed page (SEMANTICS.md): for each, a concrete input on which the
/// page's formula (written out here in plain Double arithmetic) and the implemented semantics
/// (LossSpec) disagree, with the implemented value checked against a hand computation.
@Suite struct ErrataTests {
  /// 1. huber_loss: the page's first branch is 0.5·|ŷ − y|; implemented 0.5·|ŷ − y|².
  @Test func huberQuadraticBranch() throws {
    // e = 3 < δ = 5: implemented 0.5·9 = 4.5 exactly; the page gives 0.5·3 = 1.5.
    let value = try spec(.huberLoss, [3], [0], params: .init(delta: 5)).float64[0]
    let page = 0.5 * abs(3.0 - 0)
    #expect(value == 4.5)
    #expect(page == 1.5)
    #expect(value != page)
  }

  /// 2. logitcrossentropy equals crossentropy(softmax(ŷ), y; ϵ = 0), not
  ///    crossentropy(softmax(log.(ŷ)), y).
  @Test func logitcrossentropyIsSoftmaxOfLogits() throws {
    // ŷ = [1, 2], y = [0, 1]: implemented −log(e²/(e + e²)) = log(1 + e⁻¹).
    let value = try spec(.logitcrossentropy, [1, 2], [0, 1], shape: [2, 1]).float64[0]
    let implemented = Foundation.log1p(Foundation.exp(-1.0))  // glibc, within 1 ulp
    // Page: softmax(log.([1, 2])) = [1/3, 2/3]; −log(2/3) = log 1.5.
    let page = -Foundation.log(2.0 / 3.0)
    #expect(ulps(value, implemented) <= 2)
    #expect(abs(value - page) > 0.09)
    // And the implemented identity: crossentropy(softmax(ŷ), y; ϵ = 0) on the same input.
    let softmax = [1.0, 2.0].map { Foundation.exp($0) / (Foundation.exp(1) + Foundation.exp(2)) }
    let viaSoftmax = -Foundation.log(softmax[1])
    #expect(abs(value - viaSoftmax) < 1e-15)
  }

  /// 3. logitbinarycrossentropy equals binarycrossentropy(σ(ŷ), y; ϵ = 0), not
  ///    binarycrossentropy(σ(log(ŷ)), y).
  @Test func logitbinarycrossentropyIsSigmoidOfLogits() throws {
    // ŷ = 2, y = 1: implemented −logσ(2) = log(1 + e⁻²).
    let value = try spec(.logitbinarycrossentropy, [2], [1]).float64[0]
    let implemented = Foundation.log1p(Foundation.exp(-2.0))
    // Page: σ(log 2) = 2/3, −log(2/3) ≈ 0.405.
    let page = -Foundation.log(2.0 / 3.0)
    #expect(ulps(value, implemented) <= 2)
    #expect(abs(value - page) > 0.25)
  }

  /// 4. poisson_loss: the page divides sum(ŷ − y·log ŷ) by size(y, 2); implemented: a mean over
  ///    all elements.
  @Test func poissonMeanOverAllElements() throws {
    // ŷ = y = 1 (2 × 3): every term is 1 − 1·log 1 = 1, so the mean is 1; the page: 6 / 3 = 2.
    let ones = [Double](repeating: 1, count: 6)
    let value = try spec(.poissonLoss, ones, ones, shape: [2, 3]).float64[0]
    var pageSum = 0.0
    for k in 0..<6 { pageSum += ones[k] - ones[k] * Foundation.log(ones[k]) }
    let page = pageSum / 3  // size(y, 2) = 3
    #expect(value == 1)
    #expect(page == 2)
  }

  /// 5. dice_coeff_loss: the page puts smooth inside the numerator's sum with |ŷ·y|;
  ///    implemented 1 − (2Σ(yŷ) + s)/(Σy² + Σŷ² + s).
  @Test func diceSmoothOutsideTheSum() throws {
    // ŷ = [0.5, −0.5], y = [1, 1], s = 1: implemented 1 − (0 + 1)/(2 + 0.5 + 1) = 5/7.
    let value = try spec(.diceCoeffLoss, [0.5, -0.5], [1, 1]).float64[0]
    #expect(value == 5.0 / 7.0)  // IEEE division is correctly rounded
    // Page: 1 − 2·Σ(|ŷy| + 1)/(Σŷ² + Σy² + 1) = 1 − 2·3/3.5.
    let page = 1 - 2 * ((0.5 + 1) + (0.5 + 1)) / (0.5 + 2 + 1)
    #expect(abs(value - page) > 1)
  }

  /// 6. tversky_loss: the page adds 1 per element and takes |y·ŷ|; implemented Σ(yŷ) + 1. And
  ///    β weighs the false positives (1 − y)ŷ, not the false negatives.
  @Test func tverskyNumeratorAndBeta() throws {
    // ŷ = [0.5, 0.5], y = [1, 0]: N = 0.5 + 1 = 1.5; D = 0.5 + 0.5(1 − β) + 0.5β + 1 = 2 for
    // every β, so the loss is 1 − 1.5/2 = 0.25 exactly; the page: 1 − (1.5 + 1)/2 = −0.25.
    let value = try spec(.tverskyLoss, [0.5, 0.5], [1, 0]).float64[0]
    #expect(value == 0.25)
    let page = 1 - ((abs(0.5 * 1) + 1) + (abs(0.5 * 0) + 1)) / 2
    #expect(page == -0.25)
    // Pure false positive (ŷ = 1, y = 0): D = β + 1, the loss β/(β + 1) grows with β.
    let fpLow = try spec(.tverskyLoss, [1], [0], params: .init(beta: 0.1)).float64[0]
    let fpHigh = try spec(.tverskyLoss, [1], [0], params: .init(beta: 0.9)).float64[0]
    #expect(fpHigh > fpLow)
    // Pure false negative (ŷ = 0, y = 1): D = (1 − β) + 1, the loss shrinks as β grows.
    let fnLow = try spec(.tverskyLoss, [0], [1], params: .init(beta: 0.1)).float64[0]
    let fnHigh = try spec(.tverskyLoss, [0], [1], params: .init(beta: 0.9)).float64[0]
    #expect(fnHigh < fnLow)
  }

  /// 7. crossentropy uses xlogy: a zero target contributes 0 even where log(ŷ + ϵ) is −∞.
  @Test func crossentropyXlogy() throws {
    // ŷ = [0, 1], y = [0, 1], ϵ = 0: implemented −(0 + 1·log 1) = 0; the page's
    // y .* log.(ŷ .+ ϵ) gives 0·(−∞) = NaN.
    let value = try spec(.crossentropy, [0, 1], [0, 1], shape: [2, 1], params: .init(eps: 0)).float64[0]
    let page = -(0 * Foundation.log(0.0) + 1 * Foundation.log(1.0))
    #expect(value == 0)
    #expect(page.isNaN)
  }

  /// 8. kldivergence is not "zero only when both distributions are equal" with the default ϵ:
  ///    KL(p, p) < 0.
  @Test func kldivergenceOfEqualDistributionsIsNegative() throws {
    // p = [0.5, 0.5]: KL = −Σ p·log(1 + ϵ/p) = −log(1 + 2ϵ) ≈ −2ϵ, ϵ = 2⁻⁵².
    let value = try spec(.kldivergence, [0.5, 0.5], [0.5, 0.5], shape: [2, 1]).float64[0]
    #expect(value < 0)
    #expect(abs(value + 0x1p-51) <= 0x1p-100)  // −log(1 + 2⁻⁵¹) = −2⁻⁵¹ + 2⁻¹⁰³ − …
    let exact = try spec(.kldivergence, [0.5, 0.5], [0.5, 0.5], shape: [2, 1], params: .init(eps: 0)).float64[0]
    #expect(exact == 0)
  }

  /// 9. binarycrossentropy's ϵ = eps(ŷ) is the epsilon of ŷ's element type.
  @Test func binarycrossentropyEpsilonOfElementType() throws {
    // ŷ = 0, y = 1: −log(0 + ϵ) = −log ϵ: 23·ln 2 for Float32 (ϵ = 2⁻²³), 52·ln 2 for Float64.
    let f32 = try spec(.binarycrossentropy, [0], [1], dtype: .float32).float32[0]
    let f64 = try spec(.binarycrossentropy, [0], [1], dtype: .float64).float64[0]
    #expect(Float(f32) == Float(23 * 0.6931471805599453))  // 23·ln 2 = 15.9423851528787… (ln 2 from OEIS A002162)
    #expect(ulps(f64, 52 * 0.6931471805599453) <= 1)  // 36.0436533891171…
    #expect(f32 != f64)
  }
}
