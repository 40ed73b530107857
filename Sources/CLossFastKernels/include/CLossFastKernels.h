// The vector kernels of LossFast's sums (Float32 and Float64 data), in C so that one portable build carries code
// for several instruction sets: each kernel is compiled three times (x86-64 baseline, AVX2 + FMA,
// AVX-512) with per-function target attributes, and the caller picks one by the CPU's features at
// run time. No compiler flag is needed, so SwiftPM accepts it in any dependent package.
//
// Every path computes the same IEEE operations in the same order (eight Double lanes, fused
// multiply-adds written explicitly, no contraction), so every path gives the same bits.
#ifndef CLOSSFASTKERNELS_H
#define CLOSSFASTKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction-set paths. `LFK_PATH_BASELINE` runs on every x86-64 CPU (and is the only one
/// on other architectures).
enum {
  LFK_PATH_BASELINE = 0,
  LFK_PATH_AVX2 = 1,
  LFK_PATH_AVX512 = 2,
};

/// The terms of `lfk_short_sum_f32` (see LossFast's ElementwiseTerms.swift and ClassLosses.swift):
/// the six with a short kernel (logarithms, exponentials), then five memory-bound ones whose
/// terms are exact or nearly so in Double (their magnitudes are 0; huber_loss takes δ as `eps`).
enum {
  LFK_TERM_MSLE = 0,
  LFK_TERM_BINARYCROSSENTROPY = 1,
  LFK_TERM_LOGITBINARYCROSSENTROPY = 2,
  LFK_TERM_POISSON = 3,
  LFK_TERM_XLOGY = 4,
  LFK_TERM_KLDIVERGENCE = 5,
  LFK_TERM_MAE = 6,
  LFK_TERM_MSE = 7,
  LFK_TERM_HUBER = 8,
  LFK_TERM_HINGE = 9,
  LFK_TERM_SQUARED_HINGE = 10,
  LFK_TERM_COUNT = 11,
};

/// The partial sums of one chunk: two accumulators of eight lanes each for the terms and for
/// their magnitudes, in the order the caller folds them (`value[0…15]`, then `magnitude[0…15]`).
typedef struct {
  double value[16];
  double magnitude[16];
} lfk_partials;

/// Whether this CPU (and its operating system) can run `path`.
int lfk_path_available(int path);

/// The widest available path, or the one named by the environment variable `LOSSFAST_ISA`
/// (`baseline`, `avx2`, `avx512`) when it is set to an available path; -1 when `LOSSFAST_ISA` is
/// set to anything else (the caller reports it).
int lfk_default_path(void);

/// The value of `LOSSFAST_ISA`, or "" when it is unset.
const char *lfk_isa_setting(void);

/// `Σ term(ŷᵢ, yᵢ)` and `Σ mᵢ` over `n` Float32 pairs with the short kernels (relative error about
/// 2⁻³² per elementary function), as lane partials. `eps` is the loss's ϵ (unused by the terms
/// without one). Returns 0, or -1 for an unknown term or unavailable path (nothing written).
int lfk_short_sum_f32(
  int path, int term, const float *yhat, const float *y, size_t n, double eps, lfk_partials *out);

/// The two overlap losses of `lfk_overlap_sums_f32`.
enum {
  LFK_OVERLAP_DICE = 0,
  LFK_OVERLAP_TVERSKY = 1,
  /// tversky's value alone: its second and third sums (`E/(D + 1)` needs no `Σyŷ`; the gradient
  /// does), the first left 0.
  LFK_OVERLAP_TVERSKY_VALUE = 2,
};

/// The three sums of dice (`Σ(ŷ − y)²`, `Σ(y² + ŷ²)`, 0) or tversky with `beta` (`Σyŷ`,
/// `Σ(β(1 − y)ŷ + (1 − β)y(1 − ŷ))`, `Σ(βŷ + (1 − β)y)`; the first 0 for
/// `LFK_OVERLAP_TVERSKY_VALUE`) over `n` Float32 pairs, in Double, as
/// lane partials `sums[16k + j]`, `j` in 0…15. Returns 0, or -1 for an unknown kind or unavailable path.
int lfk_overlap_sums_f32(
  int path, int kind, const float *yhat, const float *y, size_t n, double beta, double *sums);

