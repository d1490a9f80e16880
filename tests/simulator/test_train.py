"""The Trainer: it learns every task, the seed fixes the history bit for bit, divergence stops cleanly."""

import numpy as np
import pytest

from simulator import Network
from simulator.tasks import TASKS, make_task
from simulator.train import (
    LR_FAR_ABOVE,
    Snapshot,
    Trainer,
    TrainSettings,
    fit_readout,
    predict,
    predict_series,
    remedies,
    sample_text,
    task_loss,
    text_activations,
    unit_activation,
)

# Small, quick versions of every task (the defaults are for real runs).
QUICK = {
    "adding": (dict(seq_len=10), dict(hidden=16, batch=32, iterations=150, lr=1e-2)),
    "sine": (dict(seq_len=20), dict(hidden=8, iterations=40)),
    "series": (dict(seq_len=10), dict(hidden=8, iterations=40)),
    "keras-stock": (dict(seq_len=15), dict(hidden=8, layers=2, batch=16, iterations=20, lr=1e-2)),
    "chars": (dict(seq_len=15), dict(hidden=32, iterations=120)),
    "classify": (dict(distance=5), dict(hidden=16, iterations=60, lr=1e-2)),
    "generate": (dict(seq_len=12), dict(hidden=16, iterations=60)),
}


def quick(name, seed=0, **changes):
    task_kw, settings_kw = QUICK[name]
    task = make_task(name, seed=seed, **task_kw)
    return Trainer(task, TrainSettings.for_task(task, seed=seed, **{**settings_kw, **changes}))


@pytest.mark.parametrize("name", TASKS)
def test_training_reduces_the_held_out_loss_on_every_task(name):
    trainer = quick(name)
    snap = trainer.run()
    assert snap.status == "done" and snap.iteration == trainer.settings.iterations
    first, last = snap.test_loss[0][1], snap.test_loss[-1][1]
    assert snap.test_loss[-1][0] == snap.iteration
    assert last < 0.8 * first, (first, last)
    assert np.mean(snap.train_loss[-10:]) < np.mean(snap.train_loss[:10])


def test_adding_problem_beats_the_baseline():
    trainer = quick("adding", iterations=400)
    trainer.run()
    assert trainer.evaluate() < 0.5 * trainer.task.baseline_loss


def test_same_seed_same_history_bit_for_bit_however_the_run_is_cut():
    a = quick("keras-stock", iterations=12)  # dropout 0.2 and 2 layers: the masks are seeded too
    assert a.settings.dropout == 0.2
    a.run()
    b = quick("keras-stock", iterations=12)
    b.run(5)
    for _ in range(7):
        b.step()
    assert a.train_history == b.train_history
    assert a.test_history == b.test_history
    for k, v in a.net.params.items():
        assert v.tobytes() == b.net.params[k].tobytes()
    c = quick("keras-stock", seed=1, iterations=12)
    c.run()
    assert c.train_history != a.train_history


def test_snapshot_is_a_copy():
    trainer = quick("sine", iterations=3)
    trainer.run()
    snap = trainer.snapshot()
    assert isinstance(snap, Snapshot) and snap.iteration == 3 and len(snap.train_loss) == 3
    trainer.run(2)
    assert snap.iteration == 3 and len(snap.train_loss) == 3
    assert not np.array_equal(snap.net.params["weight_hh_l0"], trainer.net.params["weight_hh_l0"])
    assert snap.its_per_second > 0 and snap.eta_seconds == 0


def test_run_calls_back_and_stops_when_asked():
    trainer = quick("adding", iterations=1000)
    seen = []
    snap = trainer.run(callback=seen.append, should_stop=lambda: trainer.iteration >= 7, interval=0.0)
    assert snap.status == "stopped" and snap.iteration == 7
    assert seen[-1].iteration == 7 and len(seen) >= 7
    snap = trainer.run(3)  # resume
    assert snap.iteration == 10 and snap.status == "running"


@pytest.mark.parametrize("stop_at_call", [1, 2, 3, 5, 8])
def test_stopping_anywhere_even_inside_an_evaluation_changes_no_history(stop_at_call):
    reference = quick("adding", iterations=12, eval_every=4)
    reference.run()
    trainer = quick("adding", iterations=12, eval_every=4)  # 1000 held-out sequences: 16 chunks
    calls = [0]

    def should_stop():
        calls[0] += 1
        return calls[0] == stop_at_call

    snap = trainer.run(should_stop=should_stop)
    assert snap.status == "stopped"
    trainer.run()
    assert trainer.train_history == reference.train_history
    assert trainer.test_history == reference.test_history
    assert [i for i, _ in trainer.test_history] == [0, 4, 8, 12]


