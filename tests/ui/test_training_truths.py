"""What the training lab and the Build panel say about a run: a blown-up loss is a divergence, and
weights that were never trained are not called trained (two cases a review found)."""

import re

import numpy as np
from windowtools import finish, tiny

from simulator.config import Config, build_network
from simulator.scenario import Scenario, save_scenario
from ui.diagram import fmt


def test_a_finite_but_exploding_loss_is_a_divergence_with_its_remedies(qtbot, make_panel):
    """The review's run: an identity RNN at Wrec 2.5 and Adam at lr 1 climbed to a held-out loss of 2.9e108,
    finite, and ended as 'not learned yet (no better than the baseline)' in grey, with no Retry buttons."""
    panel = make_panel()
    panel.set_task("sine")
    panel.session.update(cell="rnn", activation="identity", wrec=2.5, clip=0.0, clip_value=0.0)
    panel.lr.setValue(1.0)
    panel.iterations.setValue(300)
    panel.start()
    finish(qtbot, panel)
    last = panel.last_updates[""]
    assert last.state == "diverged" and last.snapshot.iteration < 300
    text = panel.message.text()
    assert "<b>Training diverged at iteration 2</b>: the batch loss blew up to 1.39e+65" in text
    assert "not learned yet" not in text
    assert panel.message.property("kind") == "error"
    assert [b.text() for b in panel.fix_buttons][:4] == [
        "Retry: lr = 0.001",
        "Retry: clip at 1",
        "Retry: wrec = 0.9",
        "Retry: tanh",
    ]


def _rhos(text: str) -> list[str]:
    return re.findall(r"<b>([^<]*)</b>", text)


def test_the_build_panel_says_whether_the_weights_were_trained(qtbot, make_window):
    window = make_window()
    label, panel = window.controls.trained_label, window.training
    assert label.isHidden()
    # a task's network set up in the main view, not trained: not "trained weights"
    tiny(panel, "adding", iterations=6, hidden=4, batch=4, seq_len=6)
    assert window.session.network is not None and not label.isHidden()
    assert label.text().startswith("the task's network, not trained yet: ρ = i <b>1.00</b>, f <b>1.00</b>")
    assert "trained weights" not in label.text()
    # after training: trained weights, how long, their ρ written as the rest of the panel writes numbers
    panel.start()
    finish(qtbot, panel)
    assert panel.runs[""].state == "done"
    text = label.text()
    assert text.startswith("trained weights (6 iterations): ρ = i <b>")
    rho = window.session.trace.spectral_radius
    assert _rhos(text) == [fmt(r) for r in rho.values()]  # 2.40 beside 1.94, not 2.4
    assert all(re.fullmatch(r"\d\.\d\d", r) for r in _rhos(text))
    # the slider starts afresh from the config's weights: no label
    window.session.update(wrec=0.9)
    assert label.isHidden()


def test_a_diverged_run_that_kept_its_initial_weights_is_not_called_trained(qtbot, make_window):
    window = make_window()
    panel = window.training
    panel.set_task("sine")
    window.session.update(cell="rnn", activation="identity", wrec=2.5, clip=0.0, clip_value=0.0)
    panel.lr.setValue(1.0)
    panel.start()
    finish(qtbot, panel)
    assert panel.runs[""].state == "diverged" and "Kept the initial weights" in panel.message.text()
    text = window.controls.trained_label.text()
    assert text == "the task's network, not trained yet: ρ = <b>2.50</b> (the slider sets the initial weights)"


def test_weights_reopened_from_a_scenario_say_so(make_window, tmp_path):
    """Weights the lab did not train here: from the file, trained or not."""
    config = Config(hidden=4, steps=12, topology="many_to_many")
    net = build_network(config)
    net = net.with_params({k: v + 1e-2 * np.cos(np.arange(v.size)).reshape(v.shape) for k, v in net.params.items()})
    path = tmp_path / "s.json"
    save_scenario(path, Scenario(config, net, None, 0, {"task": "sine", "task_args": {"seq_len": 12}, "runs": {}}, {}))
    window = make_window()
    assert window.files.open_path(path)
    assert window.controls.trained_label.text().startswith("weights from the file: ρ = <b>")
