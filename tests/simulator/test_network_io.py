"""Weights on disk: PyTorch state_dict names in .npz, read without pickle, refused clearly when wrong."""

import pickle

import numpy as np
import pytest

from simulator import LSTM_VARIANTS, Network, simulate


def saved(tmp_path, arrays, name="w.npz"):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def torch_like(cell="lstm", layers=2, inputs=3, hidden=4, outputs=2):
    return dict(Network.create(cell, inputs, hidden, outputs, layers, seed=0).params)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "esn"])
@pytest.mark.parametrize("layers", [1, 3])
def test_round_trip_keeps_everything(tmp_path, cell, layers):
    net = Network.create(cell, 3, 5, 2, layers, activation="sigmoid" if cell != "lstm" else "tanh", seed=1,
                         leak=0.3 if cell == "esn" else 1.0)  # fmt: skip
    path = tmp_path / "copy.npz"
    net.to_npz(path)
    back = Network.from_npz(path)
    assert (back.cell, back.activation, back.variant, back.leak) == (net.cell, net.activation, net.variant, net.leak)
    assert back.params.keys() == net.params.keys()
    for k in net.params:
        np.testing.assert_array_equal(back.params[k], net.params[k])
    x = np.random.default_rng(0).standard_normal((4, 2, 3))
    assert simulate(back, x, np.zeros((4, 2, 2))).loss == simulate(net, x, np.zeros((4, 2, 2))).loss
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("variant", LSTM_VARIANTS)
def test_round_trip_lstm_variants(tmp_path, variant):
    net = Network.create("lstm", 2, 3, 2, variant=variant, seed=2)
    net.to_npz(tmp_path / "v.npz")
    back = Network.from_npz(tmp_path / "v.npz")
    assert back.variant == variant and back.params.keys() == net.params.keys()


def test_the_cell_kind_follows_from_weight_hh_rows(tmp_path):
    for cell in ("rnn", "gru", "lstm"):
        net = Network.from_npz(saved(tmp_path, torch_like(cell), f"{cell}.npz"))
        assert net.cell == cell and net.layers == 2 and net.hidden == 4 and net.inputs == 3 and net.outputs == 2


def test_plain_state_dict_defaults_and_overrides(tmp_path):
    path = saved(tmp_path, torch_like("rnn"))
    assert Network.from_npz(path).activation == "tanh"
    assert Network.from_npz(path, activation="relu").activation == "relu"
    assert Network.from_npz(path, cell="esn").cell == "esn"


def test_data_parallel_prefix_and_integer_dtypes(tmp_path):
    arrays = {f"module.{k}": v for k, v in torch_like("gru").items()}
    net = Network.from_npz(saved(tmp_path, arrays))
    assert "weight_ih_l0" in net.params
    arrays = {k: np.round(v * 10).astype(np.int32) for k, v in torch_like("rnn", layers=1).items()}
    net = Network.from_npz(saved(tmp_path, arrays, "int.npz"))
    assert net.params["weight_hh_l0"].dtype == np.float64


def test_float32_weights_become_float64(tmp_path):
    arrays = {k: v.astype(np.float32) for k, v in torch_like().items()}
    net = Network.from_npz(saved(tmp_path, arrays))
    assert all(v.dtype == np.float64 for v in net.params.values())


# ---- refusals ---------------------------------------------------------------------------------


def refuse(path, *words, **kw):
    with pytest.raises(ValueError) as info:
        Network.from_npz(path, **kw)
    for w in words:
        assert w in str(info.value), str(info.value)
    return str(info.value)


def test_missing_file(tmp_path):
    refuse(tmp_path / "nope.npz", "nope.npz")


def test_not_an_npz(tmp_path):
    p = tmp_path / "notes.npz"
    p.write_text("these are not weights")
    refuse(p, "notes.npz")
    p = tmp_path / "empty.npz"
    p.write_bytes(b"")
    refuse(p, "empty.npz")
    p = tmp_path / "corrupt.npz"
    p.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    refuse(p, "corrupt.npz")


def test_single_npy_array(tmp_path):
    p = tmp_path / "one.npy"
    np.save(p, np.zeros((4, 4)))
    refuse(p, "np.savez")


def test_pickled_object_array_is_not_unpickled(tmp_path):
    arrays = torch_like("rnn", layers=1)
    arrays["evil"] = np.array([{"x": 1}], dtype=object)
    refuse(saved(tmp_path, arrays), "'evil'", "pickle")
    # a whole pickle file renamed to .npz
    p = tmp_path / "model.npz"
    p.write_bytes(pickle.dumps({"weight_hh_l0": np.zeros((2, 2))}))
    refuse(p, "model.npz")


