"""Lessons as data: guided tours whose claims are measured on the live trace, never typed in.

A lesson is a JSON file in assets/lessons/ (NN-name.json, "format": "unrolled-lesson",
"version": 1) with:

    id          the file name without .json, e.g. "04-vanishing"
    title       one line
    summary     one sentence for the lesson list
    text        the lesson in the project's own words: a string or a list of paragraphs.
                Plain text with Unicode maths; {{name}} is replaced by the measured value of
                the claim `name`, {{config.KEY}} by the current value of a config key.
                A counted noun right after a placeholder ("{{config.steps}} steps") loses
                its plural s when the value is 1.
    preset      configuration keys (simulator/config.py Config) the lesson opens with
    controls    which controls the UI shows (names from CONTROLS below); the others are hidden
    plots       which plots the lesson is about (names from PLOTS), first = most important
    view        initial view options (VIEW_OPTIONS), e.g. {"fold": true}
    claims      {name: {"claim": registry name, "args": {...}, "expect": EXPECT}}: the live
                numbers the text quotes. "expect" (optional) says what must hold in the
                preset; the tests check it.
    steps       2-4 "try this" steps: {"text", "observe", "set": {config changes},
                "view": {...}, "expect": {claim name: EXPECT}}. `text` is the instruction
                (no claim placeholders: it is read before the change). `set` is applied to
                the current configuration when the student presses the step's button (tests
                apply it to the preset), and its expectations must then hold. `observe` is
                what to look at afterwards, with {{placeholders}} measured on the new trace.
    training    optional: the training run the lesson is about, which the UI's Train button
                starts and the training claims use: {"task": name, "seq_len": n,
                "task_args": {...}, "settings": {TrainSettings keys}}; the current
                configuration supplies cell, variant, activation, hidden, layers, init, seed
    references  the sources, as text

EXPECT is one of {"below": x}, {"above": x}, {"between": [a, b]}, {"near": x, "rtol": r},
{"equals": v} or {"exists": true/false} (the claim has a value at all, e.g. an overflow step).

The claim registry CLAIMS maps a name to a function (result, config, training=None, **args)
-> (value, text). It measures on the Result (the trace) and, when it must compare, runs the
engine again (a comparable RNN, a nudged input). Training claims read the UI's run when it
passes one (TrainingRun(task, snapshot)), else train a small network for a few seconds with
simulator/train.py, deterministically, and remember it; allow_training=False makes them say
so instead, for the GUI thread.

    lesson = get_lesson("vanishing")
    result = run(lesson.config)
    render_text(lesson, result, lesson.config)      # the text with measured numbers in it
    lesson.steps[0].text                            # the instruction; apply it with ...
    config = lesson.steps[0].apply(lesson.config)   # ... then show what it changed:
    render_step(lesson, 0, run(config), config)
    check_claim(lesson)                             # True if every expectation holds
"""

from __future__ import annotations

import contextvars
import json
import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from .cells import LSTM_VARIANTS, dphi_from_output
from .config import KEYS, Config, build_network, run
from .engine import pascanu_penalty, simulate
from .result import Result
from .scenario import json_error_text

FORMAT = "unrolled-lesson"
VERSION = 1
LESSONS_DIR = Path(__file__).resolve().parent.parent / "assets" / "lessons"

# ---- the vocabulary the lesson files and the UI share ------------------------------------

CONTROLS: dict[str, str] = {
    # every configuration key is a control of the same name
    "cell": "cell kind: RNN, LSTM, GRU, ESN",
    "variant": "LSTM variant (Greff et al. 2015)",
    "activation": "hidden activation of an RNN/ESN, with its φ and φ′ plot",
    "inputs": "input size",
    "hidden": "hidden units per layer",
    "outputs": "output size",
    "layers": "stacked recurrent layers",
    "steps": "sequence length T, with the add-step / remove-step buttons",
    "batch": "sequences per batch",
    "topology": "one-to-many, many-to-one, many-to-many (with their examples)",
    "wrec": "the Wrec slider: spectral radius of W_hh (the scalar Wrec for one unit)",
    "init": "weight initialisation scheme",
    "seed": "random seed of weights and data",
    "truncate": "truncated BPTT window k (0 = full BPTT)",
    "clip": "gradient clipping by global norm (threshold; 0 = off)",
    "clip_value": "gradient clipping by value (per entry; 0 = off)",
    "penalty": "weight of Pascanu's gradient-norm penalty Ω (0 = off)",
    "leak": "ESN leak rate",
    "sigma": "standard deviation of the 'normal' initialisation",
    # view and actions
    "fold": "the folded / unrolled toggle of the network diagram",
    "transport": "play, pause, step forward/back, rewind, speed",
    "train": "the training panel: task, start/pause/stop, loss curves",
    "optimizer": "the optimiser choice in the training panel (SGD, Adagrad, RMSprop, Adam)",
    "temperature": "the sampling temperature of the character model",
    "compare": "compare mode: two configurations trained side by side",
    "esn_fit": "the button that fits an echo state network's readout",
}
CONFIG_CONTROLS = tuple(k for k in CONTROLS if k in KEYS)

PLOTS: dict[str, str] = {
    "gradients": "‖∂L/∂h_t‖ against t (log axis) with the Pascanu bound",
    "jacobian": "‖∂h_{T−1}/∂h_t‖, the Jacobian product, with the verdict fitted on it",
    "eigenvalues": "eigenvalues of W_hh on the complex plane with the unit circle",
    "hidden": "the hidden state as a heatmap (t × units)",
    "gates": "LSTM/GRU gates and the cell state as heatmaps",
    "loss": "the per-step loss terms, or the training loss curves",
    "unrolled": "the unrolled (or folded) network diagram",
    "window": "the whole window",
}

VIEW_OPTIONS: dict[str, tuple] = {
    "fold": (True, False),  # True: the folded picture (one cell with its loop)
    "focus": tuple(PLOTS),  # the plot to bring forward
    "play": ("forward", "backward"),  # start the animation of this phase
}

EXPECT_KINDS = ("below", "above", "between", "near", "equals", "exists")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")
# a placeholder followed by a counted noun ("T = {{config.steps}} steps"): a value of 1 takes the singular.
# A control character may sit between them (the UI marks a measured value with one).
_COUNTED = re.compile(
    r"(\{\{\s*[A-Za-z_][A-Za-z0-9_.]*\s*\}\}[\x00-\x08]?\s+(?:loss |time |per-step )?)"
    r"(step|term|layer|unit|piece|iteration|input|output|character|number|weight)s\b"
)


# ---- numbers as a student reads them --------------------------------------------------------

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
MINUS = "\u2212"  # the minus sign, as every other view writes a negative number (not the hyphen '-')


def signed(text: str) -> str:
    """A formatted number with the true minus sign: '-0.02' -> '−0.02'; '-0.00' (a rounded zero) -> '0.00'."""
    if not text.startswith("-"):
        return text
    if not any(c in "123456789" for c in text):  # every digit a zero: no sign on nothing
        return text[1:]
    return MINUS + text[1:]


