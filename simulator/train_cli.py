"""`python main.py train ...`: train on a task without a window, with a progress bar on stderr.

    python main.py train --task adding --cell lstm --seq-len 50 --json out.json

Every setting not given takes the task's documented default (see `python main.py train
--help`). With those defaults, an LSTM learns the adding problem at T = 50 to a held-out MSE
far below 0.01 in well under a minute on two cores. Exit status: 0 trained, 1 diverged (the
JSON is still written, with the message), 2 bad arguments or unreadable data.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings

import numpy as np

from .cells import ACTIVATIONS, CELLS, LSTM_VARIANTS
from .network import INITS
from .optim import OPTIMIZERS
from .tasks import TASKS, CharTask, make_task
from .train import Snapshot, Trainer, TrainSettings, blas_threads, sample_text

DEFAULTS_TEXT = """\
defaults per task (anything you pass overrides them):
  adding       T=50   lstm hidden 32, adam lr 0.01, batch 32, clip 1, 2000 iterations
  sine         T=40   lstm hidden 16, adam lr 0.01, batch 32, 400 iterations (period 20, noise 0.1)
  series       T=20   lstm hidden 32, adam lr 0.01, batch 32, 400 iterations (yearly sunspots, or --csv)
  keras-stock  T=60   lstm 4 layers x 50, dropout 0.2, adam lr 0.001, batch 32, 300 iterations
  chars        T=25   rnn hidden 100, adagrad lr 0.1, batch 1, clip-value 5, 2000 iterations (min-char-rnn)
  classify     T=25   lstm hidden 32, forget-bias 1, adam lr 0.003, batch 32, clip 1, 400 iterations (distance 20)
  generate     T=20   lstm hidden 32, adam lr 0.01, batch 32, 400 iterations (3 shapes)
  any task with --cell esn: the readout is fitted by ridge regression (iterations default 0)
  numpy's BLAS runs on --threads 1 by default: fastest for these small matrices
