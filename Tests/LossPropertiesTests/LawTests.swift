// One @Test per law of the catalogue (Catalogue.laws), grouped by category. Each runs the law's
// corpus seeds, then `Budget.cases` random cases with PropertyBased's propertyCheck (shrinking on),
// and adds its result to Reports/properties-test.html. `catalogueIsCovered` keeps this list complete.
import LossProperties
import PropertyBased
import Testing

@Suite("Equivalences", .shrinking, .timeLimit(.minutes(10)))
struct EquivalenceLaws {
  @Test("logitcrossentropy-is-crossentropy-of-softmax") func logitcrossentropyIsCrossentropyOfSoftmax() async throws {
    try await checkLaw("logitcrossentropy-is-crossentropy-of-softmax")
  }
  @Test("logitbinarycrossentropy-is-binarycrossentropy-of-sigmoid")
  func logitbinarycrossentropyIsBinarycrossentropyOfSigmoid() async throws {
    try await checkLaw("logitbinarycrossentropy-is-binarycrossentropy-of-sigmoid")
  }
  @Test("binarycrossentropy-is-two-class-crossentropy") func binarycrossentropyIsTwoClassCrossentropy() async throws {
    try await checkLaw("binarycrossentropy-is-two-class-crossentropy")
  }
  @Test("kldivergence-is-crossentropy-minus-entropy") func kldivergenceIsCrossentropyMinusEntropy() async throws {
    try await checkLaw("kldivergence-is-crossentropy-minus-entropy")
  }
  @Test("kldivergence-is-crossentropy-on-0-1-targets") func kldivergenceIsCrossentropyOn01Targets() async throws {
    try await checkLaw("kldivergence-is-crossentropy-on-0-1-targets")
  }
  @Test("tversky-half-is-dice-smooth-two") func tverskyHalfIsDiceSmoothTwo() async throws {
    try await checkLaw("tversky-half-is-dice-smooth-two")
  }
  @Test("epsilon-is-a-shift-of-the-prediction") func epsilonIsAShiftOfThePrediction() async throws {
    try await checkLaw("epsilon-is-a-shift-of-the-prediction")
  }
  @Test("scalar-target-broadcasts") func scalarTargetBroadcasts() async throws {
    try await checkLaw("scalar-target-broadcasts")
  }
  @Test("hinge-depends-only-on-the-margin") func hingeDependsOnlyOnTheMargin() async throws {
    try await checkLaw("hinge-depends-only-on-the-margin")
  }
}

@Suite("Aggregation, dimensions, weights", .shrinking, .timeLimit(.minutes(10)))
struct StructureLaws {
  @Test("sum-is-n-times-mean") func sumIsNTimesMean() async throws { try await checkLaw("sum-is-n-times-mean") }
  @Test("agg-none-then-aggregate") func aggNoneThenAggregate() async throws {
    try await checkLaw("agg-none-then-aggregate")
  }
  @Test("batch-concatenation") func batchConcatenation() async throws { try await checkLaw("batch-concatenation") }
  @Test("permutation-invariance") func permutationInvariance() async throws {
    try await checkLaw("permutation-invariance")
  }
  @Test("dims-transposition") func dimsTransposition() async throws { try await checkLaw("dims-transposition") }
  @Test("dims-merge") func dimsMerge() async throws { try await checkLaw("dims-merge") }
  @Test("weight-scaling") func weightScaling() async throws { try await checkLaw("weight-scaling") }
  @Test("per-class-weights") func perClassWeights() async throws { try await checkLaw("per-class-weights") }
  @Test("logit-shift-invariance") func logitShiftInvariance() async throws {
    try await checkLaw("logit-shift-invariance")
  }
}