def fmt(x, digits: int = 3) -> str:
    """A number for the lesson text: 0.0123, 4.56, −0.25, 3.2 × 10⁻¹²; 'infinite' / 'not a number'."""
    if x is None:
        return "—"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return signed(f"{int(x):,}".replace(",", " ") if abs(int(x)) >= 10_000 else str(int(x)))
    x = float(x)
    if math.isnan(x):
        return "not a number"
    if math.isinf(x):
        return "infinite" if x > 0 else "minus infinite"
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e4:
        text = f"{x:.{digits}g}"
        return signed(text) if "e" not in text else _sci(x, digits)
    return _sci(x, digits)


def _sci(x: float, digits: int) -> str:
    mant, exp = f"{x:.{digits - 1}e}".split("e")
    return f"{signed(mant)} × 10{str(int(exp)).translate(_SUPERSCRIPT)}"


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """A count with its noun: '1 layer', '2 layers' (nouns: an irregular plural)."""
    return f"{fmt(n)} {noun if n == 1 else (nouns or noun + 's')}"


def percent(x: float) -> str:
    """A share as a percentage."""
    return signed(f"{100 * x:.0f} %" if abs(x) >= 0.01 or x == 0 else f"{100 * x:.2g} %")


# ---- expectations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """What a claim's value must be: below / above / between / near / equals / exists."""

    kind: str
    value: Any = None
    rtol: float = 1e-9

    def holds(self, value) -> bool:
        """Whether a measured value meets the expectation (None never does, except exists=false)."""
        if self.kind == "exists":
            return (value is not None) == bool(self.value)
        if value is None:
            return False
        if self.kind == "equals":
            if isinstance(self.value, str) or isinstance(value, str):
                return value == self.value
            return float(value) == float(self.value)
        v = float(value)
        if math.isnan(v):
            return False
        if self.kind == "below":
            return v < self.value
        if self.kind == "above":
            return v > self.value
        if self.kind == "between":
            return self.value[0] <= v <= self.value[1]
        return math.isclose(v, self.value, rel_tol=self.rtol, abs_tol=0.0)  # near

    def describe(self) -> str:
        """The expectation in words."""
        if self.kind == "between":
            return f"between {fmt(self.value[0])} and {fmt(self.value[1])}"
        if self.kind == "near":
            return f"within {self.rtol:g} (relative) of {fmt(self.value)}"
        if self.kind == "exists":
            return "present" if self.value else "absent"
        if self.kind == "equals" and isinstance(self.value, str):
            return f"equal to {self.value!r}"
        return f"{self.kind} {fmt(self.value)}"

    @classmethod
    def parse(cls, doc, where: str) -> Expect:
        """From its JSON form; ValueError naming `where`."""
        if not isinstance(doc, dict) or not doc:
            raise ValueError(f'{where} must be an object such as {{"below": 1e-6}}; got {doc!r}')
        kinds = [k for k in doc if k in EXPECT_KINDS]
        extra = [k for k in doc if k not in EXPECT_KINDS and k != "rtol"]
        if len(kinds) != 1 or extra:
            raise ValueError(f"{where} must have exactly one of {', '.join(EXPECT_KINDS)}; got keys {sorted(doc)}")
        kind = kinds[0]
        value = doc[kind]
        if "rtol" in doc and kind != "near":
            raise ValueError(f"{where}: 'rtol' goes with 'near' only")
        if kind in ("below", "above", "near") and not _is_number(value):
            raise ValueError(f"{where}.{kind} must be a number; got {value!r}")
        if kind == "between" and not (
            isinstance(value, list) and len(value) == 2 and all(map(_is_number, value)) and value[0] <= value[1]
        ):
            raise ValueError(f"{where}.between must be [low, high]; got {value!r}")
        if kind == "equals" and not (_is_number(value) or isinstance(value, str)):
            raise ValueError(f"{where}.equals must be a number or a word; got {value!r}")
        if kind == "exists" and not isinstance(value, bool):
            raise ValueError(f"{where}.exists must be true or false; got {value!r}")
        rtol = doc.get("rtol", 1e-9)
        if kind == "near" and not (_is_number(rtol) and rtol > 0):
            raise ValueError(f"{where}.rtol must be a positive number; got {rtol!r}")
        return cls(kind, tuple(value) if kind == "between" else value, float(rtol))


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# ---- the claim registry -----------------------------------------------------------------------


class NotApplicableError(Exception):
    """The claim means nothing for this configuration; the message says why (it is shown as text)."""


@dataclass(frozen=True)
class Claim:
    """A registered measurement: function(result, config, training=None, **args) -> (value, text)."""

    name: str
    function: Callable
    doc: str
    training: bool = False  # needs a training snapshot (or runs a short training itself)


CLAIMS: dict[str, Claim] = {}


def claim(name: str, training: bool = False):
    """Register a claim function under `name`."""

    def register(fn):
        CLAIMS[name] = Claim(name, fn, (fn.__doc__ or name).strip().splitlines()[0], training)
        return fn

    return register


@dataclass(frozen=True)
class Measurement:
    """One claim measured on a trace: its value, the text put into the lesson, and whether it holds."""

    name: str
    claim: str
    value: Any
    text: str
    expect: Expect | None = None
    applicable: bool = True

    @property
    def holds(self) -> bool | None:
        """True / False against the expectation; None when there is none."""
        return None if self.expect is None else self.expect.holds(self.value)

    def report(self) -> str:
        """One line for a test failure or a log."""
        want = "" if self.expect is None else f"; expected {self.expect.describe()}"
        return f"{self.name} ({self.claim}) = {self.value!r} [{self.text}]{want}"


# ---- the lesson files ---------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimSpec:
    """A claim as a lesson uses it: its placeholder name, registry name, arguments, expectation."""

    name: str
    claim: str
    args: dict = field(default_factory=dict)
    expect: Expect | None = None


@dataclass(frozen=True)
class Step:
    """A 'try this' step: an instruction, the config change it asks for, what must then hold."""

    text: str
    set: dict = field(default_factory=dict)
    view: dict = field(default_factory=dict)
    expect: dict[str, Expect] = field(default_factory=dict)
    observe: str = ""  # what to look at once the step is applied; may hold {{placeholders}}

    def apply(self, config: Config) -> Config:
        """The configuration after this step (ValueError if a value is refused)."""
        return config.replace(**self.set) if self.set else config

    def applied(self, config: Config) -> bool:
        """Whether `config` already has every value this step sets."""
        return all(getattr(config, k) == v for k, v in self.set.items())


@dataclass(frozen=True)
class Lesson:
    """One lesson, loaded and validated."""

    id: str
    title: str
    summary: str
    text: str
    preset: dict
    controls: tuple[str, ...]
    plots: tuple[str, ...]
    view: dict
    claims: tuple[ClaimSpec, ...]
    steps: tuple[Step, ...]
    references: tuple[str, ...]
    training: dict | None = None
    path: Path | None = None

    @property
    def number(self) -> int:
        """The NN of NN-name."""
        return int(self.id.split("-", 1)[0])

    @property
    def name(self) -> str:
        """The name of NN-name."""
        return self.id.split("-", 1)[1]

    @property
    def config(self) -> Config:
        """The preset configuration."""
        return Config().replace(**self.preset)

    def step_config(self, index: int, base: Config | None = None) -> Config:
        """The configuration after step `index` (0-based) is applied to `base` (default: the preset)."""
        return self.steps[index].apply(self.config if base is None else base)

    def claim_spec(self, name: str) -> ClaimSpec:
        """The claim the text calls `name`."""
        for spec in self.claims:
            if spec.name == name:
                return spec
        raise KeyError(f"lesson {self.id} has no claim {name!r}; it has {', '.join(s.name for s in self.claims)}")

    @property
    def needs_training(self) -> bool:
        """Whether any claim needs a training run."""
        return any(CLAIMS[s.claim].training for s in self.claims)


