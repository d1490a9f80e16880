"""The frozen trace of one simulate() call, and the diagnostics the plots show.

Cheap quantities (states, gates, losses, gradients, per-step gradient norms) are computed by
simulate(). Quantities that cost more than the BPTT itself (Jacobians and their spectral
norms, eigenvalues) are computed on first access and then kept.
"""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import norms_process
from .spectral import BLOCK, exact_norms, on_pool, plain, pool, spectral_norms

VANISHING_BELOW = 0.9  # per-step growth factor thresholds for the verdict
EXPLODING_ABOVE = 1.1
SEQUENCE_FACTOR = 10.0  # ... and over the whole sequence: f^(T-1) below 1/10 or above 10
PRODUCT_CHUNK = 32  # Jacobian products are made and measured this many steps at a time
CHUNK_STEPS = 3  # power-iteration steps per chunk; what they leave goes to LAPACK on the pool thread
# below this hidden size LAPACK costs less than a few steps of block power iteration on numpy's
# batched calls (here: 0.045 ms per 32 x 32 matrix, 0.13 ms per 64 x 64, against about 0.3 ms
# per power step on a chunk of 32 matrices of any of these sizes)
POWER_FROM = 48


def verdict_of(f: float, T: int) -> str:
    """'vanishing', 'stable' or 'exploding' for a per-step factor f over T steps ('undetermined' without one).

    Vanishing when f < 0.9 per step, or when over the whole sequence f^(T-1) < 1/10 (so
    ×0.95 per step over 100 steps, a factor of 170, is vanishing, not stable); exploding
    likewise when f > 1.1 or f^(T-1) > 10.
    """
    if T < 2 or np.isnan(f):
        return "undetermined"
    with np.errstate(all="ignore"):
        total = np.float64(f) ** (T - 1)  # numpy's power: inf on overflow (a float's ** raises)
    if f < VANISHING_BELOW or total < 1.0 / SEQUENCE_FACTOR:
        return "vanishing"
    if f > EXPLODING_ABOVE or total > SEQUENCE_FACTOR:
        return "exploding"
    return "stable"


@dataclass(frozen=True)
class NonFinite:
    """Where a NaN or infinity first appeared."""

    step: int
    phase: str  # 'forward' or 'backward'
    quantity: str  # 'h_t of layer 2', 'c_t of layer 1', 'output y_t', 'dL/dh_t of layer 1', 'gradient of W'
    unit: int | None = None  # the first unit (0-based, last axis) that did, where known ...
    units: int | None = None  # ... of this many

    def message(self, layers: int | None = None) -> str:
        """A sentence for the banner (units numbered from 1, as the Cell panel's unit selector does); with
        layers = 1 it leaves out 'of layer 1', which says nothing when there is only one."""
        which = f" (unit {self.unit + 1} of {self.units})" if self.unit is not None and (self.units or 0) > 1 else ""
        quantity = self.quantity.replace(" of layer 1", "") if layers == 1 else self.quantity
        return f"{quantity}{which} became infinite or NaN at step t = {self.step} during the {self.phase} pass"


def first_nonfinite_unit(values: np.ndarray) -> int | None:
    """The first unit (index on the last axis) of one step's values (B, units) holding a NaN or infinity."""
    bad = ~np.isfinite(values.reshape(-1, values.shape[-1])).all(axis=0)
    return int(np.argmax(bad)) if bad.any() else None


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


_SPECTRA: dict = {}  # W's bytes -> (eigenvalues, sigma_max): most edits (T, inputs, remedies) keep W_hh
_SPECTRA_LOCK = threading.Lock()
_SPECTRA_SIZE = 64


def _key(W: np.ndarray):
    return W.shape, hashlib.blake2b(np.ascontiguousarray(W).tobytes(), digest_size=16).digest()


