"""A stacked recurrent network with a linear readout, its initialisation and its .npz files.

Parameter names are PyTorch's state_dict names, so a model trained in PyTorch opens unchanged:
weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} per layer, readout.weight and
readout.bias. Three extras exist only for what PyTorch lacks: peephole_l{k} (3, H) for the
peephole LSTM, weight_gg_l{k} (3H, 3H) for full gate recurrence, and leak for an ESN.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .cells import ACTIVATIONS, CELLS, LSTM_VARIANTS, GRUCell, LSTMCell, RNNCell

INITS = ("uniform", "normal", "xavier", "orthogonal", "identity")
GATE_ROWS = {"rnn": 1, "esn": 1, "lstm": 4, "gru": 3}
GATE_NAMES = {"rnn": (), "esn": (), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}  # W_hh's row blocks
CONSTANT_GATE = {"nig": "i", "nfg": "f", "nog": "o"}  # the LSTM gate a variant holds at 1: it has no such gate
UNREAD_BLOCK = {**CONSTANT_GATE, "cifg": "i"}  # the W_hh block a variant never reads (CIFG: i = 1 − f)
MAX_HIDDEN = 2048
MAX_INPUTS = 4096
MAX_LAYERS = 16
MAX_PARAMS = 25_000_000  # 200 MB of float64 weights: more would take minutes per step here
META_KEY = "unrolled.meta"
LAYER_KEY = re.compile(r"^(?:weight_ih|weight_hh|bias_ih|bias_hh|peephole|weight_gg)_l(\d+)$")


def _check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(str, choices))}; got {value!r}")


def _check_number(name: str, value, lo: float, hi: float, lo_open: bool = False) -> float:
    """A finite real number in [lo, hi] (or (lo, hi]); the message names the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number; got {value!r}")
    v = float(value)
    if not np.isfinite(v) or v > hi or v < lo or (lo_open and v == lo):
        interval = f"({lo:g}, {hi:g}]" if lo_open else f"[{lo:g}, {hi:g}]"
        raise ValueError(f"{name} must be a number in {interval}; got {value!r}")
    return v


