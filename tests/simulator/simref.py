"""Trusted references for the engine tests: finite differences and plain forward loops.

Everything here is written independently of the engine's backward pass: it only runs forward
computations (the cells' forward steps and the readout) and differentiates them numerically.
"""

from __future__ import annotations

import numpy as np

from simulator import Network
from simulator.engine import forward, loss_and_grad

# ---- networks and data ---------------------------------------------------------------------


def make_net(
    cell: str,
    variant: str = "vanilla",
    activation: str = "tanh",
    layers: int = 1,
    inputs: int = 2,
    hidden: int = 3,
    outputs: int = 2,
    seed: int = 0,
    leak: float = 1.0,
    scale: float = 1.5,
) -> Network:
    """A tiny network with PyTorch-style uniform weights, scaled up to exercise the nonlinearity."""
    net = Network.create(cell, inputs, hidden, outputs, layers, activation, variant, "uniform", seed, leak=leak)
    return net.with_params({k: v * scale for k, v in net.params.items()})


def make_data(net: Network, T: int = 5, B: int = 2, loss: str = "mse", seed: int = 0, one_to_many=False):
    """Standard-normal inputs and matching targets (values for mse, class indices for cross_entropy)."""
    rng = np.random.default_rng([seed, 7])
    x = rng.standard_normal((T, B, net.inputs))
    if one_to_many:
        x[1:] = 0.0  # one_to_many: the input is given at t = 0 only
    if loss == "mse":
        targets = rng.standard_normal((T, B, net.outputs))
    else:
        targets = rng.integers(0, net.outputs, (T, B))
    return x, targets


# ---- numerical differentiation -------------------------------------------------------------


def _stencil(f0, f1, f2, f3, h):
    """Fourth-order central difference from f(x+h), f(x-h), f(x+2h), f(x-2h)."""
    return (8.0 * (f0 - f1) - (f2 - f3)) / (12.0 * h)


STEPS = (1.0, -1.0, 2.0, -2.0)


def numerical_gradient(f, params: dict[str, np.ndarray], h: float = 1e-3) -> dict[str, np.ndarray]:
    """d f / d params by fourth-order central differences (error ~ h^4 |f^(5)| + eps |f| / h ~ 1e-13)."""
    grads = {}
    for name, value in params.items():
        g = np.zeros_like(value)
        p = dict(params)
        for idx in np.ndindex(value.shape):
            vals = []
            for s in STEPS:
                v = value.copy()
                v[idx] += s * h
                p[name] = v
                vals.append(f(p))
            g[idx] = _stencil(*vals, h)
        grads[name] = g
    return grads


def numerical_derivative(f, x: np.ndarray, h: float = 1e-3) -> np.ndarray:
    """Jacobian d f(x) / d x of a vector function, (out, in), fourth-order central differences."""
    x = np.asarray(x, dtype=float)
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e.flat[j] = h
        vals = [np.ravel(f(x + s * e)) for s in STEPS]
        cols.append(_stencil(*vals, h))
    return np.stack(cols, axis=-1)


def rel_err(got, want) -> float:
    """||got - want|| / max(||got||, ||want||) (0 when both are 0)."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    scale = max(np.linalg.norm(got), np.linalg.norm(want))
    return 0.0 if scale == 0 else float(np.linalg.norm(got - want) / scale)


def assert_grads_close(got: dict, want: dict, rtol: float = 1e-6, atol: float = 1e-10) -> None:
    """Every array agrees to rtol relative to its norm (atol only for arrays that are ~0)."""
    assert set(got) == set(want), (sorted(got), sorted(want))
    bad = []
    for k in want:
        g, w = np.asarray(got[k]), np.asarray(want[k])
        assert g.shape == w.shape, (k, g.shape, w.shape)
        err = np.linalg.norm(g - w)
        scale = max(np.linalg.norm(g), np.linalg.norm(w))
        if not err <= rtol * scale + atol:
            bad.append(f"{k}: |diff| = {err:.3g}, |grad| = {scale:.3g}, rel = {err / max(scale, 1e-300):.3g}")
    assert not bad, "\n".join(bad)


# ---- plain forward computations ------------------------------------------------------------


def total_loss(net: Network, params, x, targets, loss="mse", score="all", dropout=0.0, seed=None) -> float:
    """The engine's forward pass and loss only (what simulate() differentiates)."""
    n = net.with_params(params)
    _, _, _, Y = forward(n, x, None, None, dropout, np.random.default_rng(seed))
    return loss_and_grad(Y, targets, loss, score)[0]


def layer_xp(net: Network, params, k: int, layer_in: np.ndarray) -> np.ndarray:
    """Input projection of layer k, written out from the cell equations (GRU keeps b_hn apart)."""
    H = net.hidden
    xp = layer_in @ params[f"weight_ih_l{k}"].T + params[f"bias_ih_l{k}"]
    b_hh = params[f"bias_hh_l{k}"]
    if net.cell == "gru":
        xp[..., : 2 * H] += b_hh[: 2 * H]
    else:
        xp = xp + b_hh
    return xp


def fgr_q(cache, s: int, H: int) -> np.ndarray | None:
    """FGR's recurrent gates (i, f, o) at step s - 1 from a cache (None = zeros before t = 0)."""
    if s == 0:
        return None
    g = cache["gates"][s - 1]
    return np.concatenate([g[:, : 2 * H], g[:, 3 * H :]], axis=-1)


def run_window(net: Network, params, x, caches, masks, start: int, stop: int, bump=None):
    """Top-layer h over steps start..stop-1, from the frozen states at start-1 in `caches`.

    bump = (layer, kind, delta): add delta to the initial h ('h') or c ('c') of that layer at
    step start-1 (used to differentiate with respect to a state).
    """
    n = net.with_params(params)
    H = net.hidden
    layer_in = x[start:stop]
    for k, cell in enumerate(n.cells()):
        if masks[k] is not None:
            layer_in = layer_in * masks[k][start:stop]
        xp = layer_xp(n, params, k, layer_in)
        h0 = caches[k]["h"][start].copy()
        c0 = caches[k]["c"][start].copy() if "c" in caches[k] else np.zeros_like(h0)
        if bump is not None and bump[0] == k:
            (h0 if bump[1] == "h" else c0)[...] += bump[2]
        if net.cell == "lstm":
            cache = cell.forward(xp, h0, c0, q0=fgr_q(caches[k], start, H) if net.variant == "fgr" else None)
        else:
            cache = cell.forward(xp, h0, c0)
        layer_in = cache["h"][1:]
    return layer_in


def readout(params, h):
    """The linear readout y = W h + b."""
    return h @ params["readout.weight"].T + params["readout.bias"]


def truncated_surrogate(net, params, params0, x, targets, k, loss="mse", score="all"):
    """sum_t L_t where, in L_t, every state older than t-k+1 comes from the frozen params0.

    Its gradient at params = params0 is what truncated BPTT with window k must return.
    """
    n0 = net.with_params(params0)
    caches0, _, masks, Y0 = forward(n0, x, None, None, 0.0, None)
    T = x.shape[0]
    total = 0.0
    for t in range(T):
        if score == "last" and t != T - 1:
            continue
        start = max(0, t - k + 1)
        h = run_window(net, params, x, caches0, masks, start, t + 1)
        Y = Y0.copy()
        Y[t] = readout(params, h[-1])
        total += loss_and_grad(Y, targets, loss, score)[1][t]
    return total