def remember_spectrum(W: np.ndarray, eigenvalues: np.ndarray, sigma_max: float) -> None:
    """Tell the diagnostics W's eigenvalues and largest singular value, known some other way.

    build_network rescales each initial block W0 by s = wrec / rho(W0): its eigenvalues are s
    times W0's and its sigma_max |s| times W0's (to rounding, as LAPACK's own would be), so a
    Wrec change needs no eigenvalue problem solved again.
    """
    with _SPECTRA_LOCK:  # the UI and a training thread may both be here
        while len(_SPECTRA) >= _SPECTRA_SIZE:
            _SPECTRA.pop(next(iter(_SPECTRA)))
        _SPECTRA[_key(W)] = (_freeze(np.asarray(eigenvalues, dtype=complex)), float(sigma_max))


def _spectrum(W: np.ndarray) -> tuple[np.ndarray, float]:
    """(eigenvalues, sigma_max) of a square block, remembered for the last few distinct matrices."""
    if not np.isfinite(W).all():
        return np.full(W.shape[0], np.nan + 0j), np.nan
    key = _key(W)
    hit = _SPECTRA.get(key)
    if hit is None:
        hit = (_freeze(np.linalg.eigvals(W)), float(np.linalg.norm(W, 2)))
        with _SPECTRA_LOCK:
            while len(_SPECTRA) >= _SPECTRA_SIZE:
                _SPECTRA.pop(next(iter(_SPECTRA)))
            _SPECTRA[key] = hit
    return hit


def _freeze(a):
    if isinstance(a, np.ndarray):
        a.setflags(write=False)
    return a


def fitted_factor(norms: np.ndarray, dist: np.ndarray) -> float:
    """Per-step factor of the norms going back in time: exp of the slope of their log against dist (steps back).

    ∞ if a norm is infinite; 0 if every norm is 0; zero and NaN entries are left out of the fit
    (a step the gradient does not reach, a product that underflowed).
    """
    norms = np.asarray(norms, dtype=float)
    if np.isinf(norms).any():
        return np.inf
    ok = np.isfinite(norms) & (norms > 0)
    if ok.sum() == 0:
        return 0.0 if np.any(norms == 0) else float("nan")
    if ok.sum() == 1:
        d = dist[ok][0]
        return float(norms[ok][0] ** (1.0 / d)) if d > 0 else float("nan")
    slope = np.polyfit(dist[ok], np.log(norms[ok]), 1)[0]
    return float(np.exp(slope))


def _chunk_norms(P: np.ndarray, is_plain: bool) -> np.ndarray:
    """The spectral norms of a chunk of Jacobian products (see spectral.plain): a plain chunk (the usual
    case) in two numpy calls that release the GIL (between calls that release it, the pool thread
    waited for the GUI thread to let it go again), any other rescaled first."""
    with np.errstate(all="ignore"):
        return exact_norms(P) if is_plain else spectral_norms(P, steps=0)


