#!/usr/bin/env python3
"""Value-and-gradient peers of the `grad <loss> f32` benchmarks: PyTorch autograd (CPU, eager:
forward, then `backward()` into ŷ's `.grad`) and JAX (`jax.jit(jax.value_and_grad(loss))`, CPU),
for mse, logitcrossentropy and binarycrossentropy, Float32, n = 1e3, 1e5, 1e7, agg = mean.

Same inputs as the Swift benchmarks: ŷ uniform in (0.001, 0.999), y soft labels in [0, 1) with
30% zeros; logitcrossentropy sees n/10 samples × 10 classes (Flux's 10 × n/10 column-major
matrix, `dims = 1`). Each case: warm-up calls (JAX: compiled first), then `--repetitions`
samples of a batch of calls lasting at least 2 ms; the median, min and max per call. The result
is forced each call (torch: the backward pass is synchronous; JAX: `block_until_ready`).

A peer that is not installed is skipped with the reason printed. Output: one line per case,
    peer  loss  dtype  n  median_s  min_s  max_s
Threads: torch's `--threads` (default 2, like LOSSFAST_THREADS=2 in Benchmarks/README.md); JAX
uses XLA's CPU defaults (set XLA_FLAGS before running to change them).
"""

import argparse
import sys
import time

EPS32 = 2.0**-23
LOSSES = ["mse", "logitcrossentropy", "binarycrossentropy"]


def inputs(n, np):
    rng = np.random.default_rng(0x5EED)
    yhat = (0.001 + 0.998 * rng.random(n)).astype("float32")
    b = rng.random(n)
    y = np.where(b < 0.3, 0.0, b).astype("float32")
    return yhat, y


def timed(call, repetitions):
    """Median, min, max seconds per call: batches of calls of at least 2 ms each."""
    for _ in range(3):
        call()
    start = time.perf_counter()
    call()
    once = max(time.perf_counter() - start, 1e-7)
    batch = max(1, int(0.002 / once))
    samples = []
    for _ in range(repetitions):
        start = time.perf_counter()
        for _ in range(batch):
            call()
        samples.append((time.perf_counter() - start) / batch)
    samples.sort()
    return samples[len(samples) // 2], samples[0], samples[-1]


def torch_cases(np, repetitions, sizes, threads):
    try:
        import torch
    except ImportError as e:
        print(f"# torch skipped: {e}", file=sys.stderr)
        return
    torch.set_num_threads(threads)

    def loss_fn(name):
        eps = torch.tensor(EPS32, dtype=torch.float32)
        if name == "mse":
            return lambda yh, y: torch.mean((yh - y) ** 2)
        if name == "logitcrossentropy":
            return lambda yh, y: torch.mean(
                -torch.sum(y.reshape(-1, 10) * torch.log_softmax(yh.reshape(-1, 10), dim=1), dim=1)
            )
        # binarycrossentropy with xlogy, as Flux writes it
        return lambda yh, y: torch.mean(-torch.xlogy(y, yh + eps) - torch.xlogy(1 - y, 1 - yh + eps))

    for name in LOSSES:
        f = loss_fn(name)
        for n in sizes:
            a, b = inputs(n, np)
            yh = torch.from_numpy(a).requires_grad_(True)
            y = torch.from_numpy(b)

            def call():
                yh.grad = None
                value = f(yh, y)
                value.backward()
                return value.item()

            med, lo, hi = timed(call, repetitions)
            print(f"torch-autograd {name} float32 {n} {med:.6e} {lo:.6e} {hi:.6e}", flush=True)


def jax_cases(np, repetitions, sizes):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError as e:
        print(f"# jax skipped: {e}", file=sys.stderr)
        return
    eps = jnp.float32(EPS32)

    def xlogy(x, p):
        return jnp.where(x == 0, 0, x * jnp.log(jnp.where(x == 0, 1, p)))

    def loss_fn(name):
        if name == "mse":
            return lambda yh, y: jnp.mean((yh - y) ** 2)
        if name == "logitcrossentropy":
            return lambda yh, y: jnp.mean(
                -jnp.sum(y.reshape(-1, 10) * jax.nn.log_softmax(yh.reshape(-1, 10), axis=1), axis=1)
            )
        return lambda yh, y: jnp.mean(-xlogy(y, yh + eps) - xlogy(1 - y, 1 - yh + eps))

    for name in LOSSES:
        vg = jax.jit(jax.value_and_grad(loss_fn(name)))
        for n in sizes:
            a, b = inputs(n, np)
            yh = jnp.asarray(a)
            y = jnp.asarray(b)

            def call():
                value, grad = vg(yh, y)
                grad.block_until_ready()
                return value

            med, lo, hi = timed(call, repetitions)
            print(f"jax-jit-value_and_grad {name} float32 {n} {med:.6e} {lo:.6e} {hi:.6e}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repetitions", type=int, default=11)
    parser.add_argument("--sizes", default="1000,100000,10000000")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    try:
        import numpy as np
    except ImportError as e:
        print(f"# all peers skipped: numpy is not installed ({e})", file=sys.stderr)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    print("# peer loss dtype n median_s min_s max_s")
    torch_cases(np, args.repetitions, sizes, args.threads)
    jax_cases(np, args.repetitions, sizes)


if __name__ == "__main__":
    main()
