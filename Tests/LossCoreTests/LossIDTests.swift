import LossCore
import Testing

/// The fourteen ids of the `id` column of SEMANTICS.md, transcribed by hand, with the case each
/// must name.
let fluxNames: [(String, LossID)] = [
  ("mae", .mae),
  ("mse", .mse),
  ("msle", .msle),
  ("huber_loss", .huberLoss),
  ("crossentropy", .crossentropy),
  ("logitcrossentropy", .logitcrossentropy),
  ("binarycrossentropy", .binarycrossentropy),
  ("logitbinarycrossentropy", .logitbinarycrossentropy),
  ("kldivergence", .kldivergence),
  ("poisson_loss", .poissonLoss),
  ("hinge", .hinge),
  ("squared_hinge", .squaredHinge),
  ("dice_coeff_loss", .diceCoeffLoss),
  ("tversky_loss", .tverskyLoss),
]

/// Looking a loss up by its Flux name.
@Suite("LossID names")
struct LossIDNameTests {
  @Test("every Flux name of SEMANTICS.md names its loss", arguments: fluxNames)
  func fluxNameLooksUpItsLoss(name: String, id: LossID) {
    #expect(LossID(name: name) == id)
  }

  @Test("the raw value is the Flux name", arguments: fluxNames)
  func rawValueIsTheFluxName(name: String, id: LossID) {
    #expect(id.rawValue == name)
  }

  @Test("there are exactly the fourteen losses of SEMANTICS.md")
  func exactlyFourteen() {
    #expect(LossID.allCases.count == 14)
    #expect(Set(LossID.allCases.map(\.rawValue)) == Set(fluxNames.map(\.0)))
  }

  @Test(
    "the names of later Flux versions are aliases",
    arguments: [("hinge_loss", LossID.hinge), ("squared_hinge_loss", .squaredHinge)])
  func laterFluxNamesAreAliases(name: String, id: LossID) {
    #expect(LossID(name: name) == id)
  }

  @Test(
    "unknown names, other spellings and other frameworks' names are not losses",
    arguments: [
      "", "MSE", "Mse", " mse", "mse ", "huber", "huberloss", "l2", "hinge-loss", "binary_crossentropy",
      "BCELoss", "dice", "squared_hinge_losses", "kl_divergence", "tversky",
    ])
  func unknownNamesAreNil(name: String) {
    #expect(LossID(name: name) == nil)
  }
}

/// Which loss takes which parameter: the keyword arguments of the signature column of
/// SEMANTICS.md, transcribed by hand (`ϵ` is `eps`, `δ` is `delta`, `β` is `beta`).
@Suite("LossID accepted parameters")
struct LossIDParameterTests {
  static let table: [(LossID, Set<ParameterName>)] = [
    (.mae, [.agg]),
    (.mse, [.agg]),
    (.msle, [.agg, .eps]),
    (.huberLoss, [.delta, .agg]),
    (.crossentropy, [.weight, .dims, .eps, .agg]),
    (.logitcrossentropy, [.weight, .agg, .dims]),
    (.binarycrossentropy, [.eps, .agg]),
    (.logitbinarycrossentropy, [.agg]),
    (.kldivergence, [.dims, .agg, .eps]),
    (.poissonLoss, [.agg]),
    (.hinge, [.agg]),
    (.squaredHinge, [.agg]),
    (.diceCoeffLoss, [.smooth]),
    (.tverskyLoss, [.beta]),
  ]

  @Test("the table covers every loss")
  func tableCoversEveryLoss() {
    #expect(Set(Self.table.map(\.0)) == Set(LossID.allCases))
  }

  @Test("acceptedParameters is the signature of SEMANTICS.md", arguments: table)
  func acceptedParametersMatchSemantics(id: LossID, parameters: Set<ParameterName>) {
    #expect(id.acceptedParameters == parameters)
  }

  @Test("only dice and tversky take no agg (they reduce over everything)", arguments: LossID.allCases)
  func aggregationExceptDiceAndTversky(id: LossID) {
    #expect(id.takesAggregation == !(id == .diceCoeffLoss || id == .tverskyLoss))
  }

  @Test("the losses with a dims keyword reduce over dims", arguments: LossID.allCases)
  func dimsReducers(id: LossID) {
    let expected: Set<LossID> = [.crossentropy, .logitcrossentropy, .kldivergence]
    #expect(id.reducesOverDims == expected.contains(id))
  }

  @Test("parameter names are spelled as in the protocol")
  func parameterSpelling() {
    #expect(
      ParameterName.allCases.map(\.rawValue).sorted() == ["agg", "beta", "delta", "dims", "eps", "smooth", "weight"])
  }
}
