#!/usr/bin/env python3
"""Fits the polynomials of LossFast's ShortMath (Sources/LossFast/ShortMath.swift) and prints them.

log(1 + f) = f - f^2/2 + f^3 P(f) on sqrt(1/2) - 1 <= f < sqrt(2) - 1, P of degree 9;
e^r = 1 + r + r^2/2 + r^3 Q(r) on |r| <= ln 2 / 2, Q of degree 4.
Both minimise the maximum *relative* error of the whole function (Lawson's iteratively
reweighted least squares on 6000 Chebyshev nodes; reference values from mpmath at 150 bits).
Needs numpy and mpmath. Prints the coefficients as hexadecimal Double literals and the achieved
maximum relative error on the nodes (log: about 2^-32.78, exp: about 2^-33.29).
"""
import mpmath as mp
import numpy as np

mp.mp.prec = 150
NODES = 6000


def lawson(target, basis, weight, iterations=60):
    """Coefficients c minimising max |weight * (basis @ c - target)|."""
    a = basis * weight[:, None]
    b = target * weight
    w = np.ones(len(b)) / len(b)
    for _ in range(iterations):
        sw = np.sqrt(w)
        c, *_ = np.linalg.lstsq(a * sw[:, None], b * sw, rcond=None)
        e = np.abs(a @ c - b)
        w = w * e
        w /= w.sum()
    return c, np.abs(a @ c - b).max()


def chebyshev_nodes(lo, hi):
    x = np.cos(np.pi * (np.arange(NODES) + 0.5) / NODES) * (hi - lo) / 2 + (lo + hi) / 2
    return x[np.abs(x) > 1e-6]


def fit(name, xs, function, linear_part, degree):
    exact = np.array([float(function(mp.mpf(x))) for x in xs])
    tail = np.array([float((function(mp.mpf(x)) - linear_part(mp.mpf(x))) / mp.mpf(x) ** 3) for x in xs])
    basis = np.stack([xs**i for i in range(degree + 1)], 1)
    c, err = lawson(tail, basis, xs**3 / exact)
    print(f"{name}: degree {degree}, max relative error 2^{np.log2(err):.2f}")
    for i, v in enumerate(c):
        print(f"  c{i} = {float(v).hex()}")


fit("log1p, P", chebyshev_nodes(float(mp.sqrt(0.5) - 1), float(mp.sqrt(2) - 1)), mp.log1p,
    lambda f: f - f**2 / 2, 9)
half = float(mp.log(2) / 2) * 1.0001
fit("exp, Q", chebyshev_nodes(-half, half), mp.exp, lambda r: 1 + r + r**2 / 2, 4)
