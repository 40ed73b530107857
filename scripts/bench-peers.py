#!/usr/bin/env python3
"""The peers of `losscheck bench`: the fourteen losses as users write them in numpy, JAX (jit,
CPU) and PyTorch (CPU, eager and torch.compile), timed the way LossFast's harness times them.

Same inputs as the Swift benchmarks: ŷ uniform in (0.001, 0.999), y soft labels in [0, 1) with
30% zeros; the class-reducing losses see a batch of n/10 samples × 10 classes (Flux's 10 × n/10
column-major matrix, `dims = 1`), `agg = mean`. Each case: warm-up calls, then `--repetitions`
samples of a batch of calls lasting at least 2 ms; the median, min and max per call.

A peer that is not installed is skipped with the reason printed. Output: one line per case,
    peer  loss  dtype  n  median_s  min_s  max_s  Gelem/s
"""

import argparse
import os
import sys
import time

EPS = {"float32": 2.0**-23, "float64": 2.0**-52, "float16": 2.0**-10, "bfloat16": 2.0**-7}


def storage(dtype, np):
    """The numpy dtype of `dtype` (bfloat16: ml_dtypes', which JAX installs)."""
    if dtype == "bfloat16":
        import ml_dtypes

        return ml_dtypes.bfloat16
    return np.dtype(dtype)


def inputs(n, dtype, np):
    rng = np.random.default_rng(0x5EED)
    yhat = (0.001 + 0.998 * rng.random(n)).astype(storage(dtype, np))
    b = rng.random(n)
    y = np.where(b < 0.3, 0.0, b).astype(storage(dtype, np))
    return yhat, y


def losses_numpy(np, dtype):
    eps = storage(dtype, np).type(EPS[dtype]) if dtype != "bfloat16" else storage(dtype, np)(EPS[dtype])
    one = storage(dtype, np).type(1) if dtype != "bfloat16" else storage(dtype, np)(1)

    def classes(a):
        return a.reshape(-1, 10)

    def xlogy(x, p):
        return np.where(x == 0, 0, x * np.log(p))

    def logsoftmax(x):
        m = x.max(axis=1, keepdims=True)
        s = x - m
        return s - np.log(np.exp(s).sum(axis=1, keepdims=True))

    def crossentropy(yh, y):
        return np.mean(-np.sum(xlogy(classes(y), classes(yh) + eps), axis=1))

    return {
        "mae": lambda yh, y: np.mean(np.abs(yh - y)),
        "mse": lambda yh, y: np.mean((yh - y) ** 2),
        "msle": lambda yh, y: np.mean(np.log((yh + eps) / (y + eps)) ** 2),
        "huber_loss": lambda yh, y: np.mean(
            np.where(np.abs(yh - y) < one, 0.5 * (yh - y) ** 2, one * (np.abs(yh - y) - 0.5 * one))
        ),
        "crossentropy": crossentropy,
        "logitcrossentropy": lambda yh, y: np.mean(-np.sum(classes(y) * logsoftmax(classes(yh)), axis=1)),
        "binarycrossentropy": lambda yh, y: np.mean(-xlogy(y, yh + eps) - xlogy(one - y, one - yh + eps)),
        "logitbinarycrossentropy": lambda yh, y: np.mean((one - y) * yh + np.logaddexp(0, -yh)),
        "kldivergence": lambda yh, y: np.mean(np.sum(xlogy(classes(y), classes(y)), axis=1)) + crossentropy(yh, y),
        "poisson_loss": lambda yh, y: np.mean(yh - xlogy(y, yh)),
        "hinge": lambda yh, y: np.mean(np.maximum(0, one - yh * y)),
        "squared_hinge": lambda yh, y: np.mean(np.maximum(0, one - yh * y) ** 2),
        "dice_coeff_loss": lambda yh, y: one - (2 * np.sum(y * yh) + one) / (np.sum(y**2) + np.sum(yh**2) + one),
        "tversky_loss": lambda yh, y: one
        - (np.sum(y * yh) + one)
        / (np.sum(y * yh + 0.7 * (one - y) * yh + 0.3 * y * (one - yh)) + one),
    }


