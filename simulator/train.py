"""Training over the engine: a Trainer that a script, the headless command or a Qt worker drives.

    task = make_task("adding", seq_len=50)
    trainer = Trainer(task, TrainSettings.for_task(task, seed=0))
    trainer.run(callback=show, should_stop=lambda: stop_flag)    # or trainer.step() at a time
    trainer.snapshot()        # iteration, loss histories, a copy of the weights
    trainer.net.to_npz("trained.npz")

Every iteration draws its batch (and its dropout masks) from a generator seeded by (seed,
iteration), runs simulate() (forward + BPTT + the remedies) and applies the optimiser. So the
same seed gives the same loss history bit for bit, however the run is cut into calls. A
non-finite loss or weight, or a finite batch loss that has blown up (LOSS_BLOWUP), stops the run
with a message that names the remedies (the cause first), and the weights with the lowest
training (batch) loss of the run are put back: not the last finite ones, which have usually
exploded already.

Also here: the echo-state readout fitted in closed form (ridge regression), forward-only
predictions, text sampling with a temperature, and the per-character activations of hidden
units and gates that colour a text (Karpathy, Johnson & Fei-Fei 2015).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from .cells import ACTIVATIONS, CELLS, LSTM_VARIANTS
from .engine import simulate
from .network import INITS, Network, spectral_radius
from .optim import DEFAULT_LR, OPTIMIZERS, Optimizer, make_optimizer
from .result import Result
from .tasks import CharTask, SeriesTask, Task


@dataclass(frozen=True)
class TrainSettings:
    """Everything that determines a training run besides the task."""

    cell: str = "lstm"
    hidden: int = 32
    layers: int = 1
    activation: str = "tanh"  # RNN / ESN hidden activation
    variant: str = "vanilla"  # LSTM variant
    init: str = "uniform"
    wrec: float | None = None  # rescale each W_hh block to this spectral radius (None: keep the init)
    leak: float = 1.0  # ESN leak rate
    forget_bias: float = 0.0  # added to the LSTM forget-gate bias at creation (Jozefowicz et al. 2015: 1)
    optimizer: str = "adam"
    lr: float | None = None  # None: the optimiser's usual default
    momentum: float = 0.9  # SGD only
    batch: int = 32
    iterations: int = 1000
    dropout: float = 0.0  # between stacked layers
    clip: float = 0.0  # global gradient-norm threshold (0 = off)
    clip_value: float = 0.0  # element-wise threshold (0 = off)
    truncate: int = 0  # truncated BPTT window k (0 = full BPTT)
    penalty: float = 0.0  # Pascanu's Omega weight (RNN / ESN)
    seed: int = 0
    eval_every: int = 0  # held-out evaluation every n iterations (0: about 25 times per run)
    trainable: str = "auto"  # 'all', 'readout', or 'auto' (readout only for an ESN)

    def __post_init__(self):
        _choice("cell", self.cell, CELLS)
        _choice("activation", self.activation, ACTIVATIONS)
        _choice("variant", self.variant, LSTM_VARIANTS)
        _choice("init", self.init, INITS)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("trainable", self.trainable, ("auto", "all", "readout"))
        for name, lo, hi in (("hidden", 1, 2048), ("layers", 1, 16), ("batch", 1, 100_000),
                             ("iterations", 0, 10**9), ("truncate", 0, 10**6), ("eval_every", 0, 10**9),
                             ("seed", 0, 2**63 - 1)):  # fmt: skip
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
                raise ValueError(f"{name} must be a whole number between {lo} and {hi}; got {v!r}")
        for name in ("clip", "clip_value", "penalty"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a number >= 0 (0 = off); got {v!r}")
        if self.lr is not None and not (np.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr (learning rate) must be a positive number; got {self.lr!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {self.dropout!r}")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1); got {self.momentum!r}")
        if self.wrec is not None and not (np.isfinite(self.wrec) and 0.0 <= self.wrec <= 100.0):
            raise ValueError(f"wrec must be between 0 and 100; got {self.wrec!r}")
        if not np.isfinite(self.forget_bias):
            raise ValueError(f"forget_bias must be a number; got {self.forget_bias!r}")
        if not 0.0 < self.leak <= 1.0:
            raise ValueError(f"leak must be in (0, 1]; got {self.leak!r}")
        if self.leak != 1.0 and self.cell != "esn":
            raise ValueError("leak applies to cell 'esn' only")
        if self.penalty > 0 and self.cell not in ("rnn", "esn"):
            raise ValueError("penalty (Pascanu's gradient-norm regulariser) applies to cell rnn or esn only")
        if self.variant != "vanilla" and self.cell != "lstm":
            raise ValueError(f"variant {self.variant!r} applies to cell 'lstm' only")

    @property
    def learning_rate(self) -> float:
        """lr, or the optimiser's default when lr is None."""
        return DEFAULT_LR[self.optimizer] if self.lr is None else float(self.lr)

    @property
    def trains_readout_only(self) -> bool:
        """True when only readout.weight and readout.bias learn (an echo state network)."""
        return self.trainable == "readout" or (self.trainable == "auto" and self.cell == "esn")

    def replace(self, **changes) -> TrainSettings:
        """A validated copy with some settings changed."""
        known = {f.name for f in fields(self)}
        unknown = [k for k in changes if k not in known]
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def for_task(cls, task: Task, **overrides) -> TrainSettings:
        """The task's recommended settings (task.defaults), then the overrides (None = keep)."""
        base = {k: v for k, v in task.defaults.items()}
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls().replace(**base)


