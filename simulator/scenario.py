"""Scenario files: the whole state of a session as versioned JSON (never pickle).

A scenario holds the configuration, optionally the network's own weights (after training, or
loaded from a .npz), the lesson and how far through it, the training history and the view
options. Same config + same weights gives the same trace, bit for bit:

    save_scenario("lecture3.json", Scenario(config, network=trained_net, lesson="04-vanishing"))
    scenario = load_scenario("lecture3.json")      # ValueError with a message if refused
    result = scenario.trace()

The file is JSON with a header: {"format": "unrolled-scenario", "version": 1, ...}. Weights are
stored as exact floats (Python's shortest round-trip repr) with their shapes, under PyTorch's
state_dict names. Writing is atomic: a temporary file in the same folder, fsync, then
os.replace, so a crash mid-save leaves the previous file as it was.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import Config, build_network, run
from .network import Network
from .result import Result

FORMAT = "unrolled-scenario"
VERSION = 1
_FLOAT_TAG = "$float"  # a non-finite float in JSON data: {"$float": "nan" | "inf" | "-inf"}


def json_error_text(exc: json.JSONDecodeError) -> str:
    """'broken JSON: Unterminated string starting at line 11, column 5 (character 193)': the parser's whole reason.

    The parser's msg alone often ends in 'at' ('Unterminated string starting at') and reads cut off.
    """
    reason = exc.msg.rstrip(": ")
    where = f"line {exc.lineno}, column {exc.colno} (character {exc.pos})"
    return f"broken JSON: {reason} {where}" if reason.endswith(" at") else f"broken JSON: {reason} at {where}"


@dataclass(frozen=True, eq=False)  # eq would compare arrays; compare to_dict() instead
class Scenario:
    """Everything needed to reopen a session: configuration, weights, lesson, history, view."""

    config: Config = field(default_factory=Config)
    network: Network | None = None  # the weights in use; None = the config's own initial weights
    lesson: str | None = None  # a lesson id, e.g. '04-vanishing'
    lesson_step: int = 0  # how many of the lesson's 'try this' steps have been taken
    training: dict[str, Any] | None = None  # training history (JSON data; numpy arrays allowed)
    view: dict[str, Any] = field(default_factory=dict)  # view options (JSON data)

    def __post_init__(self):
        if not isinstance(self.config, Config):
            raise ValueError(f"config must be a Config; got {type(self.config).__name__}")
        if self.network is not None:
            if not isinstance(self.network, Network):
                raise ValueError(f"network must be a Network or None; got {type(self.network).__name__}")
            check_network_matches(self.config, self.network)
        if self.lesson is not None and not isinstance(self.lesson, str):
            raise ValueError(f"lesson must be a lesson id (text) or None; got {self.lesson!r}")
        if isinstance(self.lesson_step, bool) or not isinstance(self.lesson_step, int) or self.lesson_step < 0:
            raise ValueError(f"lesson_step must be a whole number >= 0; got {self.lesson_step!r}")
        if self.training is not None and not isinstance(self.training, dict):
            raise ValueError(f"training must be a dict or None; got {type(self.training).__name__}")
        if not isinstance(self.view, dict):
            raise ValueError(f"view must be a dict; got {type(self.view).__name__}")

    def weights(self) -> Network:
        """The network this scenario runs: its own weights, else the config's initial ones."""
        return self.network if self.network is not None else build_network(self.config)

    def trace(self) -> Result:
        """Forward pass + BPTT of this scenario (bit-identical to config.run when there are no custom weights)."""
        return run_network(self.config, self.weights())

    # ---- JSON -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The JSON document (plain dicts, lists, numbers, text)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "config": self.config.to_dict(),
            "weights": None if self.network is None else _encode_weights(self.network),
            "lesson": self.lesson,
            "lesson_step": self.lesson_step,
            "training": None if self.training is None else _encode_data(self.training, "training"),
            "view": _encode_data(self.view, "view"),
        }

    @classmethod
    def from_dict(cls, doc: Any, source: str = "scenario") -> Scenario:
        """Build from a JSON document; ValueError naming `source` and the field if anything is wrong."""
        if not isinstance(doc, dict) or "format" not in doc:
            raise ValueError(f'{source} is JSON but not an Unrolled scenario (it has no "format": "{FORMAT}" header)')
        if doc["format"] != FORMAT:
            raise ValueError(f"{source} is not an Unrolled scenario: its format is {doc['format']!r}, not {FORMAT!r}")
        version = doc.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"{source}: 'version' must be a whole number >= 1; got {version!r}")
        if version > VERSION:
            raise ValueError(
                f"{source} was written by a newer Unrolled (scenario version {version}); "
                f"this version reads scenario files up to version {VERSION}. Please update Unrolled."
            )
        config_doc = doc.get("config")
        if not isinstance(config_doc, dict):
            raise ValueError(f"{source}: 'config' must be an object of configuration keys; got {config_doc!r}")
        try:
            config = Config.from_dict(config_doc)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{source}: config: {exc}") from None
        network = None
        if doc.get("weights") is not None:
            try:
                network = _decode_weights(doc["weights"], config)
            except ValueError as exc:
                raise ValueError(f"{source}: weights: {exc}") from None
        lesson = doc.get("lesson")
        if lesson is not None and not isinstance(lesson, str):
            raise ValueError(f"{source}: 'lesson' must be a lesson id or null; got {lesson!r}")
        step = doc.get("lesson_step", 0)
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"{source}: 'lesson_step' must be a whole number >= 0; got {step!r}")
        training = doc.get("training")
        if training is not None and not isinstance(training, dict):
            raise ValueError(f"{source}: 'training' must be an object or null; got {type(training).__name__}")
        view = doc.get("view", {})
        if not isinstance(view, dict):
            raise ValueError(f"{source}: 'view' must be an object; got {type(view).__name__}")
        try:
            training = None if training is None else _decode_data(training)
            view = _decode_data(view)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None
        return cls(config, network, lesson, step, training, view)

    def dumps(self) -> str:
        """The file's text: indented JSON, each weight array on one line."""
        doc = self.to_dict()
        parts = []
        for key, value in doc.items():
            if key == "weights" and value is not None:
                rows = [f"    {json.dumps(n)}: {_compact(v)}" for n, v in value.items()]
                body = "{\n" + ",\n".join(rows) + "\n  }"
            elif key == "training" and value is not None:
                body = _compact(value)  # long loss histories stay on one line
            else:
                body = json.dumps(value, indent=2, allow_nan=False).replace("\n", "\n  ")
            parts.append(f"  {json.dumps(key)}: {body}")
        return "{\n" + ",\n".join(parts) + "\n}\n"

    @classmethod
    def loads(cls, text: str, source: str = "scenario") -> Scenario:
        """Parse the text of a scenario file (ValueError with a message if refused)."""
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{source} is not a valid scenario file: {json_error_text(exc)}; the file may be damaged or cut short"
            ) from None
        except RecursionError:
            raise ValueError(f"{source} is not a valid scenario file: nested too deeply") from None
        return cls.from_dict(doc, source)