@Suite("Symmetries and scaling", .shrinking, .timeLimit(.minutes(10)))
struct SymmetryLaws {
  @Test("mse-symmetry") func mseSymmetry() async throws { try await checkLaw("mse-symmetry") }
  @Test("mae-symmetry") func maeSymmetry() async throws { try await checkLaw("mae-symmetry") }
  @Test("huber_loss-symmetry") func huberLossSymmetry() async throws { try await checkLaw("huber_loss-symmetry") }
  @Test("msle-symmetry") func msleSymmetry() async throws { try await checkLaw("msle-symmetry") }
  @Test("mse-scaling") func mseScaling() async throws { try await checkLaw("mse-scaling") }
  @Test("mae-scaling") func maeScaling() async throws { try await checkLaw("mae-scaling") }
  @Test("msle-scale-invariance") func msleScaleInvariance() async throws { try await checkLaw("msle-scale-invariance") }
  @Test("binarycrossentropy-label-flip") func binarycrossentropyLabelFlip() async throws {
    try await checkLaw("binarycrossentropy-label-flip")
  }
  @Test("logitbinarycrossentropy-label-flip") func logitbinarycrossentropyLabelFlip() async throws {
    try await checkLaw("logitbinarycrossentropy-label-flip")
  }
}

@Suite("Bounds", .shrinking, .timeLimit(.minutes(10)))
struct BoundLaws {
  @Test("kldivergence-nonnegative") func kldivergenceNonnegative() async throws {
    try await checkLaw("kldivergence-nonnegative")
  }
  @Test("kldivergence-of-self-is-zero") func kldivergenceOfSelfIsZero() async throws {
    try await checkLaw("kldivergence-of-self-is-zero")
  }
  @Test("kldivergence-sharp-lower-bound-with-epsilon") func kldivergenceSharpLowerBoundWithEpsilon() async throws {
    try await checkLaw("kldivergence-sharp-lower-bound-with-epsilon")
  }
  @Test("kldivergence-of-self-is-negative-with-epsilon") func kldivergenceOfSelfIsNegativeWithEpsilon() async throws {
    try await checkLaw("kldivergence-of-self-is-negative-with-epsilon")
  }
  @Test("crossentropy-at-least-entropy") func crossentropyAtLeastEntropy() async throws {
    try await checkLaw("crossentropy-at-least-entropy")
  }
  @Test("crossentropy-bounds-with-epsilon") func crossentropyBoundsWithEpsilon() async throws {
    try await checkLaw("crossentropy-bounds-with-epsilon")
  }
  @Test("binarycrossentropy-bounds") func binarycrossentropyBounds() async throws {
    try await checkLaw("binarycrossentropy-bounds")
  }
  @Test("logit-losses-finite-and-nonnegative") func logitLossesFiniteAndNonnegative() async throws {
    try await checkLaw("logit-losses-finite-and-nonnegative")
  }
  @Test("hinge-nonnegative") func hingeNonnegative() async throws { try await checkLaw("hinge-nonnegative") }
  @Test("hinge-zero-exactly-when-margins-reach-one") func hingeZeroExactlyWhenMarginsReachOne() async throws {
    try await checkLaw("hinge-zero-exactly-when-margins-reach-one")
  }
  @Test("hinge-at-least-one-minus-mean-margin") func hingeAtLeastOneMinusMeanMargin() async throws {
    try await checkLaw("hinge-at-least-one-minus-mean-margin")
  }
  @Test("squared-hinge-at-least-hinge-squared") func squaredHingeAtLeastHingeSquared() async throws {
    try await checkLaw("squared-hinge-at-least-hinge-squared")
  }
  @Test("squared-hinge-is-hinge-squared-elementwise") func squaredHingeIsHingeSquaredElementwise() async throws {
    try await checkLaw("squared-hinge-is-hinge-squared-elementwise")
  }
  @Test("mae-at-most-root-mse") func maeAtMostRootMse() async throws { try await checkLaw("mae-at-most-root-mse") }
  @Test("huber-at-most-half-mse") func huberAtMostHalfMse() async throws {
    try await checkLaw("huber-at-most-half-mse")
  }
  @Test("huber-is-half-mse-below-delta") func huberIsHalfMseBelowDelta() async throws {
    try await checkLaw("huber-is-half-mse-below-delta")
  }
  @Test("huber-at-the-boundary") func huberAtTheBoundary() async throws { try await checkLaw("huber-at-the-boundary") }
  @Test("huber-at-most-delta-mae") func huberAtMostDeltaMae() async throws {
    try await checkLaw("huber-at-most-delta-mae")
  }
  @Test("mae-triangle-inequality") func maeTriangleInequality() async throws {
    try await checkLaw("mae-triangle-inequality")
  }
  @Test("poisson-minimised-at-target") func poissonMinimisedAtTarget() async throws {
    try await checkLaw("poisson-minimised-at-target")
  }
  @Test("perfect-fit-is-zero") func perfectFitIsZero() async throws { try await checkLaw("perfect-fit-is-zero") }
  @Test("dice-within-unit-interval") func diceWithinUnitInterval() async throws {
    try await checkLaw("dice-within-unit-interval")
  }
  @Test("tversky-within-unit-interval") func tverskyWithinUnitInterval() async throws {
    try await checkLaw("tversky-within-unit-interval")
  }
}

