"""Spectral norms of stacks of matrices: exact, and cheaper where power iteration can prove its answer.

The diagnostics need ||M||_2 = sigma_max(M) for T matrices at once. LAPACK costs the same for
a 64 x 64 matrix whatever we want from it (about 0.11 ms here for the top eigenvalue of the Gram
matrix), so first a few steps of block power iteration (BLOCK vectors per matrix, with
Rayleigh-Ritz on M^T M) run on every matrix at once, and a matrix is done when its top Ritz
value theta (theta <= sigma_max^2: a Rayleigh quotient of a unit vector x) has a small explicit
residual:

    ||M^T M x - theta x|| <= TOL * theta   =>   an eigenvalue of M^T M lies within TOL * theta,

which, from a start subspace that is not orthogonal to the top singular vector, is sigma_max^2
(the standard ARPACK-style test), or, for matrices of numerical rank one, when
||M||_F^2 <= theta (1 + TOL) (a bound with no assumption at all). With TOL = 1e-10 the norm is
good to 5e-11 relative. A block rather than one vector, because a product of Jacobians whose
top eigenvalues are a complex pair has two nearly equal top singular values and rotates its
top direction from step to step: one vector never settles there, a block holds the whole
plane. A matrix that has not passed (clustered top singular values, or the full-rank step
Jacobians) goes to LAPACK, so no answer rests on a guess.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

TOL = 1e-10  # residual accepted on sigma^2 (the norm is then good to TOL / 2 relative)
POWER_STEPS = 12  # power-iteration steps before the rest goes to LAPACK
BLOCK = 4  # vectors per matrix in the block power iteration
SAFE_SCALE = (1e-100, 1e100)  # largest |entry| within which M^T M neither over- nor underflows: no rescaling
SEED = 1301  # the default start vectors are fixed, so the same matrices give the same norms


def spectral_norms(
    M: np.ndarray,
    start: np.ndarray | None = None,
    steps: int = POWER_STEPS,
    left: np.ndarray | None = None,
) -> np.ndarray:
    """Largest singular value of each matrix in a stack (..., m, n); inf where a matrix is not finite.

    start: optional (..., n) or (..., n, BLOCK) guesses of the top right singular vectors (only
    speed depends on them); steps: power-iteration steps tried before LAPACK (0 = LAPACK for all).
    left: optional (..., m, BLOCK) array that receives, where power iteration certified the norm,
    an orthonormal basis of the top left singular subspace, its first column the top left
    singular vector (a good start for the next, longer product); NaN elsewhere.
    """
    M = np.asarray(M, dtype=np.float64)
    shape = M.shape[:-2]
    m, n = M.shape[-2:]
    if left is not None:
        left[...] = np.nan
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
    if todo.size == N and np.all((scale > SAFE_SCALE[0]) & (scale < SAFE_SCALE[1])):
        B, scale = A, np.ones(N)
    else:
        B = A[todo] / scale[todo, None, None]
    if min(m, n) == 1:  # a row or a column: its Euclidean norm
        out[todo] = scale[todo] * np.sqrt(np.einsum("kij,kij->k", B, B))
        return out.reshape(shape)
    sigma = np.full(todo.size, np.nan)
    if steps > 0 and min(m, n) > 2:
        x0 = None
        if start is not None:
            x0 = np.asarray(start, dtype=np.float64)
            x0 = x0.reshape((N, n, *x0.shape[len(shape) + 1 :]))[todo]
        sigma, vectors = power_norms(B, x0, steps)
        if left is not None:
            left.reshape((N, m, -1))[todo] = vectors
    rest = np.flatnonzero(np.isnan(sigma))
    if rest.size:
        sigma[rest] = exact_norms(B[rest])
    out[todo] = scale[todo] * sigma
    return out.reshape(shape)


def plain(M: np.ndarray) -> bool:
    """Whether spectral_norms(M, steps=0) takes this stack (..., m, n) as it is: every entry finite,
    every matrix's largest |entry| within 1e-100 .. 1e100 (no rescaling), and m, n >= 2. Then
    exact_norms(M) gives the same numbers, bit for bit, in two numpy calls that run without the GIL
    (a pool thread's time then goes to LAPACK, not to waiting for the GIL between small calls)."""
    m, n = M.shape[-2:]
    if min(m, n) < 2 or M.size == 0:
        return False
    with np.errstate(all="ignore"):
        hi, lo = M.max(axis=(-2, -1)), M.min(axis=(-2, -1))
        scale = np.maximum(hi, -lo)
        safe = (scale > SAFE_SCALE[0]) & (scale < SAFE_SCALE[1])
        return bool(np.isfinite(hi).all() and np.isfinite(lo).all() and safe.all())


def power_norms(
    B: np.ndarray, x0: np.ndarray | None = None, steps: int = POWER_STEPS, block: int = BLOCK
) -> tuple[np.ndarray, np.ndarray]:
    """sigma_max of each matrix in B (N, m, n) that passes the certificate within `steps`, else NaN;
    and (N, m, block) an orthonormal basis of the top left singular subspace of those that
    passed (its first column the top left singular vector; NaN for the others).

    Block power iteration (subspace iteration) with Rayleigh-Ritz on M^T M: `block` vectors per
    matrix, so that two or three nearly equal top singular values (a product of Jacobians whose
    top eigenvalues are a complex pair rotates its top direction from step to step, and plain
    power iteration then never settles) cost no more steps than a clear gap. The certificate
    is the residual of the top Ritz pair, as in the module docstring.
    x0: optional (N, n) or (N, n, block) start vectors.
    """
    N, m, n = B.shape
    k = max(1, min(block, n))
    out = np.full(N, np.nan)
    vectors = np.full((N, m, k), np.nan)
    flat = B.reshape(N, 1, m * n) if B.flags.c_contiguous else B.reshape(N, 1, m * n).copy()
    fro2 = np.matmul(flat, flat.transpose(0, 2, 1))[:, 0, 0]  # ||M||_F^2 (a batched dot: fast)
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((N, n, k))
    if x0 is not None:
        x0 = np.asarray(x0, dtype=np.float64)
        x0 = x0[..., None] if x0.ndim == 2 else x0
        j = min(k, x0.shape[2])
        X[:, :, :j] = np.where(np.isfinite(x0[:, :, :j]), x0[:, :, :j], X[:, :, :j])
    act = np.arange(N)  # matrices still iterating (compacted only when enough have finished)
    live = np.ones(N, dtype=bool)
    Ba = B
    for _ in range(steps):
        X = np.linalg.qr(X)[0]  # orthonormal columns (Householder: also when X is rank deficient)
        Y = np.matmul(Ba, X)  # (N, m, k): M X
        w, S = np.linalg.eigh(np.matmul(Y.transpose(0, 2, 1), Y))  # Ritz values of M^T M on span X
        Z = np.matmul(Ba.transpose(0, 2, 1), Y)  # (N, n, k): M^T M X
        s1 = S[:, :, -1:]  # the top Ritz vector's coefficients
        theta = w[:, -1]  # <= sigma_max^2 (a Rayleigh quotient of the unit vector X s1)
        res = np.linalg.norm((np.matmul(Z, s1) - theta[:, None, None] * np.matmul(X, s1))[:, :, 0], axis=1)
        ok = live & (theta > 0) & ((res <= TOL * theta) | (fro2[act] <= theta * (1.0 + TOL)))
        if ok.any():
            out[act[ok]] = np.sqrt(theta[ok])
            vectors[act[ok]] = np.linalg.qr(np.matmul(Y[ok], S[ok, :, ::-1]))[0]  # M X s: left Ritz vectors
            live &= ~ok
            if not live.any():
                break
            if live.sum() < 0.6 * live.size:  # copying the stack pays off only when it shrinks a lot
                act, Ba, Z, live = act[live], Ba[live], Z[live], live[live]
        X = Z
    return out, vectors


def exact_norms(B: np.ndarray) -> np.ndarray:
    """LAPACK: sqrt of the largest eigenvalue of the smaller Gram matrix (exact to rounding).

    A large stack is split in two and one half runs on a second thread (LAPACK releases the GIL;
    each matrix is computed alone, so the result is the same bit for bit).
    """
    N = B.shape[0]
    if N == 0:
        return np.zeros(0)
    if N >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 and not on_pool():  # it must not wait for itself
        half = N // 2
        other = pool().submit(_exact, B[half:])
        return np.concatenate([_exact(B[:half]), other.result()])
    return _exact(B)


def _exact(B: np.ndarray) -> np.ndarray:
    m, n = B.shape[-2:]
    G = np.matmul(B, B.transpose(0, 2, 1)) if m <= n else np.matmul(B.transpose(0, 2, 1), B)
    return np.sqrt(np.maximum(np.linalg.eigvalsh(G)[:, -1], 0.0))


POOL_NAME = "unrolled-spectral"
PARALLEL_FROM = 32  # matrices in a stack before the second thread is worth starting
_POOL: list = []
_POOL_LOCK = threading.Lock()


def on_pool() -> bool:
    """Whether this code runs on the pool thread (which must never wait for the pool)."""
    return threading.current_thread().name.startswith(POOL_NAME)


def pool() -> ThreadPoolExecutor:
    """One worker thread, made on first use."""
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix=POOL_NAME))
        return _POOL[0]