def losses_jax(jax, jnp, dtype):
    eps = EPS[dtype]

    def classes(a):
        return a.reshape(-1, 10)

    def xlogy(x, p):
        return jax.scipy.special.xlogy(x, p)

    def crossentropy(yh, y):
        return jnp.mean(-jnp.sum(xlogy(classes(y), classes(yh) + eps), axis=1))

    fns = {
        "mae": lambda yh, y: jnp.mean(jnp.abs(yh - y)),
        "mse": lambda yh, y: jnp.mean((yh - y) ** 2),
        "msle": lambda yh, y: jnp.mean(jnp.log((yh + eps) / (y + eps)) ** 2),
        "huber_loss": lambda yh, y: jnp.mean(
            jnp.where(jnp.abs(yh - y) < 1, 0.5 * (yh - y) ** 2, jnp.abs(yh - y) - 0.5)
        ),
        "crossentropy": crossentropy,
        "logitcrossentropy": lambda yh, y: jnp.mean(
            -jnp.sum(classes(y) * jax.nn.log_softmax(classes(yh), axis=1), axis=1)
        ),
        "binarycrossentropy": lambda yh, y: jnp.mean(-xlogy(y, yh + eps) - xlogy(1 - y, 1 - yh + eps)),
        "logitbinarycrossentropy": lambda yh, y: jnp.mean((1 - y) * yh - jax.nn.log_sigmoid(yh)),
        "kldivergence": lambda yh, y: jnp.mean(jnp.sum(xlogy(classes(y), classes(y)), axis=1))
        + crossentropy(yh, y),
        "poisson_loss": lambda yh, y: jnp.mean(yh - xlogy(y, yh)),
        "hinge": lambda yh, y: jnp.mean(jnp.maximum(0, 1 - yh * y)),
        "squared_hinge": lambda yh, y: jnp.mean(jnp.maximum(0, 1 - yh * y) ** 2),
        "dice_coeff_loss": lambda yh, y: 1 - (2 * jnp.sum(y * yh) + 1) / (jnp.sum(y**2) + jnp.sum(yh**2) + 1),
        "tversky_loss": lambda yh, y: 1
        - (jnp.sum(y * yh) + 1) / (jnp.sum(y * yh + 0.7 * (1 - y) * yh + 0.3 * y * (1 - yh)) + 1),
    }
    return {k: jax.jit(f) for k, f in fns.items()}


def losses_torch(torch, dtype, compiled):
    eps = EPS[dtype]

    def classes(a):
        return a.reshape(-1, 10)

    def crossentropy(yh, y):
        return torch.mean(-torch.sum(torch.xlogy(classes(y), classes(yh) + eps), dim=1))

    fns = {
        "mae": lambda yh, y: torch.mean(torch.abs(yh - y)),
        "mse": lambda yh, y: torch.mean((yh - y) ** 2),
        "msle": lambda yh, y: torch.mean(torch.log((yh + eps) / (y + eps)) ** 2),
        "huber_loss": lambda yh, y: torch.nn.functional.huber_loss(yh, y, delta=1.0),
        "crossentropy": crossentropy,
        "logitcrossentropy": lambda yh, y: torch.mean(
            -torch.sum(classes(y) * torch.log_softmax(classes(yh), dim=1), dim=1)
        ),
        "binarycrossentropy": lambda yh, y: torch.mean(
            -torch.xlogy(y, yh + eps) - torch.xlogy(1 - y, 1 - yh + eps)
        ),
        "logitbinarycrossentropy": lambda yh, y: torch.nn.functional.binary_cross_entropy_with_logits(yh, y),
        "kldivergence": lambda yh, y: torch.mean(torch.sum(torch.xlogy(classes(y), classes(y)), dim=1))
        + crossentropy(yh, y),
        "poisson_loss": lambda yh, y: torch.mean(yh - torch.xlogy(y, yh)),
        "hinge": lambda yh, y: torch.mean(torch.clamp(1 - yh * y, min=0)),
        "squared_hinge": lambda yh, y: torch.mean(torch.clamp(1 - yh * y, min=0) ** 2),
        "dice_coeff_loss": lambda yh, y: 1
        - (2 * torch.sum(y * yh) + 1) / (torch.sum(y**2) + torch.sum(yh**2) + 1),
        "tversky_loss": lambda yh, y: 1
        - (torch.sum(y * yh) + 1) / (torch.sum(y * yh + 0.7 * (1 - y) * yh + 0.3 * y * (1 - yh)) + 1),
    }
    if compiled:
        return {k: torch.compile(f, dynamic=False) for k, f in fns.items()}
    return fns


