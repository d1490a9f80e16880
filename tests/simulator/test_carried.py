"""What each step sends back through the recurrence (Result.carried): the gradient crossing the
recurrent edge from h_t to h_{t-1}, which the diagram's BPTT edges draw."""

import numpy as np
import pytest

from simulator.config import Config, run

CELLS = [
    dict(cell="rnn"),
    dict(cell="rnn", activation="relu", wrec=1.3),
    dict(cell="esn", leak=0.4),
    dict(cell="lstm"),
    dict(cell="lstm", variant="peephole"),
    dict(cell="lstm", variant="fgr"),
    dict(cell="lstm", variant="cifg"),
    dict(cell="gru"),
]


def _direct(trace):
    """The top layer's gradient from the loss at each step (the readout), (T, B, H)."""
    return trace.output_grads @ trace.net.params["readout.weight"]


@pytest.mark.parametrize("cfg", CELLS, ids=lambda c: "-".join(str(v) for v in c.values()))
@pytest.mark.parametrize("truncate", [0, 4])
def test_the_total_gradient_is_what_was_carried_plus_the_loss_here(cfg, truncate):
    """dL/dh_{t-1} = carried[t] + the loss's own gradient at t-1, for every cell, with and without
    truncation, for a loss at every step (the top layer)."""
    trace = run(Config(steps=12, hidden=5, batch=2, topology="many_to_many", truncate=truncate, **cfg))
    dh, carried, direct = trace.dh[-1], trace.carried[-1], _direct(trace)
    np.testing.assert_allclose(dh[:-1], carried[1:] + direct[:-1], rtol=1e-12, atol=1e-15)
    assert trace.carried_grad_norms.shape == (1, 12)


@pytest.mark.parametrize("cfg", [c for c in CELLS if c.get("variant") in (None, "vanilla")], ids=lambda c: c["cell"])
def test_carried_is_the_backward_step_of_the_total(cfg):
    """Without truncation, what step t sends back is its backward step applied to the total dL/dh_t
    (and, for the LSTM, the cell line's f_{t+1} ⊙ dL/dc_{t+1}): the vectorised cell.backward over
    all steps at once gives the same, in every layer."""
    config = Config(steps=10, hidden=4, layers=2, topology="many_to_many", **cfg)
    trace = run(config)
    for k in range(2):
        cell = trace.net.cells()[k]
        T = trace.T
        carry = (trace.dh[k],)
        if trace.dc[k] is not None:  # the cell line from the future: dL/dc_{t+1} ⊙ f_{t+1}
            f = trace.gates(k)["f"]
            from_future = np.zeros_like(trace.dc[k])
            from_future[:-1] = trace.dc[k][1:] * f[1:]
            carry = (trace.dh[k], from_future)
        _, _, prev, _ = cell.backward(cell.cache_at(trace.caches[k], np.arange(T)), carry)
        np.testing.assert_allclose(trace.carried[k], prev[0], rtol=1e-12, atol=1e-15)


def test_no_recurrent_weight_carries_nothing():
    """Lesson 1's 'cut the loop' (Wrec = 0): the BPTT diagram drew thick W_hh arrows back through
    every step, its edges showing each step's own ‖∂L/∂h_t‖. Nothing crosses a zero W_hh."""
    trace = run(Config(wrec=0.0, steps=8, topology="many_to_many"))
    assert (trace.grad_norms > 0).all()  # each step has its own loss's gradient ...
    assert (trace.carried_grad_norms == 0).all()  # ... and none of it goes back


def test_truncation_carries_nothing_across_the_cut():
    """Many-to-one, k = 5: the loss at t = 29 reaches t = 25; step 25 sends nothing back to 24."""
    trace = run(Config(steps=30, truncate=5))
    c = trace.carried_grad_norms[-1]
    assert (c[26:] > 0).all() and (c[:26] == 0).all()
    np.testing.assert_array_equal(trace.cut_off[:-1], c[1:] == 0)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_two_backward_loops_carry_the_same_in_every_layer(cell):
    """The fast loops (cell.bptt) and the loop over windows (_backward_ages, used for truncation and
    the peephole / FGR variants) record the same carried gradient, layer by layer, with dropout masks
    between the layers: a buffer shared across layers, or a lower layer left wrong, shows here."""
    from simulator import engine
    from simulator.config import build_network, make_data

    config = Config(cell=cell, steps=9, hidden=4, layers=3, batch=2, topology="many_to_many")
    net = build_network(config)
    x, targets = make_data(config)
    rng = np.random.default_rng(5)
    caches, inputs, masks, Y = engine.forward(net, x, dropout=0.3, rng=rng)
    assert any(m is not None for m in masks)
    _, _, dY = engine.loss_and_grad(Y, targets, "mse", "all")
    fast = engine._backward_full(net, caches, inputs, masks, dY, None)
    ages = engine._backward_ages(net, caches, inputs, masks, dY, 0)
    for k in range(3):
        np.testing.assert_allclose(ages[3][k], fast[3][k], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ages[1][k], fast[1][k], rtol=1e-12, atol=1e-15)
    assert not np.allclose(fast[3][0], fast[3][1])  # each layer its own