@Suite("Outcomes: NaN, errors", .shrinking, .timeLimit(.minutes(10)))
struct OutcomeLaws {
  @Test("nan-propagates") func nanPropagates() async throws { try await checkLaw("nan-propagates") }
  @Test("shape-mismatch-is-dimension-mismatch") func shapeMismatchIsDimensionMismatch() async throws {
    try await checkLaw("shape-mismatch-is-dimension-mismatch")
  }
  @Test("negative-probability-is-domain-error") func negativeProbabilityIsDomainError() async throws {
    try await checkLaw("negative-probability-is-domain-error")
  }
  @Test("empty-inputs") func emptyInputs() async throws { try await checkLaw("empty-inputs") }
}

@Suite("LossFast agrees with LossSpec", .shrinking, .timeLimit(.minutes(10)))
struct AgreementLaws {
  @Test("implementation-agrees-with-reference") func implementationAgreesWithReference() async throws {
    try await checkLaw("implementation-agrees-with-reference")
  }
  @Test("bits-independent-of-thread-count") func bitsIndependentOfThreadCount() async throws {
    try await checkLaw("bits-independent-of-thread-count")
  }
}

@Suite("Half precision", .shrinking, .timeLimit(.minutes(10)))
struct HalfPrecisionLaws {
  @Test("half-precision-is-the-float64-value-rounded") func halfPrecisionIsTheFloat64ValueRounded() async throws {
    try await checkLaw("half-precision-is-the-float64-value-rounded")
  }
}

@Suite("Gradients", .shrinking, .timeLimit(.minutes(10)))
struct GradientLaws {
  @Test("gradient-of-mean-is-gradient-of-sum-over-count") func gradientOfMeanIsGradientOfSumOverCount() async throws {
    try await checkLaw("gradient-of-mean-is-gradient-of-sum-over-count")
  }
  @Test("logitcrossentropy-gradient-is-softmax-times-mass-minus-target")
  func logitcrossentropyGradientIsSoftmaxTimesMassMinusTarget() async throws {
    try await checkLaw("logitcrossentropy-gradient-is-softmax-times-mass-minus-target")
  }
  @Test("crossentropy-gradient-is-minus-weighted-target-over-prediction")
  func crossentropyGradientIsMinusWeightedTargetOverPrediction() async throws {
    try await checkLaw("crossentropy-gradient-is-minus-weighted-target-over-prediction")
  }
  @Test("kldivergence-gradient-is-crossentropys") func kldivergenceGradientIsCrossentropys() async throws {
    try await checkLaw("kldivergence-gradient-is-crossentropys")
  }
  @Test("hinge-gradient-is-zero-or-minus-target") func hingeGradientIsZeroOrMinusTarget() async throws {
    try await checkLaw("hinge-gradient-is-zero-or-minus-target")
  }
  @Test("squared-hinge-gradient-is-twice-the-margin") func squaredHingeGradientIsTwiceTheMargin() async throws {
    try await checkLaw("squared-hinge-gradient-is-twice-the-margin")
  }
  @Test("mse-gradient-is-twice-the-residual") func mseGradientIsTwiceTheResidual() async throws {
    try await checkLaw("mse-gradient-is-twice-the-residual")
  }
  @Test("mae-gradient-is-the-sign-of-the-residual") func maeGradientIsTheSignOfTheResidual() async throws {
    try await checkLaw("mae-gradient-is-the-sign-of-the-residual")
  }
  @Test("target-gradient-is-negated-prediction-gradient") func targetGradientIsNegatedPredictionGradient() async throws
  { try await checkLaw("target-gradient-is-negated-prediction-gradient") }
  @Test("logitbinarycrossentropy-gradient-is-sigmoid-minus-target")
  func logitbinarycrossentropyGradientIsSigmoidMinusTarget() async throws {
    try await checkLaw("logitbinarycrossentropy-gradient-is-sigmoid-minus-target")
  }
  @Test("scalar-target-gradient-is-the-sum-over-the-broadcast") func scalarTargetGradientIsTheSumOverTheBroadcast()
    async throws
  { try await checkLaw("scalar-target-gradient-is-the-sum-over-the-broadcast") }
  @Test("agg-none-gradient-is-linear-in-the-cotangent") func aggNoneGradientIsLinearInTheCotangent() async throws {
    try await checkLaw("agg-none-gradient-is-linear-in-the-cotangent")
  }
  @Test("zero-targets-have-finite-gradients") func zeroTargetsHaveFiniteGradients() async throws {
    try await checkLaw("zero-targets-have-finite-gradients")
  }
}

