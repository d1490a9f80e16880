"""Training tasks: data a recurrent network can learn, generated from a seed or bundled in assets/.

A task knows its loss ('mse' or 'cross_entropy'), which steps are scored ('all' for
many-to-many and one-to-many, 'last' for many-to-one), its input and output sizes, and a
baseline loss that a network must beat to have learned anything. It hands out

    x, targets = task.sample(rng, batch)     # a training batch: x (T, B, inputs)
    x, targets = task.held_out()             # the fixed held-out set (same every call)

targets are (T, B, outputs) floats for 'mse' and (T, B) class indices for 'cross_entropy'.
Build one by name with make_task('adding', seq_len=50, seed=0).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

TASKS = ("sine", "series", "keras-stock", "adding", "chars", "classify", "generate")
DATA_DIR = Path(__file__).resolve().parent.parent / "assets" / "data"
SUNSPOTS = DATA_DIR / "sunspots_yearly.csv"
HELD_OUT = 256  # sequences in a generated held-out set (the adding problem uses 1000)


@dataclass(eq=False)
class Task:
    """A learning problem: its batches, its loss, and the baseline to beat."""

    name: str
    loss: str  # 'mse' or 'cross_entropy'
    score: str  # 'all' or 'last'
    inputs: int
    outputs: int
    seq_len: int
    seed: int = 0
    description: str = ""
    baseline_note: str = ""
    defaults: dict = field(default_factory=dict)  # recommended training settings
    warnings: list[str] = field(default_factory=list)
    _held: tuple | None = field(default=None, repr=False)
    _baseline: float | None = field(default=None, repr=False)

    @property
    def topology(self) -> str:
        """'many_to_one', 'many_to_many' or 'one_to_many'."""
        return "many_to_one" if self.score == "last" else "many_to_many"

    def sample(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
        """A training batch drawn with rng."""
        raise NotImplementedError

    def held_out(self) -> tuple[np.ndarray, np.ndarray]:
        """The fixed held-out set (computed once from the seed; read-only arrays)."""
        if self._held is None:
            x, y = self._make_held_out()
            x.setflags(write=False)
            y.setflags(write=False)
            self._held = (x, y)
        return self._held

    def _make_held_out(self) -> tuple[np.ndarray, np.ndarray]:
        return self.sample(np.random.default_rng([self.seed, 99]), HELD_OUT)

    @property
    def baseline_loss(self) -> float:
        """The held-out loss of the naive predictor described in baseline_note."""
        if self._baseline is None:
            self._baseline = float(self._compute_baseline())
        return self._baseline

    def _compute_baseline(self) -> float:
        raise NotImplementedError


def _mse_scored(pred: np.ndarray, targets: np.ndarray, score: str) -> float:
    """The engine's MSE (mean over the scored steps, examples and outputs) of a prediction."""
    if score == "last":
        return float(np.mean((pred[-1] - targets[-1]) ** 2))
    return float(np.mean((pred - targets) ** 2))


# ----------------------------------------------------------------------------------------
# The adding problem (Hochreiter & Schmidhuber 1997, experiment 4, in the form of Le et al.
# 2015 and Arjovsky et al. 2016)
# ----------------------------------------------------------------------------------------