def _check_size(name: str, value, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a whole number; got {value!r}")
    if not 1 <= int(value) <= most:
        raise ValueError(f"{name} must be between 1 and {most}; got {value}")
    return int(value)


def spectral_radius(W: np.ndarray) -> float:
    """Largest |eigenvalue| of a square matrix."""
    with np.errstate(all="ignore"):
        return float(np.max(np.abs(np.linalg.eigvals(W)))) if np.all(np.isfinite(W)) else np.inf


def rescale_to_radius(W: np.ndarray, radius: float) -> np.ndarray:
    """W scaled so that its spectral radius equals `radius` (a 1x1 W becomes exactly [[radius]])."""
    if W.shape == (1, 1):
        return np.array([[float(radius)]])
    rho = spectral_radius(W)
    if rho < 1e-12:  # nilpotent or zero: no scaling can set the radius
        return W.copy()
    return W * (radius / rho)


@dataclass
class Network:
    """A stacked RNN / LSTM / GRU / ESN with a linear readout; params use PyTorch's names."""

    cell: str
    params: dict[str, np.ndarray]
    activation: str = "tanh"
    variant: str = "vanilla"
    leak: float = 1.0
    _cells: list = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        _check_choice("cell", self.cell, CELLS)
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_choice("variant", self.variant, LSTM_VARIANTS)
        if self.cell != "lstm" and self.variant != "vanilla":
            raise ValueError(f"variant {self.variant!r} applies to cell 'lstm' only (cell is {self.cell!r})")
        self.leak = _check_number("leak", self.leak, 0.0, 1.0, lo_open=True)
        if self.cell != "esn" and self.leak != 1.0:
            raise ValueError("leak applies to cell 'esn' only")
        if not isinstance(self.params, Mapping):
            raise ValueError(f"params must be a dict of name -> array; got {type(self.params).__name__}")
        params = {}
        for k, v in self.params.items():
            if not isinstance(k, str):
                raise ValueError(f"parameter names must be strings; got {k!r}")
            try:
                arr = np.asarray(v)
            except ValueError as exc:  # ragged nested lists
                raise ValueError(f"parameter {k!r} is not a rectangular array of numbers ({exc})") from None
            if arr.dtype.kind not in "fiu":
                raise ValueError(f"parameter {k!r} must hold real numbers; got dtype {arr.dtype}")
            params[k] = arr.astype(np.float64, copy=False)
        self.params = params
        self._validate()
        self._cells = None

    # ---- sizes ------------------------------------------------------------------------
    @property
    def layers(self) -> int:
        """Number of stacked recurrent layers."""
        return sum(1 for k in self.params if k.startswith("weight_hh_l"))

    @property
    def hidden(self) -> int:
        """Hidden units per layer."""
        return self.params["weight_hh_l0"].shape[1]

    @property
    def inputs(self) -> int:
        """Input features per step."""
        return self.params["weight_ih_l0"].shape[1]

    @property
    def outputs(self) -> int:
        """Readout size."""
        return self.params["readout.weight"].shape[0]

    @property
    def gamma(self) -> float:
        """sup |phi'| of the hidden activation (Pascanu et al.'s gamma)."""
        from .cells import GAMMA

        return GAMMA[self.activation] if self.cell in ("rnn", "esn") else 1.0

    def expected_shapes(self, layers: int | None = None) -> dict[str, tuple[int, ...]]:
        """Every parameter name with the shape it must have."""
        H, G = self.hidden, GATE_ROWS[self.cell] * self.hidden
        shapes: dict[str, tuple[int, ...]] = {}
        for k in range(self.layers if layers is None else layers):
            shapes[f"weight_ih_l{k}"] = (G, self.inputs if k == 0 else H)
            shapes[f"weight_hh_l{k}"] = (G, H)
            shapes[f"bias_ih_l{k}"] = (G,)
            shapes[f"bias_hh_l{k}"] = (G,)
            if self.variant == "peephole":
                shapes[f"peephole_l{k}"] = (3, H)
            if self.variant == "fgr":
                shapes[f"weight_gg_l{k}"] = (3 * H, 3 * H)
        shapes["readout.weight"] = (self.outputs, H)
        shapes["readout.bias"] = (self.outputs,)
        return shapes

    def _validate(self) -> None:
        p = self.params
        for key in ("weight_ih_l0", "weight_hh_l0", "readout.weight"):
            if key not in p:
                raise ValueError(f"missing parameter {key!r}")
        W = p["weight_hh_l0"]
        if W.ndim != 2 or W.shape[1] < 1 or W.shape[0] != GATE_ROWS[self.cell] * W.shape[1]:
            rows = {"rnn": "H", "esn": "H", "lstm": "4H", "gru": "3H"}[self.cell]
            raise ValueError(f"weight_hh_l0 of a {self.cell} must have shape ({rows}, H); got {W.shape}")
        for key in ("weight_ih_l0", "readout.weight"):
            if p[key].ndim != 2 or 0 in p[key].shape:
                raise ValueError(f"parameter {key!r} must be a non-empty 2-D array; got shape {p[key].shape}")
        _check_size("hidden", self.hidden, MAX_HIDDEN)
        _check_size("inputs", self.inputs, MAX_INPUTS)
        _check_size("outputs", self.outputs, MAX_INPUTS)
        indices = [int(m.group(1)) for m in map(LAYER_KEY.match, p) if m]
        layers = max(indices) + 1
        _check_size("layers", layers, MAX_LAYERS)
        expected = self.expected_shapes(layers)
        missing = [k for k in expected if k not in p]
        if missing:
            raise ValueError(f"missing parameter(s): {', '.join(missing)}")
        extra = [k for k in p if k not in expected]
        if extra:
            raise ValueError(f"unexpected parameter(s) for a {self.cell} ({self.variant}): {', '.join(extra)}")
        for k, shape in expected.items():
            if p[k].shape != shape:
                raise ValueError(f"parameter {k!r} has shape {p[k].shape}; expected {shape}")
            if not np.all(np.isfinite(p[k])):
                raise ValueError(f"parameter {k!r} contains NaN or infinity")

    # ---- the cells that run it --------------------------------------------------------
    def cells(self) -> list:
        """One step object per layer (built once; rebuilt if an array in params is replaced)."""
        src = self._cells[0] if self._cells is not None else None
        current = list(self.params.values())
        if src is None or len(src) != len(current) or any(a is not b for a, b in zip(src, current)):
            out = []
            for k in range(self.layers):
                W_hh = self.params[f"weight_hh_l{k}"]
                if self.cell in ("rnn", "esn"):
                    out.append(RNNCell(W_hh, self.activation, self.leak))
                elif self.cell == "lstm":
                    out.append(
                        LSTMCell(
                            W_hh,
                            self.variant,
                            self.params.get(f"peephole_l{k}"),
                            self.params.get(f"weight_gg_l{k}"),
                        )
                    )
                else:
                    out.append(GRUCell(W_hh, self.params[f"bias_hh_l{k}"][2 * self.hidden :]))
            self._cells = (current, out)
        return self._cells[1]

    def with_params(self, params: dict[str, np.ndarray]) -> Network:
        """A copy of this network with new parameter values (same names and shapes)."""
        return Network(self.cell, dict(params), self.activation, self.variant, self.leak)

    def copy(self) -> Network:
        """A deep copy."""
        return self.with_params({k: v.copy() for k, v in self.params.items()})

    @property
    def gates(self) -> tuple[str, ...]:
        """The gates this cell has, in W_hh's row order (an LSTM variant's constant gate is none)."""
        return tuple(n for n in GATE_NAMES[self.cell] if n != CONSTANT_GATE.get(self.variant))

    def recurrent_blocks(self, layer: int = -1) -> dict[str, np.ndarray]:
        """W_hh of a layer cut into its square H x H blocks, named by gate (without a block the variant never reads)."""
        layer = layer % self.layers
        W = self.params[f"weight_hh_l{layer}"]
        H = self.hidden
        names = GATE_NAMES[self.cell] or ("W_hh",)
        unread = UNREAD_BLOCK.get(self.variant)
        return {n: W[j * H : (j + 1) * H] for j, n in enumerate(names) if n != unread}

    # ---- construction -----------------------------------------------------------------
    @classmethod
    def create(
        cls,
        cell: str = "rnn",
        inputs: int = 1,
        hidden: int = 16,
        outputs: int = 1,
        layers: int = 1,
        activation: str = "tanh",
        variant: str = "vanilla",
        init: str = "uniform",
        seed: int = 0,
        wrec: float | None = None,
        sigma: float = 0.1,
        leak: float = 1.0,
    ) -> Network:
        """A freshly initialised network; wrec rescales every H x H block of W_hh to that spectral radius.

        init: 'uniform' is PyTorch's default U(-1/sqrt(H), 1/sqrt(H)) for every parameter;
        'normal' draws weights from N(0, sigma^2); 'xavier' is Glorot-uniform; 'orthogonal'
        gives each recurrent block a random orthogonal matrix; 'identity' is the IRNN of Le et
        al. 2015 (W_hh = I, inputs N(0, 0.001^2)). Biases are zero except for 'uniform'; the peephole
        weights of the peephole LSTM are U(-1/sqrt(H), 1/sqrt(H)) for every init.
        """
        _check_choice("cell", cell, CELLS)
        _check_choice("init", init, INITS)
        inputs = _check_size("inputs", inputs, MAX_INPUTS)
        hidden = _check_size("hidden", hidden, MAX_HIDDEN)
        outputs = _check_size("outputs", outputs, MAX_INPUTS)
        layers = _check_size("layers", layers, MAX_LAYERS)
        _check_choice("activation", activation, ACTIVATIONS)
        _check_choice("variant", variant, LSTM_VARIANTS)
        if wrec is not None:
            wrec = _check_number("wrec (spectral radius of W_hh)", wrec, 0.0, 100.0)
        sigma = _check_number("sigma", sigma, 0.0, 1e6, lo_open=True)
        leak = _check_number("leak", leak, 0.0, 1.0, lo_open=True)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a whole number >= 0; got {seed!r}")
        H, G = hidden, GATE_ROWS[cell] * hidden
        per_layer = G * (H + 2) + (3 * H if variant == "peephole" else 0) + (9 * H * H if variant == "fgr" else 0)
        count = G * inputs + per_layer * layers + G * H * (layers - 1) + outputs * (H + 1)
        if count > MAX_PARAMS:
            raise ValueError(
                f"inputs = {inputs}, hidden = {hidden}, layers = {layers}, outputs = {outputs} would make "
                f"{count:,} weights (at most {MAX_PARAMS:,}); use fewer units or layers"
            )
        rng = np.random.default_rng(seed)
        bound = 1.0 / np.sqrt(H)
        p: dict[str, np.ndarray] = {}

        def weight(rows, cols, recurrent):
            if init == "uniform":
                return rng.uniform(-bound, bound, (rows, cols))
            if init == "normal":
                return rng.normal(0.0, sigma, (rows, cols))
            if init == "xavier" or (init == "orthogonal" and not recurrent):
                limit = np.sqrt(6.0 / (H + cols))  # Glorot, per gate block
                return rng.uniform(-limit, limit, (rows, cols))
            if init == "identity" and not recurrent:
                return rng.normal(0.0, 1e-3, (rows, cols))
            blocks = []  # square recurrent blocks: orthogonal or identity
            for _ in range(rows // cols):
                if init == "identity":
                    blocks.append(np.eye(cols))
                else:
                    q, r = np.linalg.qr(rng.normal(size=(cols, cols)))
                    blocks.append(q * np.sign(np.diag(r)))
            return np.concatenate(blocks, axis=0)

        def bias(n):
            return rng.uniform(-bound, bound, n) if init == "uniform" else np.zeros(n)

        for k in range(layers):
            p[f"weight_ih_l{k}"] = weight(G, inputs if k == 0 else H, False)
            p[f"weight_hh_l{k}"] = weight(G, H, True)
            p[f"bias_ih_l{k}"] = bias(G)
            p[f"bias_hh_l{k}"] = bias(G)
            if cell == "lstm" and variant == "peephole":
                # drawn like PyTorch's weights, whatever the init: at zero (as the biases) the peepholes
                # did nothing, and the variant was the vanilla LSTM to the last digit
                p[f"peephole_l{k}"] = rng.uniform(-bound, bound, (3, H))
            if cell == "lstm" and variant == "fgr":
                p[f"weight_gg_l{k}"] = rng.uniform(-bound, bound, (3 * H, 3 * H))
        p["readout.weight"] = rng.uniform(-bound, bound, (outputs, H))
        p["readout.bias"] = rng.uniform(-bound, bound, outputs)
        if wrec is not None:
            for k in range(layers):
                W = p[f"weight_hh_l{k}"]
                p[f"weight_hh_l{k}"] = np.concatenate(
                    [rescale_to_radius(W[j * H : (j + 1) * H], wrec) for j in range(G // H)]
                )
        return cls(cell, p, activation, variant if cell == "lstm" else "vanilla", leak)

    # ---- files ------------------------------------------------------------------------
    def to_npz(self, path: str | os.PathLike) -> None:
        """Save with PyTorch's state_dict names (plus a small JSON note of cell, activation, variant)."""
        meta = json.dumps({"cell": self.cell, "activation": self.activation, "variant": self.variant})
        arrays = dict(self.params)
        arrays[META_KEY] = np.array(meta)
        if self.cell == "esn":
            arrays["leak"] = np.array(self.leak)
        tmp = f"{os.fspath(path)}.tmp"
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)

    @classmethod
    def from_npz(
        cls,
        path: str | os.PathLike,
        activation: str | None = None,
        variant: str | None = None,
        cell: str | None = None,
    ) -> Network:
        """Open a .npz of PyTorch state_dict arrays; the cell kind follows from weight_hh_l0's rows."""
        name = os.fspath(path)
        try:
            data = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise ValueError(f"no such file: {name}") from None
        except IsADirectoryError:
            raise ValueError(f"{name} is a folder, not a .npz weight file") from None
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError) as exc:
            raise ValueError(f"{name} is not a .npz weight file (np.savez of named arrays): {exc}") from None
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError(f"{name} holds a single array, not named weights; save with np.savez(path, **state_dict)")
        arrays: dict[str, np.ndarray] = {}
        meta: dict = {}
        leak = 1.0
        with data:
            files = list(data.files)
            for key in files:
                try:
                    arr = data[key]
                except ValueError as exc:
                    if "pickle" in str(exc):
                        raise ValueError(
                            f"{key!r} in {name} is a pickled object; only plain numeric arrays are read"
                        ) from None
                    raise ValueError(f"{key!r} in {name} cannot be read: {exc}") from None
                except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                    raise ValueError(f"{key!r} in {name} cannot be read: {exc}") from None
                if key == META_KEY:
                    meta = _read_meta(arr, name)
                    continue
                if key == "leak":
                    if arr.size != 1 or arr.dtype.kind not in "fiu":
                        raise ValueError(f"'leak' in {name} must be a single number; got shape {arr.shape}")
                    leak = float(arr.reshape(()))
                    continue
                if arr.dtype.kind not in "fiu":
                    raise ValueError(f"{key!r} in {name} has dtype {arr.dtype}; expected real numbers")
                arrays[key.removeprefix("module.")] = arr.astype(np.float64)
        if "weight_hh_l0" not in arrays:
            raise ValueError(f"{name} has no 'weight_hh_l0'; keys are {', '.join(files) or 'none'}")
        W = arrays["weight_hh_l0"]
        rows, H = W.shape if W.ndim == 2 else (0, 0)
        guessed = {H: "rnn", 3 * H: "gru", 4 * H: "lstm"}.get(rows) if H > 0 else None
        if guessed is None:
            raise ValueError(f"weight_hh_l0 has shape {W.shape}; expected (H, H), (3H, H) or (4H, H) with H >= 1")
        if guessed == "rnn" and "leak" in files:
            guessed = "esn"
        cell = cell or meta.get("cell") or guessed
        if GATE_ROWS.get(cell) != GATE_ROWS[guessed]:
            raise ValueError(f"cell {cell!r} does not match weight_hh_l0 of shape {W.shape} (that is a {guessed})")
        if "readout.weight" not in arrays:
            raise ValueError("missing 'readout.weight' (O, H) and 'readout.bias' (O,): the linear readout")
        if variant is None:
            variant = meta.get("variant")
        if variant is None and cell == "lstm":
            variant = "peephole" if "peephole_l0" in arrays else "fgr" if "weight_gg_l0" in arrays else "vanilla"
        return cls(cell, arrays, activation or meta.get("activation", "tanh"), variant or "vanilla", leak)


def _read_meta(arr: np.ndarray, name: str) -> dict:
    """The small JSON note to_npz writes (cell, activation, variant)."""
    try:
        meta = json.loads(str(arr))
    except ValueError:
        raise ValueError(f"{META_KEY!r} in {name} is not valid JSON") from None
    if not isinstance(meta, dict) or not all(
        isinstance(meta.get(k, ""), str) for k in ("cell", "activation", "variant")
    ):
        raise ValueError(f"{META_KEY!r} in {name} must be a JSON object of cell, activation and variant names")
    return meta
