"""Every public entry point refuses bad input with a ValueError that names what is wrong.

And the other half of trust: the same config and seed give the same trace, bit for bit.
"""

import numpy as np
import pytest

from simulator import Network, simulate
from simulator.config import Config, parse_value, run


def refuses(fn, *words):
    with pytest.raises(ValueError) as info:
        fn()
    msg = str(info.value)
    for w in words:
        assert w in msg, msg
    return msg


# ---- Network.create ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw, word",
    [
        ({"cell": "transformer"}, "cell"),
        ({"cell": None}, "cell"),
        ({"init": "he"}, "init"),
        ({"activation": "softplus"}, "activation"),
        ({"variant": "peep"}, "variant"),
        ({"hidden": 0}, "hidden"),
        ({"hidden": -3}, "hidden"),
        ({"hidden": 2.5}, "hidden"),
        ({"hidden": "8"}, "hidden"),
        ({"hidden": True}, "hidden"),
        ({"inputs": 0}, "inputs"),
        ({"outputs": 10**9}, "outputs"),
        ({"layers": 0}, "layers"),
        ({"layers": 1000}, "layers"),
        ({"hidden": 10**6}, "hidden"),
        ({"wrec": -1.0}, "wrec"),
        ({"wrec": float("nan")}, "wrec"),
        ({"wrec": "big"}, "wrec"),
        ({"sigma": 0.0}, "sigma"),
        ({"sigma": float("inf")}, "sigma"),
        ({"leak": 0.0}, "leak"),
        ({"leak": 1.5}, "leak"),
        ({"seed": -1}, "seed"),
        ({"seed": "abc"}, "seed"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_create_refuses(kw, word):
    args = {"cell": "esn" if "leak" in kw else "rnn"} | kw
    refuses(lambda: Network.create(**args), word)


def test_create_refuses_absurd_totals_before_allocating():
    refuses(lambda: Network.create("lstm", 8, 2048, 8, layers=16), "weights")
    refuses(lambda: Network.create("lstm", 8, 1500, 8, variant="fgr"), "weights")


def test_create_leak_only_for_esn_and_variant_only_for_lstm():
    refuses(lambda: Network.create("rnn", leak=0.5), "leak")
    assert Network.create("gru", variant="peephole").variant == "vanilla"  # ignored for non-LSTM cells


# ---- Network(...) --------------------------------------------------------------------------


def good_params(cell="rnn", **kw):
    return dict(Network.create(cell, 2, 3, 2, **kw).params)


@pytest.mark.parametrize(
    "mutate, word",
    [
        (lambda p: p.pop("weight_hh_l0"), "weight_hh_l0"),
        (lambda p: p.pop("weight_ih_l0"), "weight_ih_l0"),
        (lambda p: p.pop("bias_ih_l0"), "bias_ih_l0"),
        (lambda p: p.pop("readout.bias"), "readout.bias"),
        (lambda p: p.__setitem__("bias_hh_l0", np.zeros(4)), "bias_hh_l0"),
        (lambda p: p.__setitem__("weight_hh_l0", np.zeros((3, 4))), "weight_hh_l0"),
        (lambda p: p.__setitem__("weight_hh_l0", np.zeros(9)), "weight_hh_l0"),
        (lambda p: p.__setitem__("weight_ih_l0", np.zeros((3, 0))), "weight_ih_l0"),
        (lambda p: p.__setitem__("readout.weight", np.zeros((2, 5))), "readout.weight"),
        (lambda p: p.__setitem__("weight_hh_l0", np.full((3, 3), np.nan)), "weight_hh_l0"),
        (lambda p: p.__setitem__("bias_ih_l0", np.array([1.0, np.inf, 0.0])), "bias_ih_l0"),
        (lambda p: p.__setitem__("bias_ih_l0", ["a", "b", "c"]), "bias_ih_l0"),
        (lambda p: p.__setitem__("bias_ih_l0", [[1.0], [2.0, 3.0]]), "bias_ih_l0"),
        (lambda p: p.__setitem__("bias_ih_l0", np.array([1j, 2j, 3j])), "bias_ih_l0"),
        (lambda p: p.__setitem__("weight_ih_l3", np.zeros((3, 3))), "l1"),
        (lambda p: p.__setitem__("extra", np.zeros(3)), "extra"),
        (lambda p: p.__setitem__(7, np.zeros(3)), "7"),
    ],
)
def test_network_refuses(mutate, word):
    p = good_params()
    mutate(p)
    refuses(lambda: Network("rnn", p), word)


def test_network_refuses_wrong_cell_and_options():
    refuses(lambda: Network("lstm", good_params("rnn")), "weight_hh_l0")
    refuses(lambda: Network("rnn", good_params(), activation="gelu"), "activation")
    refuses(lambda: Network("rnn", good_params(), variant="cifg"), "variant")
    refuses(lambda: Network("rnn", good_params(), leak=0.5), "leak")
    refuses(lambda: Network("esn", good_params(), leak="slow"), "leak")
    refuses(lambda: Network("rnn", [("weight_hh_l0", np.eye(3))]), "params")
    refuses(lambda: Network("lstm", good_params("lstm"), variant="peephole"), "peephole_l0")


# ---- simulate --------------------------------------------------------------------------------


@pytest.fixture
def net():
    return Network.create("lstm", 3, 4, 2, seed=0)


def xy(T=5, B=2, I=3, O=2):
    rng = np.random.default_rng(0)
    return rng.standard_normal((T, B, I)), rng.standard_normal((T, B, O))


def test_simulate_refuses_bad_x(net):
    x, y = xy()
    refuses(lambda: simulate(net, x[0], y), "x", "(T, B, 3)")
    refuses(lambda: simulate(net, x[..., :2], y), "x", "3")
    refuses(lambda: simulate(net, x[None], y), "x")
    refuses(lambda: simulate(net, np.zeros((0, 2, 3)), y[:0]), "x")
    refuses(lambda: simulate(net, np.zeros((5, 0, 3)), y[:, :0]), "x")
    bad = x.copy()
    bad[2, 1, 0] = np.nan
    refuses(lambda: simulate(net, bad, y), "x", "NaN", "(2, 1, 0)")
    bad[2, 1, 0] = np.inf
    refuses(lambda: simulate(net, bad, y), "x")
    refuses(lambda: simulate(net, x.astype(str), y), "x")
    refuses(lambda: simulate(net, [[[1, 2, 3]], [[1, 2]]], y), "x")
    refuses(lambda: simulate(net, None, y), "x")
    refuses(lambda: simulate(net, x + 1j, y), "x")


def test_simulate_refuses_bad_targets(net):
    x, y = xy()
    refuses(lambda: simulate(net, x, y[:-1]), "targets", "(5, 2, 2)")
    refuses(lambda: simulate(net, x, y[..., :1]), "targets")
    refuses(lambda: simulate(net, x, y[-1]), "targets")  # (B, O) is only for score='last'
    bad = y.copy()
    bad[0, 0, 0] = np.nan
    refuses(lambda: simulate(net, x, bad), "targets", "NaN")
    refuses(lambda: simulate(net, x, [[1, 2], [3]]), "targets")
    refuses(lambda: simulate(net, x, None), "targets")
    ce = np.zeros((5, 2), dtype=int)
    refuses(lambda: simulate(net, x, ce + 2, loss="cross_entropy"), "class", "0 and 1")
    refuses(lambda: simulate(net, x, ce - 1, loss="cross_entropy"), "class")
    refuses(lambda: simulate(net, x, ce + 0.5, loss="cross_entropy"), "cross_entropy", "whole")
    refuses(lambda: simulate(net, x, ce[:-1], loss="cross_entropy"), "cross_entropy", "(5, 2)")
    refuses(lambda: simulate(net, x, np.full((5, 2), np.nan), loss="cross_entropy"), "cross_entropy")
    refuses(lambda: simulate(net, x, y, loss="cross_entropy"), "cross_entropy")


@pytest.mark.parametrize(
    "kw, word",
    [
        ({"loss": "l1"}, "loss"),
        ({"loss": ["mse"]}, "loss"),
        ({"score": "first"}, "score"),
        ({"truncate": -1}, "truncate"),
        ({"truncate": 2.5}, "truncate"),
        ({"truncate": True}, "truncate"),
        ({"clip": -1.0}, "clip"),
        ({"clip": float("nan")}, "clip"),
        ({"clip": "1"}, "clip"),
        ({"clip_value": -0.1}, "clip_value"),
        ({"clip_value": None}, "clip_value"),
        ({"penalty": 1.0}, "penalty"),  # the Pascanu penalty is for RNN / ESN
        ({"penalty": float("inf")}, "penalty"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"dropout": "half"}, "dropout"),
        ({"seed": -5, "dropout": 0.5}, "seed"),
        ({"seed": "x"}, "seed"),
        ({"h0": [np.zeros((2, 4))] * 2}, "h0"),
        ({"h0": [np.zeros((3, 4))]}, "h0"),
        ({"h0": [np.full((2, 4), np.nan)]}, "h0"),
        ({"h0": 5.0}, "h0"),
        ({"c0": [np.zeros((2, 5))]}, "c0"),
    ],
)
def test_simulate_refuses_bad_options(net, kw, word):
    x, y = xy()
    refuses(lambda: simulate(net, x, y, **kw), word)


def test_simulate_refuses_a_non_network():
    x, y = xy()
    refuses(lambda: simulate("model.npz", x, y), "net")


def test_simulate_refuses_absurd_sizes(net):
    big = np.zeros((100_001, 1, 3))
    refuses(lambda: simulate(net, big, np.zeros((100_001, 1, 2))), "T")
    wide = Network.create("lstm", 1, 1024, 1, layers=2)
    x = np.broadcast_to(np.zeros((1, 1, 1)), (5000, 64, 1))
    refuses(lambda: simulate(wide, x, np.broadcast_to(np.zeros((1, 1, 1)), (5000, 64, 1))), "GB")
    z = np.zeros((1000, 8, 1))
    refuses(lambda: simulate(Network.create("rnn", 1, 256, 1), z, z, truncate=999), "truncate")


def test_simulate_does_not_modify_or_freeze_the_callers_arrays(net):
    x, y = xy()
    x0, y0 = x.copy(), y.copy()
    r = simulate(net, x, y)
    x[0] += 1  # still writable
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(r.x, x0)
    with pytest.raises(ValueError):
        r.outputs[0, 0, 0] = 1.0  # the trace is frozen
    with pytest.raises(ValueError):
        r.grads["weight_hh_l0"][0, 0] = 1.0


# ---- Config ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw, word",
    [
        ({"cell": "lstn"}, "cell"),
        ({"variant": "x"}, "variant"),
        ({"activation": "gelu"}, "activation"),
        ({"topology": "one_to_one"}, "topology"),
        ({"init": "he"}, "init"),
        ({"hidden": 0}, "hidden"),
        ({"hidden": 10_000}, "hidden"),
        ({"hidden": 3.5}, "hidden"),
        ({"hidden": "16"}, "hidden"),
        ({"steps": 0}, "steps"),
        ({"steps": 10**7}, "steps"),
        ({"batch": 0}, "batch"),
        ({"layers": 99}, "layers"),
        ({"wrec": -0.5}, "wrec"),
        ({"wrec": float("nan")}, "wrec"),
        ({"wrec": "1"}, "wrec"),
        ({"seed": -1}, "seed"),
        ({"truncate": -2}, "truncate"),
        ({"clip": float("inf")}, "clip"),
        ({"clip_value": -1.0}, "clip_value"),
        ({"penalty": -1.0}, "penalty"),
        ({"leak": 0.0}, "leak"),
        ({"sigma": 0.0}, "sigma"),
        ({"cell": "lstm", "penalty": 0.5}, "penalty"),
    ],
)
def test_config_refuses(kw, word):
    refuses(lambda: Config(**kw), word)


