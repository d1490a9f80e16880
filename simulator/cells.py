"""The recurrent cells: the forward pass over all steps, and the backward step, in paper notation.

Each cell has three methods the engine uses:
- forward(xp, h0, c0) runs all T steps and returns the cache (the arrays the UI draws);
- bptt(cache, DH, DP) is the full backward pass through time, written for speed;
- backward(cache_t, carry) is ONE step back, linear in the gradients it carries, and every cache
  array broadcasts over leading dimensions, so the same code runs the BPTT of a stack of
  truncation windows or of an identity matrix (which turns it into a Jacobian).
bptt() and a loop over backward() give the same numbers; the tests check both against finite
differences.

Shapes: B = batch, H = hidden units, G = gate rows (H for RNN, 4H for LSTM, 3H for GRU).
`xp` is the input projection x @ W_ih.T + biases, computed for all steps at once.
"""

from __future__ import annotations

import numpy as np

ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity")
CELLS = ("rnn", "lstm", "gru", "esn")
LSTM_VARIANTS = ("vanilla", "peephole", "nig", "nfg", "nog", "niaf", "noaf", "cifg", "fgr")
GAMMA = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "identity": 1.0}  # sup |phi'|


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + e^-x); accurate to the last bits for tiny outputs too."""
    with np.errstate(over="ignore"):  # e^-x = inf for x < -709 gives exactly 0
        return 1.0 / (1.0 + np.exp(-x))


def _sigmoid_of_negated(a: np.ndarray) -> None:
    """a <- sigmoid(-a) in place (the caller stores -pre, which saves one pass)."""
    np.exp(a, out=a)
    a += 1.0
    np.reciprocal(a, out=a)


def _phi_inplace(name: str, a: np.ndarray) -> None:
    """a <- phi(a) in place."""
    if name == "tanh":
        np.tanh(a, out=a)
    elif name == "sigmoid":
        np.negative(a, out=a)
        _sigmoid_of_negated(a)
    elif name == "relu":
        np.maximum(a, 0.0, out=a)


CHUNK_BYTES = 1 << 19  # BPTT prepares its per-unit factors this many bytes at a time (cache-sized)


def _chunks(T: int, row_bytes: int):
    """Step ranges (start, stop), last first, each about CHUNK_BYTES of a (T, B, G) array."""
    size = max(1, min(T, CHUNK_BYTES // max(row_bytes, 1)))
    stop = T
    while stop > 0:
        start = max(0, stop - size)
        yield start, stop
        stop = start


def phi(name: str, x: np.ndarray) -> np.ndarray:
    """The hidden activation phi applied to a pre-activation."""
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return sigmoid(x)
    if name == "relu":
        return np.maximum(x, 0.0)
    return np.array(x, dtype=float, copy=True)


def dphi_from_output(name: str, a: np.ndarray) -> np.ndarray | float:
    """phi'(pre) written in terms of a = phi(pre) (the value the cache keeps)."""
    if name == "tanh":
        return 1.0 - a * a
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "relu":
        return (a > 0.0).astype(a.dtype)
    return 1.0


def dphi(name: str, x: np.ndarray) -> np.ndarray:
    """phi'(x) at a pre-activation x (for the activation plot)."""
    a = phi(name, x)
    d = dphi_from_output(name, a)
    return np.broadcast_to(d, np.shape(x)).copy() if np.isscalar(d) else d


# ----------------------------------------------------------------------------------------
# Vanilla (Elman) RNN, and the leaky reservoir of an echo state network (leak = 1: Elman)
#   a_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh);  h_t = (1 - leak) h_{t-1} + leak a_t
# ----------------------------------------------------------------------------------------