def measure(call, repetitions):
    for _ in range(3):
        call()
    batch = 1
    while True:
        start = time.perf_counter()
        for _ in range(batch):
            call()
        if time.perf_counter() - start >= 0.002 or batch >= 1 << 20:
            break
        batch *= 2
    samples = []
    for _ in range(repetitions):
        start = time.perf_counter()
        for _ in range(batch):
            call()
        samples.append((time.perf_counter() - start) / batch)
    samples.sort()
    return samples[len(samples) // 2], samples[0], samples[-1]


def report(peer, loss, dtype, n, result):
    median, lo, hi = result
    print(f"{peer:14s} {loss:24s} {dtype:8s} {n:>9d} {median:.4e} {lo:.4e} {hi:.4e} {n / median / 1e9:7.3f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,100000,10000000")
    parser.add_argument("--dtypes", default="float32,float64", help="float32, float64, float16, bfloat16")
    parser.add_argument("--repetitions", type=int, default=15)
    parser.add_argument("--peers", default="numpy,jax,torch,torch.compile")
    parser.add_argument("--losses", default="")
    parser.add_argument(
        "--compile-cases",
        default="float32:100000,float32:10000000",
        help="dtype:n pairs for torch.compile (each loss compiles once per case: tens of seconds)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    dtypes = args.dtypes.split(",")
    peers = args.peers.split(",")
    threads = int(os.environ.get("LOSSFAST_THREADS", os.cpu_count() or 1))

    import numpy as np

    print(f"# numpy {np.__version__}; threads {threads}; python {sys.version.split()[0]}", flush=True)
    available = {"numpy": True}
    try:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_platforms", "cpu")
        print(f"# jax {jax.__version__} (jit, CPU)", flush=True)
        available["jax"] = True
    except Exception as error:  # noqa: BLE001
        print(f"# jax skipped: {error}", flush=True)
    try:
        import torch

        torch.set_num_threads(threads)
        print(f"# torch {torch.__version__} (CPU, {torch.get_num_threads()} threads)", flush=True)
        available["torch"] = True
        available["torch.compile"] = True
    except Exception as error:  # noqa: BLE001
        print(f"# torch skipped: {error}", flush=True)

    print("# peer           loss                     dtype            n  median_s   min_s      max_s      Gelem/s")
    for dtype in dtypes:
        for n in sizes:
            yhat, y = inputs(n, dtype, np)
            for peer in peers:
                if not available.get(peer):
                    continue
                if peer == "torch.compile" and f"{dtype}:{n}" not in args.compile_cases.split(","):
                    continue
                try:
                    if peer == "numpy":
                        table = losses_numpy(np, dtype)
                        args_ = (yhat, y)

                        def call(f, a=args_):
                            return f(*a)

                    elif peer == "jax":
                        table = losses_jax(jax, jnp, dtype)
                        args_ = (jnp.asarray(yhat), jnp.asarray(y))

                        def call(f, a=args_):
                            return f(*a).block_until_ready()

                    else:
                        table = losses_torch(torch, dtype, compiled=(peer == "torch.compile"))
                        if dtype in ("float16", "bfloat16"):
                            # bfloat16 is not a numpy dtype torch reads: through float32 (exact).
                            half = torch.float16 if dtype == "float16" else torch.bfloat16
                            args_ = tuple(torch.from_numpy(a.astype(np.float32)).to(half) for a in (yhat, y))
                        else:
                            args_ = (torch.from_numpy(yhat), torch.from_numpy(y))

                        def call(f, a=args_):
                            with torch.no_grad():
                                return f(*a)

                except Exception as error:  # noqa: BLE001
                    print(f"# {peer} {dtype} n={n} skipped: {error}", flush=True)
                    continue
                for loss, f in table.items():
                    if args.losses and loss not in args.losses.split(","):
                        continue
                    try:
                        report(peer, loss, dtype, n, measure(lambda: call(f), args.repetitions))
                    except Exception as error:  # noqa: BLE001
                        print(f"# {peer} {loss} {dtype} n={n} failed: {str(error).splitlines()[0]}", flush=True)


if __name__ == "__main__":
    main()
