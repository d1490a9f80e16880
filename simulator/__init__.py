"""Unrolled's engine: recurrent networks, BPTT and gradient diagnostics in pure numpy.

    import simulator
    net = simulator.Network.from_npz("model.npz", activation="tanh")
    result = simulator.simulate(net, x, targets, loss="mse", score="all")
    result.loss, result.outputs, result.grads, result.grad_norms

This package imports only the standard library and numpy (never Qt), so it runs in a script,
a notebook or a test as well as under the app.
"""

from .cells import ACTIVATIONS, CELLS, GAMMA, LSTM_VARIANTS
from .engine import LOSSES, clip_gradients, simulate
from .network import INITS, Network
from .result import NonFinite, Result, spectral_norms

__all__ = [
    "ACTIVATIONS",
    "CELLS",
    "GAMMA",
    "INITS",
    "LOSSES",
    "LSTM_VARIANTS",
    "Network",
    "NonFinite",
    "Result",
    "clip_gradients",
    "simulate",
    "spectral_norms",
]