def _choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


LIVE_SETTINGS = ("lr", "clip", "clip_value", "truncate", "penalty", "dropout", "batch", "iterations")


# A learning rate more than this many times the optimiser's usual one (optim.DEFAULT_LR) is "far
# above its usual range": the remedies then start with that usual value. (The tasks' recommended
# Adam lr of 0.01 is 10 times Adam's usual 0.001, and is not far above.)
LR_FAR_ABOVE = 10.0

# A finite batch loss more than this many times the larger of the run's first batch loss and the
# task's baseline (the naive predictor's held-out loss) has blown up: the run counts as diverged,
# as if it had overflowed. Left alone, such a run may never overflow (an identity RNN's loss can
# climb to 1e108 and stay there) and would be reported as merely not learned. For the MSE the
# factor means predictions about a thousand times further off than the naive ones (the loss is
# squared); for cross-entropy, millions of nats per prediction. Ordinary batch-to-batch noise and
# loss spikes stay within one or two orders of magnitude, so no run that learns comes near it.
LOSS_BLOWUP = 1e6


@dataclass(frozen=True)
class Remedy:
    """One remedy for a diverging run: what the message says, a short label, the settings it changes."""

    text: str  # e.g. "a learning rate in SGD's usual range (lr = 10 now; try 0.1)"
    label: str  # e.g. "lr = 0.1" (a button's text)
    changes: dict  # TrainSettings keys and values, e.g. {"lr": 0.1}


def remedies(settings: TrainSettings, net: Network | None = None, task: Task | None = None) -> list[Remedy]:
    """What would help a diverging run, the one that addresses the likely cause first.

    A learning rate far above the optimiser's usual range (LR_FAR_ABOVE) is the likely cause:
    then the first remedy is that usual rate. Otherwise clipping comes first and a tenth of the
    rate second. There is always at least one remedy (a smaller rate).
    """
    s, out = settings, []
    lr, usual = s.learning_rate, DEFAULT_LR[s.optimizer]
    name = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam"}[s.optimizer]
    if lr > LR_FAR_ABOVE * usual:
        out.append(Remedy(f"a learning rate in {name}'s usual range (lr = {lr:g} now; try {usual:g})",
                          f"lr = {usual:g}", {"lr": usual}))  # fmt: skip
    if s.clip == 0 and s.clip_value == 0:
        out.append(Remedy("turn on gradient clipping (clip = 1, a global norm threshold)", "clip at 1", {"clip": 1.0}))
    elif s.clip > 1 or s.clip_value > 1:
        out.append(Remedy(f"clip harder (clip = {s.clip:g}, clip_value = {s.clip_value:g} now; try 1)",
                          "clip at 1", {"clip": 1.0, "clip_value": 0.0}))  # fmt: skip
    if lr <= LR_FAR_ABOVE * usual:
        out.append(Remedy(f"a smaller learning rate (lr = {lr:g} now; try {lr / 10:g})", f"lr = {lr / 10:g}",
                          {"lr": lr / 10}))  # fmt: skip
    if s.cell in ("rnn", "esn"):
        if net is not None:
            rho = max(spectral_radius(net.params[f"weight_hh_l{k}"]) for k in range(net.layers))
            if rho >= 1.0:
                out.append(Remedy(f"a smaller wrec (the spectral radius of W_hh is {rho:.3g}; keep it below 1)",
                                  "wrec = 0.9", {"wrec": 0.9}))  # fmt: skip
        if s.activation in ("relu", "identity"):
            out.append(Remedy(f"a bounded activation (tanh instead of {s.activation})", "tanh", {"activation": "tanh"}))
        out.append(Remedy("an LSTM cell (or a GRU)", "LSTM cell", {"cell": "lstm"}))
    if s.truncate == 0 and task is not None and task.seq_len > 20:
        out.append(Remedy("truncated BPTT (truncate = 20)", "truncate at 20", {"truncate": 20}))
    return out


