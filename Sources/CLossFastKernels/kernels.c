// LossFast's vector kernels on eight Double lanes (see include/CLossFastKernels.h): the Float32
// short kernels, the memory-bound terms, and the Float64 double-double terms.
//
// The Float32 arithmetic is that of LossFast's ShortMath.swift (the same reductions and
// polynomial coefficients, fitted by scripts/fit-short-math.py), the Float64 arithmetic that of
// VectorMath.swift's double-double logarithm and ElementwiseTerms.swift's compensated terms
// (fdlibm's reduction and polynomial), with every `a + b·c` of the polynomials, and every
// error-free product, a fused multiply-add. Contraction is off for the whole file, so the compiler fuses nothing on
// its own: an FMA is exactly where `fma_` is written, on every path. On the AVX2 and AVX-512
// paths it is one instruction; on the baseline path (x86-64 without FMA) it is the C library's
// `fma`, which is correctly rounded too. Every path therefore computes the same correctly
// rounded IEEE operations in the same order: the same bits, on this machine and on any other
// (no libm function other than `fma` is called; special lanes are handled in the kernels).
#include "CLossFastKernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#pragma clang fp contract(off)
// The eight-lane helpers take and return 512-bit vectors; on the baseline and AVX2 paths that
// would be an ABI question for calls, but every helper is inlined (`always_inline`), so no such
// value crosses a call.
#pragma clang diagnostic ignored "-Wpsabi"

typedef double v8d __attribute__((ext_vector_type(8)));
typedef long v8l __attribute__((ext_vector_type(8)));
typedef unsigned long long v8u __attribute__((ext_vector_type(8)));
typedef float v8f __attribute__((ext_vector_type(8)));

#define INLINE static inline __attribute__((always_inline)) ATTR
#define NOINLINE static __attribute__((noinline)) ATTR

static const double ln2 = 0x1.62e42fefa39efp-1;
static const double l0 = 0x1.555554af2762cp-2, l1 = -0x1.ffffd3a8bf0a6p-3, l2 = 0x1.999a131c2b9eap-3,
                    l3 = -0x1.5563b2010b12dp-3, l4 = 0x1.248f2760222d6p-3, l5 = -0x1.fce730b4c4807p-4,
                    l6 = 0x1.c40b1f09dda66p-4, l7 = -0x1.bb2bf19509c0dp-4, l8 = 0x1.b37c58a27a8bcp-4,
                    l9 = -0x1.e99cfa39e1837p-5;
static const double e0 = 0x1.555553e03bf04p-3, e1 = 0x1.5554e713d9b66p-5, e2 = 0x1.1113305252903p-7,
                    e3 = 0x1.6d4dc6e370fd5p-10, e4 = 0x1.9dd73112603cbp-13;
static const double invLn2 = 1.44269504088896338700e+00;
static const double ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10;
static const double shifter = 0x1.8p52;
// fdlibm's `log` polynomial (the Float64 double-double logarithm; LossFast's VectorMath).
static const double lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01, lg3 = 2.857142874366239149e-01,
                    lg4 = 2.222219843214978396e-01, lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01,
                    lg7 = 1.479819860511658591e-01;

#define ATTR
#define S(name) name##_baseline
#define DEFINE_PATH_SUFFIX baseline
#include "kernel-body.h"
#undef ATTR
#undef S
#undef DEFINE_PATH_SUFFIX
#if defined(__x86_64__)
#define ATTR __attribute__((target("avx2,fma")))
#define S(name) name##_avx2
#define DEFINE_PATH_SUFFIX avx2
#include "kernel-body.h"
#undef ATTR
#undef S
#undef DEFINE_PATH_SUFFIX
#define ATTR __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")))
#define S(name) name##_avx512
#define DEFINE_PATH_SUFFIX avx512
#include "kernel-body.h"
#undef ATTR
#undef S
#undef DEFINE_PATH_SUFFIX
#endif

// MARK: Selection

/// What the CPU and the operating system support, from CPUID and XGETBV (uncached).
static int probe(int path) {
  if (path == LFK_PATH_BASELINE) return 1;
#if defined(__x86_64__)
  if (path != LFK_PATH_AVX2 && path != LFK_PATH_AVX512) return 0;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
  if (!(osxsave && avx && fma)) return 0;
  unsigned xcr0, xcr0High;
  __asm__ volatile("xgetbv" : "=a"(xcr0), "=d"(xcr0High) : "c"(0));
  (void)xcr0High;
  if ((xcr0 & 0x6) != 0x6) return 0;  // the OS saves the SSE and AVX registers
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  if (!((b >> 5) & 1)) return 0;  // AVX2
  if (path == LFK_PATH_AVX2) return 1;
  // AVX512F (bit 16), DQ (17), BW (30), VL (31); the OS saves the opmask and ZMM registers.
  int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);
  return avx512 && (xcr0 & 0xe6) == 0xe6;
#else
  return 0;
#endif
}