class AddingTask(Task):
    """Two channels: values U(0, 1) and two markers; the target is the sum of the marked values.

    One marker falls in the first half of the sequence, the other in the second half, so the
    network must carry a value across up to T - 1 steps. Predicting the constant 1 (the mean
    of the sum) scores MSE = Var(u1 + u2) = 2/12 = 1/6 ≈ 0.167: that is the baseline.
    """

    def __init__(self, seq_len: int = 50, seed: int = 0):
        if seq_len < 2:
            raise ValueError(f"the adding problem needs a sequence length of at least 2; got {seq_len}")
        super().__init__(
            "adding", "mse", "last", 2, 1, seq_len, seed,
            description=f"adding problem, T = {seq_len}: output the sum of the two marked values",
            baseline_note="always predicting the mean sum, 1: MSE = Var(u₁ + u₂) = 2/12 = 1/6",
            defaults=dict(cell="lstm", hidden=32, optimizer="adam", lr=1e-2, batch=32, clip=1.0, iterations=2000),
        )  # fmt: skip

    def sample(self, rng, batch):
        T = self.seq_len
        x = np.zeros((T, batch, 2))
        x[:, :, 0] = rng.random((T, batch))  # the values
        half = T // 2
        first = rng.integers(0, half, batch)  # one marker in each half
        second = rng.integers(half, T, batch)
        cols = np.arange(batch)
        x[first, cols, 1] = 1.0
        x[second, cols, 1] = 1.0
        targets = np.zeros((T, batch, 1))
        targets[-1, :, 0] = x[first, cols, 0] + x[second, cols, 0]
        return x, targets

    def _make_held_out(self):
        return self.sample(np.random.default_rng([self.seed, 99]), 1000)

    def _compute_baseline(self):
        return 2 * (1 / 12)  # the MSE of always predicting the mean sum: Var(u1 + u2), u ~ U(0, 1)


# ----------------------------------------------------------------------------------------
# Time series: sine waves, a bundled real series, the user's CSV, and the Keras stock example
# ----------------------------------------------------------------------------------------


class SineTask(Task):
    """Noisy sine waves with a random phase; predict the next clean value.

    many_to_many: every step predicts sin at the next step; many_to_one: the window predicts
    the value just after it. Baseline: 'the next value equals this one' (persistence).
    """

    def __init__(self, seq_len=40, period=20.0, noise=0.1, topology="many_to_many", seed=0):
        if not (np.isfinite(period) and period > 0):
            raise ValueError(f"period must be a positive number of steps; got {period}")
        if not (np.isfinite(noise) and noise >= 0):
            raise ValueError(f"noise must be a number >= 0; got {noise}")
        score = _score_of(topology)
        super().__init__(
            "sine", "mse", score, 1, 1, seq_len, seed,
            description=f"sine wave, period {period:g} steps, noise {noise:g}: predict the next value",
            baseline_note="persistence: the next value equals the last one seen",
            defaults=dict(cell="lstm", hidden=16, optimizer="adam", lr=1e-2, batch=32, iterations=400),
        )  # fmt: skip
        self.period, self.noise = float(period), float(noise)

    def sample(self, rng, batch):
        T = self.seq_len
        phase = rng.random(batch) * self.period
        t = np.arange(T + 1)[:, None] + phase  # (T + 1, B)
        clean = np.sin(2 * np.pi * t / self.period)
        x = (clean[:-1] + self.noise * rng.standard_normal((T, batch)))[..., None]
        targets = clean[1:, :, None].copy()
        if self.score == "last":
            targets[:-1] = 0.0
        return x, targets

    def _compute_baseline(self):
        x, y = self.held_out()
        return _mse_scored(x, y, self.score)


def _score_of(topology: str) -> str:
    if topology not in ("many_to_many", "many_to_one"):
        raise ValueError(f"topology must be many-to-many or many-to-one for a time series; got {topology!r}")
    return "all" if topology == "many_to_many" else "last"


class SeriesTooShortError(ValueError):
    """A series too short for its windows. str() advises the command line's --seq-len; a window
    names its own control with advice("a shorter 'sequence length T'")."""

    def __init__(self, label: str, n: int, seq_len: int, needs: int):
        self.label, self.n, self.seq_len, self.needs = label, n, seq_len, needs
        super().__init__(self.advice("a shorter --seq-len"))

    def advice(self, remedy: str) -> str:
        """The message with another remedy (e.g. the name of a window's control)."""
        return (
            f"{self.label} has {self.n} values: too short for windows of {self.seq_len} "
            f"(needs at least {self.needs}); use {remedy}"
        )


