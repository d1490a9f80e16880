"""Engine speed: simulate() (forward + full BPTT) against PyTorch CPU eager, float64, same threads.

Both sides compute the same thing from the same weights: the forward pass of a 1-layer
RNN / LSTM / GRU with a linear readout over T = 100 steps of 8 inputs, the MSE over every step,
and the gradient of every parameter. Ours also validates its input and scans the trace for
NaN / infinity; torch's side is `loss.backward()` on a float64 nn.RNN / nn.LSTM / nn.GRU +
nn.Linear. The two are timed in alternation (so a busy machine slows both alike) and the table
shows medians. Then the interactive target: one LSTM trace with every diagnostic, T = 200.
"""

from __future__ import annotations

import ctypes
import gc
import os
import platform
import time

import numpy as np

import simulator

THREADS = int(os.environ.get("UNROLLED_BENCH_THREADS", "1"))
QUICK = os.environ.get("UNROLLED_BENCH_QUICK") == "1"
T, INPUTS, OUTPUTS = 100, 8, 8
TARGET_FRAME_MS = 16.0

try:
    import torch
except ImportError:  # the table then shows our times only
    torch = None


def blas_threads() -> str:
    """The thread count numpy's OpenBLAS reports (best effort, without extra packages)."""
    try:
        with open("/proc/self/maps") as fh:
            libs = {line.split()[-1] for line in fh if "openblas" in line.lower() and line.strip().endswith(".so")}
        for lib in sorted(libs):
            handle = ctypes.CDLL(lib)
            for name in (
                "scipy_openblas_get_num_threads64_",
                "openblas_get_num_threads64_",
                "openblas_get_num_threads",
            ):
                fn = getattr(handle, name, None)
                if fn is not None:
                    return str(fn())
    except OSError:
        pass
    return f"{os.environ.get('OPENBLAS_NUM_THREADS', '?')} (from OPENBLAS_NUM_THREADS)"


def torch_twin(net: simulator.Network):
    """torch.nn.RNN/LSTM/GRU + nn.Linear holding exactly net's weights (float64)."""
    kind = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[net.cell]
    rec = kind(net.inputs, net.hidden, num_layers=net.layers).double()
    lin = torch.nn.Linear(net.hidden, net.outputs).double()
    with torch.no_grad():
        for name, p in rec.named_parameters():
            p.copy_(torch.from_numpy(net.params[name]))
        lin.weight.copy_(torch.from_numpy(net.params["readout.weight"]))
        lin.bias.copy_(torch.from_numpy(net.params["readout.bias"]))
    return rec, lin


def median_times(fns: dict, budget: float, least: int, make=None) -> dict[str, float]:
    """Median seconds per call of each function, calling them in alternation.

    Also "<name> cpu": the median process CPU time (all threads), which other work on the
    machine inflates much less than wall time. make: if given, every call gets a fresh make()
    as its argument, made before its clock starts.
    """
    times = {k: [] for k in fns}
    cpu = {k: [] for k in fns}

    def args():
        return () if make is None else (make(),)

    for f in fns.values():  # warm up
        f(*args())
        f(*args())
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        rounds = 0
        while rounds < least or time.perf_counter() - start < budget:
            order = list(fns.items()) if rounds % 2 == 0 else list(fns.items())[::-1]
            for k, f in order:
                a = args()
                c0, t0 = time.process_time(), time.perf_counter()
                f(*a)
                times[k].append(time.perf_counter() - t0)
                cpu[k].append(time.process_time() - c0)
            rounds += 1
            if rounds >= 400:
                break
    finally:
        gc.enable()
    out = {k: float(np.median(v)) for k, v in times.items()}
    out |= {f"{k} cpu": float(np.median(v)) for k, v in cpu.items()}
    return out


def engine_table() -> list[tuple]:
    """(cell, hidden, batch, ours ms, torch ms) for every cell of the table."""
    rows = []
    for cell in ("rnn", "lstm", "gru"):
        for hidden in (32, 64, 128):
            for batch in (1, 32):
                net = simulator.Network.create(cell, INPUTS, hidden, OUTPUTS, seed=0)
                rng = np.random.default_rng(0)
                x = rng.standard_normal((T, batch, INPUTS))
                y = rng.standard_normal((T, batch, OUTPUTS))
                fns = {"ours": lambda net=net, x=x, y=y: simulator.simulate(net, x, y)}
                if torch is not None:
                    rec, lin = torch_twin(net)
                    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

                    def torch_step(rec=rec, lin=lin, xt=xt, yt=yt):
                        rec.zero_grad(set_to_none=True)
                        lin.zero_grad(set_to_none=True)
                        out, _ = rec(xt)
                        loss = torch.nn.functional.mse_loss(lin(out), yt)
                        loss.backward()
                        return loss

                    # the two compute the same numbers (else the race would mean nothing)
                    r = simulator.simulate(net, x, y)
                    loss = torch_step()
                    assert abs(r.loss - loss.item()) <= 1e-10 * abs(loss.item())
                    g = rec.weight_hh_l0.grad.numpy()
                    assert np.abs(r.grads["weight_hh_l0"] - g).max() <= 1e-9 * np.abs(g).max()
                    fns["torch"] = torch_step
                budget = 0.3 if QUICK else 2.0
                med = median_times(fns, budget, 5 if QUICK else 15)
                cpu_ratio = med["ours cpu"] / med["torch cpu"] if "torch" in med and med["torch cpu"] > 0 else np.nan
                rows.append((cell, hidden, batch, 1e3 * med["ours"], 1e3 * med.get("torch", np.nan), cpu_ratio))
                print(_row(rows[-1]), flush=True)
    return rows