def load_lesson(path: str | Path) -> Lesson:
    """Read and validate one lesson file; ValueError naming the file and the field."""
    path = Path(path)
    where = path.name
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"no such lesson file: {path}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{where} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: {json_error_text(exc)}") from None
    return parse_lesson(doc, where, path)


def parse_lesson(doc, where: str = "lesson", path: Path | None = None) -> Lesson:
    """Validate a lesson document (as read from JSON); ValueError naming `where` and the field."""

    def bad(field_name: str, problem: str):
        return ValueError(f"{where}: field '{field_name}': {problem}")

    if not isinstance(doc, dict):
        raise ValueError(f"{where}: a lesson must be a JSON object")
    if doc.get("format") != FORMAT:
        raise bad("format", f"must be {FORMAT!r}; got {doc.get('format')!r}")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise bad("version", f"must be a whole number >= 1; got {version!r}")
    if version > VERSION:
        raise bad("version", f"{version} is newer than this Unrolled reads ({VERSION})")
    known = {"format", "version", "id", "title", "summary", "text", "preset", "controls", "plots", "view"}
    known |= {"claims", "steps", "references", "training"}
    for key in doc:
        if key not in known:
            raise bad(key, f"unknown field; known fields: {', '.join(sorted(known))}")

    lesson_id = doc.get("id")
    if not isinstance(lesson_id, str) or not re.fullmatch(r"\d\d-[a-z0-9]+(-[a-z0-9]+)*", lesson_id):
        raise bad("id", f"must look like '04-vanishing' (NN-name); got {lesson_id!r}")
    if path is not None and path.stem != lesson_id:
        raise bad("id", f"{lesson_id!r} must equal the file name without .json ({path.stem!r})")
    for key in ("title", "summary"):
        if not isinstance(doc.get(key), str) or not doc[key].strip():
            raise bad(key, "must be non-empty text")
    text = _text(doc.get("text"), "text", bad)

    preset = doc.get("preset")
    if not isinstance(preset, dict):
        raise bad("preset", "must be an object of configuration keys")
    try:
        preset_config = Config().replace(**preset)
    except (ValueError, TypeError) as exc:
        raise bad("preset", str(exc)) from None

    controls = doc.get("controls")
    if not isinstance(controls, list) or not all(isinstance(c, str) for c in controls):
        raise bad("controls", "must be a list of control names")
    for c in controls:
        if c not in CONTROLS:
            raise bad("controls", f"unknown control {c!r}; known: {', '.join(CONTROLS)}")
    plots = doc.get("plots", [])
    if not isinstance(plots, list) or not all(p in PLOTS for p in plots):
        raise bad("plots", f"must be a list of plot names from {', '.join(PLOTS)}; got {plots!r}")
    view = _view(doc.get("view", {}), "view", bad)

    raw_claims = doc.get("claims")
    if not isinstance(raw_claims, dict) or not raw_claims:
        raise bad("claims", 'must be a non-empty object {name: {"claim": ..., "expect": ...}}')
    claims = []
    for name, spec in raw_claims.items():
        f = f"claims.{name}"
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise bad(f, "a claim name must be a word (letters, digits, _)")
        if not isinstance(spec, dict) or "claim" not in spec:
            raise bad(f, "must be an object with a 'claim' (a registry name)")
        for key in spec:
            if key not in ("claim", "args", "expect"):
                raise bad(f, f"unknown key {key!r}; use claim, args, expect")
        if spec["claim"] not in CLAIMS:
            raise bad(f + ".claim", f"unknown claim {spec['claim']!r}; known: {', '.join(sorted(CLAIMS))}")
        args = spec.get("args", {})
        if not isinstance(args, dict):
            raise bad(f + ".args", "must be an object")
        try:
            expect = None if "expect" not in spec else Expect.parse(spec["expect"], f"{where}: field '{f}.expect'")
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        claims.append(ClaimSpec(name, spec["claim"], dict(args), expect))
    if not any(c.expect is not None for c in claims):
        raise bad("claims", "at least one claim needs an 'expect' that the preset must meet")
    names = {c.name for c in claims}

    raw_steps = doc.get("steps")
    if not isinstance(raw_steps, list) or not 2 <= len(raw_steps) <= 4:
        raise bad("steps", f"must be a list of 2 to 4 'try this' steps; got {raw_steps!r:.60}")
    steps = []
    for i, s in enumerate(raw_steps):
        f = f"steps[{i}]"
        if not isinstance(s, dict):
            raise bad(f, "must be an object with 'text' and optionally 'set', 'view', 'expect'")
        for key in s:
            if key not in ("text", "observe", "set", "view", "expect"):
                raise bad(f, f"unknown key {key!r}; use text, observe, set, view, expect")
        step_text = _text(s.get("text"), f + ".text", bad)
        claim_refs = [ph for ph in _PLACEHOLDER.findall(step_text) if not ph.startswith("config.")]
        if claim_refs:
            raise bad(
                f + ".text",
                f"the instruction is read before the change, so it cannot quote {{{{{claim_refs[0]}}}}}; "
                "put measured values in 'observe'",
            )
        observe = _text(s["observe"], f + ".observe", bad) if "observe" in s else ""
        changes = s.get("set", {})
        if not isinstance(changes, dict):
            raise bad(f + ".set", "must be an object of configuration keys")
        try:
            preset_config.replace(**changes)
        except (ValueError, TypeError) as exc:
            raise bad(f + ".set", str(exc)) from None
        step_view = _view(s.get("view", {}), f + ".view", bad)
        raw_expect = s.get("expect", {})
        if not isinstance(raw_expect, dict):
            raise bad(f + ".expect", "must be an object {claim name: expectation}")
        expect = {}
        for name, e in raw_expect.items():
            if name not in names:
                raise bad(f + ".expect", f"{name!r} is not one of this lesson's claims ({', '.join(sorted(names))})")
            expect[name] = Expect.parse(e, f"{where}: field '{f}.expect.{name}'")
        steps.append(Step(step_text, dict(changes), step_view, expect, observe))

    checked = [("text", text)] + [(f"steps[{i}].text", s.text) for i, s in enumerate(steps)]
    checked += [(f"steps[{i}].observe", s.observe) for i, s in enumerate(steps)]
    for f, t in checked:
        for ph in _PLACEHOLDER.findall(t):
            if ph.startswith("config."):
                if ph[7:] not in KEYS:
                    raise bad(f, f"placeholder {{{{{ph}}}}}: {ph[7:]!r} is not a configuration key")
            elif ph not in names:
                raise bad(f, f"placeholder {{{{{ph}}}}} names no claim of this lesson ({', '.join(sorted(names))})")
        if "{{" in _PLACEHOLDER.sub("", t) or "}}" in _PLACEHOLDER.sub("", t):
            raise bad(f, "has a malformed {{placeholder}}")

    refs = doc.get("references", [])
    if not isinstance(refs, list) or not all(isinstance(r, str) and r.strip() for r in refs):
        raise bad("references", "must be a list of non-empty texts")
    training = doc.get("training")
    if training is not None:
        training = _training_spec(training, bad)
    return Lesson(
        lesson_id,
        doc["title"].strip(),
        doc["summary"].strip(),
        text,
        dict(preset),
        tuple(controls),
        tuple(plots),
        view,
        tuple(claims),
        tuple(steps),
        tuple(refs),
        training,
        path,
    )