def save_scenario(path: str | os.PathLike, scenario: Scenario) -> None:
    """Write a scenario file atomically: the old file stays intact if anything fails.

    The text is built completely before the file system is touched; then it goes to a
    temporary file in the same folder, is flushed to disk, and replaces `path` in one rename.
    ValueError if the scenario cannot be written as JSON; OSError if the disk refuses.
    """
    if not isinstance(scenario, Scenario):
        raise ValueError(f"save_scenario takes a Scenario; got {type(scenario).__name__}")
    atomic_write_text(path, scenario.dumps())


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Read a scenario file; ValueError with a clear message for a missing, corrupt, foreign or newer file."""
    name = os.fspath(path)
    try:
        raw = Path(name).read_bytes()
    except FileNotFoundError:
        raise ValueError(f"no such file: {name}") from None
    except IsADirectoryError:
        raise ValueError(f"{name} is a folder, not a scenario file") from None
    except OSError as exc:
        raise ValueError(f"cannot read {name}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not a scenario file: it is not UTF-8 text (is it a binary file?)") from None
    return Scenario.loads(text, name)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Replace `path` with `text` (UTF-8) in one rename; on any failure the old file is untouched."""
    target = Path(os.fspath(path))
    data = text.encode("utf-8")
    directory = target.parent if str(target.parent) else Path(".")
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())  # the bytes are on disk before the rename makes them visible
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def training_record(snapshot, task: str | None = None, settings=None) -> dict:
    """A training snapshot (simulator/train.py) as the JSON data a scenario's `training` holds.

    The weights are not part of it: they go into Scenario.network. Keys: iteration,
    iterations, train_loss [...], test_loss [[iteration, loss], ...], status, message,
    seconds, and task / settings when given (settings: a TrainSettings or a dict).
    """
    record = {
        "iteration": int(snapshot.iteration),
        "iterations": int(snapshot.iterations),
        "train_loss": [float(v) for v in snapshot.train_loss],
        "test_loss": [[int(i), float(v)] for i, v in snapshot.test_loss],
        "status": str(snapshot.status),
        "message": str(snapshot.message),
        "seconds": float(snapshot.seconds),
    }
    if task is not None:
        record["task"] = task
    if settings is not None:
        record["settings"] = settings if isinstance(settings, dict) else settings.to_dict()
    return record