/// Float64 data: `Σ term` over `n` pairs, each term a double-double (its rounding errors
/// recovered by TwoSum and fused multiply-adds; the logarithms double-doubles within about 2⁻⁵⁸)
/// summed in compensated lanes: `out->value` the lane sums, `out->magnitude` their compensations
/// (Ogita–Rump–Oishi's Sum2). `param` is the loss's ϵ (huber_loss: δ). A lane whose term is not
/// finite, or whose arguments reach below 2⁻⁹⁶⁰ (where error-free products underflow), is NaN:
/// the caller's rare path decides the sum then. Returns 0, or -1 for an unknown term or an
/// unavailable path.
int lfk_compensated_sum_f64(
  int path, int term, const double *yhat, const double *y, size_t n, double param, lfk_partials *out);

/// Float64 data: dice's or tversky's three sums (as `lfk_overlap_sums_f32`'s), compensated:
/// `sums[32k + j]` the lane sums and `sums[32k + 16 + j]` their compensations of sum `k`, lane
/// `j` in 0…15 (96 Doubles). Returns 0, or -1 for an unknown kind or unavailable path.
int lfk_overlap_sums_f64(
  int path, int kind, const double *yhat, const double *y, size_t n, double beta, double *sums);

/// The longest group `lfk_logit_groups8_f32` takes (LossFast's `acrossGroupsLength`).
#define LFK_GROUP_LENGTH_MAX 32

/// logitcrossentropy of eight contiguous groups of `length` elements starting at `yhat` and `y`
/// (`8·length` elements each): `value[j]` is `Σ y·logsoftmax(ŷ)` over group `j` with the short
/// kernels, `magnitude[j]` its error bound over 2⁻³²; NaN for a group with a NaN or an infinite
/// maximum. Returns 0, or -1 for an unavailable path or `length > LFK_GROUP_LENGTH_MAX`.
int lfk_logit_groups8_f32(
  int path, const float *yhat, const float *y, size_t length, double value[8], double magnitude[8]);

/// `lfk_logit_groups8_f32` over `blocks` consecutive blocks of eight groups (`8·blocks·length`
/// elements), summed: `out->value[j]` (`j` in 0…7, the rest 0) the lane sums of the group values,
/// `out->magnitude[j]` of their magnitudes, up to the first block with a group whose value is not
/// finite or whose magnitude exceeds `limit` times its absolute value; `*summed` the number of
/// blocks summed. Returns 0, or -1 for an unavailable path or `length > LFK_GROUP_LENGTH_MAX`.
int lfk_logit_sum_f32(
  int path, const float *yhat, const float *y, size_t length, size_t blocks, double limit, lfk_partials *out,
  size_t *summed);

/// Float64 logitcrossentropy of eight contiguous groups of `length` elements: `hi[j] + lo[j]` is
/// `Σ y·logsoftmax(ŷ)` over group `j` (the full-precision `exp`, a double-double `log1p`,
/// compensated sums; within a few units of 2⁻⁵³ of `Σ|y·(x − m)| + |L·Σ y|`); NaN in `hi[j]` for
/// a group with a NaN or an infinite maximum. Returns 0, or -1 for an unavailable path or
/// `length > LFK_GROUP_LENGTH_MAX`.
int lfk_logit_groups8_f64(int path, const double *yhat, const double *y, size_t length, double hi[8], double lo[8]);

/// The kernels' elementary functions, for the tests: `out[i] = f(x[i])` for `function` 0 (`log`),
/// 1 (`log1p`) or 2 (`exp`, for `x ≤ 0` and NaN only). Returns 0, or -1 for an unknown function or
/// unavailable path.
int lfk_elementary_f64(int path, int function, const double *x, double *out, size_t n);

/// A streaming read of both arrays, `Σ (ŷᵢ − yᵢ)²` as lane partials in `out->value`: what a plain
/// loop costs, the benchmarks' floor for the memory-bound losses.
int lfk_stream_f32(int path, const float *yhat, const float *y, size_t n, lfk_partials *out);

/// The same for Float64 arrays.
int lfk_stream_f64(int path, const double *yhat, const double *y, size_t n, lfk_partials *out);

/// The CPU's spin-wait hint (`pause` on x86-64, `yield` on AArch64), for LossFast's worker pool
/// while it polls for work.
static inline void lfk_spin_hint(void) {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

#ifdef __cplusplus
}
#endif

#endif