def _text(value, field_name: str, bad) -> str:
    if isinstance(value, list) and value and all(isinstance(p, str) for p in value):
        value = "\n\n".join(p.strip() for p in value)
    if not isinstance(value, str) or not value.strip():
        raise bad(field_name, "must be non-empty text or a list of paragraphs")
    return value.strip()


def _view(value, field_name: str, bad) -> dict:
    if not isinstance(value, dict):
        raise bad(field_name, "must be an object of view options")
    for key, v in value.items():
        if key not in VIEW_OPTIONS:
            raise bad(field_name, f"unknown view option {key!r}; known: {', '.join(VIEW_OPTIONS)}")
        if v not in VIEW_OPTIONS[key] or isinstance(v, bool) != isinstance(VIEW_OPTIONS[key][0], bool):
            raise bad(f"{field_name}.{key}", f"must be one of {', '.join(map(str, VIEW_OPTIONS[key]))}; got {v!r}")
    return dict(value)


def _training_spec(spec, bad) -> dict:
    if not isinstance(spec, dict) or not isinstance(spec.get("task"), str):
        raise bad("training", "must be an object with a 'task' name (and optionally seq_len, settings)")
    for key in spec:
        if key not in ("task", "seq_len", "settings", "task_args"):
            raise bad("training", f"unknown key {key!r}; use task, seq_len, task_args, settings")
    if "seq_len" in spec and not (isinstance(spec["seq_len"], int) and spec["seq_len"] >= 1):
        raise bad("training.seq_len", f"must be a whole number >= 1; got {spec['seq_len']!r}")
    for key in ("settings", "task_args"):
        if not isinstance(spec.get(key, {}), dict):
            raise bad(f"training.{key}", "must be an object")
    return {
        "task": spec["task"],
        "seq_len": spec.get("seq_len"),
        "task_args": dict(spec.get("task_args", {})),
        "settings": dict(spec.get("settings", {})),
    }


def list_lessons(directory: str | Path | None = None) -> list[Lesson]:
    """Every lesson in the folder (default assets/lessons), in order of their numbers."""
    folder = Path(directory) if directory is not None else LESSONS_DIR
    lessons = [load_lesson(p) for p in sorted(folder.glob("[0-9][0-9]-*.json"))]
    seen: dict[int, str] = {}
    for lesson in lessons:
        if lesson.number in seen:
            raise ValueError(
                f"{lesson.id}.json: lesson number {lesson.number:02d} is also used by {seen[lesson.number]}"
            )
        seen[lesson.number] = lesson.id
    return sorted(lessons, key=lambda le: le.number)


def get_lesson(name: str, directory: str | Path | None = None) -> Lesson:
    """A lesson by id ('04-vanishing'), name ('vanishing') or number ('4'); ValueError listing them."""
    lessons = list_lessons(directory)
    key = str(name).strip().lower()
    for lesson in lessons:
        if key in (lesson.id, lesson.name) or (key.isdigit() and int(key) == lesson.number):
            return lesson
    raise ValueError(f"unknown lesson {name!r}; lessons: {', '.join(le.id for le in lessons)}")


# ---- measuring and rendering -------------------------------------------------------------


def measure_claim(
    spec: ClaimSpec,
    result: Result,
    config: Config,
    training=None,
    lesson: Lesson | None = None,
    allow_training: bool = True,
) -> Measurement:
    """Evaluate one claim on a trace.

    allow_training=False: a training claim that would have to train (seconds) says so in its
    text instead; runs already made are still used. The UI passes False on its GUI thread.
    """
    entry = CLAIMS[spec.claim]
    args = dict(spec.args)
    if entry.training:
        args["spec"] = lesson.training if lesson is not None else None
    token = _ALLOW_TRAINING.set(allow_training)
    try:
        with np.errstate(all="ignore"):
            value, text = entry.function(result, config, training, **args)
    except NotApplicableError as exc:
        return Measurement(spec.name, spec.claim, None, f"n/a ({exc})", spec.expect, applicable=False)
    finally:
        _ALLOW_TRAINING.reset(token)
    if isinstance(value, np.generic):
        value = value.item()
    return Measurement(spec.name, spec.claim, value, text, spec.expect)


def measure(
    lesson: Lesson,
    result: Result,
    config: Config | None = None,
    training=None,
    names: list[str] | None = None,
    allow_training: bool = True,
) -> dict[str, Measurement]:
    """Every claim of the lesson (or those named) measured on `result`.

    config is the configuration that produced the result (default: the lesson's preset); the
    UI passes session.config. training: a TrainingRun (or a bare snapshot), if the UI has one.
    allow_training=False keeps it instant (see measure_claim).
    """
    config = lesson.config if config is None else config
    specs = lesson.claims if names is None else [lesson.claim_spec(n) for n in names]
    return {s.name: measure_claim(s, result, config, training, lesson, allow_training) for s in specs}


def render_text(
    lesson: Lesson,
    result: Result,
    config: Config | None = None,
    training=None,
    text: str | None = None,
    allow_training: bool = True,
) -> str:
    """The lesson text (or `text`, e.g. a step's) with every {{placeholder}} filled from the trace.

    Instant for lessons 1-9. A training claim without a TrainingRun trains a small network for
    a few seconds the first time (then remembers it): on the GUI thread pass
    allow_training=False, or call this from a worker.
    """
    config = lesson.config if config is None else config
    template = lesson.text if text is None else text
    # \x03 marks where a counted noun's plural s goes unless its count is 1
    template = _COUNTED.sub(lambda m: f"{m.group(1)}{m.group(2)}\x03", template)
    wanted = [n for n in dict.fromkeys(_PLACEHOLDER.findall(template)) if not n.startswith("config.")]
    values = measure(lesson, result, config, training, wanted, allow_training) if wanted else {}

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith("config."):
            value = getattr(config, name[7:])
            if name == "config.topology":  # as the lessons and the window write it: many-to-one
                return value.replace("_", "-")
            return value if isinstance(value, str) else fmt(value)
        return values[name].text

    filled = _PLACEHOLDER.sub(fill, template)
    # "1 steps" -> "1 step": the count is the word just before the noun (after the UI's mark, if any)
    filled = re.sub(r"(?<![\d.,])\b1([\x00-\x08]?\s+(?:loss |time |per-step )?\w+)\x03", r"1\1", filled)
    return filled.replace("\x03", "s")


def render_step(
    lesson: Lesson,
    index: int,
    result: Result,
    config: Config | None = None,
    training=None,
    allow_training: bool = True,
) -> str:
    """What to observe after step `index`, filled from `result` (the trace after the step); '' if nothing.

    Show lesson.steps[index].text (the instruction) with a button that applies the step, and
    this text once lesson.steps[index].applied(session.config) is true.
    """
    observe = lesson.steps[index].observe
    return render_text(lesson, result, config, training, observe, allow_training) if observe else ""