def test_config_text_and_dicts():
    refuses(lambda: Config().replace(colour="red"), "colour")
    refuses(lambda: Config.from_dict({"hidden": 4, "depth": 2}), "depth")
    refuses(lambda: Config().with_text("hidden", "lots"), "hidden")
    refuses(lambda: Config().with_text("wrec", "1,5"), "wrec")
    refuses(lambda: parse_value("nope", "1"), "nope")
    assert Config().with_text("wrec", " 1.5 ").wrec == 1.5
    assert Config().with_text("cell", "LSTM").cell == "lstm"
    assert Config.from_dict(Config(hidden=3).to_dict()) == Config(hidden=3)


# ---- determinism -----------------------------------------------------------------------------


def trace_arrays(r):
    out = {"outputs": r.outputs, "loss": np.array(r.loss), "grad_norms": r.grad_norms}
    out |= {f"grad {k}": v for k, v in r.grads.items()}
    for k, cache in enumerate(r.caches):
        out |= {f"cache {k} {n}": v for n, v in cache.items()}
    out |= {f"dh {k}": v for k, v in enumerate(r.dh)}
    out |= {"jacobian_norms": r.jacobian_norms, "step_jacobian_norms": r.step_jacobian_norms}
    out |= {"growth": np.array(r.growth_factor)}
    return out