def test_diverging_run_stops_with_a_remedy_and_keeps_finite_weights():
    task = make_task("sine", seq_len=30)
    settings = TrainSettings(cell="rnn", activation="relu", hidden=16, wrec=3.0, optimizer="sgd", lr=10.0,
                             iterations=50)  # fmt: skip
    trainer = Trainer(task, settings)
    for _ in range(50):
        if trainer.step() is None:
            break
    assert trainer.diverged, "this configuration should blow up"
    msg = trainer.message
    assert "diverged at iteration" in msg and "clipping" in msg and "learning rate" in msg and "wrec" in msg
    for v in trainer.net.params.values():
        assert np.all(np.isfinite(v))
    n = trainer.iteration
    assert trainer.step() is None and trainer.iteration == n  # stays stopped
    snap = trainer.run()
    assert snap.status == "diverged" and snap.message == msg


def test_a_diverged_run_keeps_the_weights_with_the_lowest_loss_and_names_their_iteration():
    """Learn for 60 iterations, then a learning rate of 1000 blows the run up: the learned weights come back."""
    task = make_task("sine", seq_len=30)
    trainer = Trainer(task, TrainSettings(cell="rnn", hidden=16, optimizer="sgd", lr=0.3, iterations=400))
    trainer.run(60)
    trainer.change(lr=1000.0)
    trainer.run()
    assert trainer.diverged and trainer.iteration > 60
    history = np.array(trainer.train_history)
    best = int(np.argmin(history))
    assert best > 0 and trainer.best_iteration == best
    assert history[-1] > 1e3 * history[best]  # the last finite weights had exploded
    # the kept weights' loss on the batch of that iteration is the lowest batch loss of the run
    x, targets = task.sample(np.random.default_rng([0, 1, best]), 32)
    assert task_loss(trainer.net, task, x, targets) == pytest.approx(history[best], rel=1e-9)
    held_out = trainer.evaluate()
    assert held_out < 0.5 * task.baseline_loss  # still the learned network ("learned"), not a wrecked one
    msg = trainer.message
    assert f"Kept the weights after iteration {best}, whose batch loss {history[best]:.4g}" in msg
    assert f"held-out loss {held_out:.4g}" in msg
    assert trainer.snapshot().net.params["weight_hh_l0"].tolist() == trainer.net.params["weight_hh_l0"].tolist()


def test_the_remedies_start_with_the_cause_and_never_run_out():
    """A learning rate far above the optimiser's usual range: its usual rate comes first."""
    task = make_task("sine", seq_len=30)
    far = remedies(TrainSettings(cell="lstm", optimizer="sgd", lr=10.0), task=task)
    assert far[0].changes == {"lr": 0.1} and "usual range" in far[0].text
    assert far[1].changes == {"clip": 1.0}
    near = remedies(TrainSettings(cell="lstm", optimizer="adam", lr=0.01), task=task)  # 10x Adam's usual: not far
    assert LR_FAR_ABOVE * 1e-3 >= 0.01 and near[0].changes == {"clip": 1.0} and near[1].changes == {"lr": 0.001}
    # after every remedy was applied there is still one: a smaller rate
    done = remedies(TrainSettings(cell="lstm", optimizer="sgd", lr=0.1, clip=1.0, truncate=20), task=task)
    assert [r.changes for r in done] == [{"lr": 0.1 / 10}]


def test_clipping_remedy_keeps_the_same_run_finite():
    task = make_task("sine", seq_len=30)
    settings = TrainSettings(cell="rnn", activation="tanh", hidden=16, wrec=1.5, optimizer="sgd", lr=0.5,
                             clip=1.0, iterations=40)  # fmt: skip
    snap = Trainer(task, settings).run()
    assert snap.status == "done"


def test_remedies_during_training_truncation_penalty_clip_value():
    task = make_task("sine", seq_len=20)
    s = TrainSettings(cell="rnn", hidden=8, iterations=30, truncate=5, penalty=0.1, clip_value=1.0, lr=1e-2)
    snap = Trainer(task, s).run()
    assert snap.status == "done" and snap.test_loss[-1][1] < snap.test_loss[0][1]
    with pytest.raises(ValueError, match="penalty"):
        TrainSettings(cell="lstm", penalty=0.1)


def test_bad_settings_are_refused_with_messages():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        TrainSettings(optimizer="newton")
    with pytest.raises(ValueError, match="hidden"):
        TrainSettings(hidden=0)
    with pytest.raises(ValueError, match="dropout"):
        TrainSettings(dropout=1.0)
    with pytest.raises(ValueError, match="unknown setting"):
        TrainSettings().replace(speed=3)
    task = make_task("adding", seq_len=5)
    with pytest.raises(ValueError, match="inputs"):
        Trainer(task, net=Network.create("lstm", 3, 4, 1))
    with pytest.raises(ValueError, match="settings say"):
        Trainer(task, TrainSettings(cell="lstm", hidden=8), net=Network.create("gru", 2, 8, 1))


def test_remedies_change_during_a_run():
    trainer = quick("sine", iterations=6)
    trainer.run(3)
    trainer.change(clip=0.5, truncate=4, lr=1e-3, iterations=8)
    assert trainer.optimizer.lr == 1e-3 and trainer.settings.clip == 0.5
    assert trainer.run().iteration == 8
    assert trainer.last_result.truncate == 4 and trainer.last_result.grad_norm_clipped <= 0.5 + 1e-12
    with pytest.raises(ValueError, match="hidden cannot change during a run"):
        trainer.change(hidden=4)
    with pytest.raises(ValueError, match="clip must be"):
        trainer.change(clip=-1.0)


