"""A run whose loss blows up but stays finite counts as diverged, as an overflow does; ordinary runs do not."""

import numpy as np
import pytest

from simulator.tasks import make_task
from simulator.train import LOSS_BLOWUP, Trainer, TrainSettings


def test_a_finite_but_exploding_loss_diverges_with_the_quantity_the_iteration_and_the_size():
    """The reviewer's run: an identity RNN at Wrec 2.5 with Adam at lr 1 climbs to a loss of 1e108
    and never overflows; it used to end as 'not learned yet'."""
    task = make_task("sine", seq_len=40)
    settings = TrainSettings(cell="rnn", hidden=16, activation="identity", init="orthogonal", wrec=2.5,
                             optimizer="adam", lr=1.0, iterations=300)  # fmt: skip
    trainer = Trainer(task, settings)
    snap = trainer.run()
    assert snap.status == "diverged" and trainer.diverged
    first = trainer.train_history[0]
    assert first > LOSS_BLOWUP * task.baseline_loss  # the forward pass explodes from the start
    assert snap.iteration == 1  # the loss after one update is the blow-up: 37 orders above the first
    assert len(snap.train_loss) == 2 and snap.train_loss[1] > 1e37 * first  # recorded: the plot shows it
    msg = snap.message
    assert msg.startswith("Training diverged at iteration 2: the batch loss blew up to 1.39e+65")
    assert f"times its first value {first:.3g}; over 10^6 times counts as diverged" in msg
    # the same remedies as an overflow, the likely cause first
    assert "What would help: a learning rate in Adam's usual range" in msg
    assert "clipping" in msg and "wrec" in msg and "tanh instead of identity" in msg
    # the weights with the lowest batch loss are kept, and they are finite
    assert "Kept the initial weights" in msg
    assert all(np.all(np.isfinite(v)) for v in trainer.net.params.values())


def test_a_run_that_starts_below_the_baseline_is_measured_against_the_baseline():
    """Learned weights trained on at a wrecking learning rate: the first batch loss is below the
    baseline, so the baseline is the reference (a rise from a small loss is not yet a blow-up)."""
    task = make_task("sine", seq_len=30)
    settings = TrainSettings(cell="rnn", hidden=16, optimizer="sgd", lr=0.3, iterations=400)
    learned = Trainer(task, settings)
    learned.run(60)
    trainer = Trainer(task, settings.replace(lr=1000.0), net=learned.net)
    trainer.run()
    assert trainer.diverged
    history = np.array(trainer.train_history)
    assert history[0] < task.baseline_loss
    assert history[:-1].max() <= LOSS_BLOWUP * task.baseline_loss < history[-1]  # the last one blew up
    msg = trainer.message
    assert f"Training diverged at iteration {len(history)}: the batch loss blew up to {history[-1]:.3g}" in msg
    assert f"times the baseline {task.baseline_loss:.3g}; over 10^6 times counts as diverged" in msg
    assert "Kept the initial weights" in msg  # the learned ones this run started from


def test_a_loss_past_the_limit_is_caught_at_that_iteration_not_later():
    """The blow-up test on its own: just under the limit trains on, just over it diverges."""
    task = make_task("sine", seq_len=10)
    trainer = Trainer(task, TrainSettings(cell="rnn", hidden=4, iterations=10))
    trainer.run(2)
    ref = max(trainer.train_history[0], task.baseline_loss)
    assert trainer._blown_up(LOSS_BLOWUP * ref) == ""
    what = trainer._blown_up(2 * LOSS_BLOWUP * ref)
    assert what.startswith(f"the batch loss blew up to {2 * LOSS_BLOWUP * ref:.3g}")
    assert "2e+06 times" in what


@pytest.mark.parametrize("name", ["sine", "adding", "chars", "generate"])
@pytest.mark.parametrize("extra", [{}, {"optimizer": "sgd", "lr": 0.5}])
def test_ordinary_noisy_training_is_never_flagged(name, extra):
    """Recommended and plain-SGD runs: batch losses wander (SGD at 0.5 on 'generate' reaches 11 times
    the baseline) but stay orders of magnitude below the limit."""
    task = make_task(name)
    trainer = Trainer(task, TrainSettings.for_task(task, iterations=80, hidden=16, **extra))
    snap = trainer.run()
    assert snap.status == "done", snap.message
    history = np.array(trainer.train_history)
    assert history.max() < 1e-3 * LOSS_BLOWUP * max(history[0], task.baseline_loss)