class RNNCell:
    """Elman RNN step, exactly torch.nn.RNN's; with leak < 1 the ESN's leaky integrator."""

    gate_names: tuple[str, ...] = ()
    carries = 1  # dh

    def __init__(self, W_hh: np.ndarray, activation: str, leak: float = 1.0):
        self.W_hh = W_hh  # (H, H)
        self.activation = activation
        self.leak = float(leak)

    def forward(self, xp: np.ndarray, h0: np.ndarray, c0=None, q0=None, scratch: bool = False) -> dict:
        """Run all T steps; return the cache: h (T+1, B, H) with h[0] = h_{-1}, and a (T, B, H)."""
        T, B, H = xp.shape
        Hs = np.empty((T + 1, B, H))  # Hs[t + 1] = h_t, Hs[0] = h_{-1}
        Hs[0] = h0
        act, leak = self.activation, self.leak
        W = self.W_hh.T  # h @ W_hh.T, read in place by BLAS
        with np.errstate(all="ignore"):
            if leak == 1.0:
                for t in range(T):
                    h = Hs[t + 1]
                    np.matmul(Hs[t], W, out=h)
                    h += xp[t]  # the pre-activation ...
                    _phi_inplace(act, h)  # ... through phi
                return {"h": Hs, "a": Hs[1:]}  # a_t = h_t: a view, no copy
            A = np.empty((T, B, H))  # a_t = phi(pre_t)
            for t in range(T):
                a = A[t]
                np.matmul(Hs[t], W, out=a)
                a += xp[t]
                _phi_inplace(act, a)
                h = Hs[t + 1]
                np.multiply(Hs[t], 1.0 - leak, out=h)  # the leaky integrator
                h += leak * a
        return {"h": Hs, "a": A}

    def cache_at(self, cache: dict, t) -> tuple:
        """The slice of the cache that the backward step at time t needs."""
        return (cache["a"][t],)

    def backward(self, cache_t: tuple, carry: tuple) -> tuple:
        """One step back: carry = (dh,) -> (d xp, d hp, carry for t-1, None)."""
        (a,) = cache_t
        dh = carry[0]
        da = dh if self.leak == 1.0 else self.leak * dh
        dpre = da * dphi_from_output(self.activation, a)  # backprop through phi
        dh_prev = dpre @ self.W_hh  # through W_hh
        if self.leak != 1.0:
            dh_prev = dh_prev + (1.0 - self.leak) * dh  # the leaky shortcut
        return dpre, dpre, (dh_prev,), None

    fast_bptt = True

    def bptt(self, cache: dict, DH: np.ndarray, DP: np.ndarray, CARRY: np.ndarray):
        """Full BPTT. DH (T, B, H) holds the gradient from above and becomes the total dL/dh_t;
        DP (T, B, H) is filled with dL/dpre_t; CARRY (T, B, H) with what step t sends back to
        h_{t-1} through the recurrence. Returns (d xp, d hp, None)."""
        A = cache["a"]
        T, B, H = A.shape
        act, leak = self.activation, self.leak
        W = self.W_hh
        dh = np.zeros((B, H))  # carried from the future
        tmp = np.empty_like(dh)
        with np.errstate(all="ignore"):
            for lo, hi in _chunks(T, 8 * B * H):
                a, dp = A[lo:hi], DP[lo:hi]
                # phi'(pre) for a chunk of steps at once, scaled by the leak: the only per-unit factor
                if act == "tanh":
                    np.multiply(a, a, out=dp)
                    np.subtract(1.0, dp, out=dp)
                elif act == "sigmoid":
                    np.subtract(1.0, a, out=dp)
                    dp *= a
                elif act == "relu":
                    np.greater(a, 0.0, out=dp)
                else:
                    dp.fill(1.0)
                if leak != 1.0:
                    dp *= leak
                for t in range(hi - 1, lo - 1, -1):
                    if t < T - 1:
                        DH[t] += dh  # from the loss here (or the layer above) + from the future
                    np.multiply(DP[t], DH[t], out=DP[t])  # backprop through phi
                    dh = CARRY[t]
                    np.matmul(DP[t], W, out=dh)  # through W_hh
                    if leak != 1.0:
                        np.multiply(DH[t], 1.0 - leak, out=tmp)  # the leaky shortcut
                        dh += tmp
        return DP, DP, None


# ----------------------------------------------------------------------------------------
# LSTM, torch.nn.LSTM's gate order i, f, g, o, and the variants of Greff et al. 2015
#   c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)
# ----------------------------------------------------------------------------------------