# ---- running a config with given weights --------------------------------------------------
def run_network(config: Config, net: Network) -> Result:
    """config.run with these weights instead of the config's initial ones (same data, same remedies)."""
    check_network_matches(config, net)
    return run(config, net)


def check_network_matches(config: Config, net: Network) -> None:
    """ValueError naming the first key in which the network's kind or sizes differ from the config."""
    for key in ("cell", "activation", "variant", "leak", "inputs", "hidden", "outputs", "layers"):
        have, want = getattr(net, key), getattr(config, key)
        if have != want:
            raise ValueError(f"the weights are for {key} = {have!r} but the configuration says {key} = {want!r}")


def is_initial(config: Config, net: Network) -> bool:
    """Whether `net` holds exactly the config's initial weights (then a scenario need not store them)."""
    ref = build_network(config)
    return net.params.keys() == ref.params.keys() and all(
        np.array_equal(net.params[k], ref.params[k]) for k in ref.params
    )


# ---- encoding -------------------------------------------------------------------------
def _compact(value) -> str:
    return json.dumps(value, allow_nan=False, separators=(", ", ": "))


def _encode_weights(net: Network) -> dict:
    """{name: {"shape": [...], "values": [...]}}; floats are written exactly (repr round-trips)."""
    return {
        name: {"shape": list(arr.shape), "values": [float(v) for v in arr.ravel()]} for name, arr in net.params.items()
    }


def _decode_weights(doc, config: Config) -> Network:
    if not isinstance(doc, dict) or not doc:
        raise ValueError("must be an object of named arrays (PyTorch state_dict names)")
    params = {}
    for name, entry in doc.items():
        if not isinstance(entry, dict) or "shape" not in entry or "values" not in entry:
            raise ValueError(f"{name!r} must be an object with 'shape' and 'values'")
        shape, values = entry["shape"], entry["values"]
        if not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) for s in shape):
            raise ValueError(f"{name!r}: 'shape' must be a list of whole numbers; got {shape!r}")
        if any(s < 0 for s in shape):
            raise ValueError(f"{name!r}: 'shape' has a negative size: {shape!r}")
        if not isinstance(values, list):
            raise ValueError(f"{name!r}: 'values' must be a list of numbers")
        if len(values) != math.prod(shape):
            raise ValueError(f"{name!r}: shape {shape} needs {math.prod(shape)} values; the file has {len(values)}")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise ValueError(f"{name!r}: 'values' must all be numbers")
        params[name] = np.array(values, dtype=np.float64).reshape(shape)
    net = Network(config.cell, params, config.activation, config.variant, config.leak)
    check_network_matches(config, net)
    return net


def _encode_data(value, where: str):
    """JSON-ready copy of view/training data: numpy becomes lists, non-finite floats are tagged."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{where}: keys must be text; got {k!r}")
            out[k] = _encode_data(v, f"{where}.{k}")
        return out
    if isinstance(value, (list, tuple)):
        return [_encode_data(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return _encode_data(value.tolist(), where)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else {_FLOAT_TAG: repr(v)}
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{where}: cannot be saved as JSON: {type(value).__name__}")


def _decode_data(value):
    if isinstance(value, dict):
        if set(value) == {_FLOAT_TAG}:
            text = value[_FLOAT_TAG]
            if text not in ("nan", "inf", "-inf"):
                raise ValueError(f"{{{_FLOAT_TAG!r}: ...}} must be 'nan', 'inf' or '-inf'; got {text!r}")
            return float(text)
        return {k: _decode_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_data(v) for v in value]
    return value