def _row(r) -> str:
    cell, hidden, batch, ours, ref, cpu_ratio = r
    ratio = ours / ref if np.isfinite(ref) else np.nan
    flag = "" if not np.isfinite(ratio) else ("  ok" if ratio <= 1.0 else "  SLOWER")
    return (
        f"| {cell:<4} | {hidden:>6} | {batch:>5} | {ours:>9.2f} | {ref:>9.2f} | {ratio:>10.2f}x "
        f"| {cpu_ratio:>9.2f}x |{flag}"
    )


def interactive(cell: str = "lstm", hidden: int = 64, steps: int = 200) -> dict[str, float]:
    """One interactive frame, with fresh weights every call (so no cache helps):

    - "simulate": forward + full BPTT;
    - "shown": simulate + Result.diagnose(), every diagnostic the window's plots read (the
      Jacobian-product norms, W_hh's eigenvalues and singular values, the bound, the verdict,
      the per-layer gradient norms), the weights' part on the pool thread;
    - "all": that + the per-step Jacobian norms ||dh_t/dh_{t-1}||, which nothing on screen
      reads: T exact spectral norms of full-rank H x H matrices (LAPACK on both threads).

    (The rnn rows use PyTorch's default uniform init, so the closed form for orthogonal W_hh
    does not apply: its step norms go through LAPACK like the others'.)
    """
    rng = np.random.default_rng(1)
    x = rng.standard_normal((steps, 1, INPUTS))
    y = rng.standard_normal((steps, 1, OUTPUTS))
    # W_hh's eigenvalues are remembered per matrix, so each call gets weights not seen before
    seeds = iter(range(10**9))

    def fresh():
        return simulator.Network.create(cell, INPUTS, hidden, OUTPUTS, seed=next(seeds))

    def simulate(net):
        return simulator.simulate(net, x, y)

    def shown(net):
        return simulate(net).diagnose()

    def everything(net):
        r = shown(net)
        _ = r.step_jacobian_norms
        return r

    fns = {"simulate": simulate, "shown": shown, "all": everything}
    med = median_times(fns, 0.5 if QUICK else 4.0, 5 if QUICK else 20, make=fresh)
    return {k: 1e3 * v for k, v in med.items()}


def main() -> None:
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} (other work on the machine slows both sides alike)")  # fmt: skip
    if torch is not None:
        torch.set_num_threads(THREADS)
        print(f"threads: torch.get_num_threads() = {torch.get_num_threads()}, numpy's OpenBLAS = {blas_threads()}")
    else:
        print(f"threads: numpy's OpenBLAS = {blas_threads()} (torch missing: no reference column)")
    print(f"\nforward + full BPTT, T = {T}, {INPUTS} inputs, {OUTPUTS} outputs, 1 layer, float64; median ms per call")
    print("| cell | hidden | batch |  ours ms  | torch ms  | ours/torch | CPU ratio |")
    print("|------|--------|-------|-----------|-----------|------------|-----------|")
    rows = engine_table()
    ratios = [o / t for *_, o, t, _ in rows if np.isfinite(t)]
    if ratios:
        worst = max(ratios)
        print(f"\nworst ratio {worst:.2f}x, geometric mean {np.exp(np.mean(np.log(ratios))):.2f}x "
              f"(target <= 1.00x in every cell: {'met' if worst <= 1.0 else 'NOT met'})")  # fmt: skip
    print("\ninteractive frame: T = 200, hidden 64, batch 1, fresh weights each call; median ms: wall (CPU)")
    print("| cell | simulate | + what the window shows | + per-step Jacobian norms (all) |")
    print("|------|----------|-------------------------|---------------------------------|")
    for cell in ("lstm", "gru", "rnn"):
        p = interactive(cell)
        text = {k: f"{p[k]:.1f} ({p[k + ' cpu']:.1f})" for k in ("simulate", "shown", "all")}
        verdict = ""
        if cell == "lstm":
            verdict = (
                f"  target < {TARGET_FRAME_MS:.0f} ms: what the window shows "
                f"{'met' if p['shown'] < TARGET_FRAME_MS else 'NOT met'}, "
                f"all {'met' if p['all'] < TARGET_FRAME_MS else 'NOT met'}"
            )
        row = f"| {cell:<4} | {text['simulate']:>8} | {text['shown']:>23} | {text['all']:>31} |"
        print(row + verdict, flush=True)
    print(f"load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