def _submitted(chunks, measure) -> list[Future]:
    """Hand each chunk (a, b, P, *extra) of Jacobian products to measure(a, b, P, *extra) on the
    pool thread as soon as it is made; if making one fails, cancel (or wait for) the jobs already
    handed over, so that none is left running on the caller's arrays, and re-raise."""
    jobs: list[Future] = []
    try:
        for a, b, P, *extra in chunks:
            jobs.append(pool().submit(measure, a, b, P.copy(), *extra))  # a copy: the chunk buffer is reused
    except BaseException:
        for job in jobs:
            job.cancel() or job.exception()
        raise
    return jobs


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
        output_grads,
        loss,
        loss_terms,
        dh,
        dc,
        carried,
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
        self.output_grads = _freeze(output_grads)  # (T, B, outputs): dL/dy_t (zero at unscored steps)
        self.loss = loss  # total loss (mean over scored terms, plus any penalty)
        self.loss_terms = _freeze(loss_terms)  # (T,) each step's share of the loss: the total error is their sum
        self.dh = [_freeze(d) for d in dh]  # per layer (T, B, H): total dL/dh_t
        self.dc = [None if d is None else _freeze(d) for d in dc]  # LSTM: total dL/dc_t
        # per layer (T, B, H): what step t sends back to h_{t-1} through the recurrence (engine.backward)
        self.carried = [_freeze(d) for d in carried]
        self.grads = {k: _freeze(v) for k, v in grads.items()}  # after the remedies (clipping)
        self.raw_grads = {k: _freeze(v) for k, v in raw_grads.items()}  # before clipping
        self.grad_norm = grad_norm  # global parameter-gradient norm before clipping
        self.grad_norm_clipped = grad_norm_clipped  # ... and after
        self.penalty_value = penalty_value  # Pascanu's Omega (0 when off)
        self.nonfinite = nonfinite  # NonFinite or None
        self._background = None  # the pool thread's diagnose(wait=False), while it runs

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

    # ---- everything the window shows, at once --------------------------------------------
    SHOWN = (
        "grad_norms_layers",
        "cell_grad_norms",
        "jacobian_norms",
        "eigenvalues",
        "spectral_radius",
        "sigma_max",
        "pascanu_bound",
        "growth_factor",
    )

    def diagnose(self, wait: bool = True) -> Result:
        """Compute every diagnostic in SHOWN (what the window's plots read) and return self.

        wait=True: the Jacobian products are made on this thread and measured on the pool
        thread, and while the last chunks are measured this thread computes W_hh's eigenvalues
        and singular values, so the two cores share the work.
        wait=False: the norms are taken on the pool thread and this returns at once; reading
        jacobian_norms (or what depends on it: the verdict) waits until they are there. The
        window uses this to draw the views that do not need them meanwhile. Below POWER_FROM
        hidden units the products are made here (a loop of small numpy calls: on the pool thread
        each call would wait for the GIL while this thread draws, which tripled their time), and
        each chunk of them goes to the pool thread as soon as it is made, as one LAPACK call, which
        runs without the GIL (so the norms of the first chunks are taken while this thread makes
        the last ones); above it, all of it runs on the pool thread. An error while making them
        reaches the reader.
        The per-step Jacobians and their norms are left to first access: nothing on screen reads them.
        """
        if not wait:
            if "jacobian_norms" not in self.__dict__ and self._background is None:
                if self.net.hidden < POWER_FROM:
                    # the products here: they are a loop of small numpy calls, each of which would
                    # wait for the GIL on the pool thread while this thread draws; the pool thread
                    # gets a LAPACK call per chunk, which runs without the GIL
                    try:
                        self._background = self._lapack_chunks_submitted()
                    except Exception as error:  # for the reader of the norms, as the pool thread's would be
                        self._background = Future()
                        self._background.set_exception(error)
                else:
                    self._background = pool().submit(self._diagnose_on_pool)
            return self
        if self._background is not None and not self._background.cancelled():  # under way: let it finish
            self._background.result()
        if "jacobian_norms" not in self.__dict__:
            norms = self._jacobian_norms_started()  # the pool thread measures while this one goes on
            _ = self.eigenvalues, self.spectral_radius, self.sigma_max
            self.__dict__["jacobian_norms"] = norms()
        for name in self.SHOWN:
            getattr(self, name)
        return self

    @property
    def background(self):
        """The pool thread's diagnose(wait=False) job (a concurrent.futures.Future), or None."""
        return self._background

    def _lapack_chunks_submitted(self) -> Future:
        """Make the Jacobian products here, a chunk at a time, and hand each chunk to the pool
        thread's LAPACK as soon as it is made; returns the pool job that stores the norms once the
        last chunk is measured (cancelling it cancels the chunks not yet begun)."""
        norms = np.empty(self.T)

        def measure(a: int, b: int, P: np.ndarray, is_plain: bool) -> None:
            norms[a:b] = _chunk_norms(P, is_plain)

        def store() -> None:  # the pool thread runs its jobs in order: the chunks are done
            for job in chunks:
                job.result()  # re-raises a chunk's error for the reader of the norms
            self.__dict__["jacobian_norms"] = _freeze(norms)

        process = norms_process.running()
        if process is not None:
            return self._chunks_to_process(process)
        # whether each chunk is plain is decided here, as it is made (see spectral.plain)
        chunks = _submitted(((a, b, P, plain(P)) for a, b, P in self._product_chunks()), measure)
        job = pool().submit(store)
        job.add_done_callback(lambda done: done.cancelled() and [c.cancel() for c in chunks])
        return job

    def _chunks_to_process(self, process) -> Future:
        """As _lapack_chunks_submitted, with the plain chunks measured by the norms process (its
        GIL is not the one this thread holds while the window draws) and the others by the pool
        thread. The returned Future is done once every chunk is; it is running from the start
        (cancel() leaves it be: the process takes its requests in order, each under a millisecond)."""
        norms = np.empty(self.T)
        jobs: list[tuple[int, int, Future]] = []
        job: Future = Future()
        job.set_running_or_notify_cancel()
        try:
            for a, b, P in self._product_chunks():
                is_plain = plain(P)
                chunk = process.submit(P) if is_plain else None
                if chunk is None:  # not plain, or the process cannot take it
                    chunk = pool().submit(_chunk_norms, P.copy(), is_plain)  # a copy: the chunk buffer is reused
                jobs.append((a, b, chunk))
        except Exception as error:  # for the reader of the norms, as a chunk's error would be
            job.set_exception(error)
            return job
        left = [len(jobs)]
        lock = threading.Lock()

        def chunk_done(_chunk: Future) -> None:  # on the reading thread or the pool thread
            with lock:
                left[0] -= 1
                if left[0]:
                    return
            try:
                for a, b, chunk in jobs:
                    norms[a:b] = chunk.result()
            except Exception as error:
                job.set_exception(error)
                return
            self.__dict__["jacobian_norms"] = _freeze(norms)
            job.set_result(None)

        for _, _, chunk in jobs:
            chunk.add_done_callback(chunk_done)
        return job

    def _diagnose_on_pool(self) -> None:
        self.__dict__["jacobian_norms"] = self._jacobian_norms_started(inline=True)()
        for name in self.SHOWN:
            getattr(self, name)

    @cached_property
    def cut_off(self) -> np.ndarray:
        """(T,) bool: the steps truncated BPTT keeps every gradient from: no scored loss's window
        (its own step and the truncate − 1 steps before it) reaches them. All False without truncation."""
        k, T = self.truncate, self.T
        out = np.zeros(T, dtype=bool)
        if 0 < k < T:
            scored = np.full(T, self.score == "all")
            scored[-1] = True
            reach = np.convolve(scored[::-1].astype(int), np.ones(k, dtype=int))[:T][::-1]  # scored in t .. t+k-1
            out = reach == 0
        return _freeze(out)

    def cut_at(self, t: int) -> bool:
        """Whether the step back from t to t − 1 is where truncated BPTT cuts the gradient off."""
        return 0 < t < self.T and bool(self.cut_off[t - 1]) and not bool(self.cut_off[t])

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
    def carried_grad_norms(self) -> np.ndarray:
        """(L, T): ‖what step t sends back to h_{t-1} through the recurrence‖ (Frobenius over batch and
        units, as grad_norms_layers): the gradient crossing the recurrent edge into h_t's predecessor,
        without the loss at t-1. Zero where W_hh is zero, and where truncation cuts the windows."""
        return _freeze(np.stack([frobenius_norms(d) for d in self.carried]))

    @cached_property
    def cell_grad_norms(self) -> np.ndarray | None:
        """(layers, T): ||dL/dc_t|| for an LSTM, else None."""
        if self.dc[0] is None:
            return None
        return _freeze(np.stack([frobenius_norms(d) for d in self.dc]))

    # ---- Jacobians (top layer, first example), computed on first access --------------------
    #
    # Every non-FGR cell's step Jacobian has the form  dh_t/dh_{t-1} = diag(s_t) + sum_b diag(d_{t,b}) W_b
    # (W_b the H x H blocks of W_hh): the backward step is diagonal per unit before W_hh. So the
    # factors d and s for all t come from ONE vectorised backward step with unit gradients.

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

    @cached_property
    def _step_factors(self):
        """(d (T, G), s (T, H)) with dh_t/dh_{t-1} = diag(s_t) + sum_b diag(d_{t,b}) W_b (not FGR)."""
        net = self.net
        d, _ = self._unit_backward(1.0, 0.0)
        T, H = self.T, net.hidden
        if net.cell == "gru":
            s = self.caches[-1]["gates"][:, 0, H : 2 * H]  # the update gate's shortcut z_t
        else:
            s = np.full((T, H), 1.0 - net.leak)  # the leaky shortcut (0 for RNN and LSTM)
        return d, s

    def _blocks(self, d: np.ndarray, s: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
        """diag(s_t) + sum_b diag(d_{t,b}) W_b for every t: (T, G), (T, H) -> (T, H, H) (into out)."""
        H = self.net.hidden
        W = self.net.params[f"weight_hh_l{self.net.layers - 1}"]
        nb = W.shape[0] // H
        T = d.shape[0]
        J = np.empty((T, H, H)) if out is None else out
        with np.errstate(all="ignore"):
            # row i of step t is sum_b d_{t,b,i} W_b[i, :]: for every i one (T, nb) @ (nb, H) product,
            # written straight into the (T, H, H) layout
            dT = np.ascontiguousarray(d.reshape(T, nb, H).transpose(2, 0, 1))  # (H, T, nb)
            Wt = np.ascontiguousarray(W.reshape(nb, H, H).transpose(1, 0, 2))  # (H, nb, H)
            np.matmul(dT, Wt, out=J.transpose(1, 0, 2))
            if s is not None:
                i = np.arange(H)
                J[:, i, i] += s
        return J

    @cached_property
    def step_jacobians(self) -> np.ndarray:
        """(T, H, H): dh_t/dh_{t-1} of the top layer, first example (LSTM: c_{t-1} held fixed)."""
        if self.net.variant == "fgr":
            return _freeze(self._generic_step_jacobians())
        d, s = self._step_factors
        return _freeze(self._blocks(d, s))

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
        P = np.empty((self.T, self.net.hidden, self.net.hidden))
        for a, b, chunk in self._product_chunks():
            P[a:b] = chunk
        return _freeze(P)

    def _product_chunks(self, size: int = PRODUCT_CHUNK):
        """Yield (a, b, P) going back in time, P[k] = dh_{T-1}/dh_{a+k} for a <= a+k < b.

        P and the step Jacobians behind it live in buffers of `size` steps that are reused from
        one chunk to the next (they stay in the cache; a (T, H, H) array of fresh memory costs
        more in page faults than the products cost in arithmetic), so a chunk is valid only until
        the next one is asked for.
        """
        net = self.net
        T, H = self.T, net.hidden
        yield T - 1, T, np.eye(H)[None]
        if T == 1:
            return
        if net.variant == "fgr":
            P = self._generic_products()
            for b in range(T - 1, 0, -size):
                yield max(0, b - size), b, P[max(0, b - size) : b]
            return
        n = min(size, T - 1)
        Pbuf = np.empty((n, H, H))
        with np.errstate(all="ignore"):
            if net.cell == "lstm":
                d_h, prev_h = self._unit_backward(1.0, 0.0)
                d_c, prev_c = self._unit_backward(0.0, 1.0)
                # [dh_t/dc_{t-1}, dc_t/dc_{t-1}] (both diagonal), side by side like R's two halves
                E = np.concatenate([prev_h[1], prev_c[1]], axis=1)
                # [dh_t/dh_{t-1}; dc_t/dh_{t-1}] stacked, so one product per step carries both lines
                J2 = np.empty((n, 2 * H, H))
                R = np.zeros((H, 2 * H))  # [dh_{T-1}/dh_t, dh_{T-1}/dc_t]
                R[:, :H] = np.eye(H)
                Rh, Rc = R[:, :H], R[:, H:]
            else:
                d, s = self._step_factors
                if net.cell == "gru":
                    J = np.empty((n, H, H))
                else:  # RNN / ESN: dh_t/dh_{t-1} = (1 - leak) I + diag(d_t) W_hh: no Jacobians needed
                    W = net.params[f"weight_hh_l{net.layers - 1}"]
                    keep = 1.0 - net.leak
                    scaled = np.empty((H, H))
                cur = np.eye(H)
            for b in range(T - 1, 0, -n):
                a = max(0, b - n)
                P = Pbuf[: b - a]
                # P[t - a] = dh_{T-1}/dh_t needs the step Jacobian of step t + 1, for t = b-1 ... a
                if net.cell == "lstm":
                    self._blocks(d_h[a + 1 : b + 1], out=J2[: b - a, :H])
                    self._blocks(d_c[a + 1 : b + 1], out=J2[: b - a, H:])
                    dot, mul, add, copy = np.dot, np.multiply, np.add, np.copyto  # (the loop is call-bound)
                    for t in range(b, a, -1):
                        p = P[t - a - 1]
                        dot(R, J2[t - a - 1], out=p)  # through h_{t-1} (and c_t's share of it)
                        mul(R, E[t], out=R)  # through c_{t-1}, the diagonal cell line:
                        add(Rh, Rc, out=Rc)  # Rc <- Rh dh_t/dc_{t-1} + Rc dc_t/dc_{t-1}
                        copy(Rh, p)
                elif net.cell == "gru":
                    self._blocks(d[a + 1 : b + 1], s[a + 1 : b + 1], out=J[: b - a])
                    for t in range(b, a, -1):
                        cur = np.matmul(cur, J[t - a - 1], out=P[t - a - 1])
                else:
                    for t in range(b, a, -1):
                        np.multiply(cur, d[t], out=scaled)
                        np.matmul(scaled, W, out=P[t - a - 1])
                        if keep:
                            P[t - a - 1] += keep * cur
                        cur = P[t - a - 1]
                yield a, b, P
                if net.cell != "lstm":
                    cur = cur.copy()  # the buffer is about to be overwritten

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
        job = self._background
        if job is not None and not on_pool() and not job.cancelled():
            job.result()  # diagnose(wait=False) is making them: wait, and re-raise what it raised
            if "jacobian_norms" in self.__dict__:
                return self.__dict__["jacobian_norms"]
        return self._jacobian_norms_started(inline=on_pool())()

    def cancel_background(self) -> bool:
        """Drop the pool thread's diagnose(wait=False) job if it has not started (a trace nobody
        will look at: a Wrec drag moved on); reading the norms later computes them here. True if dropped."""
        job = self._background
        return job is not None and job.cancel()

    def _jacobian_norms_started(self, inline: bool = False):
        """Start the norms of the Jacobian products; return a function that waits and gives them.

        The products are made here a chunk of steps at a time, and each chunk's norms are taken on
        the pool thread while this thread makes the next chunk: block power iteration, started at
        P^T U with U the top left singular subspace of the last product it certified (the top
        left singular subspaces of the products settle as t moves back), certifies most of them
        in a few steps; the rest go to LAPACK. The first chunk (the shortest products, whose
        top singular values are close together) goes to LAPACK at once. Below POWER_FROM hidden
        units all of them do, split between this thread and the pool thread. inline: measure
        here, chunk by chunk (for a caller that is the pool thread itself).
        """
        if self.net.hidden < POWER_FROM:  # LAPACK is as cheap as a few power steps: all of it, on both threads
            norms = _freeze(spectral_norms(self.jacobian_products, steps=0))
            return lambda: norms
        if "jacobian_products" in self.__dict__:  # already made: no need to make them again
            chunks = [(0, self.T, self.jacobian_products)]
        else:
            chunks = self._product_chunks()
        norms = np.empty(self.T)
        k = min(BLOCK, self.net.hidden)
        start = [None]  # the top left singular subspace the next chunk starts from

        def measure(a: int, b: int, P: np.ndarray) -> None:  # on the pool thread, one chunk after another
            with np.errstate(all="ignore"):
                U = start[0]
                if U is None:
                    norms[a:b] = spectral_norms(P, steps=0)
                    # the longest product here starts the next chunk, once it is long enough to have
                    # a settled top subspace (the identity at T-1 would start nothing useful)
                    if self.T - 1 - a >= PRODUCT_CHUNK and np.isfinite(P[0]).all() and np.abs(P[0]).max() > 0:
                        start[0] = np.linalg.svd(P[0])[0][:, :k]
                    return
                left = np.empty((b - a, P.shape[1], k))
                norms[a:b] = spectral_norms(P, np.matmul(P.transpose(0, 2, 1), U), steps=CHUNK_STEPS, left=left)
                found = np.flatnonzero(~np.isnan(left[:, 0, 0]))
                if found.size:
                    start[0] = left[found[0]]  # from the longest product in the chunk that was certified

        if inline:  # already on the pool thread: measure each chunk here, as it is made
            for a, b, P in chunks:
                measure(a, b, P)
            return lambda: _freeze(norms)
        jobs = _submitted(chunks, measure)

        def result() -> np.ndarray:
            for job in jobs:
                job.result()
            return _freeze(norms)

        return result

    @cached_property
    def step_jacobian_norms(self) -> np.ndarray:
        """(T,): spectral norm ||dh_t/dh_{t-1}||_2 (top layer, first example)."""
        net = self.net
        if net.cell in ("rnn", "esn") and net.leak == 1.0:
            # dh_t/dh_{t-1} = diag(d_t) W: if W W^T = c I (orthogonal init and the Wrec knob, the
            # identity of the IRNN) its norm is sqrt(c) max_i |d_{t,i}|, exactly
            W = net.params[f"weight_hh_l{net.layers - 1}"]
            WWt = W @ W.T
            c = float(np.trace(WWt)) / W.shape[0]
            if np.abs(WWt - c * np.eye(W.shape[0])).max() <= 1e-13 * max(c, 1e-300):
                d, _ = self._step_factors
                with np.errstate(all="ignore"):
                    norms = np.sqrt(c) * np.abs(d).max(axis=1)
                norms[~np.isfinite(d).all(axis=1)] = np.inf
                return _freeze(norms)
        # full-rank and unrelated from step to step: power iteration rarely certifies, LAPACK it is
        return _freeze(spectral_norms(self.step_jacobians, steps=0))

    # ---- W_hh and the bound of Pascanu et al. ---------------------------------------------
    @cached_property
    def eigenvalues(self) -> dict[str, np.ndarray]:
        """Complex eigenvalues of each square H x H block of the top layer's W_hh."""
        return {n: _spectrum(W)[0] for n, W in self.net.recurrent_blocks().items()}

    @cached_property
    def spectral_radius(self) -> dict[str, float]:
        """Largest |eigenvalue| of each block of W_hh."""
        return {n: float(np.abs(e).max()) for n, e in self.eigenvalues.items()}

    @cached_property
    def sigma_max(self) -> dict[str, float]:
        """Largest singular value of each block of W_hh."""
        return {n: _spectrum(W)[1] for n, W in self.net.recurrent_blocks().items()}

    @property
    def step_bound(self) -> float | None:
        """The bound on one step back, ||dh_t/dh_{t-1}|| <= (1 - leak) + leak * gamma * sigma_max(W_hh).

        A leaky unit h_t = (1 - a) h_{t-1} + a phi(W_hh h_{t-1} + ...) has the step Jacobian
        (1 - a) I + a diag(phi') W_hh: the triangle inequality gives the bound, which is
        gamma * sigma_max for leak 1 (every RNN). None for gated cells.
        """
        if self.net.cell not in ("rnn", "esn"):
            return None
        leak = self.net.leak
        return float((1.0 - leak) + leak * self.net.gamma * self.sigma_max["W_hh"])

    @cached_property
    def pascanu_bound(self) -> np.ndarray | None:
        """(T,): step_bound^(T-1-t), the bound on ||dh_{T-1}/dh_t|| (RNN and ESN).

        (gamma * sigma_max(W_hh))^(T-1-t) without a leak, ((1 - a) + a gamma sigma_max)^(T-1-t) with one.
        """
        per_step = self.step_bound
        if per_step is None:
            return None
        with np.errstate(over="ignore"):
            return _freeze(per_step ** (self.T - 1 - np.arange(self.T, dtype=float)))

    @cached_property
    def loss_grad_norms(self) -> np.ndarray:
        """(T,): ||dl_t/dh_t||, the gradient each step's own loss sends into the top layer's h_t
        (through the readout, before any later step adds to it); 0 at unscored steps."""
        with np.errstate(all="ignore"):
            return _freeze(frobenius_norms(self.output_grads @ self.net.params["readout.weight"]))

    @cached_property
    def gradient_bound(self) -> np.ndarray | None:
        """(T,): the bound on ||dL/dh_t|| (top layer) from the step bound s = step_bound (RNN and ESN), else None.

        dL/dh_t = sum over k >= t of (dh_k/dh_t)^T dl_k/dh_k, and ||dh_k/dh_t|| <= s^(k-t) for every
        example, so ||dL/dh_t|| <= sum over k >= t of s^(k-t) ||dl_k/dh_k|| (Frobenius over the batch
        too). With one loss at the last step this is Pascanu's ||dL/dh_{T-1}|| s^(T-1-t). It bounds
        the truncated gradient as well (truncation only drops terms).
        """
        per_step = self.step_bound
        if per_step is None:
            return None
        n = self.loss_grad_norms
        with np.errstate(over="ignore", invalid="ignore"):
            if self.score == "last":  # one term: the closed form, bit for bit as the Jacobian plot's bound
                return _freeze(n[-1] * self.pascanu_bound)
            bound = np.empty(self.T)
            carried = 0.0
            for t in range(self.T - 1, -1, -1):  # b_t = n_t + s b_{t+1}
                carried = n[t] + per_step * carried
                bound[t] = carried
        return _freeze(bound)

    # ---- the verdict ------------------------------------------------------------------
    @cached_property
    def growth_factor(self) -> float:
        """Fitted per-step factor of ||dh_{T-1}/dh_t||: exp of the slope of its log against T-1-t."""
        if self.nonfinite is not None and self.nonfinite.phase == "forward":
            return np.inf
        return fitted_factor(self.jacobian_norms[:-1], self.T - 1 - np.arange(self.T - 1, dtype=float))

    @cached_property
    def gradient_factor(self) -> float:
        """Fitted per-step factor of ||dL/dh_t|| going back from the last step (as growth_factor, on the gradient).

        NaN unless only the last step carries a loss: with a loss at every step the curve is a sum
        of many paths, not one path shrinking or growing step by step. Steps the gradient does not
        reach (outside a truncation window) are left out of the fit.
        """
        if self.score != "last" or self.T < 2:
            return float("nan")
        if self.nonfinite is not None and self.nonfinite.phase == "forward":
            return np.inf
        return fitted_factor(self.grad_norms, self.T - 1 - np.arange(self.T, dtype=float))

    @property
    def verdict(self) -> str:
        """'vanishing', 'stable' or 'exploding', from the fitted per-step growth factor (see verdict_of)."""
        return verdict_of(self.growth_factor, self.T)

    @property
    def gradient_verdict(self) -> str:
        """The same verdict on ||dL/dh_t||'s own factor (gradient_factor): 'undetermined' with a loss at every step."""
        return verdict_of(self.gradient_factor, self.T)