def evaluate(
    lesson: Lesson, step: int | None = None, config: Config | None = None, training=None
) -> tuple[Config, list[Measurement]]:
    """Run the preset (or the preset after step `step`) and measure the claims that have expectations there."""
    if config is None:
        config = lesson.config if step is None else lesson.step_config(step)
    result = run(config)
    if step is None:
        specs = [s for s in lesson.claims if s.expect is not None]
    else:
        expects = lesson.steps[step].expect
        specs = [ClaimSpec(s.name, s.claim, s.args, expects[s.name]) for s in lesson.claims if s.name in expects]
    return config, [measure_claim(s, result, config, training, lesson) for s in specs]


def check_claim(
    lesson: Lesson, name: str | None = None, step: int | None = None, config: Config | None = None, training=None
) -> bool:
    """Whether the lesson's claims (or the one named) hold in its preset, or after step `step`."""
    _, measured = evaluate(lesson, step, config, training)
    if name is not None:
        measured = [m for m in measured if m.name == name]
        if not measured:
            raise KeyError(f"lesson {lesson.id} has no claim {name!r} with an expectation there")
    return all(m.holds for m in measured)


# ---- helpers the claims share -------------------------------------------------------------------


@lru_cache(maxsize=16)
def _run_cached(config: Config) -> Result:
    """run(config), remembered: the comparisons re-run the same few configurations."""
    return run(config)


def _rerun(result: Result, x=None, h0=None) -> Result:
    """The same network and targets again, with another input sequence or initial state."""
    return simulate(
        result.net,
        result.x if x is None else x,
        result.targets,
        loss=result.loss_name,
        score=result.score,
        truncate=result.truncate,
        h0=h0,
    )


def _need(condition: bool, why: str) -> None:
    if not condition:
        raise NotApplicableError(why)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b != 0 else (math.nan if a == 0 else math.inf)


def _dphi(result: Result) -> np.ndarray:
    """φ′ at every step, example and unit of every layer (RNN and ESN)."""
    _need(result.net.cell in ("rnn", "esn"), f"φ′ is the RNN's activation derivative; this is an {result.net.cell}")
    act = result.net.activation
    return np.concatenate([np.broadcast_to(dphi_from_output(act, c["a"]), c["a"].shape).ravel() for c in result.caches])


def _params(net) -> int:
    return int(sum(v.size for v in net.params.values()))


def _flat(grads: dict) -> np.ndarray:
    return np.concatenate([g.ravel() for g in grads.values()])


# ---- claims on the trace: the gradient through time -------------------------------------------------


@claim("grad_ratio")
def grad_ratio(result, config, training=None):
    """‖∂L/∂h_0‖ / ‖∂L/∂h_{T−1}‖ of the top layer: how much of the gradient reaches the first step."""
    g = result.grad_norms
    _need(result.T >= 2, "needs at least two steps")
    r = _ratio(g[0], g[-1])
    return r, fmt(r)


@claim("growth_factor")
def growth_factor(result, config, training=None):
    """The fitted per-step factor of ‖∂h_{T−1}/∂h_t‖ (below 0.9 vanishing, above 1.1 exploding)."""
    f = result.growth_factor
    return f, fmt(f)


@claim("verdict")
def verdict(result, config, training=None):
    """The verdict: vanishing, stable or exploding."""
    return result.verdict, result.verdict


@claim("bound_factor")
def bound_factor(result, config, training=None):
    """Pascanu et al.'s per-step factor γ·σ_max(W_hh) (leaky: 1 − leak + leak·γ·σ_max)."""
    net = result.net
    _need(net.cell in ("rnn", "esn"), "the bound γ·σ_max(W_hh) is for an RNN or ESN")
    f = (1.0 - net.leak) + net.leak * net.gamma * result.sigma_max["W_hh"]
    return f, fmt(f)


@claim("spectral_radius")
def spectral_radius(result, config, training=None):
    """Spectral radius of the top layer's W_hh (largest over its gate blocks)."""
    rho = max(result.spectral_radius.values())
    return rho, fmt(rho)


@claim("sv_spread")
def sv_spread(result, config, training=None):
    """σ_min / σ_max of W_hh: 1 when it neither stretches nor shrinks any direction (orthogonal)."""
    W = result.net.params[f"weight_hh_l{result.net.layers - 1}"]
    H = result.net.hidden
    s = np.linalg.svd(W[:H], compute_uv=False)
    r = _ratio(s[-1], s[0])
    return r, fmt(r)


@claim("phi_max")
def phi_max(result, config, training=None):
    """The largest φ′ measured anywhere on the trace (sigmoid: never above 1/4)."""
    d = _dphi(result)
    return float(d.max()), fmt(float(d.max()))


@claim("phi_mean")
def phi_mean(result, config, training=None):
    """The mean φ′ over the trace."""
    d = _dphi(result)
    return float(d.mean()), fmt(float(d.mean()))


@claim("saturated")
def saturated(result, config, training=None):
    """Share of φ′ values below a tenth of φ′'s peak γ: units stuck in a flat part of φ."""
    d = _dphi(result)
    share = float((d < 0.1 * result.net.gamma).mean())
    return share, percent(share)


@claim("active")
def active(result, config, training=None):
    """ReLU: the share of units that are active (φ′ = 1) over the trace."""
    _need(result.net.cell in ("rnn", "esn") and result.net.activation == "relu", "applies to ReLU units")
    d = _dphi(result)
    share = float((d > 0).mean())
    return share, f"{percent(share)} of the unit-steps are active (φ′ = 1 exactly there, 0 elsewhere)"


@claim("nonfinite")
def nonfinite(result, config, training=None):
    """The first step where a value overflowed to infinity or NaN (None if all are finite)."""
    nf = result.nonfinite
    if nf is None:
        return None, "none: every value is finite"
    return nf.step, nf.message(result.net.layers)  # naming the unit that overflowed


@claim("reach")
def reach(result, config, training=None):
    """How many steps receive any gradient at all (‖∂L/∂h_t‖ > 0)."""
    n = int((result.grad_norms > 0).sum())
    return n, str(n)


# ---- claims on the structure: loop, topology, BPTT -------------------------------------------------------


@claim("params")
def params(result, config, training=None):
    """How many numbers the network learns (the same for any sequence length: every step shares them)."""
    n = _params(result.net)
    return n, fmt(n)


@claim("memory")
def memory(result, config, training=None):
    """‖Δh_{T−1}‖ when only the first input x_0 is nudged by +1: what the loop carries forward."""
    x = np.array(result.x)
    x[0] += 1.0
    nudged = _rerun(result, x=x)
    d = float(np.linalg.norm(nudged.hidden_states[-1][-1] - result.hidden_states[-1][-1]))
    return d, fmt(d)


@claim("scored_steps")
def scored_steps(result, config, training=None):
    """How many steps carry a loss term (an output that is compared with a target)."""
    n = int((result.loss_terms != 0).sum())
    return n, str(n)


@claim("input_steps")
def input_steps(result, config, training=None):
    """How many steps receive an input x_t (one-to-many: only the first)."""
    n = int(np.any(result.x != 0, axis=(1, 2)).sum())
    return n, str(n)