class LSTMCell:
    """LSTM step (torch.nn.LSTM) with Greff et al.'s switches."""

    gate_names = ("i", "f", "g", "o")

    def __init__(self, W_hh, variant="vanilla", peephole=None, W_gg=None):
        self.W_hh = W_hh  # (4H, H)
        self.variant = variant
        self.H = W_hh.shape[1]
        self.peep = peephole  # (3, H): rows i, f, o (only for 'peephole')
        self.W_gg = W_gg  # (3H, 3H): gates i, f, o at t-1 -> at t (only for 'fgr')
        self.carries = 3 if variant == "fgr" else 2  # dh, dc (, d[i f o]_{t-1})
        self.fast_bptt = variant not in ("peephole", "fgr")

    def forward(self, xp: np.ndarray, h0: np.ndarray, c0: np.ndarray, q0=None, scratch: bool = False) -> dict:
        """Run all T steps; return the cache. q0: FGR's gates i, f, o before the start (zeros).

        scratch=True lets the cell overwrite xp (the engine's own buffer) instead of copying it.
        """
        if self.variant in ("peephole", "fgr"):
            return self._forward_general(xp, h0, c0, q0)
        T, B, G = xp.shape
        H, v = self.H, self.variant
        Hs = np.empty((T + 1, B, H))
        Cs = np.empty((T + 1, B, H))
        gates = np.empty((T, B, G))  # activated i, f, g, o
        TC = np.empty((T, B, H))  # tanh(c_t) (c_t itself for NOAF)
        Hs[0], Cs[0] = h0, c0
        # the sigmoid gates are computed from -pre, so negate their columns once here (exact)
        sign = np.ones(G)
        sign[: 2 * H] = -1.0
        sign[3 * H :] = -1.0
        W = self.W_hh.T * sign  # (H, 4H)
        if scratch:
            xps = xp
            xps *= sign
        else:
            xps = xp * sign
        g_tmp = np.empty((B, H))
        ig = np.empty((B, H))
        with np.errstate(all="ignore"):
            for t in range(T):
                gt = gates[t]
                np.matmul(Hs[t], W, out=gt)
                gt += xps[t]  # pre-activations (negated for i, f, o)
                if v == "niaf":
                    g_tmp[...] = gt[:, 2 * H : 3 * H]  # no input activation
                else:
                    np.tanh(gt[:, 2 * H : 3 * H], out=g_tmp)
                _sigmoid_of_negated(gt)  # i, f, o (g is overwritten next)
                gt[:, 2 * H : 3 * H] = g_tmp
                i, f, o = gt[:, :H], gt[:, H : 2 * H], gt[:, 3 * H :]
                if v == "nig":
                    i.fill(1.0)
                elif v == "cifg":
                    np.subtract(1.0, f, out=i)  # coupled: i = 1 - f
                elif v == "nfg":
                    f.fill(1.0)
                elif v == "nog":
                    o.fill(1.0)
                c = Cs[t + 1]
                np.multiply(f, Cs[t], out=c)
                np.multiply(i, g_tmp, out=ig)
                c += ig
                if v == "noaf":
                    TC[t] = c
                else:
                    np.tanh(c, out=TC[t])
                np.multiply(o, TC[t], out=Hs[t + 1])
        return {"h": Hs, "c": Cs, "gates": gates, "tc": TC}

    def _forward_general(self, xp, h0, c0, q0):
        """The plain loop, for the variants with peepholes or gate recurrence."""
        T, B, G = xp.shape
        H, v = self.H, self.variant
        Hs = np.empty((T + 1, B, H))
        Cs = np.empty((T + 1, B, H))
        gates = np.empty((T, B, G))
        TC = np.empty((T, B, H))
        Hs[0], Cs[0] = h0, c0
        W = self.W_hh.T
        W_ggT = None if self.W_gg is None else self.W_gg.T
        q_prev = np.zeros((B, 3 * H)) if q0 is None else q0  # gates i, f, o at t-1
        with np.errstate(all="ignore"):
            for t in range(T):
                pre = xp[t] + Hs[t] @ W  # (B, 4H)
                if v == "fgr":
                    pre[:, : 2 * H] += q_prev @ W_ggT[:, : 2 * H]
                    pre[:, 3 * H :] += q_prev @ W_ggT[:, 2 * H :]
                if v == "peephole":  # i and f peek at c_{t-1}
                    pre[:, :H] += self.peep[0] * Cs[t]
                    pre[:, H : 2 * H] += self.peep[1] * Cs[t]
                gt = gates[t]
                gt[:, : 2 * H] = sigmoid(pre[:, : 2 * H])
                np.tanh(pre[:, 2 * H : 3 * H], out=gt[:, 2 * H : 3 * H])
                i, f, g = gt[:, :H], gt[:, H : 2 * H], gt[:, 2 * H : 3 * H]
                c = Cs[t + 1]
                np.multiply(f, Cs[t], out=c)
                c += i * g
                pre_o = pre[:, 3 * H :]
                if v == "peephole":  # o peeks at c_t
                    pre_o = pre_o + self.peep[2] * c
                gt[:, 3 * H :] = sigmoid(pre_o)
                np.tanh(c, out=TC[t])
                np.multiply(gt[:, 3 * H :], TC[t], out=Hs[t + 1])
                if v == "fgr":
                    q_prev = np.concatenate([gt[:, : 2 * H], gt[:, 3 * H :]], axis=-1)
        return {"h": Hs, "c": Cs, "gates": gates, "tc": TC}

    def cache_at(self, cache: dict, t) -> tuple:
        """The slice of the cache that the backward step at time t needs."""
        return cache["gates"][t], cache["c"][t], cache["c"][t + 1], cache["tc"][t]

    def backward(self, cache_t: tuple, carry: tuple) -> tuple:
        """One step back: carry = (dh, dc[, dq]) -> (d pre, d pre, carry for t-1, total dL/dc_t)."""
        gates, c_prev, _c, tc = cache_t
        H, v = self.H, self.variant
        i, f, g, o = gates[..., :H], gates[..., H : 2 * H], gates[..., 2 * H : 3 * H], gates[..., 3 * H :]
        dh, dc = carry[0], carry[1]
        do = dh * tc
        if v == "fgr":
            dq = carry[2]
            do = do + dq[..., 2 * H :]
        dtc = dh * o
        dc = dc + (dtc if v == "noaf" else dtc * (1.0 - tc * tc))  # through tanh(c)
        dpre_o = np.zeros_like(do) if v == "nog" else do * o * (1.0 - o)
        if v == "peephole":
            dc = dc + dpre_o * self.peep[2]  # o peeks at c_t
        df = dc * c_prev
        di = dc * g
        dg = dc * i
        dc_prev = dc * f  # the cell-state line: only a gate multiplies it
        if v == "fgr":
            di = di + dq[..., :H]
            df = df + dq[..., H : 2 * H]
        if v == "cifg":
            df = df - di  # i = 1 - f
        dpre_i = np.zeros_like(di) if v in ("nig", "cifg") else di * i * (1.0 - i)
        dpre_f = np.zeros_like(df) if v == "nfg" else df * f * (1.0 - f)
        dpre_g = dg if v == "niaf" else dg * (1.0 - g * g)
        if v == "peephole":
            dc_prev = dc_prev + dpre_i * self.peep[0] + dpre_f * self.peep[1]
        dpre = np.concatenate([dpre_i, dpre_f, dpre_g, dpre_o], axis=-1)
        dh_prev = dpre @ self.W_hh
        if v == "fgr":
            dpre_q = np.concatenate([dpre_i, dpre_f, dpre_o], axis=-1)
            return dpre, dpre, (dh_prev, dc_prev, dpre_q @ self.W_gg), dc
        return dpre, dpre, (dh_prev, dc_prev), dc

    def _factors(self, gates, c_prev, TC, DP, DC) -> None:
        """The per-unit factors of the backward step for a chunk of steps, written into DP and DC:

            dc_t  = dc_{t+1} f_{t+1} + dh_t * Kc_t        Kc = o (1 - tanh(c)^2)   (-> DC)
            dpre_o = dh_t * Ko_t                          Ko = tanh(c) o (1 - o)
            dpre_{i,f,g} = dc_t * K{i,f,g}_t              Ki = g i (1 - i), Kf = c_{t-1} f (1 - f), Kg = i (1 - g^2)
        (nig, nfg, nog need nothing more: their constant gate makes its factor exactly 0.)
        """
        H, v = self.H, self.variant
        i, f, g, o = (gates[..., j * H : (j + 1) * H] for j in range(4))
        Ki, Kf, Kg, Ko = (DP[..., j * H : (j + 1) * H] for j in range(4))
        if v == "noaf":
            DC[...] = o
        else:
            np.multiply(TC, TC, out=DC)
            np.subtract(1.0, DC, out=DC)
            DC *= o
        np.subtract(1.0, o, out=Ko)
        Ko *= o
        Ko *= TC
        np.subtract(1.0, i, out=Ki)
        Ki *= i
        Ki *= g
        np.subtract(1.0, f, out=Kf)
        Kf *= f
        if v == "cifg":  # i = 1 - f: the input gate's share flows into f
            np.subtract(c_prev, g, out=Ki)
            Kf *= Ki
            Ki.fill(0.0)
        else:
            Kf *= c_prev
        if v == "niaf":
            Kg[...] = i
        else:
            np.multiply(g, g, out=Kg)
            np.subtract(1.0, Kg, out=Kg)
            Kg *= i

    def bptt(self, cache: dict, DH: np.ndarray, DP: np.ndarray, CARRY: np.ndarray):
        """Full BPTT (not for peephole / FGR). DH (T, B, H): gradient from above, becomes the total
        dL/dh_t; DP (T, B, 4H) is filled with dL/dpre_t; CARRY (T, B, H) with what step t sends back
        to h_{t-1} through W_hh. Returns (d xp, d hp, total dL/dc_t)."""
        gates, Cs, TC = cache["gates"], cache["c"], cache["tc"]
        T, B, _ = DH.shape
        H = self.H
        DC = np.empty((T, B, H))
        W = self.W_hh
        dh = np.zeros((B, H))
        dc = np.zeros((B, H))
        Kifg = DP[..., : 3 * H].reshape(T, B, 3, H)
        Ko_all = DP[..., 3 * H :]
        f_all = gates[..., H : 2 * H]
        with np.errstate(all="ignore"):
            for lo, hi in _chunks(T, 8 * B * 4 * H):
                self._factors(gates[lo:hi], Cs[lo:hi], TC[lo:hi], DP[lo:hi], DC[lo:hi])
                for t in range(hi - 1, lo - 1, -1):
                    dht, dct = DH[t], DC[t]
                    if t < T - 1:
                        dht += dh  # from the loss here (or the layer above) + from the future
                    dct *= dht  # through h = o tanh(c) ...
                    if t < T - 1:
                        dct += dc  # ... + along the cell-state line from the future
                    Ko_all[t] *= dht
                    Kifg[t] *= dct[:, None, :]
                    np.multiply(dct, f_all[t], out=dc)  # the cell-state line: only f multiplies it
                    dh = CARRY[t]
                    np.matmul(DP[t], W, out=dh)  # through W_hh
        return DP, DP, DC


