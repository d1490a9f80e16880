"""The frozen configuration that fully determines a network and its input sequence.

The keys are the project's shared vocabulary (../shared/DESIGN.md): the same names are used by
the UI, by `main.py --set key=value` and by scenario files. run(config) builds the network and
the data from the seed and returns the trace; the same config gives the same trace, bit for bit.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np

from .cells import ACTIVATIONS, CELLS, LSTM_VARIANTS
from .engine import simulate
from .network import GATE_ROWS, INITS, Network
from .result import Result, remember_spectrum

TOPOLOGIES = ("many_to_many", "many_to_one", "one_to_many")
TOPOLOGY_EXAMPLES = {  # one line under the topology's name (which already says one/many to one/many)
    "one_to_many": "e.g. image captioning",
    "many_to_one": "e.g. sentiment of a review",
    "many_to_many": "e.g. translation, subtitles",
}

# key: (lowest, highest) for numbers, or the allowed words
LIMITS: dict[str, tuple] = {
    "cell": CELLS,
    "variant": LSTM_VARIANTS,
    "activation": ACTIVATIONS,
    "topology": TOPOLOGIES,
    "init": INITS,
    "inputs": (1, 256),
    "hidden": (1, 256),
    "outputs": (1, 256),
    "layers": (1, 8),
    "steps": (1, 1000),
    "batch": (1, 256),
    "wrec": (0.0, 10.0),
    "seed": (0, 2**31 - 1),
    "truncate": (0, 1000),
    "clip": (0.0, 1e6),
    "clip_value": (0.0, 1e6),
    "penalty": (0.0, 1e3),
    "leak": (0.01, 1.0),
    "sigma": (1e-6, 10.0),
}


@dataclass(frozen=True)
class Config:
    """Everything that determines one simulated network and sequence."""

    cell: str = "rnn"
    variant: str = "vanilla"
    activation: str = "tanh"
    inputs: int = 1
    hidden: int = 16
    outputs: int = 1
    layers: int = 1
    steps: int = 20
    batch: int = 1
    topology: str = "many_to_one"
    wrec: float = 1.0
    init: str = "orthogonal"
    seed: int = 0
    truncate: int = 0
    clip: float = 0.0
    clip_value: float = 0.0
    penalty: float = 0.0
    leak: float = 1.0
    sigma: float = 0.1

    def __post_init__(self):
        if isinstance(self.topology, str) and self.topology.replace("-", "_") in TOPOLOGIES:
            # 'many-to-many', as the UI and README write it, is many_to_many
            object.__setattr__(self, "topology", self.topology.replace("-", "_"))
        for f in fields(self):
            _check(f.name, getattr(self, f.name))
        if self.cell != "lstm" and self.variant != "vanilla":
            object.__setattr__(self, "variant", "vanilla")
        if self.cell != "esn" and self.leak != 1.0:
            object.__setattr__(self, "leak", 1.0)
        if self.penalty > 0 and self.cell not in ("rnn", "esn"):
            raise ValueError("penalty (Pascanu's gradient-norm regulariser) applies to cell rnn or esn only")

    def replace(self, **changes) -> Config:
        """A copy with some keys changed (validated)."""
        unknown = [k for k in changes if k not in KEYS]
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r}; known keys: {', '.join(KEYS)}")
        return dataclasses.replace(self, **changes)

    def with_text(self, key: str, text: str) -> Config:
        """A copy with one key set from text, as in `--set key=value`."""
        return self.replace(**{key: parse_value(key, text)})

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (every value is a str, int or float: no deep copy needed, unlike asdict)."""
        return {name: getattr(self, name) for name in KEYS}

    @classmethod
    def from_dict(cls, data: dict) -> Config:
        """Build from a dict of keys (unknown keys are refused)."""
        return cls().replace(**data)

    @property
    def score(self) -> str:
        """Which steps carry a loss: 'last' for many-to-one, else 'all'."""
        return "last" if self.topology == "many_to_one" else "all"


KEYS = tuple(f.name for f in fields(Config))
_TYPES = {f.name: f.type for f in fields(Config)}