def test_missing_keys(tmp_path):
    arrays = torch_like("lstm")
    del arrays["bias_hh_l1"]
    refuse(saved(tmp_path, arrays), "bias_hh_l1")
    arrays = torch_like("lstm")
    del arrays["readout.weight"]
    refuse(saved(tmp_path, arrays, "r.npz"), "readout.weight")
    arrays = torch_like("lstm")
    del arrays["readout.bias"]
    refuse(saved(tmp_path, arrays, "b.npz"), "readout.bias")
    arrays = torch_like("lstm")
    del arrays["weight_hh_l0"]
    refuse(saved(tmp_path, arrays, "h.npz"), "weight_hh_l0")
    arrays = torch_like("lstm")
    del arrays["weight_ih_l1"]
    refuse(saved(tmp_path, arrays, "i.npz"), "weight_ih_l1")
    refuse(saved(tmp_path, {}, "empty.npz"), "weight_hh_l0")


def test_extra_keys(tmp_path):
    arrays = torch_like("gru")
    arrays["weight_hr_l0"] = np.zeros((4, 4))  # a projection (proj_size) that we do not have
    refuse(saved(tmp_path, arrays), "weight_hr_l0")
    arrays = torch_like("rnn")
    arrays["peephole_l0"] = np.zeros((3, 4))
    refuse(saved(tmp_path, arrays, "p.npz"), "peephole_l0")


@pytest.mark.parametrize(
    "key, shape",
    [
        ("weight_ih_l0", (15, 3)),
        ("weight_ih_l1", (16, 3)),
        ("weight_hh_l1", (16, 5)),
        ("bias_ih_l0", (15,)),
        ("bias_hh_l1", (16, 1)),
        ("readout.weight", (2, 5)),
        ("readout.bias", (3,)),
    ],
)
def test_wrong_shapes(tmp_path, key, shape):
    arrays = torch_like("lstm")
    arrays[key] = np.zeros(shape)
    msg = refuse(saved(tmp_path, arrays), key)
    assert "expected" in msg or "must" in msg


@pytest.mark.parametrize("shape", [(7, 4), (4,), (0, 0), (4, 0), (2, 3, 4)])
def test_weight_hh_shape_that_names_no_cell(tmp_path, shape):
    arrays = torch_like("rnn")
    arrays["weight_hh_l0"] = np.zeros(shape)
    refuse(saved(tmp_path, arrays), "weight_hh_l0")


def test_non_numeric_and_non_finite_arrays(tmp_path):
    arrays = torch_like("rnn")
    arrays["bias_ih_l0"] = np.array(["a", "b", "c", "d"])
    refuse(saved(tmp_path, arrays), "bias_ih_l0")
    arrays = torch_like("rnn")
    arrays["weight_hh_l1"] = arrays["weight_hh_l1"].copy()
    arrays["weight_hh_l1"][0, 0] = np.nan
    refuse(saved(tmp_path, arrays, "nan.npz"), "weight_hh_l1", "NaN")
    arrays = torch_like("rnn")
    arrays["readout.bias"] = np.array([1 + 2j, 0j])
    refuse(saved(tmp_path, arrays, "complex.npz"), "readout.bias")


def test_cell_override_that_contradicts_the_weights(tmp_path):
    refuse(saved(tmp_path, torch_like("lstm")), "cell", cell="gru")
    refuse(saved(tmp_path, torch_like("lstm"), "a.npz"), "activation", activation="softplus")
    refuse(saved(tmp_path, torch_like("rnn"), "v.npz"), "variant", variant="peephole")


def test_broken_metadata(tmp_path):
    arrays = torch_like("rnn", layers=1)
    arrays["unrolled.meta"] = np.array("{not json")
    refuse(saved(tmp_path, arrays), "unrolled.meta")
    arrays["unrolled.meta"] = np.array("[1, 2]")
    refuse(saved(tmp_path, arrays, "list.npz"), "unrolled.meta")
    arrays = torch_like("rnn", layers=1)
    arrays["leak"] = np.array([0.1, 0.2])
    refuse(saved(tmp_path, arrays, "leak.npz"), "leak")
    arrays["leak"] = np.array(3.0)
    refuse(saved(tmp_path, arrays, "leak3.npz"), "leak")


def test_to_npz_into_a_missing_folder_raises_clearly(tmp_path):
    net = Network.create("rnn", 1, 2, 1)
    with pytest.raises((ValueError, OSError)):
        net.to_npz(tmp_path / "no" / "such" / "dir" / "w.npz")


@pytest.mark.parametrize("init", ["uniform", "normal", "xavier", "orthogonal", "identity"])
def test_the_peephole_lstm_has_peepholes_at_every_init(init):
    """At zero (as they were for every init but 'uniform') the peepholes did nothing: the peephole LSTM
    computed the vanilla LSTM's numbers to the last digit, and a lesson compared the two as equals."""
    from simulator.config import Config, run

    net = Network.create("lstm", variant="peephole", hidden=6, init=init, seed=2)
    p = net.params["peephole_l0"]
    assert p.shape == (3, 6) and np.all(np.abs(p) <= 1 / np.sqrt(6)) and np.count_nonzero(p) == p.size
    peephole = run(Config(cell="lstm", variant="peephole", init=init, steps=12, hidden=6))
    vanilla = run(Config(cell="lstm", variant="vanilla", init=init, steps=12, hidden=6))
    assert not np.allclose(peephole.caches[-1]["c"], vanilla.caches[-1]["c"])
