"""The recurrent cells: one forward step and one backward step each, in paper notation.

Every backward step is linear in the gradients it carries, and every cache array broadcasts
over leading dimensions, so the same code runs the BPTT of a batch, of a stack of truncation
windows, or of an identity matrix (which turns it into a Jacobian).

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
    """Logistic function, written so that exp never overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def phi(name: str, x: np.ndarray) -> np.ndarray:
    """The hidden activation phi applied to a pre-activation."""
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return sigmoid(x)
    if name == "relu":
        return np.maximum(x, 0.0)
    return x.copy()


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
    return np.broadcast_to(d, x.shape).copy() if np.isscalar(d) else d


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
        self.W_hhT = np.ascontiguousarray(W_hh.T)
        self.activation = activation
        self.leak = float(leak)

    def forward(self, xp: np.ndarray, h0: np.ndarray, extra0=None) -> dict:
        """Run all T steps; return the cache arrays (T, B, H)."""
        T, B, H = xp.shape
        Hs = np.empty((T + 1, B, H))  # Hs[t + 1] = h_t, Hs[0] = h_{-1}
        A = np.empty((T, B, H))  # a_t = phi(pre_t)
        Hs[0] = h0
        act, leak, W = self.activation, self.leak, self.W_hhT
        fast = {"tanh": np.tanh}.get(act)
        for t in range(T):
            pre = xp[t] + Hs[t] @ W
            if fast is not None:
                fast(pre, out=A[t])
            else:
                A[t] = phi(act, pre)
            if leak == 1.0:
                Hs[t + 1] = A[t]
            else:
                Hs[t + 1] = (1.0 - leak) * Hs[t] + leak * A[t]
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


# ----------------------------------------------------------------------------------------
# LSTM, torch.nn.LSTM's gate order i, f, g, o, and the variants of Greff et al. 2015
#   c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)
# ----------------------------------------------------------------------------------------


class LSTMCell:
    """LSTM step (torch.nn.LSTM) with Greff et al.'s switches."""

    gate_names = ("i", "f", "g", "o")

    def __init__(self, W_hh, variant="vanilla", peephole=None, W_gg=None):
        self.W_hh = W_hh  # (4H, H)
        self.W_hhT = np.ascontiguousarray(W_hh.T)
        self.variant = variant
        self.H = W_hh.shape[1]
        self.peep = peephole  # (3, H): rows i, f, o (only for 'peephole')
        self.W_gg = W_gg  # (3H, 3H): gates i, f, o at t-1 -> at t (only for 'fgr')
        self.W_ggT = None if W_gg is None else np.ascontiguousarray(W_gg.T)
        self.carries = 3 if variant == "fgr" else 2  # dh, dc (, d[i f o]_{t-1})

    def forward(self, xp: np.ndarray, h0: np.ndarray, c0: np.ndarray, q0=None) -> dict:
        """Run all T steps; return the cache arrays. q0: FGR's gates i, f, o before the start (zeros)."""
        T, B, G = xp.shape
        H, v = self.H, self.variant
        Hs = np.empty((T + 1, B, H))
        Cs = np.empty((T + 1, B, H))
        gates = np.empty((T, B, G))  # activated i, f, g, o
        TC = np.empty((T, B, H))  # tanh(c_t) (c_t itself for NOAF)
        Hs[0], Cs[0] = h0, c0
        W = self.W_hhT
        q_prev = np.zeros((B, 3 * H)) if q0 is None else q0
        for t in range(T):
            pre = xp[t] + Hs[t] @ W  # (B, 4H)
            if v == "fgr":
                pre[:, : 2 * H] += q_prev @ self.W_ggT[:, : 2 * H]
                pre[:, 3 * H :] += q_prev @ self.W_ggT[:, 2 * H :]
            if v == "peephole":
                pre[:, :H] += self.peep[0] * Cs[t]
                pre[:, H : 2 * H] += self.peep[1] * Cs[t]
            gt = gates[t]
            gt[:, : 2 * H] = sigmoid(pre[:, : 2 * H])
            if v == "niaf":
                gt[:, 2 * H : 3 * H] = pre[:, 2 * H : 3 * H]
            else:
                np.tanh(pre[:, 2 * H : 3 * H], out=gt[:, 2 * H : 3 * H])
            i, f, g = gt[:, :H], gt[:, H : 2 * H], gt[:, 2 * H : 3 * H]
            if v == "nig":
                i[...] = 1.0
            elif v == "cifg":
                i[...] = 1.0 - f
            if v == "nfg":
                f[...] = 1.0
            c = Cs[t + 1]
            np.multiply(f, Cs[t], out=c)
            c += i * g
            pre_o = pre[:, 3 * H :]
            if v == "peephole":
                pre_o = pre_o + self.peep[2] * c
            o = gt[:, 3 * H :]
            if v == "nog":
                o[...] = 1.0
            else:
                o[...] = sigmoid(pre_o)
            if v == "noaf":
                TC[t] = c
            else:
                np.tanh(c, out=TC[t])
            np.multiply(o, TC[t], out=Hs[t + 1])
            if v == "fgr":
                q_prev = np.concatenate([gt[:, : 2 * H], o], axis=-1)
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


# ----------------------------------------------------------------------------------------
# GRU, torch.nn.GRU's order r, z, n; b_hn sits inside the reset product
#   n_t = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h_t = (1 - z) * n + z * h_{t-1}
# ----------------------------------------------------------------------------------------


class GRUCell:
    """GRU step, exactly torch.nn.GRU's."""

    gate_names = ("r", "z", "n")
    carries = 1

    def __init__(self, W_hh: np.ndarray, b_hn: np.ndarray):
        self.W_hh = W_hh  # (3H, H)
        self.W_hhT = np.ascontiguousarray(W_hh.T)
        self.b_hn = b_hn  # (H,)
        self.H = W_hh.shape[1]

    def forward(self, xp: np.ndarray, h0: np.ndarray, extra0=None) -> dict:
        """Run all T steps; xp already holds b_ir, b_iz, b_in, b_hr, b_hz (not b_hn)."""
        T, B, G = xp.shape
        H = self.H
        Hs = np.empty((T + 1, B, H))
        gates = np.empty((T, B, G))  # r, z, n
        HPn = np.empty((T, B, H))  # W_hn h_{t-1} + b_hn
        Hs[0] = h0
        W = self.W_hhT
        for t in range(T):
            hp = Hs[t] @ W
            gt = gates[t]
            gt[:, : 2 * H] = sigmoid(xp[t, :, : 2 * H] + hp[:, : 2 * H])
            hpn = HPn[t]
            np.add(hp[:, 2 * H :], self.b_hn, out=hpn)
            n = gt[:, 2 * H :]
            np.tanh(xp[t, :, 2 * H :] + gt[:, :H] * hpn, out=n)
            z = gt[:, H : 2 * H]
            Hs[t + 1] = n + z * (Hs[t] - n)
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
