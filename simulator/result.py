"""The frozen trace of one simulate() call, and the diagnostics the plots show.

Cheap quantities (states, gates, losses, gradients, per-step gradient norms) are computed by
simulate(). Quantities that cost more than the BPTT itself (Jacobians and their spectral
norms, eigenvalues) are computed on first access and then kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

VANISHING_BELOW = 0.9  # per-step growth factor thresholds for the verdict
EXPLODING_ABOVE = 1.1


@dataclass(frozen=True)
class NonFinite:
    """Where a NaN or infinity first appeared."""

    step: int
    phase: str  # 'forward' or 'backward'
    quantity: str

    def message(self) -> str:
        """A sentence for the banner."""
        return f"{self.quantity} became infinite or NaN at step t = {self.step} during the {self.phase} pass"


def spectral_norms(M: np.ndarray) -> np.ndarray:
    """Largest singular value of each matrix in a stack (..., m, n); inf where a matrix is not finite."""
    out = np.full(M.shape[:-2], np.inf)
    finite = np.isfinite(M).all(axis=(-1, -2))
    if finite.any():
        out[finite] = np.linalg.svd(M[finite], compute_uv=False)[..., 0]
    return out


def frobenius_norms(d: np.ndarray) -> np.ndarray:
    """Frobenius norm over all axes but the first, scaled so that 1e-200 or 1e200 neither under- nor overflows."""
    flat = d.reshape(d.shape[0], -1)
    with np.errstate(all="ignore"):
        m = np.abs(flat).max(axis=1, initial=0.0)  # (T,) NaN where a NaN is present
        safe = np.where((m > 0) & np.isfinite(m), m, 1.0)
        scaled = flat / safe[:, None]
        out = safe * np.sqrt(np.einsum("ij,ij->i", scaled, scaled))
    out[m == 0] = 0.0
    out[~np.isfinite(m)] = m[~np.isfinite(m)]  # inf stays inf, NaN stays NaN
    return out


def _freeze(a):
    if isinstance(a, np.ndarray):
        a.setflags(write=False)
    return a


class Result:
    """Everything one forward pass + BPTT produced: the trace the UI plays and plots."""

    def __init__(
        self,
        *,
        net,
        x,
        targets,
        loss_name,
        score,
        truncate,
        caches,
        outputs,
        loss,
        loss_terms,
        dh,
        dc,
        grads,
        raw_grads,
        grad_norm,
        grad_norm_clipped,
        penalty_value,
        nonfinite,
    ):
        self.net = net
        self.x = _freeze(x)  # (T, B, inputs)
        self.targets = _freeze(targets)
        self.loss_name = loss_name
        self.score = score
        self.truncate = truncate
        self.caches = caches  # per layer: the cell's cache arrays
        for cache in caches:
            for arr in cache.values():
                _freeze(arr)
        self.outputs = _freeze(outputs)  # (T, B, outputs)
        self.loss = loss  # total loss (mean over scored terms, plus any penalty)
        self.loss_terms = _freeze(loss_terms)  # (T,) each step's share of the loss: the total error is their sum
        self.dh = [_freeze(d) for d in dh]  # per layer (T, B, H): total dL/dh_t
        self.dc = [None if d is None else _freeze(d) for d in dc]  # LSTM: total dL/dc_t
        self.grads = {k: _freeze(v) for k, v in grads.items()}  # after the remedies (clipping)
        self.raw_grads = {k: _freeze(v) for k, v in raw_grads.items()}  # before clipping
        self.grad_norm = grad_norm  # global parameter-gradient norm before clipping
        self.grad_norm_clipped = grad_norm_clipped  # ... and after
        self.penalty_value = penalty_value  # Pascanu's Omega (0 when off)
        self.nonfinite = nonfinite  # NonFinite or None

    # ---- sizes and states ---------------------------------------------------------------
    @property
    def T(self) -> int:
        """Number of unrolled steps."""
        return self.x.shape[0]

    @property
    def batch(self) -> int:
        """Number of sequences in the batch."""
        return self.x.shape[1]

    @property
    def hidden_states(self) -> list[np.ndarray]:
        """h_t per layer, (T, B, H) each."""
        return [c["h"][1:] for c in self.caches]

    @property
    def cell_states(self) -> list[np.ndarray] | None:
        """LSTM c_t per layer, (T, B, H) each."""
        return [c["c"][1:] for c in self.caches] if self.net.cell == "lstm" else None

    def gates(self, layer: int = -1) -> dict[str, np.ndarray]:
        """Gate activations of a layer by name, (T, B, H) each (LSTM i f g o, GRU r z n)."""
        cache = self.caches[layer]
        if "gates" not in cache:
            return {}
        H = self.net.hidden
        names = ("i", "f", "g", "o") if self.net.cell == "lstm" else ("r", "z", "n")
        return {n: cache["gates"][..., j * H : (j + 1) * H] for j, n in enumerate(names)}

    # ---- gradient norms (cheap) -----------------------------------------------------------
    @cached_property
    def grad_norms_layers(self) -> np.ndarray:
        """(layers, T): ||dL/dh_t||, Frobenius over batch and units, per layer."""
        return _freeze(np.stack([frobenius_norms(d) for d in self.dh]))

    @property
    def grad_norms(self) -> np.ndarray:
        """(T,): ||dL/dh_t|| of the top layer."""
        return self.grad_norms_layers[-1]

    @cached_property
    def cell_grad_norms(self) -> np.ndarray | None:
        """(layers, T): ||dL/dc_t|| for an LSTM, else None."""
        if self.dc[0] is None:
            return None
        return _freeze(np.stack([frobenius_norms(d) for d in self.dc]))

    # ---- Jacobians (top layer, first example), computed on first access --------------------
    def _unit_backward(self, dh_value: float, dc_value: float):
        """The backward step of every t at once with carried gradients of all ones (or zeros)."""
        cell = self.net.cells()[-1]
        cache0 = {k: v[:, 0:1] for k, v in self.caches[-1].items()}  # first example
        T, H = self.T, self.net.hidden
        t = np.arange(T)
        widths = [H, H, 3 * H][: cell.carries]
        values = [dh_value, dc_value, 0.0]
        carry = tuple(np.full((T, 1, w), v) for w, v in zip(widths, values))
        with np.errstate(all="ignore"):
            _, dhp, prev, _ = cell.backward(cell.cache_at(cache0, t), carry)
        return dhp[:, 0], tuple(p[:, 0] for p in prev)

    def _diag_times_blocks(self, d: np.ndarray) -> np.ndarray:
        """sum_b diag(d_b) W_b for each t: d (T, G) -> (T, H, H)."""
        H = self.net.hidden
        W = self.net.params[f"weight_hh_l{self.net.layers - 1}"]
        out = np.zeros((self.T, H, H))
        with np.errstate(all="ignore"):
            for b in range(W.shape[0] // H):
                out += d[:, b * H : (b + 1) * H, None] * W[b * H : (b + 1) * H][None]
        return out

    @cached_property
    def step_jacobians(self) -> np.ndarray:
        """(T, H, H): dh_t/dh_{t-1} of the top layer, first example (LSTM: c_{t-1} held fixed)."""
        if self.net.variant == "fgr":
            return _freeze(self._generic_step_jacobians())
        dhp, prev = self._unit_backward(1.0, 0.0)
        with np.errstate(all="ignore"):
            W = self.net.params[f"weight_hh_l{self.net.layers - 1}"]
            shortcut = prev[0] - dhp @ W  # the diagonal part: z for GRU, 1 - leak for an ESN
        J = self._diag_times_blocks(dhp)
        idx = np.arange(self.net.hidden)
        J[:, idx, idx] += shortcut
        return _freeze(J)

    def _generic_step_jacobians(self) -> np.ndarray:
        """dh_t/dh_{t-1} by running the backward step on the rows of the identity (any variant)."""
        cell = self.net.cells()[-1]
        cache0 = {k: v[:, 0:1] for k, v in self.caches[-1].items()}
        T, H = self.T, self.net.hidden
        widths = [H, H, 3 * H][: cell.carries]
        carry = tuple(
            np.broadcast_to(np.eye(H) if j == 0 else np.zeros((H, w)), (T, H, w)) for j, w in enumerate(widths)
        )
        with np.errstate(all="ignore"):
            _, _, prev, _ = cell.backward(cell.cache_at(cache0, np.arange(T)), carry)
        return prev[0]

    @cached_property
    def jacobian_products(self) -> np.ndarray:
        """(T, H, H): dh_{T-1}/dh_t of the top layer, first example; the identity at t = T-1.

        For an LSTM the carried state is (h, c): the product runs through both, and this is
        the h-to-h block (c_t held fixed, as the partial derivative says).
        """
        T, H = self.T, self.net.hidden
        P = np.empty((T, H, H))
        P[T - 1] = np.eye(H)
        if self.net.variant == "fgr":
            return _freeze(self._generic_products())
        Jhh = self.step_jacobians
        with np.errstate(all="ignore"):
            if self.net.cell == "lstm":
                _, prev1 = self._unit_backward(1.0, 0.0)
                dhp2, prev2 = self._unit_backward(0.0, 1.0)
                Jch = self._diag_times_blocks(dhp2)  # dc_t/dh_{t-1}
                e_hc, e_cc = prev1[1], prev2[1]  # dh_t/dc_{t-1}, dc_t/dc_{t-1} (diagonal)
                Rh, Rc = np.eye(H), np.zeros((H, H))
                for t in range(T - 1, 0, -1):
                    Rh, Rc = Rh @ Jhh[t] + Rc @ Jch[t], Rh * e_hc[t] + Rc * e_cc[t]
                    P[t - 1] = Rh
            else:
                for t in range(T - 1, 0, -1):
                    np.matmul(P[t], Jhh[t], out=P[t - 1])
        return _freeze(P)

    def _generic_products(self) -> np.ndarray:
        """dh_{T-1}/dh_t by carrying the identity back through the cell (any variant)."""
        cell = self.net.cells()[-1]
        cache0 = {k: v[:, 0:1] for k, v in self.caches[-1].items()}
        T, H = self.T, self.net.hidden
        widths = [H, H, 3 * H][: cell.carries]
        P = np.empty((T, H, H))
        P[T - 1] = np.eye(H)
        carry = tuple(np.eye(H) if j == 0 else np.zeros((H, w)) for j, w in enumerate(widths))
        with np.errstate(all="ignore"):
            for t in range(T - 1, 0, -1):
                _, _, carry, _ = cell.backward(cell.cache_at(cache0, t), carry)
                P[t - 1] = carry[0]
        return P

    @cached_property
    def jacobian_norms(self) -> np.ndarray:
        """(T,): spectral norm ||dh_{T-1}/dh_t||_2 (top layer, first example)."""
        return _freeze(spectral_norms(self.jacobian_products))

    @cached_property
    def step_jacobian_norms(self) -> np.ndarray:
        """(T,): spectral norm ||dh_t/dh_{t-1}||_2 (top layer, first example)."""
        return _freeze(spectral_norms(self.step_jacobians))

    # ---- W_hh and the bound of Pascanu et al. ---------------------------------------------
    @cached_property
    def eigenvalues(self) -> dict[str, np.ndarray]:
        """Complex eigenvalues of each square H x H block of the top layer's W_hh."""
        return {n: np.linalg.eigvals(W) for n, W in self.net.recurrent_blocks().items()}

    @cached_property
    def spectral_radius(self) -> dict[str, float]:
        """Largest |eigenvalue| of each block of W_hh."""
        return {n: float(np.abs(e).max()) for n, e in self.eigenvalues.items()}

    @cached_property
    def sigma_max(self) -> dict[str, float]:
        """Largest singular value of each block of W_hh."""
        return {n: float(np.linalg.norm(W, 2)) for n, W in self.net.recurrent_blocks().items()}

    @cached_property
    def pascanu_bound(self) -> np.ndarray | None:
        """(T,): (gamma * sigma_max(W_hh))^(T-1-t), the bound on ||dh_{T-1}/dh_t|| (RNN and ESN)."""
        if self.net.cell not in ("rnn", "esn"):
            return None
        leak = self.net.leak
        per_step = (1.0 - leak) + leak * self.net.gamma * self.sigma_max["W_hh"]
        with np.errstate(over="ignore"):
            return _freeze(per_step ** (self.T - 1 - np.arange(self.T, dtype=float)))

    # ---- the verdict ------------------------------------------------------------------
    @cached_property
    def growth_factor(self) -> float:
        """Fitted per-step factor of ||dh_{T-1}/dh_t||: exp of the slope of its log against T-1-t."""
        norms = self.jacobian_norms[:-1]
        dist = self.T - 1 - np.arange(self.T - 1, dtype=float)
        if np.isinf(norms).any() or (self.nonfinite is not None and self.nonfinite.phase == "forward"):
            return np.inf
        ok = np.isfinite(norms) & (norms > 0)
        if ok.sum() == 0:
            return 0.0 if np.any(norms == 0) else float("nan")
        if ok.sum() == 1:
            return float(norms[ok][0] ** (1.0 / dist[ok][0]))
        slope = np.polyfit(dist[ok], np.log(norms[ok]), 1)[0]
        return float(np.exp(slope))

    @property
    def verdict(self) -> str:
        """'vanishing', 'stable' or 'exploding', from the fitted per-step growth factor."""
        f = self.growth_factor
        if self.T < 2 or np.isnan(f):
            return "undetermined"
        if f < VANISHING_BELOW:
            return "vanishing"
        if f > EXPLODING_ABOVE:
            return "exploding"
        return "stable"
