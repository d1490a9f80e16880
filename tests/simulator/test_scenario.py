"""Scenario files: exact round trip, clear refusals, atomic saves."""

import copy
import json
import math
import os

import numpy as np
import pytest

import simulator.scenario as scenario_mod
from simulator.config import Config, build_network, run
from simulator.scenario import (
    FORMAT,
    VERSION,
    Scenario,
    is_initial,
    load_scenario,
    run_network,
    save_scenario,
)

CONFIG = Config(cell="lstm", hidden=4, steps=7, batch=2, wrec=1.3, topology="many_to_many", clip=0.5, seed=3)


def trained_network(config: Config):
    """A network whose weights differ from the config's init, like one after training."""
    net = build_network(config)
    rng = np.random.default_rng(42)
    return net.with_params({k: v + 1e-3 * rng.standard_normal(v.shape) / 3 for k, v in net.params.items()})


def assert_same_trace(a, b):
    assert a.loss == b.loss
    assert a.grad_norm == b.grad_norm
    for layer in range(len(a.caches)):
        for key in a.caches[layer]:
            np.testing.assert_array_equal(a.caches[layer][key], b.caches[layer][key])
        np.testing.assert_array_equal(a.dh[layer], b.dh[layer])
    np.testing.assert_array_equal(a.outputs, b.outputs)
    np.testing.assert_array_equal(a.grad_norms, b.grad_norms)
    for k in a.grads:
        np.testing.assert_array_equal(a.grads[k], b.grads[k])


def full_scenario():
    return Scenario(
        CONFIG,
        network=trained_network(CONFIG),
        lesson="08-lstm",
        lesson_step=2,
        training={
            "task": "adding",
            "optimizer": "adam",
            "loss_history": np.array([0.5, 0.25, 0.125]),
            "test_loss": [0.3, float("nan"), float("inf")],
            "iterations": np.int64(3),
        },
        view={"fold": False, "plots": ["gradients", "gates"], "font_scale": 1.5, "frame": 9},
    )


def test_run_network_with_initial_weights_is_run():
    assert_same_trace(run_network(CONFIG, build_network(CONFIG)), run(CONFIG))
    assert is_initial(CONFIG, build_network(CONFIG))
    assert not is_initial(CONFIG, trained_network(CONFIG))


def test_round_trip_gives_identical_trace_and_state(tmp_path):
    original = full_scenario()
    path = tmp_path / "lecture.json"
    save_scenario(path, original)
    doc = json.loads(path.read_text())  # valid, strict JSON
    assert doc["format"] == FORMAT and doc["version"] == VERSION
    back = load_scenario(path)
    assert back.config == original.config
    for k, v in original.network.params.items():
        np.testing.assert_array_equal(back.network.params[k], v)  # exact floats
    assert back.lesson == "08-lstm" and back.lesson_step == 2
    assert back.view == original.view
    assert back.training["loss_history"] == [0.5, 0.25, 0.125]
    assert back.training["iterations"] == 3
    t = back.training["test_loss"]
    assert t[0] == 0.3 and math.isnan(t[1]) and t[2] == math.inf
    assert_same_trace(back.trace(), original.trace())
    # the stored (trained) weights are used, not the config's init
    assert back.trace().loss != run(CONFIG).loss
    # saving what was opened writes the same text
    assert back.dumps() == original.dumps()


def test_scenario_without_weights_runs_the_config(tmp_path):
    path = tmp_path / "s.json"
    save_scenario(path, Scenario(Config(wrec=0.5)))
    back = load_scenario(path)
    assert back.network is None and back.training is None and back.lesson is None
    assert_same_trace(back.trace(), run(Config(wrec=0.5)))


def test_weights_must_match_the_config():
    with pytest.raises(ValueError, match="hidden"):
        Scenario(CONFIG.replace(hidden=5), network=trained_network(CONFIG))


def write(tmp_path, text, name="bad.json"):
    path = tmp_path / name
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    return path