int lfk_path_available(int path) {
  if (path < LFK_PATH_BASELINE || path > LFK_PATH_AVX512) return 0;
  // Bit 3 set: probed; bits 0–2: the paths available. CPUID may trap to a hypervisor (microseconds),
  // so it runs once; concurrent first calls store the same value.
  static int cache = 0;
  int known = __atomic_load_n(&cache, __ATOMIC_RELAXED);
  if (!known) {
    known = 8 | probe(LFK_PATH_BASELINE) | probe(LFK_PATH_AVX2) << 1 | probe(LFK_PATH_AVX512) << 2;
    __atomic_store_n(&cache, known, __ATOMIC_RELAXED);
  }
  return (known >> path) & 1;
}

const char *lfk_isa_setting(void) {
  const char *name = getenv("LOSSFAST_ISA");
  return name ? name : "";
}

int lfk_default_path(void) {
  const char *name = getenv("LOSSFAST_ISA");
  if (name && *name) {
    int path = -1;
    if (strcmp(name, "baseline") == 0) path = LFK_PATH_BASELINE;
    if (strcmp(name, "avx2") == 0) path = LFK_PATH_AVX2;
    if (strcmp(name, "avx512") == 0) path = LFK_PATH_AVX512;
    return path >= 0 && lfk_path_available(path) ? path : -1;
  }
  if (lfk_path_available(LFK_PATH_AVX512)) return LFK_PATH_AVX512;
  if (lfk_path_available(LFK_PATH_AVX2)) return LFK_PATH_AVX2;
  return LFK_PATH_BASELINE;
}

/// Calls `name` of the kernels of `path` (an available path: the callers check) with the
/// arguments that follow.
#if defined(__x86_64__)
#define ON_PATH(path, name, ...)                                      \
  ((path) == LFK_PATH_AVX512 ? name##_avx512(__VA_ARGS__)             \
   : (path) == LFK_PATH_AVX2 ? name##_avx2(__VA_ARGS__) : name##_baseline(__VA_ARGS__))
#else
#define ON_PATH(path, name, ...) name##_baseline(__VA_ARGS__)
#endif

int lfk_short_sum_f32(
  int path, int term, const float *yhat, const float *y, size_t n, double eps, lfk_partials *out) {
  if (term < 0 || term >= LFK_TERM_COUNT || !lfk_path_available(path)) return -1;
  ON_PATH(path, shortSum, term, yhat, y, n, eps, out);
  return 0;
}

int lfk_overlap_sums_f32(
  int path, int kind, const float *yhat, const float *y, size_t n, double beta, double *sums) {
  if (kind < LFK_OVERLAP_DICE || kind > LFK_OVERLAP_TVERSKY_VALUE || !lfk_path_available(path)) return -1;
  ON_PATH(path, overlapSums, kind, yhat, y, n, beta, sums);
  return 0;
}

int lfk_compensated_sum_f64(
  int path, int term, const double *yhat, const double *y, size_t n, double param, lfk_partials *out) {
  if (term < 0 || term >= LFK_TERM_COUNT || !lfk_path_available(path)) return -1;
  ON_PATH(path, compensatedSums, term, yhat, y, n, param, out);
  return 0;
}

int lfk_overlap_sums_f64(
  int path, int kind, const double *yhat, const double *y, size_t n, double beta, double *sums) {
  if (kind < LFK_OVERLAP_DICE || kind > LFK_OVERLAP_TVERSKY_VALUE || !lfk_path_available(path)) return -1;
  ON_PATH(path, overlapSums64, kind, yhat, y, n, beta, sums);
  return 0;
}

int lfk_stream_f32(int path, const float *yhat, const float *y, size_t n, lfk_partials *out) {
  if (!lfk_path_available(path)) return -1;
  ON_PATH(path, stream, yhat, y, n, out);
  return 0;
}

int lfk_stream_f64(int path, const double *yhat, const double *y, size_t n, lfk_partials *out) {
  if (!lfk_path_available(path)) return -1;
  ON_PATH(path, stream64, yhat, y, n, out);
  return 0;
}

int lfk_logit_groups8_f32(
  int path, const float *yhat, const float *y, size_t length, double value[8], double magnitude[8]) {
  if (!lfk_path_available(path) || length > LFK_GROUP_LENGTH_MAX) return -1;
  ON_PATH(path, logitGroups8, yhat, y, length, value, magnitude);
  return 0;
}

int lfk_logit_sum_f32(
  int path, const float *yhat, const float *y, size_t length, size_t blocks, double limit, lfk_partials *out,
  size_t *summed) {
  if (!lfk_path_available(path) || length > LFK_GROUP_LENGTH_MAX) return -1;
  *summed = ON_PATH(path, logitSum8, yhat, y, length, blocks, limit, out);
  return 0;
}

int lfk_logit_groups8_f64(int path, const double *yhat, const double *y, size_t length, double hi[8], double lo[8]) {
  if (!lfk_path_available(path) || length > LFK_GROUP_LENGTH_MAX) return -1;
  ON_PATH(path, logitGroups8d, yhat, y, length, hi, lo);
  return 0;
}

int lfk_elementary_f64(int path, int function, const double *x, double *out, size_t n) {
  if (function < 0 || function > 2 || !lfk_path_available(path)) return -1;
  ON_PATH(path, elementary, function, x, out, n);
  return 0;
}
