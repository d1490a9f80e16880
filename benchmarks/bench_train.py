"""Training throughput: Unrolled's Trainer against the same model in PyTorch (CPU, eager, float64).

    .venv/bin/python benchmarks/bench_train.py

Two configurations (issue 4):
- min-char-rnn: vanilla tanh RNN, hidden 100, 25 steps, batch 1, Adagrad lr 0.1, gradients
  clipped to [-5, 5] element-wise, vocabulary of the default corpus (Karpathy's min-char-rnn.py);
- the adding problem at T = 50 with the headless command's default LSTM (hidden 32, batch 32,
  Adam lr 0.01, global-norm clip 1).

One iteration is everything a training step does: draw the batch (the same numpy code for
both), forward, loss, BPTT, clip, optimiser update. PyTorch runs with as many threads as numpy's
BLAS: each side is measured in its own fresh process, on one thread and on every core (PyTorch's
OpenMP threads spin, so two processes' thread pools must not share the cores). The two sides
alternate for ROUNDS rounds and the best round of each is reported, since other load on the
machine can only slow a round down. Target: at least 1.0x PyTorch's iterations per second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from simulator.tasks import make_task  # noqa: E402
from simulator.train import Trainer, TrainSettings  # noqa: E402

TARGET = 1.0
SECONDS = 1.5  # timed seconds per measurement (after a warm-up)
ROUNDS = 3  # ours and PyTorch alternate; the best round of each counts (other load only slows)


def blas_threads() -> int:
    """Threads numpy's BLAS uses (its environment variables, else every core)."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


def configs() -> dict:
    """name -> (task, settings) for the two benchmarked models."""
    chars = make_task("chars", seq_len=25)
    adding = make_task("adding", seq_len=50)
    return {
        "min-char-rnn (RNN 100, T=25, Adagrad)": (
            chars,
            TrainSettings(cell="rnn", hidden=100, optimizer="adagrad", lr=0.1, batch=1, clip_value=5.0,
                          iterations=10**9, eval_every=10**9),
        ),
        "adding problem (LSTM 32, T=50, B=32, Adam)": (
            adding,
            TrainSettings.for_task(adding, iterations=10**9, eval_every=10**9),
        ),
    }  # fmt: skip


def _rate(step, seconds: float, warmup: int) -> float:
    for _ in range(warmup):
        step()
    n, start = 0, time.perf_counter()
    while True:
        step()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and n >= 10:
            return n / elapsed


def ours_rate(task, settings, seconds=SECONDS) -> float:
    """Iterations per second of Trainer.step()."""
    trainer = Trainer(task, settings)
    trainer.step()  # the initial held-out evaluation happens here, outside the timing
    return _rate(trainer.step, seconds, 5)


def torch_rate(torch, task, s, seconds=SECONDS) -> float:
    """Iterations per second of the same model, loss, clipping and optimiser in PyTorch."""
    torch.manual_seed(0)
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[s.cell]
    rec = cls(task.inputs, s.hidden, num_layers=s.layers).double()
    lin = torch.nn.Linear(s.hidden, task.outputs).double()
    params = list(rec.parameters()) + list(lin.parameters())
    opt = {
        "adagrad": lambda: torch.optim.Adagrad(params, lr=s.learning_rate),
        "adam": lambda: torch.optim.Adam(params, lr=s.learning_rate),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr=s.learning_rate),
        "sgd": lambda: torch.optim.SGD(params, lr=s.learning_rate, momentum=s.momentum),
    }[s.optimizer]()
    it = [0]

    def step():
        rng = np.random.default_rng([s.seed, 1, it[0]])
        it[0] += 1
        x, y = task.sample(rng, s.batch)
        out, _ = rec(torch.from_numpy(x))
        if task.score == "last":
            out = out[-1:]
        pred = lin(out)
        if task.loss == "mse":
            yt = torch.from_numpy(y[-1:] if task.score == "last" else y)
            loss = torch.nn.functional.mse_loss(pred, yt)
        else:
            yt = torch.from_numpy(y[-1:] if task.score == "last" else y)
            loss = torch.nn.functional.cross_entropy(pred.reshape(-1, task.outputs), yt.reshape(-1))
        opt.zero_grad()
        loss.backward()
        if s.clip_value > 0:
            torch.nn.utils.clip_grad_value_(params, s.clip_value)
        if s.clip > 0:
            torch.nn.utils.clip_grad_norm_(params, s.clip)
        opt.step()

    return _rate(step, seconds, 5)


def _worker(which: str, threads: int) -> dict:
    """Measure one side in this process (called in a fresh subprocess with the thread count set)."""
    out = {}
    torch = None
    if which == "torch":
        try:
            import torch
        except ImportError:
            return {}
        torch.set_num_threads(threads)
        out["version"] = torch.__version__
    for name, (task, settings) in configs().items():
        out[name] = ours_rate(task, settings) if which == "ours" else torch_rate(torch, task, settings)
    return out


def _measure(which: str, threads: int) -> dict:
    """Run _worker in a subprocess whose BLAS / OpenMP thread count is fixed before numpy loads."""
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); from benchmarks.bench_train import _worker; "
        "print(json.dumps(_worker(sys.argv[2], int(sys.argv[3]))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), which, str(threads)], env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark worker failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> dict:
    """Measure both configurations on 1 thread and on every core, print a table, return the numbers."""
    counts = sorted({1, blas_threads()})
    results = {}
    version = None
    for threads in counts:
        ours, ref = {}, {}
        for _ in range(ROUNDS):
            for side, best in (("ours", ours), ("torch", ref)):
                for key, value in _measure(side, threads).items():
                    best[key] = value if isinstance(value, str) else max(value, best.get(key, 0.0))
        version = ref.pop("version", version)
        for name in configs():
            r_ours, r_ref = ours[name], ref.get(name, float("nan"))
            ratio = r_ours / r_ref if ref else None
            results[(name, threads)] = {"ours_its": r_ours, "torch_its": r_ref, "ratio": ratio}
    ref_name = f"PyTorch {version} CPU eager float64" if version else "PyTorch (not installed)"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"Training throughput, iterations/s (reference: {ref_name}; same thread count both sides; "
        f"target >= {TARGET:.1f}x; load average {load:.1f} on {os.cpu_count()} cores)",
        f"| {'configuration':<44} | {'threads':>7} | {'Unrolled':>9} | {'PyTorch':>9} | {'ratio':>6} | {'':<4} |",
        f"|{'-' * 46}|{'-' * 9}|{'-' * 11}|{'-' * 11}|{'-' * 8}|{'-' * 6}|",
    ]
    for (name, threads), r in results.items():
        ratio = r["ratio"]
        verdict = "" if ratio is None else ("ok" if ratio >= TARGET else "SLOW")
        ratio_text = "n/a" if ratio is None else f"{ratio:.2f}x"
        lines.append(
            f"| {name:<44} | {threads:>7} | {r['ours_its']:>9.1f} | {r['torch_its']:>9.1f} | {ratio_text:>6} "
            f"| {verdict:<4} |"
        )
    print("\n".join(lines))
    return {f"{name} [{threads} thread(s)]": r for (name, threads), r in results.items()}


if __name__ == "__main__":
    main()