def _check(key: str, value) -> None:
    lim = LIMITS[key]
    if isinstance(lim[0], str):
        if value not in lim:
            words = ", ".join(w.replace("_", "-") for w in lim)  # as users write them: many-to-one
            raise ValueError(f"{key} must be one of {words}; got {value!r}")
        return
    kind = _TYPES[key]
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{key} must be a whole number; got {value!r}")
    elif isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{key} must be a number; got {value!r}")
    # math.isfinite: a Python int beyond int64 (a 20-digit seed) is a TypeError in np.isfinite
    if not math.isfinite(value) or not lim[0] <= value <= lim[1]:
        low, high = (f"{v:g}" if isinstance(v, float) else str(v) for v in lim)  # a seed's 2147483647 in full
        raise ValueError(f"{key} must be between {low} and {high}; got {value!r}")


def parse_value(key: str, text: str):
    """Turn the text of `--set key=value` into the key's type, with a message naming the key."""
    if key not in KEYS:
        raise ValueError(f"unknown key {key!r}; known keys: {', '.join(KEYS)}")
    kind = _TYPES[key]
    text = text.strip()
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
    except ValueError:
        raise ValueError(f"{key} must be {'a whole number' if kind == 'int' else 'a number'}; got {text!r}") from None
    return text.lower()


def make_data(config: Config) -> tuple[np.ndarray, np.ndarray]:
    """The input sequence x (T, B, inputs) and targets (T, B, outputs) the seed determines.

    Inputs are standard-normal. For one-to-many only x_0 is given; later steps receive zeros
    (the network runs on its own state). The targets are a fixed random projection of the
    running mean of the inputs so far, squashed by tanh: a smooth task whose answer at step t
    depends on everything before it.
    """
    rng = np.random.default_rng([config.seed, 1])
    T, B = config.steps, config.batch
    x = rng.standard_normal((T, B, config.inputs))
    if config.topology == "one_to_many":
        x[1:] = 0.0
    mix = rng.standard_normal((config.inputs, config.outputs))
    running = np.cumsum(x, axis=0) / np.sqrt(np.arange(1, T + 1))[:, None, None]
    targets = np.tanh(running @ mix)
    return x, targets


@lru_cache(maxsize=16)
def _base_params(cell, variant, activation, inputs, hidden, outputs, layers, init, seed, sigma, leak):
    """Initial weights before the Wrec rescale, and each H x H block's (eigenvalues, sigma_max)."""
    net = Network.create(cell, inputs, hidden, outputs, layers, activation, variant, init, seed, None, sigma, leak)
    spectra = {}
    for k in range(layers):
        W = net.params[f"weight_hh_l{k}"]
        blocks = [W[j * hidden : (j + 1) * hidden] for j in range(GATE_ROWS[cell])]
        with np.errstate(all="ignore"):
            spectra[k] = [(np.linalg.eigvals(B), float(np.linalg.norm(B, 2))) for B in blocks]
    return net.params, spectra


def build_network(config: Config) -> Network:
    """The network a config describes: initialised from the seed, W_hh blocks rescaled to wrec."""
    params, spectra = _base_params(
        config.cell, config.variant, config.activation, config.inputs, config.hidden, config.outputs,
        config.layers, config.init, config.seed, config.sigma, config.leak,
    )  # fmt: skip
    p = {k: v.copy() for k, v in params.items()}  # the cached arrays are never handed out
    H = config.hidden
    for k, blocks in spectra.items():
        W = p[f"weight_hh_l{k}"]
        for j, (eig, sigma) in enumerate(blocks):
            block = W[j * H : (j + 1) * H]
            rho = float(np.abs(eig).max())
            if H == 1:
                block[...] = config.wrec  # for one unit, W_hh is the scalar Wrec itself
            elif rho > 1e-12:
                scale = config.wrec / rho
                block *= scale
                remember_spectrum(block, scale * eig, abs(scale) * sigma)  # no eigenproblem per Wrec change
        p[f"weight_hh_l{k}"] = W
    return Network(config.cell, p, config.activation, config.variant, config.leak)


def run(config: Config, net: Network | None = None, data: tuple | None = None) -> Result:
    """Run forward + BPTT with the config's remedies and return the trace.

    net: the weights (default: the config's initial ones); data: (x, targets, loss) to run them
    on (default: the config's own sequence, MSE).
    """
    net = build_network(config) if net is None else net
    x, targets, loss = (*make_data(config), "mse") if data is None else data
    return simulate(
        net,
        x,
        targets,
        loss=loss,
        score=config.score,
        truncate=config.truncate,
        clip=config.clip,
        clip_value=config.clip_value,
        penalty=config.penalty,
    )