# ----------------------------------------------------------------------------------------
# GRU, torch.nn.GRU's order r, z, n; b_hn sits inside the reset product
#   n_t = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h_t = (1 - z) * n + z * h_{t-1}
# ----------------------------------------------------------------------------------------


class GRUCell:
    """GRU step, exactly torch.nn.GRU's."""

    gate_names = ("r", "z", "n")
    carries = 1
    fast_bptt = True

    def __init__(self, W_hh: np.ndarray, b_hn: np.ndarray):
        self.W_hh = W_hh  # (3H, H)
        self.b_hn = b_hn  # (H,)
        self.H = W_hh.shape[1]

    def forward(self, xp: np.ndarray, h0: np.ndarray, c0=None, q0=None, scratch: bool = False) -> dict:
        """Run all T steps; xp already holds b_ir, b_iz, b_in, b_hr, b_hz (not b_hn).

        scratch=True lets the cell overwrite xp (the engine's own buffer) instead of copying it.
        """
        T, B, G = xp.shape
        H = self.H
        Hs = np.empty((T + 1, B, H))
        gates = np.empty((T, B, G))  # r, z, n
        HPn = np.empty((T, B, H))  # W_hn h_{t-1} + b_hn
        Hs[0] = h0
        # r and z are computed from -pre: negate their columns once (exact)
        sign = np.ones(G)
        sign[: 2 * H] = -1.0
        W = self.W_hh.T * sign  # (H, 3H)
        if scratch:
            xps = xp[..., : 2 * H]
            np.negative(xps, out=xps)
        else:
            xps = xp[..., : 2 * H] * -1.0
        hp = np.empty((B, G))
        tmp = np.empty((B, H))
        with np.errstate(all="ignore"):
            for t in range(T):
                gt = gates[t]
                np.matmul(Hs[t], W, out=hp)
                rz = gt[:, : 2 * H]
                np.add(hp[:, : 2 * H], xps[t], out=rz)
                _sigmoid_of_negated(rz)
                r, z, n = gt[:, :H], gt[:, H : 2 * H], gt[:, 2 * H :]
                hpn = HPn[t]
                np.add(hp[:, 2 * H :], self.b_hn, out=hpn)
                np.multiply(r, hpn, out=n)
                n += xp[t, :, 2 * H :]
                np.tanh(n, out=n)
                np.subtract(Hs[t], n, out=tmp)  # h = n + z (h_prev - n)
                tmp *= z
                np.add(n, tmp, out=Hs[t + 1])
        return {"h": Hs, "gates": gates, "hpn": HPn}

    def cache_at(self, cache: dict, t) -> tuple:
        """The slice of the cache that the backward step at time t needs."""
        return cache["gates"][t], cache["h"][t], cache["hpn"][t]

    def backward(self, cache_t: tuple, carry: tuple) -> tuple:
        """One step back: carry = (dh,) -> (d xp, d hp, carry for t-1, None)."""
        gates, h_prev, hpn = cache_t
        H = self.H
        r, z, n = gates[..., :H], gates[..., H : 2 * H], gates[..., 2 * H :]
        dh = carry[0]
        dn_pre = dh * (1.0 - z) * (1.0 - n * n)  # through (1 - z) n and tanh
        dz_pre = dh * (h_prev - n) * z * (1.0 - z)
        dr_pre = dn_pre * hpn * r * (1.0 - r)
        dxp = np.concatenate([dr_pre, dz_pre, dn_pre], axis=-1)
        dhp = np.concatenate([dr_pre, dz_pre, dn_pre * r], axis=-1)
        dh_prev = dh * z + dhp @ self.W_hh
        return dxp, dhp, (dh_prev,), None

    def bptt(self, cache: dict, DH: np.ndarray, DP: np.ndarray, CARRY: np.ndarray):
        """Full BPTT. DH (T, B, H): gradient from above, becomes the total dL/dh_t; DP (T, B, 3H)
        is filled with dL/d(W_hh h + b_hh); CARRY (T, B, H) with what step t sends back to h_{t-1}
        (through W_hh and the update gate's shortcut). Returns (d xp as a list of column blocks,
        d hp, None): d xp differs from d hp only in its n-part, so it is not copied into one array."""
        gates, Hs, HPn = cache["gates"], cache["h"], cache["hpn"]
        T, B, _ = DH.shape
        H = self.H
        r, z, n = gates[..., :H], gates[..., H : 2 * H], gates[..., 2 * H :]
        DN = np.empty((T, B, H))  # dL/dpre_n, the n-part of d xp (d hp has r * that)
        Kr, Kz, Kn = (DP[..., j * H : (j + 1) * H] for j in range(3))
        W = self.W_hh
        dh = np.zeros((B, H))
        tmp = np.empty((B, H))
        with np.errstate(all="ignore"):
            for lo, hi in _chunks(T, 8 * B * 4 * H):
                # per-unit factors for a chunk of steps at once:
                #   dpre_n = dh (1 - z)(1 - n^2) =: dh Kn;  dpre_z = dh (h_prev - n) z (1 - z) =: dh Kz
                #   dpre_r = dpre_n hpn r (1 - r) =: dpre_n Kr;  d hp_n = dpre_n r
                s = slice(lo, hi)
                np.multiply(n[s], n[s], out=DN[s])
                np.subtract(1.0, DN[s], out=DN[s])
                np.subtract(1.0, z[s], out=Kn[s])
                DN[s] *= Kn[s]
                np.multiply(Kn[s], z[s], out=Kz[s])
                np.subtract(Hs[lo:hi], n[s], out=Kn[s])
                Kz[s] *= Kn[s]
                np.subtract(1.0, r[s], out=Kr[s])
                Kr[s] *= r[s]
                Kr[s] *= HPn[s]
                for t in range(hi - 1, lo - 1, -1):
                    dht = DH[t]
                    if t < T - 1:
                        dht += dh  # from the loss here (or the layer above) + from the future
                    dn = DN[t]
                    dn *= dht
                    Kz[t] *= dht
                    Kr[t] *= dn
                    np.multiply(dn, r[t], out=Kn[t])
                    dh = CARRY[t]
                    np.matmul(DP[t], W, out=dh)  # through W_hh
                    np.multiply(dht, z[t], out=tmp)  # the update gate's shortcut
                    dh += tmp
        return [DP[..., : 2 * H], DN], DP, None  # d xp in two column blocks: [dr, dz] and dpre_n