@claim("loss_sum")
def loss_sum(result, config, training=None):
    """|Σ_t L_t − L| / L: the total error is the sum of the per-step errors (relative difference)."""
    total = result.loss - config.penalty * result.penalty_value
    err = abs(float(result.loss_terms.sum()) - total) / abs(total) if total != 0 else 0.0
    return err, fmt(err)


def _pieces(result) -> tuple[np.ndarray, np.ndarray]:
    """Per-step pieces of ∂L/∂W_hh (layer 0 … top stacked) and the engine's own ∂L/∂W_hh."""
    net = result.net
    _need(net.cell in ("rnn", "esn"), "shown for the RNN, whose W_hh gradient is Σ_t δ_t h_{t−1}ᵀ")
    pieces, total = [], []
    for k, cache in enumerate(result.caches):
        dpre = net.leak * result.dh[k] * dphi_from_output(net.activation, cache["a"])  # (T, B, H)
        pieces.append(np.einsum("tbi,tbj->tij", dpre, cache["h"][:-1]))  # δ_t h_{t−1}ᵀ per step
        total.append(result.raw_grads[f"weight_hh_l{k}"])
    return np.concatenate(pieces, axis=1), np.concatenate(total, axis=0)


@claim("shared_grad")
def shared_grad(result, config, training=None):
    """Relative difference between Σ_t δ_t h_{t−1}ᵀ and the engine's ∂L/∂W_hh: one weight, T contributions."""
    _need(config.penalty == 0, "turn the penalty off: its gradient adds to W_hh's")
    pieces, total = _pieces(result)
    err = _ratio(float(np.linalg.norm(pieces.sum(axis=0) - total)), float(np.linalg.norm(total)))
    return err, fmt(err)


@claim("largest_piece")
def largest_piece(result, config, training=None):
    """The step whose piece δ_t h_{t−1}ᵀ of ∂L/∂W_hh is largest, and its share of all pieces' norms."""
    pieces, _ = _pieces(result)
    norms = np.linalg.norm(pieces, axis=(1, 2))
    t = int(np.argmax(norms))
    share = float(norms[t] / norms.sum()) if norms.sum() > 0 else 0.0
    return t, f"t = {t} ({percent(share)} of the sum of the pieces' norms)"


# ---- claims for the remedies ---------------------------------------------------------------------------


@claim("raw_norm")
def raw_norm(result, config, training=None):
    """The global norm of the parameter gradient before clipping."""
    return result.grad_norm, fmt(result.grad_norm)


@claim("clipped_norm")
def clipped_norm(result, config, training=None):
    """The global norm of the gradient the update uses (after clipping, if any)."""
    return result.grad_norm_clipped, fmt(result.grad_norm_clipped)


@claim("clip_ratio")
def clip_ratio(result, config, training=None):
    """Clipped global norm / threshold: exactly 1 whenever the raw norm exceeded the threshold."""
    _need(config.clip > 0, "clipping by norm is off")
    r = result.grad_norm_clipped / config.clip
    return r, fmt(r)


@claim("clip_cosine")
def clip_cosine(result, config, training=None):
    """cos of the angle between the gradient before and after clipping (1: same direction)."""
    _need(config.clip > 0 or config.clip_value > 0, "no clipping is on")
    a, b = _flat(result.raw_grads), _flat(result.grads)
    c = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return c, f"{c:.6f}" if c > 0.999 else fmt(c)


@claim("omega")
def omega(result, config, training=None):
    """Pascanu's Ω = Σ_k (‖∂L/∂h_k · ∂h_k/∂h_{k−1}‖ / ‖∂L/∂h_k‖ − 1)² on this trace."""
    _need(config.penalty > 0, "the penalty is off")
    return result.penalty_value, fmt(result.penalty_value)


@claim("penalty_step")
def penalty_step(result, config, training=None, size: float = 0.05):
    """Ω after one small step down its gradient, over Ω before (below 1: the penalty reshapes W_hh)."""
    _need(config.penalty > 0, "the penalty is off")
    net = result.net
    _need(net.cell in ("rnn", "esn"), "the penalty is defined for an RNN or ESN")
    om, grads = pascanu_penalty(net, result.caches, result.dh)
    new = dict(net.params)
    for name, g in grads.items():
        W, gn = net.params[name], np.linalg.norm(g)
        if gn > 0:
            new[name] = W - size * np.linalg.norm(W) * g / gn  # a step of `size` of ‖W_hh‖
    after = simulate(net.with_params(new), result.x, result.targets, score=result.score, penalty=config.penalty)
    r = _ratio(after.penalty_value, om)
    text = (
        f"Ω = {fmt(om)}; one step of {percent(size)} of ‖W_hh‖ down its gradient gives Ω = "
        f"{fmt(after.penalty_value)}, and the per-step factor moves from {fmt(result.growth_factor)} "
        f"to {fmt(after.growth_factor)}"
    )
    return r, text


@claim("echo")
def echo(result, config, training=None):
    """Two runs started from different states: their distance at the end over their distance at the start."""
    net, B = result.net, result.batch
    rng = np.random.default_rng(12345)
    h0 = [rng.uniform(-1.0, 1.0, (B, net.hidden)) for _ in range(net.layers)]
    other = _rerun(result, h0=h0)
    start = float(np.linalg.norm(h0[-1]))
    end = float(np.linalg.norm(other.hidden_states[-1][-1] - result.hidden_states[-1][-1]))
    r = _ratio(end, start)
    return r, fmt(r)


@claim("readout_fit")
def readout_fit(result, config, training=None, ridge: float = 1e-6):
    """MSE after fitting only the linear readout (ridge regression, no BPTT) over the MSE before."""
    H = result.hidden_states[-1]  # (T, B, H)
    scored = result.loss_terms != 0
    X = H[scored].reshape(-1, H.shape[-1])
    Y = np.asarray(result.targets)[scored].reshape(-1, result.outputs.shape[-1])
    _need(len(X) >= 2 * (X.shape[1] + 1), "needs more scored outputs than units: use many-to-many")
    X1 = np.hstack([X, np.ones((len(X), 1))])
    W = np.linalg.solve(X1.T @ X1 + ridge * len(X) * np.eye(X1.shape[1]), X1.T @ Y)
    before = float(np.mean((result.outputs[scored].reshape(Y.shape) - Y) ** 2))
    after = float(np.mean((X1 @ W - Y) ** 2))
    r = _ratio(after, before)
    return r, f"MSE {fmt(before)} → {fmt(after)} by fitting the readout alone in one linear solve"


# ---- claims for gated cells ------------------------------------------------------------------------------


@claim("gate_means")
def gate_means(result, config, training=None):
    """The mean of each gate over the trace (LSTM i f g o, GRU r z n); the value is f (LSTM) or z (GRU)."""
    gates = result.gates()
    _need(bool(gates), "gates belong to an LSTM or GRU")
    text = ", ".join(f"{n} = {signed(f'{float(g.mean()):.2f}')}" for n, g in gates.items())
    key = "f" if "f" in gates else "z"
    return float(gates[key].mean()), text


@claim("line_factor")
def line_factor(result, config, training=None):
    """Mean over units of Π_{t=1}^{T−1} f_t (LSTM) or z_t (GRU): what the direct path alone keeps."""
    gates = result.gates()
    _need(bool(gates), "the direct path belongs to an LSTM (cell line) or a GRU")
    g = gates["f"] if "f" in gates else gates["z"]
    prod = float(np.prod(g[1:], axis=0).mean())
    return prod, fmt(prod)