"""


class ArgumentError(Exception):
    """A bad command-line value (exit status 2)."""


def _int_at_least(lo: int):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"must be at least {lo}, got {v}")
        return v

    return parse


def _float_range(lo: float, hi: float = math.inf, open_lo: bool = False):
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(v) or v < lo or (open_lo and v == lo) or v > hi:
            side = ">" if open_lo else ">="
            raise argparse.ArgumentTypeError(
                f"must be {side} {lo:g}" + (f" and <= {hi:g}" if hi < math.inf else "") + f", got {text}"
            )
        return v

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `main.py train`."""
    p = argparse.ArgumentParser(
        prog="main.py train",
        description="Train a recurrent network on a task without a window.",
        epilog=DEFAULTS_TEXT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pos, nonneg = _int_at_least(1), _float_range(0.0)
    p.add_argument("--task", choices=TASKS, default="adding", help="what to learn (default: adding)")
    p.add_argument("--seq-len", type=pos, help="sequence length T (default: the task's)")
    g = p.add_argument_group("network")
    g.add_argument("--cell", choices=CELLS, help="rnn, lstm, gru or esn (default: the task's)")
    g.add_argument("--hidden", type=pos, help="hidden units per layer")
    g.add_argument("--layers", type=pos, help="stacked recurrent layers")
    g.add_argument("--activation", choices=ACTIVATIONS, help="RNN/ESN hidden activation (default tanh)")
    g.add_argument("--variant", choices=LSTM_VARIANTS, help="LSTM variant (Greff et al. 2015)")
    g.add_argument("--init", choices=INITS, help="weight initialisation (default uniform, as PyTorch)")
    g.add_argument("--wrec", type=_float_range(0.0, 100.0), help="rescale W_hh to this spectral radius")
    g.add_argument("--forget-bias", type=_float_range(-10.0, 10.0), help="added to the LSTM forget-gate bias")
    g.add_argument("--leak", type=_float_range(0.0, 1.0, open_lo=True), help="ESN leak rate in (0, 1]")
    g = p.add_argument_group("training")
    g.add_argument("--optimizer", choices=OPTIMIZERS, help="sgd (with momentum), adagrad, rmsprop or adam")
    g.add_argument("--lr", type=_float_range(0.0, open_lo=True), help="learning rate")
    g.add_argument("--momentum", type=_float_range(0.0, 0.999), help="SGD momentum (default 0.9)")
    g.add_argument("--batch", type=pos, help="sequences per batch")
    g.add_argument("--iterations", type=_int_at_least(0), help="training iterations")
    g.add_argument("--seed", type=_int_at_least(0), default=0, help="seed of weights and data (default 0)")
    g.add_argument("--dropout", type=_float_range(0.0, 0.99), help="dropout between stacked layers")
    g.add_argument("--clip", type=nonneg, help="gradient-norm clipping threshold (0 = off)")
    g.add_argument("--clip-value", type=nonneg, help="element-wise gradient clipping (0 = off)")
    g.add_argument("--truncate", type=_int_at_least(0), help="truncated BPTT window k (0 = full)")
    g.add_argument("--penalty", type=nonneg, help="Pascanu et al.'s gradient-norm penalty (rnn, esn)")
    g.add_argument("--eval-every", type=pos, help="held-out evaluation every n iterations")
    g.add_argument("--ridge", type=nonneg, default=1e-6, help="ESN readout ridge (default 1e-6)")
    g.add_argument("--threads", type=pos, default=1, help="BLAS threads (default 1, fastest for small nets)")
    g.add_argument("--max-seconds", type=_float_range(0.0, open_lo=True), help="stop after this many seconds")
    g = p.add_argument_group("task options")
    g.add_argument("--topology", choices=("many_to_many", "many_to_one"), help="sine and series tasks")
    g.add_argument("--period", type=_float_range(0.0, open_lo=True), default=20.0, help="sine period in steps")
    g.add_argument("--noise", type=nonneg, default=0.1, help="sine noise standard deviation")
    g.add_argument("--csv", metavar="PATH", help="series / keras-stock: a CSV file of your own")
    g.add_argument("--column", help="the CSV column: a header name or a number counting from 1")
    g.add_argument("--text", metavar="PATH", help="chars: a text file of your own")
    g.add_argument("--distance", type=pos, help="classify: steps between the clue and the end (default 20)")
    g.add_argument("--classes", type=_int_at_least(2), default=2, help="classify: number of animals (2-4)")
    g.add_argument("--shapes", type=pos, default=3, help="generate: number of waveforms (1-4)")
    g = p.add_argument_group("output")
    g.add_argument("--json", metavar="PATH", help="write the results as JSON here")
    g.add_argument("--save", metavar="PATH", help="write the trained weights (.npz, PyTorch names)")
    g.add_argument("--sample", type=_int_at_least(0), default=0, help="chars: print this many sampled characters")
    g.add_argument("--temperature", type=nonneg, default=1.0, help="chars: sampling temperature (default 1)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


class Progress:
    """A one-line progress bar on a stream: iterations, it/s, ETA, losses."""

    def __init__(self, stream, total: int, width: int = 24):
        self.stream, self.total, self.width = stream, max(total, 1), width
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self._next_line = 0.0
        self._last = -1

    def update(self, snap: Snapshot) -> None:
        """Draw the bar for a snapshot (a full line every 10% when the stream is not a terminal)."""
        frac = min(snap.iteration / self.total, 1.0)
        if not self.tty and (snap.iteration == self._last or (frac < self._next_line and snap.status == "running")):
            return
        self._last = snap.iteration
        self._next_line = math.floor(frac * 10 + 1) / 10
        done = round(frac * self.width)
        eta = snap.eta_seconds
        eta_text = f"{int(eta // 60)}:{int(eta % 60):02d}" if math.isfinite(eta) else "?"
        train = np.mean(snap.train_loss[-20:]) if snap.train_loss else float("nan")
        test = snap.test_loss[-1][1] if snap.test_loss else float("nan")
        line = (
            f"[{'#' * done}{'.' * (self.width - done)}] {snap.iteration}/{self.total} "
            f"{snap.its_per_second:5.1f} it/s ETA {eta_text} loss {train:.4g} held-out {test:.4g}"
        )
        self.stream.write(("\r" + line + "\x1b[K") if self.tty else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the line."""
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _build(args) -> tuple:
    task = make_task(
        args.task,
        args.seq_len,
        args.seed,
        topology=args.topology,
        period=args.period,
        noise=args.noise,
        csv_path=args.csv,
        column=args.column,
        text_path=args.text,
        distance=args.distance,
        classes=args.classes,
        shapes=args.shapes,
    )
    if args.csv and args.task not in ("series", "keras-stock"):
        raise ArgumentError(f"--csv applies to tasks series and keras-stock, not {args.task}")
    if args.text and args.task != "chars":
        raise ArgumentError(f"--text applies to task chars, not {args.task}")
    overrides = {
        k: getattr(args, k)
        for k in ("cell", "hidden", "layers", "activation", "variant", "init", "wrec", "leak", "forget_bias",
                  "optimizer", "lr", "momentum", "batch", "iterations", "dropout", "clip", "clip_value", "truncate",
                  "penalty", "eval_every", "seed")
    }  # fmt: skip
    if overrides["cell"] == "esn" and args.iterations is None:
        overrides["iterations"] = 0  # an ESN learns by the closed-form readout fit
    settings = TrainSettings.for_task(task, **overrides)
    return task, settings


def main(argv: list[str] | None = None) -> int:
    """Run `main.py train` with argv (without the word 'train'); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 with a message on a bad argument
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnicodeWarning)  # task.warnings are printed below, once
            task, settings = _build(args)
        trainer = Trainer(task, settings)
    except ArgumentError as exc:
        parser.print_usage(sys.stderr)
        print(f"main.py train: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # a bad value or unreadable data: the message says which
        print(f"main.py train: error: {exc}", file=sys.stderr)
        return 2
    before = blas_threads()
    blas_threads(args.threads)
    try:
        return _train(args, task, trainer, settings)
    finally:
        if before is not None:
            blas_threads(before)  # leave the process as it was (main() may be called in-process)


def _train(args, task, trainer: Trainer, settings: TrainSettings) -> int:
    for note in task.warnings:
        print(f"warning: {note}", file=sys.stderr)
    if not args.quiet:
        print(
            f"{task.description}; {settings.cell}, hidden {settings.hidden} x {settings.layers}, "
            f"{settings.optimizer} lr {settings.learning_rate:g}, batch {settings.batch}, "
            f"{settings.iterations} iterations; baseline {task.baseline_loss:.4g} ({task.baseline_note})",
            file=sys.stderr,
        )
    fit = None
    if settings.cell == "esn":
        fit = trainer.fit_readout(args.ridge)
        if not args.quiet:
            print(f"ESN readout fitted (ridge {args.ridge:g}): train {fit[0]:.4g}, held-out {fit[1]:.4g}",
                  file=sys.stderr)  # fmt: skip

    progress = None if args.quiet or settings.iterations == 0 else Progress(sys.stderr, settings.iterations)
    start = time.perf_counter()
    deadline = None if args.max_seconds is None else start + args.max_seconds
    stop = (lambda: time.perf_counter() > deadline) if deadline is not None else None
    try:
        snap = trainer.run(callback=progress.update if progress else None, should_stop=stop, interval=0.2)
    except KeyboardInterrupt:
        snap = trainer.snapshot()
        print("\ninterrupted", file=sys.stderr)
    if progress:
        progress.close()
    seconds = time.perf_counter() - start
    if not trainer.diverged and (not trainer.test_history or trainer.test_history[-1][0] != trainer.iteration):
        trainer.test_history.append((trainer.iteration, trainer.evaluate()))  # stopped between evaluations
    snap = trainer.snapshot()
    history = list(snap.train_loss)
    final_train = float(np.mean(history[-10:])) if history else (fit[0] if fit else math.nan)
    final_test = snap.test_loss[-1][1] if snap.test_loss else math.nan
    report = {
        "task": task.name,
        "cell": settings.cell,
        "seq_len": task.seq_len,
        "iterations": snap.iteration,
        "seconds": round(seconds, 3),
        "final_train_loss": _num(final_train),
        "final_test_loss": _num(final_test),
        "baseline_loss": _num(task.baseline_loss),
        "loss_history": [_num(v) for v in history],
        "test_history": [[i, _num(v)] for i, v in snap.test_loss],
        "baseline_note": task.baseline_note,
        "loss": task.loss,
        "status": snap.status,
        "message": snap.message,
        "its_per_second": round(snap.its_per_second, 2),
        "blas_threads": blas_threads(),
        "settings": settings.to_dict(),
    }
    if args.json:
        try:
            _write_json(args.json, report)
        except OSError as exc:
            print(f"main.py train: error: cannot write {args.json}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    if args.save:
        try:
            trainer.save(args.save)
        except OSError as exc:
            print(f"main.py train: error: cannot write {args.save}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    if args.sample and isinstance(task, CharTask):
        print(sample_text(trainer.net, task, args.sample, args.temperature, seed=args.seed))
    if snap.status == "diverged":
        print(snap.message, file=sys.stderr)
        return 1
    if not args.quiet:
        print(
            f"{task.name}: {snap.iteration} iterations in {seconds:.1f} s; "
            f"train loss {final_train:.4g}, held-out {final_test:.4g} (baseline {task.baseline_loss:.4g})",
            file=sys.stderr,
        )
    return 0


def _num(v: float):
    """A float for JSON (NaN and infinity become null, which JSON can hold)."""
    v = float(v)
    return v if math.isfinite(v) else None


def _write_json(path: str, data: dict) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1)
        fh.write("\n")
    os.replace(tmp, path)
