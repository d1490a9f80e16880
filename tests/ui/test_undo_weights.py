"""Undo and redo bring back the weights of their own (trained, or from a file) that went with a configuration.

A change of the configuration runs its initial weights; Undo used to put back the configuration only, so the
trained (or loaded) network was lost for good by one slider step (a fresh-eyes review)."""

import numpy as np

from simulator.config import Config, build_network


def _own_weights(config: Config, seed: int = 5):
    """A network of the config's shape with weights of its own (not the config's initial ones)."""
    net = build_network(config.replace(seed=seed, wrec=1.7))
    assert not np.allclose(net.params["weight_hh_l0"], build_network(config).params["weight_hh_l0"])
    return net


def test_undo_after_a_change_brings_the_weights_back(make_window):
    config = Config(cell="gru", steps=12, hidden=6)
    window = make_window(config)
    s, undo, redo = window.session, window.actions["undo"], window.actions["redo"]
    net = _own_weights(config)
    s.set_network(net)
    own_loss = s.trace.loss
    messages = []
    window.history.weights_dropped.connect(lambda: messages.append(window.statusBar().currentMessage()))

    s.update(wrec=1.2)  # runs the config's initial weights: the own ones are set aside, and the user is told
    assert s.network is None and s.trace.loss != own_loss
    assert messages and "Undo brings them back" in window.statusBar().currentMessage()

    undo.trigger()
    assert s.config.wrec == config.wrec and s.network is net
    assert s.trace.loss == own_loss
    redo.trigger()  # the change again, with the config's weights as it had them
    assert s.config.wrec == 1.2 and s.network is None
    undo.trigger()
    assert s.network is net and s.trace.loss == own_loss


def test_weights_that_came_after_a_change_come_back_with_redo(make_window):
    config = Config(steps=10, hidden=4)
    window = make_window(config)
    s, undo, redo = window.session, window.actions["undo"], window.actions["redo"]
    s.update(hidden=5)
    net = _own_weights(s.config)
    s.set_network(net)  # e.g. trained after the change
    undo.trigger()
    assert s.config.hidden == 4 and s.network is None
    redo.trigger()
    assert s.config.hidden == 5 and s.network is net