/// The laws with a @Test above, in catalogue order.
let testedLaws: [String] = [
  "logitcrossentropy-is-crossentropy-of-softmax",
  "logitbinarycrossentropy-is-binarycrossentropy-of-sigmoid",
  "binarycrossentropy-is-two-class-crossentropy",
  "kldivergence-is-crossentropy-minus-entropy",
  "kldivergence-is-crossentropy-on-0-1-targets",
  "tversky-half-is-dice-smooth-two",
  "epsilon-is-a-shift-of-the-prediction",
  "scalar-target-broadcasts",
  "hinge-depends-only-on-the-margin",
  "sum-is-n-times-mean",
  "agg-none-then-aggregate",
  "batch-concatenation",
  "permutation-invariance",
  "dims-transposition",
  "dims-merge",
  "weight-scaling",
  "per-class-weights",
  "logit-shift-invariance",
  "mse-symmetry",
  "mae-symmetry",
  "huber_loss-symmetry",
  "msle-symmetry",
  "mse-scaling",
  "mae-scaling",
  "msle-scale-invariance",
  "binarycrossentropy-label-flip",
  "logitbinarycrossentropy-label-flip",
  "kldivergence-nonnegative",
  "kldivergence-of-self-is-zero",
  "kldivergence-sharp-lower-bound-with-epsilon",
  "kldivergence-of-self-is-negative-with-epsilon",
  "crossentropy-at-least-entropy",
  "crossentropy-bounds-with-epsilon",
  "binarycrossentropy-bounds",
  "logit-losses-finite-and-nonnegative",
  "hinge-nonnegative",
  "hinge-zero-exactly-when-margins-reach-one",
  "hinge-at-least-one-minus-mean-margin",
  "squared-hinge-at-least-hinge-squared",
  "squared-hinge-is-hinge-squared-elementwise",
  "mae-at-most-root-mse",
  "huber-at-most-half-mse",
  "huber-is-half-mse-below-delta",
  "huber-at-the-boundary",
  "huber-at-most-delta-mae",
  "mae-triangle-inequality",
  "poisson-minimised-at-target",
  "perfect-fit-is-zero",
  "dice-within-unit-interval",
  "tversky-within-unit-interval",
  "nan-propagates",
  "shape-mismatch-is-dimension-mismatch",
  "negative-probability-is-domain-error",
  "empty-inputs",
  "implementation-agrees-with-reference",
  "bits-independent-of-thread-count",
  "gradient-of-mean-is-gradient-of-sum-over-count",
  "logitcrossentropy-gradient-is-softmax-times-mass-minus-target",
  "crossentropy-gradient-is-minus-weighted-target-over-prediction",
  "kldivergence-gradient-is-crossentropys",
  "hinge-gradient-is-zero-or-minus-target",
  "squared-hinge-gradient-is-twice-the-margin",
  "mse-gradient-is-twice-the-residual",
  "mae-gradient-is-the-sign-of-the-residual",
  "target-gradient-is-negated-prediction-gradient",
  "logitbinarycrossentropy-gradient-is-sigmoid-minus-target",
  "scalar-target-gradient-is-the-sum-over-the-broadcast",
  "agg-none-gradient-is-linear-in-the-cotangent",
  "zero-targets-have-finite-gradients",
  "half-precision-is-the-float64-value-rounded",
]

@Test("every law of the catalogue has its own @Test, and there are at least 30")
func catalogueIsCovered() {
  #expect(Set(testedLaws) == Set(Catalogue.laws.map(\.name)))
  #expect(testedLaws.count == Set(testedLaws).count)
  #expect(Catalogue.laws.count >= 30)
}