def good_doc():
    return json.loads(full_scenario().dumps())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "broken JSON: Expecting value at line 1, column 1"),
        ('{"format": "unrolled-scenario", "version": 1, "config": {"ce', "broken JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
        ("[1, 2, 3]", "not an Unrolled scenario"),
        ('{"name": "my-package", "version": "1.0.0"}', "not an Unrolled scenario"),
        ('{"format": "unrolled-lesson", "version": 1}', "format is 'unrolled-lesson'"),
        ('{"format": "unrolled-scenario", "version": 2, "config": {}}', "newer Unrolled .*version 2"),
        ('{"format": "unrolled-scenario", "version": "one", "config": {}}', "'version' must be"),
        ('{"format": "unrolled-scenario", "version": 1}', "'config' must be"),
        ('{"format": "unrolled-scenario", "version": 1, "config": {"colour": 3}}', "config: unknown key 'colour'"),
        ('{"format": "unrolled-scenario", "version": 1, "config": {"wrec": -1}}', "config: wrec must be between"),
        ('{"format": "unrolled-scenario", "version": 1, "config": {}, "lesson_step": -1}', "lesson_step"),
        ('{"format": "unrolled-scenario", "version": 1, "config": {}, "view": [1]}', "'view' must be an object"),
    ],
)
def test_refused_files_name_the_file_and_the_problem(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(ValueError, match=message) as info:
        load_scenario(path)
    assert "bad.json" in str(info.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["weights"]["weight_hh_l0"].update(values=[1.0]), "weight_hh_l0.*needs 64 values"),
        (lambda d: d["weights"]["weight_hh_l0"].update(shape=[4, "x"]), "shape"),
        (lambda d: d["weights"].pop("readout.bias"), "missing parameter"),
        (lambda d: d["config"].update(hidden=5), "weights"),
        (lambda d: d["weights"]["bias_ih_l0"]["values"].__setitem__(0, "a"), "must all be numbers"),
        (lambda d: d["training"]["test_loss"].__setitem__(1, {"$float": "lots"}), r"\$float"),
    ],
)
def test_damaged_contents_are_refused(tmp_path, edit, message):
    doc = good_doc()
    edit(doc)
    path = write(tmp_path, json.dumps(doc))
    with pytest.raises(ValueError, match=message):
        load_scenario(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        load_scenario(tmp_path / "nope.json")
    with pytest.raises(ValueError, match="folder"):
        load_scenario(tmp_path)


def test_loading_a_bad_file_touches_nothing(tmp_path):
    current = full_scenario()
    before = current.dumps()
    params_before = {k: v.copy() for k, v in current.network.params.items()}
    good = tmp_path / "good.json"
    save_scenario(good, current)
    good_bytes = good.read_bytes()
    newer = good_doc()
    newer["version"] = VERSION + 1
    bad = write(tmp_path, json.dumps(newer))
    bad_bytes = bad.read_bytes()
    with pytest.raises(ValueError, match="newer"):
        load_scenario(bad)
    assert current.dumps() == before
    for k, v in params_before.items():
        np.testing.assert_array_equal(current.network.params[k], v)
    assert bad.read_bytes() == bad_bytes and good.read_bytes() == good_bytes
    # loading a good file twice gives equal but independent objects
    a, b = load_scenario(good), load_scenario(good)
    a.view["fold"] = True
    assert b.view["fold"] is False


def test_saving_does_not_change_the_scenario(tmp_path):
    s = full_scenario()
    training = copy.deepcopy(s.training)
    save_scenario(tmp_path / "x.json", s)
    assert isinstance(s.training["loss_history"], np.ndarray)
    np.testing.assert_array_equal(s.training["loss_history"], training["loss_history"])


@pytest.mark.parametrize("fail_at", ["fsync", "replace", "write"])
def test_interrupted_save_keeps_the_old_file(tmp_path, monkeypatch, fail_at):
    path = tmp_path / "lecture.json"
    save_scenario(path, Scenario(Config(wrec=0.5)))
    old = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("simulated crash")

    if fail_at == "fsync":
        monkeypatch.setattr(scenario_mod.os, "fsync", boom)
    elif fail_at == "replace":
        monkeypatch.setattr(scenario_mod.os, "replace", boom)
    else:  # the disk fills up after part of the text is written
        real_fdopen = os.fdopen

        class HalfWriter:
            def __init__(self, fh):
                self.fh = fh

            def write(self, data):
                self.fh.write(data[: len(data) // 2])
                raise OSError("No space left on device")

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.fh.close()

            def __getattr__(self, name):
                return getattr(self.fh, name)

        monkeypatch.setattr(scenario_mod.os, "fdopen", lambda *a, **k: HalfWriter(real_fdopen(*a, **k)))
    with pytest.raises(OSError):
        save_scenario(path, full_scenario())
    assert path.read_bytes() == old
    assert load_scenario(path).config == Config(wrec=0.5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lecture.json"]  # no temporary file left


def test_unencodable_view_fails_before_touching_the_file(tmp_path):
    path = tmp_path / "lecture.json"
    save_scenario(path, Scenario(Config()))
    old = path.read_bytes()
    with pytest.raises(ValueError, match=r"view\.colour"):
        save_scenario(path, Scenario(Config(), view={"colour": object()}))
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lecture.json"]


def test_save_keeps_file_permissions(tmp_path):
    path = tmp_path / "shared.json"
    save_scenario(path, Scenario(Config()))
    assert path.stat().st_mode & 0o777 == 0o644
    os.chmod(path, 0o664)
    save_scenario(path, Scenario(Config(wrec=2.0)))
    assert path.stat().st_mode & 0o777 == 0o664


def test_training_record_of_a_real_run_round_trips(tmp_path):
    train = pytest.importorskip("simulator.train")
    from simulator.tasks import make_task

    task = make_task("sine", 8, 0)
    settings = train.TrainSettings.for_task(task, hidden=4, iterations=3, batch=2)
    trainer = train.Trainer(task, settings)
    snap = trainer.run()
    record = scenario_mod.training_record(snap, "sine", settings)
    config = Config(cell=settings.cell, hidden=4, inputs=1, outputs=1, init=settings.init)
    s = Scenario(config, network=snap.net, training=record)
    save_scenario(tmp_path / "t.json", s)
    back = load_scenario(tmp_path / "t.json")
    assert back.training == record
    assert back.training["train_loss"] == list(snap.train_loss)
    for k, v in snap.net.params.items():
        np.testing.assert_array_equal(back.network.params[k], v)