@pytest.mark.parametrize(
    "config",
    [
        Config(cell="lstm", hidden=8, steps=30, batch=3, layers=2, seed=4),
        Config(cell="gru", hidden=6, steps=20, topology="one_to_many", truncate=5, clip=0.1),
        Config(cell="esn", hidden=7, steps=25, leak=0.3, penalty=0.2, wrec=1.2),
        Config(cell="lstm", variant="fgr", hidden=4, steps=10, clip_value=0.01),
    ],
)
def test_same_config_same_trace_bit_for_bit(config):
    a, b = trace_arrays(run(config)), trace_arrays(run(config))
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k], equal_nan=True), k
    c = trace_arrays(run(config.replace(seed=config.seed + 1)))
    assert not np.array_equal(a["outputs"], c["outputs"])


def test_a_network_built_from_a_config_does_not_share_arrays_with_the_next_one():
    """Mutating one run's weights in place must not leak into the next run of the same config."""
    config = Config(cell="rnn", hidden=5, steps=6)
    first = run(config)
    before = first.loss
    for v in first.net.params.values():
        v += 1.0
    assert run(config).loss == before


def test_simulator_never_imports_torch():
    """torch is a test and benchmark reference only: importing every simulator module loads none of it."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, pkgutil, importlib, simulator\n"
        "for m in pkgutil.walk_packages(simulator.__path__, 'simulator.'):\n"
        "    importlib.import_module(m.name)\n"
        "sys.exit(1 if 'torch' in sys.modules else 0)\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_an_overflow_names_its_step_and_unit_from_the_engine():
    """The banner's record says which unit overflowed first, in the Cell panel's numbering (from 1)."""
    from simulator.config import Config, run

    r = run(Config(activation="relu", wrec=3.0, steps=1000))
    nf = r.nonfinite
    assert nf is not None and nf.phase == "forward" and nf.quantity == "h_t of layer 1"
    h = r.caches[0]["h"][1:]  # (T, B, H)
    assert np.isfinite(h[: nf.step]).all() and not np.isfinite(h[nf.step]).all()
    bad = np.flatnonzero(~np.isfinite(h[nf.step]).all(axis=0))
    assert nf.unit == bad[0] and nf.units == h.shape[-1]
    assert f"(unit {bad[0] + 1} of {h.shape[-1]})" in nf.message()


def test_lesson_texts_use_the_plots_notation():
    """Steps run 0 .. T−1: the texts write ∂h_{T−1}/∂h_t and the exponent T−1−t, as the plots do."""
    import json

    from simulator.lessons import LESSONS_DIR

    for path in sorted(LESSONS_DIR.glob("*.json")):
        text = json.dumps(json.loads(path.read_text()), ensure_ascii=False)
        assert "∂h_T/" not in text and "^(T−t)" not in text, path.name