@dataclass(frozen=True)
class Snapshot:
    """A finished moment of a training run, safe to hand to another thread."""

    iteration: int
    iterations: int  # the target number of iterations
    train_loss: tuple[float, ...]  # one per iteration (the batch loss before that update; a blown-up one last)
    test_loss: tuple[tuple[int, float], ...]  # (iteration, held-out loss)
    net: Network  # a copy of the current weights
    seconds: float  # time spent training so far
    its_per_second: float
    status: str  # 'ready', 'running', 'done', 'stopped' or 'diverged'
    message: str = ""
    result: Result | None = None  # the trace of the latest step (its batch; the weights before its update)

    @property
    def eta_seconds(self) -> float:
        """Estimated seconds to the target number of iterations."""
        left = max(self.iterations - self.iteration, 0)
        return left / self.its_per_second if self.its_per_second > 0 else float("inf")


class Trainer:
    """Trains a network on a task with the engine's BPTT; drive it with step() or run()."""

    def __init__(self, task: Task, settings: TrainSettings | None = None, net: Network | None = None):
        self.task = task
        self.settings = s = settings or TrainSettings.for_task(task)
        if net is None:
            net = Network.create(
                s.cell, task.inputs, s.hidden, task.outputs, s.layers, s.activation, s.variant, s.init, s.seed,
                s.wrec, 0.1, s.leak,
            )  # fmt: skip
            if s.forget_bias and s.cell == "lstm":
                params = dict(net.params)
                H = s.hidden
                for k in range(s.layers):
                    b = params[f"bias_ih_l{k}"].copy()
                    b[H : 2 * H] += s.forget_bias  # gate order i, f, g, o
                    params[f"bias_ih_l{k}"] = b
                net = net.with_params(params)
        elif (net.inputs, net.outputs) != (task.inputs, task.outputs):
            raise ValueError(
                f"the network has {net.inputs} inputs and {net.outputs} outputs; "
                f"task {task.name!r} needs {task.inputs} and {task.outputs}"
            )
        elif (net.cell, net.hidden, net.layers) != (s.cell, s.hidden, s.layers):
            raise ValueError(
                f"the network is a {net.cell} of {net.layers} x {net.hidden} units but the settings say "
                f"{s.cell}, {s.layers} x {s.hidden}: use settings.replace(cell=..., hidden=..., layers=...)"
            )
        self.net = net
        self.optimizer: Optimizer = make_optimizer(s.optimizer, s.learning_rate, s.momentum)
        self.iteration = 0
        self.train_history: list[float] = []
        self.test_history: list[tuple[int, float]] = []
        self.seconds = 0.0
        self.status = "ready"
        self.message = ""
        self.last_result = None  # the Result of the latest training step (for the gradient plots)
        # the weights with the lowest batch loss so far: kept by reference (the optimisers return
        # new arrays, never update in place), so tracking them costs a comparison per iteration
        self.best_net: Network | None = None
        self.best_loss = float("inf")
        self.best_iteration = 0  # the weights after this many iterations
        every = s.eval_every or max(1, s.iterations // 25)
        self.eval_every = every
        self._trainable = None

    # ---- one step ---------------------------------------------------------------------
    @property
    def diverged(self) -> bool:
        """True once a non-finite loss or weight, or a blown-up loss (LOSS_BLOWUP), stopped the run."""
        return self.status == "diverged"

    def step(self) -> float | None:
        """One iteration: batch, forward + BPTT, update (and a due held-out evaluation).

        Returns the batch loss, or None if the run diverged.
        """
        self._evaluate_if_due()
        loss = self._train_step()
        self._evaluate_if_due()
        return loss

    def _evaluate_if_due(self, should_stop: Callable[[], bool] | None = None) -> bool:
        """Run the held-out evaluation scheduled for this iteration; False if should_stop cut it short."""
        if self.diverged or (self.test_history and self.test_history[-1][0] == self.iteration):
            return True
        s = self.settings
        if self.iteration % self.eval_every and self.iteration != s.iterations:
            return True
        start = time.perf_counter()
        value = self.evaluate(should_stop=should_stop)
        self.seconds += time.perf_counter() - start
        if value is None:
            return False
        self.test_history.append((self.iteration, value))
        return True

    def _train_step(self) -> float | None:
        if self.diverged:
            return None
        s, task = self.settings, self.task
        start = time.perf_counter()
        rng = np.random.default_rng([s.seed, 1, self.iteration])
        x, targets = task.sample(rng, s.batch)
        res = simulate(
            self.net, x, targets, task.loss, task.score, s.truncate, s.clip, s.clip_value, s.penalty,
            s.dropout, int(rng.integers(2**62)) if s.dropout > 0 else None,
        )  # fmt: skip
        self.last_result = res
        loss = float(res.loss_terms.sum())  # the task's loss, without the penalty term
        if res.nonfinite is not None or not np.isfinite(res.loss):
            what = res.nonfinite.message() if res.nonfinite is not None else "the loss became NaN"
            self._diverge(what)
            self.seconds += time.perf_counter() - start
            return None
        blown = self._blown_up(loss)
        if blown:
            self.train_history.append(loss)  # (a finite loss: the plot shows the blow-up that stopped the run)
            self._diverge(blown)
            self.seconds += time.perf_counter() - start
            return None
        if loss < self.best_loss:  # the loss of the weights before this update
            self.best_net, self.best_loss, self.best_iteration = self.net, loss, self.iteration
        names = self._trainable_names()
        grads = {k: res.grads[k] for k in names}
        new = self.optimizer.step(self.net.params, grads)
        bad = next((k for k in names if not np.all(np.isfinite(new[k]))), None)
        if bad is not None:
            self._diverge(f"the update made {bad} infinite or NaN (gradient norm {res.grad_norm:.3g})")
            self.seconds += time.perf_counter() - start
            return None
        self.net = self.net.with_params(new)
        self.iteration += 1
        self.train_history.append(loss)
        self.status = "done" if self.iteration >= s.iterations else "running"
        self.seconds += time.perf_counter() - start
        return loss

    def _blown_up(self, loss: float) -> str:
        """What blew up when the batch loss is past LOSS_BLOWUP times its reference, else ''.

        The reference is the run's first batch loss, or the baseline when that is larger: a
        network that starts far off (an exploding forward pass) is judged by how much worse
        training makes it, one that starts near the baseline by the baseline.
        """
        if not self.train_history or loss <= LOSS_BLOWUP * self.train_history[0]:
            return ""  # (the first test spares most steps the baseline's computation)
        ref, of = self.train_history[0], f"its first value {self.train_history[0]:.3g}"
        base = self.task.baseline_loss
        if np.isfinite(base) and base > ref:
            ref, of = base, f"the baseline {base:.3g}"
        if not ref > 0 or loss <= LOSS_BLOWUP * ref:
            return ""
        limit = f"10^{np.log10(LOSS_BLOWUP):.0f}"
        ratio = f"{loss / ref:.2g} times {of}; over {limit} times counts as diverged"
        return f"the batch loss blew up to {loss:.3g} (finite, but {ratio})"

    def _trainable_names(self) -> list[str]:
        if self._trainable is None:
            names = list(self.net.params)
            if self.settings.trains_readout_only:
                names = [k for k in names if k.startswith("readout.")]
            self._trainable = names
        return self._trainable

    def _diverge(self, what: str) -> None:
        self.status = "diverged"
        it = self.iteration
        if self.best_net is not None:  # put back the weights with the lowest batch loss of the run
            self.net = self.best_net
            which = f"weights after iteration {self.best_iteration}" if self.best_iteration else "initial weights"
            kept = f"the {which}, whose batch loss {self.best_loss:.4g} was the lowest of the run"
        else:
            kept = "the initial weights"
        with np.errstate(all="ignore"):
            held_out = self.evaluate()
        if held_out is not None and np.isfinite(held_out):
            kept += f" (held-out loss {held_out:.4g})"
        helps = "; ".join(r.text for r in self.remedies())
        self.message = f"Training diverged at iteration {it + 1}: {what}. Kept {kept}. What would help: {helps}."

    def remedies(self) -> list[Remedy]:
        """Remedies for a diverging run, the one that addresses the likely cause first."""
        return remedies(self.settings, self.net, self.task)

    def change(self, **changes) -> None:
        """Change settings from the next iteration on (see LIVE_SETTINGS): remedies as live toggles."""
        fixed = [k for k in changes if k not in LIVE_SETTINGS]
        if fixed:
            raise ValueError(f"{fixed[0]} cannot change during a run; these can: {', '.join(LIVE_SETTINGS)}")
        self.settings = self.settings.replace(**changes)
        self.optimizer.lr = self.settings.learning_rate
        if self.status == "done" and self.iteration < self.settings.iterations:
            self.status = "running"

    # ---- driving a run ----------------------------------------------------------------
    def run(
        self,
        n: int | None = None,
        callback: Callable[[Snapshot], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        interval: float = 0.1,
    ) -> Snapshot:
        """Train n more iterations (None: up to settings.iterations); returns the final snapshot.

        should_stop() is asked before every iteration and between the chunks of a held-out
        evaluation, so a stop takes effect within one iteration; an evaluation cut short is
        done at the start of the next run(), so the histories do not depend on when you stop.
        callback(snapshot) is called at most every `interval` seconds and once at the end.
        Both run in the calling thread.
        """
        end = self.settings.iterations if n is None else self.iteration + int(n)
        last = time.perf_counter()
        while not self.diverged:
            stopped = should_stop is not None and should_stop()
            if stopped or not self._evaluate_if_due(should_stop):
                self.status = "stopped"
                break
            if self.iteration >= end:
                break
            self._train_step()
            if callback is not None and time.perf_counter() - last >= interval:
                callback(self.snapshot())
                last = time.perf_counter()
        snap = self.snapshot()
        if callback is not None:
            callback(snap)
        return snap

    def snapshot(self) -> Snapshot:
        """An immutable copy of the run's state (weights copied)."""
        return Snapshot(
            iteration=self.iteration,
            iterations=self.settings.iterations,
            train_loss=tuple(self.train_history),
            test_loss=tuple(self.test_history),
            net=self.net.copy(),
            seconds=self.seconds,
            its_per_second=self.iteration / self.seconds if self.seconds > 0 else 0.0,
            status=self.status,
            message=self.message,
            result=self.last_result,
        )

    # ---- held-out loss, the ESN readout, saving ---------------------------------------
    def evaluate(self, net: Network | None = None, should_stop: Callable[[], bool] | None = None) -> float | None:
        """The loss on the task's held-out set (forward only, no dropout); None if should_stop() said so."""
        x, targets = self.task.held_out()
        return task_loss(net or self.net, self.task, x, targets, should_stop)

    def fit_readout(self, ridge: float = 1e-6, sequences: int | None = None) -> tuple[float, float]:
        """Fit readout.weight and readout.bias by ridge regression in one call; (train, held-out) loss.

        The recurrent weights stay as they are: for an echo state network this IS the training.
        """
        self.best_net, self.best_loss, self.best_iteration = None, float("inf"), self.iteration
        n = sequences or (1000 if self.task.score == "last" else 200)
        x, targets = self.task.sample(np.random.default_rng([self.settings.seed, 3]), n)
        self.net = fit_readout(self.net, x, targets, self.task.loss, self.task.score, ridge)
        train = task_loss(self.net, self.task, x, targets)
        test = self.evaluate()
        self.test_history.append((self.iteration, test))
        return train, test

    def save(self, path) -> None:
        """Write the current weights to .npz with PyTorch's state_dict names."""
        self.net.to_npz(path)


# ----------------------------------------------------------------------------------------
# BLAS threads
# ----------------------------------------------------------------------------------------

_OPENBLAS_SYMBOLS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
)


def blas_threads(n: int | None = None) -> int | None:
    """Set (if n is given) and return the number of threads of numpy's OpenBLAS; None if unknown.

    The matrices of a recurrent net are small (batch x hidden), so one BLAS thread is usually
    fastest, and a second thread that spins while another process holds the other core can make
    each step many times slower. The headless trainer therefore runs on one thread by default.
    Works with the OpenBLAS that numpy's wheels bundle; elsewhere it changes nothing.
    """
    import ctypes
    import glob
    import os

    root = os.path.dirname(os.path.dirname(np.__file__))
    for path in sorted(glob.glob(os.path.join(root, "numpy.libs", "*openblas*"))):
        try:
            lib = ctypes.CDLL(path)  # already loaded by numpy: the same library, not a second copy
        except OSError:
            continue
        for set_name, get_name in _OPENBLAS_SYMBOLS:
            setter, getter = getattr(lib, set_name, None), getattr(lib, get_name, None)
            if setter is None or getter is None:
                continue
            if n is not None:
                setter(ctypes.c_int(int(n)))
            return int(getter())
    return None


# ----------------------------------------------------------------------------------------
# Forward-only helpers
# ----------------------------------------------------------------------------------------


def run_forward(net: Network, x: np.ndarray, h0=None, c0=None):
    """Forward pass only: (Y (T, B, O), per-layer caches). No gradients, no checks on x."""
    from .engine import forward

    with np.errstate(all="ignore"):
        caches, _, _, Y = forward(net, np.asarray(x, dtype=np.float64), h0, c0)
    return Y, caches


def predict(net: Network, x: np.ndarray) -> np.ndarray:
    """The network's outputs (T, B, O) for inputs x (T, B, I)."""
    return run_forward(net, x)[0]


EVAL_CHUNK = 64  # sequences per forward pass of a held-out evaluation


def task_loss(net: Network, task: Task, x: np.ndarray, targets: np.ndarray, should_stop=None) -> float | None:
    """The task's loss of the network on (x, targets), as the engine scores it (mean over the batch).

    Computed in chunks of EVAL_CHUNK sequences (always the same chunks, so always the same
    bits); should_stop() is asked between chunks, and a True answer returns None.
    """
    from .engine import loss_and_grad

    B = x.shape[1]
    total = 0.0
    for lo in range(0, B, EVAL_CHUNK):
        if should_stop is not None and should_stop():
            return None
        hi = min(lo + EVAL_CHUNK, B)
        Y = predict(net, x[:, lo:hi])
        with np.errstate(all="ignore"):
            part, _, _ = loss_and_grad(Y, targets[:, lo:hi], task.loss, task.score)
        total += part * (hi - lo)  # each chunk's loss is a mean over its sequences
    return float(total / B)


def fit_readout(
    net: Network, x, targets, loss: str = "mse", score: str = "all", ridge: float = 1e-6, washout: int = 0
) -> Network:
    """A copy of net whose linear readout is the ridge-regression fit to the targets.

    Solves (S^T S + ridge I) W = S^T Y, S = the top layer's states [h, 1] at the scored steps
    (after `washout` steps for many-to-many); the bias column is not penalised. For
    cross_entropy targets, Y is their one-hot code (a least-squares classifier).
    """
    if not (np.isfinite(ridge) and ridge >= 0):
        raise ValueError(f"ridge must be a number >= 0; got {ridge}")
    _, caches = run_forward(net, x)
    states = caches[-1]["h"][1:]  # (T, B, H)
    targets = np.asarray(targets)
    if loss == "cross_entropy":
        targets = np.eye(net.outputs)[targets]  # (T, B, O) one-hot
    if score == "last":
        S, Y = states[-1], targets[-1]
    else:
        S = states[washout:].reshape(-1, net.hidden)
        Y = targets[washout:].reshape(-1, net.outputs)
    if not np.all(np.isfinite(S)):
        raise ValueError("the reservoir states are not finite: lower wrec or the input scaling")
    A = np.hstack([S, np.ones((len(S), 1))])
    reg = ridge * np.eye(A.shape[1])
    reg[-1, -1] = 0.0  # no penalty on the bias
    W = np.linalg.lstsq(A.T @ A + reg, A.T @ Y, rcond=None)[0]  # (H + 1, O)
    params = dict(net.params)
    params["readout.weight"] = np.ascontiguousarray(W[:-1].T)
    params["readout.bias"] = W[-1].copy()
    return net.with_params(params)


def predict_series(net: Network, task: SeriesTask) -> dict[str, np.ndarray]:
    """One-step-ahead predictions over the held-out part of a series, in the series' own units.

    Returns {'index': positions in the series, 'truth': the values, 'prediction': the net's}:
    the 'predictions drawn over the truth' of the Keras example.
    """
    x, _ = task.held_out()
    Y = predict(net, x)[-1, :, 0]  # the prediction after each window
    index = task.test_starts + task.seq_len
    return {"index": index, "truth": task.raw[index], "prediction": task.denormalise(Y)}


# ----------------------------------------------------------------------------------------
# Character models: sampling and the activations that colour a text
# ----------------------------------------------------------------------------------------


def _last_states(net: Network, caches):
    h = [c["h"][-1].copy() for c in caches]
    c = [cache["c"][-1].copy() for cache in caches] if net.cell == "lstm" else None
    return h, c


def sample_text(
    net: Network,
    task: CharTask,
    length: int = 200,
    temperature: float = 1.0,
    prime: str | None = None,
    seed: int = 0,
) -> str:
    """Text generated one character at a time from softmax(logits / temperature).

    temperature -> 0 takes the most likely character (greedy); 1 samples the model's own
    distribution; above 1 is more random. prime (default: a newline, or the first
    character of the vocabulary) is fed first and is not part of the result.
    """
    if not (np.isfinite(temperature) and temperature >= 0):
        raise ValueError(f"temperature must be a number >= 0; got {temperature}")
    if length < 0:
        raise ValueError(f"length must be >= 0; got {length}")
    rng = np.random.default_rng(seed)
    if not prime:
        prime = "\n" if "\n" in task.index else task.vocab[0]
    codes = task.encode(prime)
    Y, caches = run_forward(net, task.one_hot(codes)[:, None])
    h, c = _last_states(net, caches)
    logits = Y[-1, 0]
    out = []
    for _ in range(length):
        if temperature < 1e-6:
            k = int(np.argmax(logits))
        else:
            z = logits / temperature
            p = np.exp(z - z.max())
            p /= p.sum()
            k = int(rng.choice(len(p), p=p))
        out.append(k)
        Y, caches = run_forward(net, task.one_hot(np.array([[k]])), h, c)
        h, c = _last_states(net, caches)
        logits = Y[-1, 0]
    return task.decode(out)


def text_activations(net: Network, task: CharTask, text: str, layer: int = -1) -> dict[str, np.ndarray]:
    """Per-character activations of one layer while the network reads `text`: name -> (N, H).

    'h' is the hidden state after reading each character; an LSTM adds 'c' (the cell state,
    unbounded) and its gates 'i', 'f', 'g', 'o'; a GRU its gates 'r', 'z', 'n'. Colour
    character t by row t of one column (one unit) to see what that unit tracks.
    """
    codes = task.encode(text)
    if len(codes) == 0:
        raise ValueError("the text is empty")
    _, caches = run_forward(net, task.one_hot(codes)[:, None])
    cache = caches[layer]
    H = net.hidden
    out = {"h": cache["h"][1:, 0]}
    if net.cell == "lstm":
        out["c"] = cache["c"][1:, 0]
    if "gates" in cache:
        names = ("i", "f", "g", "o") if net.cell == "lstm" else ("r", "z", "n")
        for j, name in enumerate(names):
            out[name] = cache["gates"][:, 0, j * H : (j + 1) * H]
    return {k: np.array(v) for k, v in out.items()}


def unit_activation(
    net: Network, task: CharTask, text: str, unit: int, quantity: str = "h", layer: int = -1
) -> np.ndarray:
    """(N,) the activation of one hidden unit (or one gate's unit) at every character of text."""
    acts = text_activations(net, task, text, layer)
    if quantity not in acts:
        raise ValueError(f"quantity must be one of {', '.join(acts)} for a {net.cell}; got {quantity!r}")
    if not 0 <= unit < net.hidden:
        raise ValueError(f"unit must be between 0 and {net.hidden - 1}; got {unit}")
    return acts[quantity][:, unit]
