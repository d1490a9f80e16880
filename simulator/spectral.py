"""Spectral norms of stacks of matrices: exact, and cheaper where power iteration can prove its answer.

The diagnostics need ||M||_2 = sigma_max(M) for T matrices at once. LAPACK costs the same for
a 64 x 64 matrix whatever we want from it (about 0.15 ms here for the top eigenvalue of the Gram
matrix), so first a few steps of power iteration run on every matrix at once (two batched
matrix-vector products per step) and a matrix is done when its Rayleigh quotient
theta = ||M x||^2 (x a unit vector, so theta <= sigma_max^2) has a small explicit residual:

    ||M^T M x - theta x|| <= TOL * theta   =>   an eigenvalue of M^T M lies within TOL * theta,

which, from a start vector that is not orthogonal to the top singular vector, is sigma_max^2
(the standard ARPACK-style test), or, for matrices of numerical rank one, when
||M||_F^2 <= theta (1 + TOL) (a bound with no assumption at all). With TOL = 1e-10 the norm is
good to 5e-11 relative. Products of many Jacobians usually have a clear gap under their top
singular value and pass in a few steps; a matrix that has not passed (clustered top singular
values, or the full-rank step Jacobians) goes to LAPACK, so no answer rests on a guess.
Lanczos with the same certificate was tried too: on the full-rank 64 x 64 step Jacobians it
needs about 30 steps and lost to LAPACK on this hardware (memory traffic and numpy overheads).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

TOL = 1e-10  # residual accepted on sigma^2 (the norm is then good to TOL / 2 relative)
POWER_STEPS = 12  # power-iteration steps before the rest goes to LAPACK
SEED = 1301  # the default start vectors are fixed, so the same matrices give the same norms


def spectral_norms(M: np.ndarray, start: np.ndarray | None = None, steps: int = POWER_STEPS) -> np.ndarray:
    """Largest singular value of each matrix in a stack (..., m, n); inf where a matrix is not finite.

    start: optional (..., n) guesses of the top right singular vectors (only speed depends on
    them); steps: power-iteration steps tried before LAPACK (0 = LAPACK for all).
    """
    M = np.asarray(M, dtype=np.float64)
    shape = M.shape[:-2]
    m, n = M.shape[-2:]
    if m == 0 or n == 0:
        return np.zeros(shape)
    A = M.reshape((-1, m, n))
    N = A.shape[0]
    out = np.full(N, np.inf)
    with np.errstate(all="ignore"):
        hi, lo = A.max(axis=(1, 2)), A.min(axis=(1, 2))  # NaN and inf show up here too
        finite = np.isfinite(hi) & np.isfinite(lo)
        scale = np.where(finite, np.maximum(hi, -lo), 0.0)  # the largest |entry|
    out[finite & (scale == 0)] = 0.0
    todo = np.flatnonzero(finite & (scale > 0))
    if todo.size == 0:
        return out.reshape(shape)
    # bring every matrix to a largest entry of 1 so that nothing over- or underflows in M^T M;
    # matrices already in a safe range are used as they are (no copy)
    if todo.size == N and np.all((scale > 1e-100) & (scale < 1e100)):
        B, scale = A, np.ones(N)
    else:
        B = A[todo] / scale[todo, None, None]
    if min(m, n) == 1:  # a row or a column: its Euclidean norm
        out[todo] = scale[todo] * np.sqrt(np.einsum("kij,kij->k", B, B))
        return out.reshape(shape)
    sigma = np.full(todo.size, np.nan)
    if steps > 0 and min(m, n) > 2:
        x0 = None if start is None else np.asarray(start, dtype=np.float64).reshape((-1, n))[todo]
        sigma = power_norms(B, x0, steps)
    rest = np.flatnonzero(np.isnan(sigma))
    if rest.size:
        sigma[rest] = exact_norms(B[rest])
    out[todo] = scale[todo] * sigma
    return out.reshape(shape)


def power_norms(B: np.ndarray, x0: np.ndarray | None = None, steps: int = POWER_STEPS) -> np.ndarray:
    """sigma_max of each matrix in B (N, m, n) that passes the certificate within `steps`, else NaN."""
    N, _, n = B.shape
    out = np.full(N, np.nan)
    fro2 = np.einsum("kij,kij->k", B, B)
    x = np.random.default_rng(SEED).standard_normal((N, n))
    if x0 is not None:
        good = np.abs(x0).sum(axis=1) > 0  # keep the random start where the guess is 0 or NaN
        x[good] = x0[good]
    act = np.arange(N)  # matrices still iterating (compacted only when enough have finished)
    live = np.ones(N, dtype=bool)
    Ba = B
    for _ in range(steps):
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        y = np.matmul(Ba, x[..., None])  # (N, m, 1): M x
        theta = np.einsum("kij,kij->k", y, y)  # ||M x||^2 = x^T G x <= sigma_max^2
        g = np.matmul(y.transpose(0, 2, 1), Ba)[:, 0]  # G x = M^T M x
        res = np.linalg.norm(g - theta[:, None] * x, axis=1)
        ok = live & (theta > 0) & ((res <= TOL * theta) | (fro2[act] <= theta * (1.0 + TOL)))
        if ok.any():
            out[act[ok]] = np.sqrt(theta[ok])
            live &= ~ok
            if not live.any():
                break
            if live.sum() < 0.6 * live.size:  # copying the stack pays off only when it shrinks a lot
                act, Ba, g, live = act[live], Ba[live], g[live], live[live]
        x = g
        dead = ~(np.abs(x).sum(axis=1) > 0)  # M x = 0: x was in the null space
        if dead.any():
            x[dead] = np.random.default_rng(SEED + 1).standard_normal((int(dead.sum()), n))
    return out


def exact_norms(B: np.ndarray) -> np.ndarray:
    """LAPACK: sqrt of the largest eigenvalue of the smaller Gram matrix (exact to rounding).

    A large stack is split in two and one half runs on a second thread (LAPACK releases the GIL;
    each matrix is computed alone, so the result is the same bit for bit).
    """
    N = B.shape[0]
    if N == 0:
        return np.zeros(0)
    if N >= PARALLEL_FROM and (os.cpu_count() or 1) > 1:
        half = N // 2
        other = _pool().submit(_exact, B[half:])
        return np.concatenate([_exact(B[:half]), other.result()])
    return _exact(B)


def _exact(B: np.ndarray) -> np.ndarray:
    m, n = B.shape[-2:]
    G = np.matmul(B, B.transpose(0, 2, 1)) if m <= n else np.matmul(B.transpose(0, 2, 1), B)
    return np.sqrt(np.maximum(np.linalg.eigvalsh(G)[:, -1], 0.0))


PARALLEL_FROM = 32  # matrices in a stack before the second thread is worth starting
_POOL: list = []
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """One worker thread, made on first use."""
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="spectral"))
        return _POOL[0]
