"""Optimisers: SGD with momentum, Adagrad (min-char-rnn's), RMSprop and Adam.

Each one keeps its state per parameter name and turns (params, grads) into new params:

    opt = make_optimizer("adam", lr=1e-2)
    params = opt.step(params, grads)      # new arrays; the old ones are left untouched

The formulas are PyTorch's (torch.optim with its defaults), except Adagrad, which is
Karpathy's min-char-rnn: mem += g*g; p -= lr * g / sqrt(mem + 1e-8). Plain numpy, so the same
grads give the same params bit for bit.
"""

from __future__ import annotations

import numpy as np

OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adam")


class Optimizer:
    """Base: a learning rate and per-parameter state, updated by step()."""

    name = "optimizer"

    def __init__(self, lr: float):
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"learning rate must be a positive number; got {lr!r}")
        self.lr = float(lr)
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self.steps = 0

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """New parameter values after one update (names without a gradient are kept as they are)."""
        self.steps += 1
        out = dict(params)
        for name, g in grads.items():
            out[name] = self._update(name, params[name], g, self.state.setdefault(name, {}))
        return out

    def _update(self, name: str, p: np.ndarray, g: np.ndarray, s: dict) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr:g})"


class SGD(Optimizer):
    """SGD with momentum (torch.optim.SGD): buf = mu * buf + g; p -= lr * buf."""

    name = "sgd"

    def __init__(self, lr: float = 0.1, momentum: float = 0.9):
        super().__init__(lr)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1); got {momentum}")
        self.momentum = float(momentum)

    def _update(self, name, p, g, s):
        if self.momentum == 0.0:
            return p - self.lr * g
        if "buf" not in s:
            s["buf"] = g.copy()  # the first step starts the buffer at g, as torch does
        else:
            s["buf"] = self.momentum * s["buf"] + g
        return p - self.lr * s["buf"]


class Adagrad(Optimizer):
    """Adagrad as in min-char-rnn: mem += g^2; p -= lr * g / sqrt(mem + eps)."""

    name = "adagrad"

    def __init__(self, lr: float = 0.1, eps: float = 1e-8):
        super().__init__(lr)
        self.eps = float(eps)

    def _update(self, name, p, g, s):
        if "mem" not in s:
            s["mem"] = g * g
        else:
            s["mem"] += g * g  # the sum of squared gradients (our own array: updated in place)
        return p - self.lr * g / np.sqrt(s["mem"] + self.eps)


class RMSprop(Optimizer):
    """RMSprop (torch.optim.RMSprop): v = a * v + (1 - a) g^2; p -= lr * g / (sqrt(v) + eps)."""

    name = "rmsprop"

    def __init__(self, lr: float = 1e-3, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__(lr)
        if not 0.0 <= alpha < 1.0:
            raise ValueError(f"alpha must be in [0, 1); got {alpha}")
        self.alpha, self.eps = float(alpha), float(eps)

    def _update(self, name, p, g, s):
        v = s.get("v")
        v = (1.0 - self.alpha) * (g * g) if v is None else self.alpha * v + (1.0 - self.alpha) * (g * g)
        s["v"] = v  # running mean of g^2
        return p - self.lr * g / (np.sqrt(v) + self.eps)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015; torch.optim.Adam's order of operations)."""

    name = "adam"

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
            raise ValueError(f"betas must be in [0, 1); got {beta1}, {beta2}")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def _update(self, name, p, g, s):
        b1, b2 = self.beta1, self.beta2
        if "m" not in s:
            s["m"], s["v"], s["t"] = np.zeros_like(p), np.zeros_like(p), 0
        s["t"] += 1
        s["m"] = m = b1 * s["m"] + (1.0 - b1) * g  # first moment
        s["v"] = v = b2 * s["v"] + (1.0 - b2) * (g * g)  # second moment
        bias1 = 1.0 - b1 ** s["t"]
        bias2 = 1.0 - b2 ** s["t"]
        denom = np.sqrt(v) / np.sqrt(bias2) + self.eps
        return p - (self.lr / bias1) * m / denom


DEFAULT_LR = {"sgd": 0.1, "adagrad": 0.1, "rmsprop": 1e-3, "adam": 1e-3}


def make_optimizer(name: str, lr: float | None = None, momentum: float = 0.9) -> Optimizer:
    """An optimiser by name ('sgd', 'adagrad', 'rmsprop', 'adam'); lr None takes its usual default."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {name!r}")
    lr = DEFAULT_LR[name] if lr is None else lr
    if name == "sgd":
        return SGD(lr, momentum)
    return {"adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam}[name](lr)