@claim("cell_ratio")
def cell_ratio(result, config, training=None):
    """‖∂L/∂c_0‖ / ‖∂L/∂c_{T−1}‖ along the LSTM's cell-state line."""
    cg = result.cell_grad_norms
    _need(cg is not None, "the cell state c_t belongs to an LSTM")
    r = _ratio(cg[-1][0], cg[-1][-1])
    return r, fmt(r)


@claim("cell_step")
def cell_step(result, config, training=None):
    """The measured factor per step back along the cell-state line: (‖∂L/∂c_0‖ / ‖∂L/∂c_{T−1}‖)^(1/(T−1))."""
    cg = result.cell_grad_norms
    _need(cg is not None, "the cell state c_t belongs to an LSTM")
    _need(result.T > 1, "a step back needs two steps")
    r = _ratio(cg[-1][0], cg[-1][-1])
    f = r ** (1.0 / (result.T - 1)) if math.isfinite(r) and r >= 0 else math.nan
    return f, f"×{fmt(f)}"


@claim("state_range")
def state_range(result, config, training=None):
    """max |h_t| and max |c_t| over the trace (LSTM), and max |h_t| of the vanilla LSTM with the same config."""
    cells = result.cell_states
    _need(cells is not None, "the cell state c_t belongs to an LSTM")
    h = float(np.abs(result.hidden_states[-1]).max())
    c = float(np.abs(cells[-1]).max())
    text = f"max |h| = {fmt(h)}, max |c| = {fmt(c)}"
    if config.variant != "vanilla":
        vanilla = _run_cached(config.replace(variant="vanilla"))
        text += f" (the vanilla LSTM's max |h| = {fmt(float(np.abs(vanilla.hidden_states[-1]).max()))})"
    return h, text


def _comparable_rnn(config: Config) -> Result:
    """A tanh RNN with this config's sizes, Wrec, init, seed and sequence."""
    return _run_cached(config.replace(cell="rnn", activation="tanh", variant="vanilla", leak=1.0, penalty=0.0))


@claim("rnn_h0")
def rnn_h0(result, config, training=None):
    """‖∂L/∂h_0‖ of a tanh RNN with the same sizes, Wrec, init, seed and data."""
    g = float(_comparable_rnn(config).grad_norms[0])
    return g, fmt(g)


@claim("cell_vs_rnn")
def cell_vs_rnn(result, config, training=None):
    """This LSTM's ‖∂L/∂c_0‖ over the comparable RNN's ‖∂L/∂h_0‖."""
    cg = result.cell_grad_norms
    _need(cg is not None, "the cell state c_t belongs to an LSTM")
    r = _ratio(float(cg[-1][0]), float(_comparable_rnn(config).grad_norms[0]))
    return r, fmt(r)


@claim("h0_vs_rnn")
def h0_vs_rnn(result, config, training=None):
    """This network's ‖∂L/∂h_0‖ over the comparable tanh RNN's."""
    r = _ratio(float(result.grad_norms[0]), float(_comparable_rnn(config).grad_norms[0]))
    return r, fmt(r)


@claim("params_vs_lstm")
def params_vs_lstm(result, config, training=None):
    """This network's parameter count over an LSTM's of the same sizes."""
    lstm = build_network(config.replace(cell="lstm", variant="vanilla", leak=1.0, penalty=0.0))
    r = _params(result.net) / _params(lstm)
    return r, f"{percent(r)} ({fmt(_params(result.net))} against {fmt(_params(lstm))})"


@claim("variants")
def variants(result, config, training=None):
    """‖∂L/∂c_0‖ / ‖∂L/∂c_{T−1}‖ of every LSTM variant at these settings; the value is the best one."""
    base = config.replace(cell="lstm", leak=1.0, penalty=0.0)
    ratios = {}
    for v in LSTM_VARIANTS:
        cg = _run_cached(base.replace(variant=v)).cell_grad_norms[-1]
        ratios[v] = _ratio(float(cg[0]), float(cg[-1]))
    best = max(ratios, key=lambda v: -math.inf if math.isnan(ratios[v]) else ratios[v])
    return best, "; ".join(f"{v} {fmt(r)}" for v, r in ratios.items())


# ---- claims that need training (lessons 10 and 11) ----------------------------------------------------------


@dataclass(frozen=True)
class TrainingRun:
    """What the training claims read: the task and a snapshot of its trainer (simulator/train.py).

    The UI passes TrainingRun(trainer.task, trainer.snapshot()) as `training`; a bare snapshot,
    or a scenario's training record (a dict with train_loss and test_loss), is read against
    the lesson's own task. Without either, the claim trains a small network
    itself for a few seconds, deterministically (the lesson's task and settings, the
    configuration's cell, sizes and seed, and the claim's `iterations`).
    """

    task: Any
    snapshot: Any  # .train_loss, .test_loss ((iteration, loss), ...), .net, .iteration


def _train_module():
    try:
        from . import tasks, train
    except ImportError as exc:  # the training engine is optional for the other lessons
        raise NotApplicableError(f"the training engine is not available ({exc})") from None
    return tasks, train


def _make_task(spec: dict, seed: int):
    return _task_cached(json.dumps(spec, sort_keys=True), seed)


@lru_cache(maxsize=8)
def _task_cached(spec_json: str, seed: int):
    tasks, _ = _train_module()
    spec = json.loads(spec_json)
    return tasks.make_task(spec["task"], spec.get("seq_len"), seed, **spec.get("task_args", {}))


_ALLOW_TRAINING = contextvars.ContextVar("allow_training", default=True)
_QUICK_RUNS: dict[tuple[str, str, str], TrainingRun] = {}  # remembered short runs (a few, small)
_QUICK_LOCK = threading.Lock()


def _quick_run(spec_json: str, model_json: str, overrides_json: str) -> TrainingRun:
    """A short deterministic training run, remembered (same arguments: same history, bit for bit)."""
    key = (spec_json, model_json, overrides_json)
    with _QUICK_LOCK:
        if key in _QUICK_RUNS:
            return _QUICK_RUNS[key]
    _need(_ALLOW_TRAINING.get(), "needs a short training run: press Train, or wait for the lesson's demonstration")
    _, train = _train_module()
    spec, model, overrides = json.loads(spec_json), json.loads(model_json), json.loads(overrides_json)
    try:
        task = _make_task(spec, model["seed"])
        settings = train.TrainSettings.for_task(task, **spec.get("settings", {}))
        settings = settings.replace(**model).replace(**overrides)
        settings = settings.replace(eval_every=settings.iterations)  # held-out loss at the start and the end only
        trainer = train.Trainer(task, settings)
    except ValueError as exc:
        raise NotApplicableError(f"cannot train this configuration: {exc}") from None
    run = TrainingRun(task, trainer.run())
    with _QUICK_LOCK:
        if len(_QUICK_RUNS) >= 32:
            del _QUICK_RUNS[next(iter(_QUICK_RUNS))]  # forget the oldest
        _QUICK_RUNS[key] = run
    return run


def _model_of(config: Config) -> dict:
    """The configuration keys a training run takes from the current configuration."""
    return {
        "cell": config.cell,
        "variant": config.variant,
        "activation": config.activation,
        "hidden": config.hidden,
        "layers": config.layers,
        "init": config.init,
        "seed": config.seed,
    }


