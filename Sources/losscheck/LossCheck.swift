import LossCheckCLI

// The command tree lives in LossCheckCLI; `LossCheck.main()` runs it and exits with its status.
@main extension LossCheck {}