def test_training_goes_on_from_given_weights_with_new_settings():
    first = quick("sine", iterations=5)
    first.run()
    second = Trainer(first.task, first.settings.replace(lr=1e-3, iterations=3), net=first.net)
    assert second.run().iteration == 3
    snap = second.snapshot()
    assert snap.result is not None and snap.result.grads.keys() == first.net.params.keys()


def test_forget_bias_is_added_to_the_lstm_forget_gate():
    task = make_task("adding", seq_len=5)
    a = Trainer(task, TrainSettings(hidden=4))
    b = Trainer(task, TrainSettings(hidden=4, forget_bias=1.0))
    d = b.net.params["bias_ih_l0"] - a.net.params["bias_ih_l0"]
    np.testing.assert_allclose(d, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])


def test_trained_weights_save_with_pytorch_names(tmp_path):
    trainer = quick("adding", iterations=5)
    trainer.run()
    trainer.save(tmp_path / "w.npz")
    back = Network.from_npz(tmp_path / "w.npz")
    assert set(back.params) == {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "readout.weight",
                                "readout.bias"}  # fmt: skip
    for k, v in trainer.net.params.items():
        np.testing.assert_array_equal(back.params[k], v)


def test_esn_readout_ridge_fit_in_one_call():
    task = make_task("sine", seq_len=30)
    trainer = Trainer(task, TrainSettings(cell="esn", hidden=60, wrec=0.9, iterations=0, seed=1))
    reservoir = trainer.net.params["weight_hh_l0"].copy()
    before = trainer.evaluate()
    train, test = trainer.fit_readout(ridge=1e-6)
    assert test < 0.1 * before and test < task.baseline_loss and train < task.baseline_loss
    np.testing.assert_array_equal(trainer.net.params["weight_hh_l0"], reservoir)
    assert trainer.settings.trains_readout_only


def test_fit_readout_is_the_least_squares_solution_for_ridge_zero():
    rng = np.random.default_rng(0)
    net = Network.create("esn", 2, 10, 1, wrec=0.8, seed=2)
    x = rng.standard_normal((8, 50, 2))
    y = rng.standard_normal((8, 50, 1))
    fitted = fit_readout(net, x, y, "mse", "last", ridge=0.0)
    states = np.hstack([predict_states(net, x), np.ones((50, 1))])
    W = np.linalg.lstsq(states, y[-1], rcond=None)[0]
    np.testing.assert_allclose(fitted.params["readout.weight"], W[:-1].T, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(predict(fitted, x)[-1], states @ W, rtol=1e-6, atol=1e-9)


def predict_states(net, x):
    from simulator.train import run_forward

    return run_forward(net, x)[1][-1]["h"][-1]


def test_task_loss_matches_simulate():
    from simulator import simulate

    trainer = quick("chars", iterations=1)
    x, y = trainer.task.held_out()
    res = simulate(trainer.net, x, y, "cross_entropy", "all")
    assert task_loss(trainer.net, trainer.task, x, y) == pytest.approx(res.loss, rel=1e-12)


def test_sampling_text_with_temperature():
    trainer = quick("chars", iterations=30)
    trainer.run()
    task, net = trainer.task, trainer.net
    a = sample_text(net, task, 50, temperature=1.0, seed=3)
    assert len(a) == 50 and set(a) <= set(task.vocab)
    assert a == sample_text(net, task, 50, temperature=1.0, seed=3)
    greedy = sample_text(net, task, 30, temperature=0.0, seed=1)
    assert greedy == sample_text(net, task, 30, temperature=0.0, seed=2)  # greedy ignores the seed
    with pytest.raises(ValueError, match="temperature"):
        sample_text(net, task, 10, temperature=-1)


@pytest.mark.parametrize("cell, names", [("lstm", {"h", "c", "i", "f", "g", "o"}), ("gru", {"h", "r", "z", "n"}),
                                         ("rnn", {"h"})])  # fmt: skip
def test_text_activations_for_colouring(cell, names):
    task = make_task("chars", seq_len=10)
    net = Network.create(cell, task.inputs, 6, task.outputs, 2, seed=0)
    text = '(a "b") [c]'
    acts = text_activations(net, task, text)
    assert set(acts) == names
    for v in acts.values():
        assert v.shape == (len(text), 6)
    col = unit_activation(net, task, text, unit=2, quantity="h", layer=0)
    np.testing.assert_array_equal(col, text_activations(net, task, text, layer=0)["h"][:, 2])
    with pytest.raises(ValueError, match="vocabulary"):
        text_activations(net, task, "\u263a")
    with pytest.raises(ValueError, match="unit"):
        unit_activation(net, task, text, unit=6)


def test_series_predictions_over_the_truth():
    trainer = quick("series", iterations=5)
    trainer.run()
    out = predict_series(trainer.net, trainer.task)
    assert out["truth"].shape == out["prediction"].shape == out["index"].shape
    np.testing.assert_array_equal(out["truth"], trainer.task.raw[out["index"]])