class SeriesTask(Task):
    """Windows of one univariate series: each window predicts the value(s) one step ahead.

    Values are min-max scaled to [0, 1] with the minimum and maximum of the training part
    (the first train_fraction of the series), as sklearn's MinMaxScaler in the Keras example.
    Held-out windows are those whose last target lies in the final part of the series.
    Baseline: persistence, 'the next value equals the last one seen'.
    """

    def __init__(
        self,
        values,
        name: str = "series",
        seq_len: int = 20,
        topology: str = "many_to_one",
        train_fraction: float = 0.8,
        seed: int = 0,
        label: str = "series",
        defaults: dict | None = None,
    ):
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1:
            raise ValueError("a series must be one column of numbers")
        if not 0.1 <= train_fraction <= 0.95:
            raise ValueError(f"train_fraction must be between 0.1 and 0.95; got {train_fraction}")
        n = len(values)
        n_train = round(n * train_fraction)
        if n_train < seq_len + 2 or n - n_train < 1:
            raise SeriesTooShortError(label, n, seq_len, math.ceil((seq_len + 3) / train_fraction))
        score = _score_of(topology)
        super().__init__(
            name, "mse", score, 1, 1, seq_len, seed,
            description=f"{label}: {n} values, windows of {seq_len} predict the next value",
            baseline_note="persistence: the next value equals the last one seen",
            defaults=defaults or dict(cell="lstm", hidden=32, optimizer="adam", lr=1e-2, batch=32, iterations=400),
        )  # fmt: skip
        self.raw = values
        self.n_train = n_train
        lo, hi = float(values[:n_train].min()), float(values[:n_train].max())
        self.scale = (lo, hi if hi > lo else lo + 1.0)
        self.values = self.normalise(values)
        T = seq_len
        self.train_starts = np.arange(0, n_train - T)  # window i: inputs i .. i+T-1, target i+T
        self.test_starts = np.arange(max(n_train - T, 0), n - T)

    def normalise(self, v):
        """Raw values to the scaled range (training min -> 0, max -> 1)."""
        lo, hi = self.scale
        return (np.asarray(v, dtype=np.float64) - lo) / (hi - lo)

    def denormalise(self, v):
        """Scaled values back to the series' own units."""
        lo, hi = self.scale
        return np.asarray(v) * (hi - lo) + lo

    def windows(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """x (T, B, 1) and targets (T, B, 1) of the windows starting at `starts`."""
        T = self.seq_len
        idx = starts[None, :] + np.arange(T + 1)[:, None]  # (T + 1, B)
        seq = self.values[idx]
        x = seq[:-1, :, None].copy()
        targets = seq[1:, :, None].copy()
        if self.score == "last":
            targets[:-1] = 0.0
        return x, targets

    def sample(self, rng, batch):
        return self.windows(rng.choice(self.train_starts, batch))

    def _make_held_out(self):
        return self.windows(self.test_starts)

    def _compute_baseline(self):
        x, y = self.held_out()
        return _mse_scored(x, y, self.score)


def sunspots() -> tuple[np.ndarray, np.ndarray]:
    """The bundled yearly sunspot numbers 1700-2008 (NOAA NGDC, public domain): (years, values)."""
    years, _ = read_csv_column(SUNSPOTS, "year")
    values, _ = read_csv_column(SUNSPOTS, "sunspots")
    return years, values


def stock_walk(n: int = 1500, seed: int = 0, start: float = 100.0) -> np.ndarray:
    """A stock-like price series: a random walk of the log price with slowly varying volatility.

    The log price is weakly pulled back to a slowly moving level (an Ornstein-Uhlenbeck walk),
    so the held-out end stays roughly within the range the scaler saw in training, as in the
    Keras example's data.
    """
    rng = np.random.default_rng([seed, 7])
    vol = 0.015 * np.exp(0.3 * np.sin(np.linspace(0, 6 * np.pi, n) + 6 * rng.random()))  # volatility regimes
    level = 0.25 * np.sin(np.linspace(0, 3 * np.pi, n) + 6 * rng.random())  # business cycles
    logp = np.empty(n)
    logp[0] = level[0]
    for t in range(1, n):
        logp[t] = logp[t - 1] + 0.01 * (level[t] - logp[t - 1]) + vol[t] * rng.standard_normal()
    return start * np.exp(logp)


KERAS_DEFAULTS = dict(
    cell="lstm", hidden=50, layers=4, dropout=0.2, optimizer="adam", lr=1e-3, batch=32, iterations=300
)


def keras_stock(csv_path=None, column=None, seq_len: int = 60, seed: int = 0) -> SeriesTask:
    """The course's Keras example: a window of 60 values predicts the next (min-max scaled).

    On a generated stock-like random walk (1500 trading days, the last 20% held out), or on
    a column of a CSV (by default the column named 'Open', as in the example, else the first
    numeric one). The example's model, 4 stacked LSTM layers of 50 units with dropout 0.2,
    Adam and MSE, is the task's default.
    """
    if csv_path is None:
        values, label = stock_walk(1500, seed), "generated stock price (random walk)"
    else:
        if column is None:
            names = csv_columns(csv_path)
            column = next((c for c in names if c.strip().lower() == "open"), None)
        values, col = read_csv_column(csv_path, column)
        label = f"{os.path.basename(os.fspath(csv_path))}, column {col!r}"
    task = SeriesTask(values, "keras-stock", seq_len, "many_to_one", 0.8, seed, label, dict(KERAS_DEFAULTS))
    return task


# ----------------------------------------------------------------------------------------
# CSV files: one column of numbers, with messages that name the row and column
# ----------------------------------------------------------------------------------------

_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def _number(cell: str) -> float | None:
    """The cell as a float, or None if it is not a number ('1,234.5' is read as 1234.5)."""
    text = cell.strip()
    try:
        return float(text)
    except ValueError:
        pass
    if _THOUSANDS.fullmatch(text):
        return float(text.replace(",", ""))
    return None


def looks_binary(raw: bytes) -> bool:
    """Whether a file's bytes are not text: a NUL byte in its first 4 KB, or more than 30% of them
    control characters or bytes that are not UTF-8 (random bytes without a NUL: about 56%; a
    heavily accented French text in Latin-1: about 15%).
    The CSV and the text loaders share it."""
    head = raw[:4096]
    if b"\x00" in head:
        return True
    text = head.decode("utf-8", errors="replace")
    if len(head) == 4096:  # a character cut at the end is not a sign of binary
        text = text[:-3]
    bad = sum(1 for c in text if c == "\ufffd" or (ord(c) < 32 and c not in "\t\n\r\f\v\x1b"))
    return bad > 0.3 * max(len(text), 1)


def _read_rows(path) -> list[tuple[int, list[str]]]:
    """Non-blank rows of a CSV file with their line numbers (1 = the first line of the file)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise ValueError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise ValueError(f"{path} is a folder, not a CSV file") from None
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    if looks_binary(raw):
        raise ValueError(f"{path} looks like a binary file, not a CSV text file")
    text = raw.decode("utf-8-sig", errors="replace")
    if not text.strip():
        raise ValueError(f"{path} is empty")
    sample = "\n".join(text.splitlines()[:20])
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = []
    try:
        for row in reader:
            if any(c.strip() for c in row):
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise ValueError(f"{path}, row {reader.line_num}: not a valid CSV row ({exc})") from None
    return rows


def _has_header(rows) -> bool:
    return bool(rows) and any(_number(c) is None for c in rows[0][1] if c.strip())


INDEX_NAMES = ("t", "index", "idx", "time", "step", "row", "id")


def _is_index(name: str, data, j: int) -> bool:
    """Whether column j is a row index rather than data: named like one (INDEX_NAMES), or
    integers counting the rows (0..n-1 or 1..n)."""
    if name.strip().lower() in INDEX_NAMES:
        return True
    start = None
    for k, (_, row) in enumerate(data):
        v = _number(row[j]) if j < len(row) else None
        if v is None:
            return False
        if start is None:
            start = v
            if start not in (0.0, 1.0):
                return False
        if v != start + k:
            return False
    return len(data) > 1


def csv_columns(path) -> list[str]:
    """The column names of a CSV file (its header, or 'column 1', 'column 2', ... if it has none)."""
    rows = _read_rows(path)
    if _has_header(rows):
        return [c.strip() for c in rows[0][1]]
    return [f"column {j + 1}" for j in range(len(rows[0][1]))]


def read_csv_column(path, column: str | int | None = None) -> tuple[np.ndarray, str]:
    """One column of a CSV file as float64 numbers, and the column's name.

    column: a header name (case-insensitive), or a column number counting from 1 (as in a
    spreadsheet or `cut -f`); None takes the first column whose first value is a number and
    that is not a row index (see _is_index), or the first column of numbers if all are.
    A cell that is empty, text, NaN or infinite raises ValueError naming its row (the line
    number in the file, counting the header as row 1) and its column.
    """
    path_text = os.fspath(path)
    rows = _read_rows(path)
    header = _has_header(rows)
    names = [c.strip() for c in rows[0][1]] if header else [f"column {j + 1}" for j in range(len(rows[0][1]))]
    data = rows[1:] if header else rows
    if not data:
        raise ValueError(f"{path_text} has a header ({', '.join(names)}) but no rows of data")
    if column is None:
        first = data[0][1]
        numeric = [k for k in range(len(names)) if k < len(first) and _number(first[k]) is not None]
        if not numeric:
            raise ValueError(f"{path_text} has no column of numbers; columns are: {', '.join(names)}")
        j = next((k for k in numeric if not _is_index(names[k] if header else "", data, k)), numeric[0])
    elif isinstance(column, (int, np.integer)) or str(column).strip().isdigit():
        j = int(column) - 1
        if not 0 <= j < len(names):
            raise ValueError(
                f"{path_text} has {len(names)} column(s); column {column} does not exist "
                f"(columns are numbered from 1: {', '.join(names)})"
            )
    else:
        lowered = [n.lower() for n in names]
        key = str(column).strip().lower()
        if key not in lowered:
            raise ValueError(f"{path_text} has no column {column!r}; columns are: {', '.join(names)}")
        j = lowered.index(key)
    name = names[j]
    values = np.empty(len(data))
    for k, (line, row) in enumerate(data):
        if j >= len(row) or not row[j].strip():
            raise ValueError(f"{path_text}, row {line}, column {name!r}: the cell is empty")
        v = _number(row[j])
        if v is None:
            raise ValueError(f"{path_text}, row {line}, column {name!r}: {row[j].strip()!r} is not a number")
        if not math.isfinite(v):
            raise ValueError(f"{path_text}, row {line}, column {name!r}: {row[j].strip()!r} is not a finite number")
        values[k] = v
    return values, name


# ----------------------------------------------------------------------------------------
# Character-level language model (Karpathy 2015) and its default corpus
# ----------------------------------------------------------------------------------------

_WORDS = (
    "the a an one this that some every small old new quiet dark bright long short red green "
    "river forest wolf bear fox sheep shepherd village hill road night morning story word "
    "network cell gate memory gradient weight step time loss signal state value "
    "sees hears keeps forgets remembers opens closes carries says asks walks runs learns "
    "and but then so because while when if near under over across before after with"
).split()


@lru_cache(maxsize=4)
def bracket_corpus(n_chars: int = 40_000, seed: int = 2015) -> str:
    """The default text: prose with quotations, and nested (round), [square] and {curly} brackets.

    Generated from a small grammar, so the project owns it. Quotes open and close, brackets
    nest up to four deep: the long-range structure that some LSTM cells learn to track
    (Karpathy, Johnson & Fei-Fei 2015).
    """
    rng = np.random.default_rng(seed)
    words = _WORDS
    pairs = (("(", ")"), ("[", "]"), ("{", "}"))

    def phrase(lo, hi):
        return " ".join(words[i] for i in rng.integers(0, len(words), rng.integers(lo, hi + 1)))

    def expr(depth):  # a lisp-like nested expression
        if depth >= 4 or rng.random() < 0.3:
            return phrase(1, 2) if rng.random() < 0.8 else str(int(rng.integers(0, 100)))
        o, c = pairs[rng.integers(0, 3)]
        parts = [expr(depth + 1) for _ in range(rng.integers(1, 4))]
        return o + " ".join(parts) + c

    def sentence():
        out = phrase(2, 6)
        r = rng.random()
        if r < 0.35:  # a quotation
            out += ', "' + phrase(2, 8).capitalize() + (rng.choice(["?", "!", "."])) + '"'
        elif r < 0.6:  # a parenthesis, sometimes nested
            inner = phrase(1, 4)
            if rng.random() < 0.4:
                inner += " (" + phrase(1, 3) + ")"
            out += " (" + inner + ")"
        out += " " + phrase(1, 4)
        return out[0].upper() + out[1:] + "."

    chunks: list[str] = []
    size = 0
    while size < n_chars:
        if rng.random() < 0.3:
            line = expr(0)
            if line[0] not in "([{":
                line = "(" + line + ")"
        else:
            line = " ".join(sentence() for _ in range(rng.integers(1, 4)))
        chunks.append(line)
        size += len(line) + 1
    return "\n".join(chunks)[:n_chars]


def read_text(path) -> tuple[str, list[str]]:
    """A text file as str (UTF-8; undecodable bytes become U+FFFD) and a list of warnings."""
    path_text = os.fspath(path)
    try:
        with open(path_text, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise ValueError(f"no such file: {path_text}") from None
    except IsADirectoryError:
        raise ValueError(f"{path_text} is a folder, not a text file") from None
    except OSError as exc:
        raise ValueError(f"cannot read {path_text}: {exc.strerror or exc}") from None
    if not raw.strip():
        raise ValueError(f"{path_text} is empty")
    if looks_binary(raw):
        raise ValueError(f"{path_text} looks like a binary file, not text")
    notes = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = raw.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        msg = (
            f"{path_text} is not valid UTF-8 (first bad byte at offset {exc.start}); "
            f"{bad} undecodable byte(s) were replaced by '\ufffd'"
        )
        notes.append(msg)
        warnings.warn(msg, UnicodeWarning, stacklevel=2)
    return text.removeprefix("\ufeff"), notes


class CharTask(Task):
    """Next-character prediction over a text: one-hot characters in, logits over the vocabulary out.

    Training windows are drawn from the first 90% of the text, held-out windows from the
    rest. Baseline: the unigram model (each character's frequency in the training part).
    """

    MAX_VOCAB = 512

    def __init__(self, text: str | None = None, seq_len: int = 25, seed: int = 0, label: str = "", notes=None):
        if text is None:
            text, label = bracket_corpus(), "default corpus (generated prose, quotes and brackets)"
        if len(text) < 2 * (seq_len + 1):
            raise ValueError(
                f"{label or 'the text'} has {len(text)} characters: too short for windows of {seq_len}; "
                f"it needs at least {2 * (seq_len + 1)}"
            )
        vocab = sorted(set(text))
        if len(vocab) > self.MAX_VOCAB:
            raise ValueError(f"{label or 'the text'} has {len(vocab)} distinct characters (at most {self.MAX_VOCAB})")
        super().__init__(
            "chars", "cross_entropy", "all", len(vocab), len(vocab), seq_len, seed,
            description=f"character model of {label or 'a text'}: {len(text)} characters, {len(vocab)} distinct",
            baseline_note="the unigram model: every character predicted by its frequency",
            defaults=dict(cell="rnn", hidden=100, optimizer="adagrad", lr=0.1, batch=1, clip_value=5.0,
                          iterations=2000),
        )  # fmt: skip
        self.text = text
        self.vocab = vocab
        self.index = {ch: k for k, ch in enumerate(vocab)}
        self._eye = np.eye(len(vocab))
        self.codes = np.array([self.index[c] for c in text], dtype=np.int64)
        self.n_train = max(int(len(text) * 0.9), seq_len + 2)
        if len(text) - self.n_train < seq_len + 1:
            self.n_train = len(text) - (seq_len + 1)
        self.warnings = list(notes or [])

    @classmethod
    def from_file(cls, path, seq_len: int = 25, seed: int = 0) -> CharTask:
        """A character model of the user's text file (non-UTF-8 bytes replaced, with a warning)."""
        text, notes = read_text(path)
        return cls(text, seq_len, seed, os.path.basename(os.fspath(path)), notes)

    def encode(self, text: str) -> np.ndarray:
        """Characters to class indices (ValueError names a character outside the vocabulary)."""
        try:
            return np.array([self.index[c] for c in text], dtype=np.int64)
        except KeyError as exc:
            raise ValueError(f"character {exc.args[0]!r} is not in this text's vocabulary") from None

    def decode(self, codes) -> str:
        """Class indices to characters."""
        return "".join(self.vocab[int(k)] for k in codes)

    def one_hot(self, codes: np.ndarray) -> np.ndarray:
        """(...,) indices -> (..., V) one-hot floats."""
        return self._eye[codes]

    def windows(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """x (T, B, V) one-hot and targets (T, B): the next character at every step."""
        idx = starts[None, :] + np.arange(self.seq_len + 1)[:, None]
        codes = self.codes[idx]
        return self.one_hot(codes[:-1]), codes[1:].copy()

    def sample(self, rng, batch):
        return self.windows(rng.integers(0, self.n_train - self.seq_len, batch))

    def _make_held_out(self):
        last = len(self.codes) - self.seq_len - 1
        starts = np.unique(np.linspace(self.n_train, last, min(64, last - self.n_train + 1)).astype(int))
        return self.windows(starts)

    def _compute_baseline(self):
        counts = np.bincount(self.codes[: self.n_train], minlength=len(self.vocab)) + 1.0  # add-one smoothing
        logp = np.log(counts / counts.sum())
        _, y = self.held_out()
        return float(-logp[y].mean())


# ----------------------------------------------------------------------------------------
# Many-to-one classification: the wolf example, and one-to-many generation
# ----------------------------------------------------------------------------------------

FILLERS = (
    "the", "path", "led", "into", "a", "dark", "forest", "and", "we", "walked", "on", "for", "hours",
    "past", "old", "trees", "while", "night", "fell", "slowly", "then", "heard", "something", "move",
)  # fmt: skip
CLUES = ("wolf", "bear", "fox", "deer")


class ClassifyTask(Task):
    """Which animal is 'it'? The clue word appears `distance` steps before the ambiguous last token.

    Every sequence is filler words, one clue animal (the class) exactly `distance` steps before
    the end, and the ambiguous token 'it' last: the course notes' wolf example, where the
    word that decides the answer came long before. Baseline: guessing, loss ln(classes).
    """

    def __init__(self, distance: int = 20, classes: int = 2, seq_len: int | None = None, seed: int = 0):
        if not 1 <= distance <= 1000:
            raise ValueError(f"distance must be between 1 and 1000 steps; got {distance}")
        if not 2 <= classes <= len(CLUES):
            raise ValueError(f"classes must be between 2 and {len(CLUES)}; got {classes}")
        T = distance + 5 if seq_len is None else seq_len
        if T < distance + 1:
            raise ValueError(f"seq_len ({T}) must be at least distance + 1 ({distance + 1})")
        self.tokens = (*FILLERS, *CLUES[:classes], "it")
        super().__init__(
            "classify", "cross_entropy", "last", len(self.tokens), classes, T, seed,
            description=f"which animal is 'it'? the clue comes {distance} steps before the end ({classes} classes)",
            baseline_note=f"guessing: ln({classes}) = {math.log(classes):.3f}",
            defaults=dict(cell="lstm", hidden=32, optimizer="adam", lr=3e-3, batch=32, clip=1.0, forget_bias=1.0,
                          iterations=400),
        )  # fmt: skip
        self.distance, self.classes = distance, classes

    def sample(self, rng, batch):
        T, n_fill = self.seq_len, len(FILLERS)
        codes = rng.integers(0, n_fill, (T, batch))
        label = rng.integers(0, self.classes, batch)
        codes[T - 1 - self.distance] = n_fill + label  # the clue
        codes[T - 1] = len(self.tokens) - 1  # 'it'
        x = np.zeros((T, batch, len(self.tokens)))
        np.put_along_axis(x, codes[..., None], 1.0, axis=-1)
        targets = np.broadcast_to(label, (T, batch)).copy()
        return x, targets

    def decode(self, x: np.ndarray, example: int = 0) -> str:
        """The words of one example of a batch x."""
        return " ".join(self.tokens[k] for k in x[:, example].argmax(axis=-1))

    def _compute_baseline(self):
        return math.log(self.classes)


class GenerateTask(Task):
    """One input, a sequence out: a code for a waveform (one-hot shape + amplitude) at t = 0.

    Later steps get zero input, so the network must unroll the whole curve from its state.
    Shapes: sine, triangle, square-ish, and a decaying oscillation. Baseline: the mean curve
    over all shapes and amplitudes (the best answer that ignores the input).
    """

    SHAPES = ("sine", "triangle", "square", "decay")

    def __init__(self, seq_len: int = 20, shapes: int = 3, seed: int = 0):
        if not 1 <= shapes <= len(self.SHAPES):
            raise ValueError(f"shapes must be between 1 and {len(self.SHAPES)}; got {shapes}")
        super().__init__(
            "generate", "mse", "all", shapes + 1, 1, seq_len, seed,
            description=f"generate one of {shapes} waveforms over {seq_len} steps from a single input",
            baseline_note="the mean curve, ignoring which shape was asked for",
            defaults=dict(cell="lstm", hidden=32, optimizer="adam", lr=1e-2, batch=32, iterations=400),
        )  # fmt: skip
        self.shapes = shapes

    def curves(self) -> np.ndarray:
        """(shapes, T) the unit-amplitude waveforms."""
        u = 2 * np.pi * np.arange(self.seq_len) / self.seq_len
        all_curves = np.stack([np.sin(u), (2 / np.pi) * np.arcsin(np.sin(u)), np.tanh(3 * np.sin(u)),
                               np.exp(-u / 3) * np.cos(2 * u)])  # fmt: skip
        return all_curves[: self.shapes]

    def sample(self, rng, batch):
        T, K = self.seq_len, self.shapes
        shape = rng.integers(0, K, batch)
        amp = 0.5 + 0.5 * rng.random(batch)
        x = np.zeros((T, batch, K + 1))
        x[0, np.arange(batch), shape] = 1.0
        x[0, :, K] = amp
        targets = (self.curves()[shape] * amp[:, None]).T[..., None]  # (T, B, 1)
        return x, np.ascontiguousarray(targets)

    def _compute_baseline(self):
        _, y = self.held_out()
        return float(np.mean((y - y.mean(axis=1, keepdims=True)) ** 2))


# ----------------------------------------------------------------------------------------


def make_task(
    name: str,
    seq_len: int | None = None,
    seed: int = 0,
    *,
    topology: str | None = None,
    period: float = 20.0,
    noise: float = 0.1,
    csv_path=None,
    column: str | int | None = None,
    text_path=None,
    distance: int | None = None,
    classes: int = 2,
    shapes: int = 3,
) -> Task:
    """A task by name (see TASKS); seq_len None takes the task's own default length."""
    if name not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}; got {name!r}")
    if seq_len is not None and (isinstance(seq_len, bool) or not 1 <= int(seq_len) <= 10_000):
        raise ValueError(f"seq_len must be between 1 and 10000; got {seq_len}")
    if name == "adding":
        return AddingTask(seq_len or 50, seed)
    if name == "sine":
        return SineTask(seq_len or 40, period, noise, topology or "many_to_many", seed)
    if name == "series":  # the bundled sunspot numbers, or a column of the user's CSV
        if csv_path is None:
            values = sunspots()[1]
            label = "yearly sunspot numbers 1700-2008 (NOAA)"
        else:
            values, col = read_csv_column(csv_path, column)
            label = f"{os.path.basename(os.fspath(csv_path))}, column {col!r}"
        return SeriesTask(values, "series", seq_len or 20, topology or "many_to_one", 0.8, seed, label)
    if name == "keras-stock":
        return keras_stock(csv_path, column, seq_len or 60, seed)
    if name == "chars":
        if text_path is not None:
            return CharTask.from_file(text_path, seq_len or 25, seed)
        return CharTask(None, seq_len or 25, seed)
    if name == "classify":
        if distance is None:
            distance = 20 if seq_len is None else max(1, seq_len - 5)
        return ClassifyTask(distance, classes, seq_len, seed)
    return GenerateTask(seq_len or 20, shapes, seed)
