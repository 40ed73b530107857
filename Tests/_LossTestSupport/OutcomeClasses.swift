/// The outcome class of an outcome: a scalar value's or an error's class; an array's is the class
/// of its first non-finite element, else finite.
public func outcomeClass(_ outcome: LossOutcome) -> OutcomeClass {
  switch outcome {
  case .value(.scalar(let v)): return OutcomeClass(value: v)
  case .value(.array(let t)): return t.values.lazy.map(OutcomeClass.init(value:)).first { $0 != .finite } ?? .finite
  case .error(let e): return OutcomeClass(error: e)
  case .unsupported: return .unsupported
  }
}