def _training_run(training, spec: dict | None, config: Config, **overrides) -> TrainingRun:
    if isinstance(training, TrainingRun):
        return training
    _need(spec is not None, "this lesson names no training task")
    if isinstance(training, Mapping):  # a scenario's training record (scenario.training_record)
        training = SimpleNamespace(
            iteration=int(training.get("iteration", 0)),
            train_loss=tuple(training.get("train_loss", ())),
            test_loss=tuple((int(i), float(v)) for i, v in training.get("test_loss", ())),
            net=None,
        )
    if training is not None:  # a bare snapshot from the UI: read it against the lesson's task
        return TrainingRun(_make_task(spec, config.seed), training)
    return _quick_run(
        json.dumps(spec, sort_keys=True), json.dumps(_model_of(config), sort_keys=True), json.dumps(overrides)
    )


def _held_out(run: TrainingRun) -> tuple[float, float, int]:
    """(held-out loss at the start, at the end, iterations trained)."""
    test = run.snapshot.test_loss
    _need(len(test) > 0, "the run has no held-out loss yet")
    return float(test[0][1]), float(test[-1][1]), int(test[-1][0])


@claim("char_vocab", training=True)
def char_vocab(result, config, training=None, spec=None):
    """The character model's vocabulary size V (the value) and ln V, the loss of a uniform guess."""
    if isinstance(training, TrainingRun):
        task = training.task
    else:
        _need(spec is not None, "this lesson names no training task")
        task = _make_task(spec, config.seed)
    _need(hasattr(task, "vocab"), "the task is not a character model")
    V = len(task.vocab)
    return V, f"V = {V} distinct characters, so a uniform guess costs ln V = {math.log(V):.2f} nats per character"


@claim("char_start", training=True)
def char_start(result, config, training=None, spec=None, iterations: int = 300):
    """The untrained model's held-out loss over ln V (about 1: it guesses uniformly)."""
    run = _training_run(training, spec, config, iterations=iterations)
    _need(hasattr(run.task, "vocab"), "the task is not a character model")
    start, _, _ = _held_out(run)
    r = start / math.log(len(run.task.vocab))
    return r, f"{start:.2f} nats per character"


@claim("char_trained", training=True)
def char_trained(result, config, training=None, spec=None, iterations: int = 300):
    """Held-out loss after training over the unigram baseline (below 1: it has learned more than letter counts)."""
    run = _training_run(training, spec, config, iterations=iterations)
    _, end, its = _held_out(run)
    base = run.task.baseline_loss
    return (
        end / base,
        f"{end:.2f} nats per character after {plural(its, 'iteration')} (the unigram baseline is {base:.2f})",
    )


@claim("char_sample", training=True)
def char_sample(result, config, training=None, spec=None, iterations: int = 300, temperature=0.8, length=160):
    """A sample of the trained model's text at a temperature (the value is its length)."""
    _, train = _train_module()
    run = _training_run(training, spec, config, iterations=iterations)
    _need(getattr(run.snapshot, "net", None) is not None and hasattr(run.task, "vocab"), "no trained character model")
    text = train.sample_text(run.snapshot.net, run.task, length, temperature, seed=config.seed)
    return len(text), "“" + text.replace("\n", " ⏎ ") + "”"


@claim("forecast", training=True)
def forecast(result, config, training=None, spec=None, iterations: int = 40, batch: int = 16):
    """Held-out MSE of the trained forecaster over the persistence baseline ('the next value equals the last')."""
    run = _training_run(training, spec, config, iterations=iterations, batch=batch)
    start, end, its = _held_out(run)
    base = run.task.baseline_loss
    return end / base, (
        f"held-out MSE {fmt(start)} before training and {fmt(end)} after {plural(its, 'iteration')}, "
        f"against {fmt(base)} for persistence"
    )


@claim("optimizer_race", training=True)
def optimizer_race(
    result, config, training=None, spec=None, task="sine", seq_len=20, hidden=8, iterations=100, batch=16, lr=0.01
):
    """Same network, data and seed trained with SGD, RMSprop and Adam at one learning rate (and SGD at 10×).

    The value is the best adaptive optimiser's held-out loss over SGD's at the same rate.
    """
    race_spec = {"task": task, "seq_len": seq_len}
    model = _model_of(config) | {"hidden": hidden}
    runs = {}
    for name, opt, rate in (
        ("SGD", "sgd", lr),
        ("RMSprop", "rmsprop", lr),
        ("Adam", "adam", lr),
        ("SGD", "sgd", 10 * lr),
    ):
        overrides = {"optimizer": opt, "lr": rate, "iterations": iterations, "batch": batch, "dropout": 0.0}
        run = _quick_run(
            json.dumps(race_spec, sort_keys=True), json.dumps(model, sort_keys=True), json.dumps(overrides)
        )
        runs[(name, rate)] = _held_out(run)[1]
    best = min(runs[("RMSprop", lr)], runs[("Adam", lr)])
    parts = [f"{name} (lr {rate:g}) {fmt(loss)}" for (name, rate), loss in runs.items()]
    setup = (
        f"{config.cell.upper()}, {plural(config.layers, 'layer')} of {plural(hidden, 'unit')}, "
        f"{plural(iterations, 'iteration')} on {task}"
    )
    return best / runs[("SGD", lr)], f"({setup}) " + "; ".join(parts)


@claim("adaptive_step")
def adaptive_step(result, config, training=None, lr: float = 0.01):
    """One update from this trace's gradient: SGD moves each weight by lr·|g|, Adam by about lr whatever |g| is.

    Compared on two weights whose gradients differ most in size: the readout and the bottom
    layer's W_hh. The value is Adam's largest change of the bottom W_hh over lr.
    """
    try:
        from .optim import make_optimizer
    except ImportError as exc:
        raise NotApplicableError(f"the optimisers are not available ({exc})") from None

    params, grads = result.net.params, result.grads
    names = ("readout.weight", "weight_hh_l0")
    moves = {}
    for opt_name in ("sgd", "rmsprop", "adam"):
        opt = make_optimizer(opt_name, lr, 0.0) if opt_name == "sgd" else make_optimizer(opt_name, lr)
        new = opt.step(params, grads)
        moves[opt_name] = [float(np.abs(new[k] - params[k]).max()) for k in names]
    g = [float(np.abs(grads[k]).max()) for k in names]

    def pair(v):
        return f"{fmt(v[0])} and {fmt(v[1])}"

    text = (
        f"the largest gradient entry is {fmt(g[0])} for the readout and {fmt(g[1])} for layer 1's W_hh; "
        f"with lr = {lr:g} one SGD step changes them by at most {pair(moves['sgd'])}, "
        f"one Adam step by {pair(moves['adam'])}, one RMSprop step by {pair(moves['rmsprop'])}"
    )
    return moves["adam"][1] / lr, text


@claim("layer_grads")
def layer_grads(result, config, training=None):
    """‖∂L/∂h_0‖ of every stacked layer, bottom first (the value is the number of layers)."""
    g = result.grad_norms_layers[:, 0]
    return len(g), ", ".join(f"layer {k + 1}: {fmt(float(v))}" for k, v in enumerate(g))
