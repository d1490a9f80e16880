"""BPTT against central finite differences: every cell, variant, activation, topology and remedy.

The reference is a fourth-order central difference of the forward pass alone, so the check
covers the whole backward pass (cells, stacking, readout, loss) and not one formula against
another. Sizes are tiny (T = 5, B = 2, hidden 3) so the whole file runs in seconds.
"""

import numpy as np
import pytest
from simref import (
    assert_grads_close,
    fgr_q,
    layer_xp,
    make_data,
    make_net,
    numerical_derivative,
    numerical_gradient,
    readout,
    total_loss,
    truncated_surrogate,
)

from simulator import LSTM_VARIANTS, simulate
from simulator.engine import forward, loss_and_grad


def check(net, x, targets, loss="mse", score="all", **kw):
    """simulate()'s gradients == finite differences of its loss; returns the Result."""
    r = simulate(net, x, targets, loss=loss, score=score, **kw)
    fd = numerical_gradient(
        lambda p: total_loss(net, p, x, targets, loss, score, kw.get("dropout", 0.0), kw.get("seed")), net.params
    )
    assert_grads_close(r.grads, fd)
    assert r.nonfinite is None
    return r


def relu_safe_seed(cell, activation, layers, margin=0.02, **kw):
    """A seed whose pre-activations all stay `margin` away from relu's kink at 0."""
    for seed in range(50):
        net = make_net(cell, activation=activation, layers=layers, seed=seed, **kw)
        x, _ = make_data(net, seed=seed)
        caches, _, _, _ = forward(net, x)
        layer_in, smallest = x, np.inf
        for k in range(layers):
            W = net.params[f"weight_hh_l{k}"]
            pre = layer_xp(net, net.params, k, layer_in) + caches[k]["h"][:-1] @ W.T
            smallest = min(smallest, np.abs(pre).min())
            layer_in = caches[k]["h"][1:]
        if activation != "relu" or smallest > margin:
            return net, seed
    raise AssertionError("no kink-free seed found")


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "identity"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("score", ["all", "last"])
def test_rnn(activation, layers, score):
    net, seed = relu_safe_seed("rnn", activation, layers)
    x, y = make_data(net, seed=seed)
    check(net, x, y, score=score)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("layers", [1, 2])
def test_esn_leaky(activation, layers):
    net = make_net("esn", activation=activation, layers=layers, leak=0.6)
    x, y = make_data(net)
    check(net, x, y)


@pytest.mark.parametrize("variant", LSTM_VARIANTS)
@pytest.mark.parametrize("layers", [1, 2])
def test_lstm_variants(variant, layers):
    net = make_net("lstm", variant=variant, layers=layers, seed=3)
    x, y = make_data(net)
    check(net, x, y)


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("score", ["all", "last"])
def test_gru(layers, score):
    net = make_net("gru", layers=layers, seed=1)
    x, y = make_data(net)
    check(net, x, y, score=score)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "esn"])
@pytest.mark.parametrize("score", ["all", "last"])
def test_lstm_and_gru_last_and_one_to_many(cell, score):
    """one_to_many: the input is given at t = 0 only; every step is scored (and many_to_one: the last)."""
    net = make_net(cell, seed=2, leak=0.8 if cell == "esn" else 1.0)
    x, y = make_data(net, one_to_many=True)
    check(net, x, y, score=score)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("score", ["all", "last"])
def test_cross_entropy(cell, score):
    net = make_net(cell, outputs=3, seed=4)
    x, y = make_data(net, loss="cross_entropy")
    check(net, x, y, loss="cross_entropy", score=score)


def test_score_last_accepts_final_targets_only():
    net = make_net("lstm")
    x, y = make_data(net)
    a = simulate(net, x, y, score="last")
    b = simulate(net, x, y[-1], score="last")
    assert a.loss == b.loss
    for k in a.grads:
        np.testing.assert_array_equal(a.grads[k], b.grads[k])
    c = simulate(net, x, np.zeros((5, 2), dtype=int), loss="cross_entropy", score="last")
    d = simulate(net, x, np.zeros(2, dtype=int), loss="cross_entropy", score="last")
    assert c.loss == d.loss


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_dropout_between_layers(cell):
    net = make_net(cell, layers=3, seed=5)
    x, y = make_data(net)
    r = check(net, x, y, dropout=0.4, seed=11)
    again = simulate(net, x, y, dropout=0.4, seed=11)
    assert again.loss == r.loss
    assert simulate(net, x, y, dropout=0.4, seed=12).loss != r.loss


@pytest.mark.parametrize(
    "cell, variant, activation",
    [("rnn", "vanilla", "tanh"), ("rnn", "vanilla", "sigmoid"), ("esn", "vanilla", "relu"), ("gru", "vanilla", "tanh")]
    + [("lstm", v, "tanh") for v in ("vanilla", "nig", "nfg", "nog", "niaf", "noaf", "cifg")],
)
def test_bptt_in_small_chunks_is_the_same(monkeypatch, cell, variant, activation):
    """The fast BPTT prepares its factors a cache-sized chunk of steps at a time: chunks change nothing."""
    import simulator.cells

    net = make_net(cell, variant=variant, activation=activation, layers=2, seed=13, leak=0.5 if cell == "esn" else 1.0)
    x, y = make_data(net, T=9, B=3)
    whole = simulate(net, x, y)
    monkeypatch.setattr(simulator.cells, "CHUNK_BYTES", 1)  # one step per chunk
    chunked = simulate(net, x, y)
    for k in whole.grads:
        np.testing.assert_array_equal(whole.grads[k], chunked.grads[k])
    for a, b in zip(whole.dh, chunked.dh):
        np.testing.assert_array_equal(a, b)


# ---- truncated BPTT against the finite differences of its surrogate loss -------------------


@pytest.mark.parametrize(
    "cell, variant, layers",
    [
        ("rnn", "vanilla", 1),
        ("rnn", "vanilla", 2),
        ("esn", "vanilla", 1),
        ("gru", "vanilla", 1),
        ("gru", "vanilla", 2),
        ("lstm", "vanilla", 1),
        ("lstm", "vanilla", 2),
        ("lstm", "peephole", 1),
        ("lstm", "fgr", 1),
        ("lstm", "cifg", 1),
    ],
)
@pytest.mark.parametrize("k", [1, 3])
def test_truncation(cell, variant, layers, k):
    net = make_net(cell, variant=variant, layers=layers, seed=6, leak=0.7 if cell == "esn" else 1.0)
    x, y = make_data(net, T=6)
    r = simulate(net, x, y, truncate=k)
    p0 = {n: v.copy() for n, v in net.params.items()}
    fd = numerical_gradient(lambda p: truncated_surrogate(net, p, p0, x, y, k), net.params)
    assert_grads_close(r.grads, fd)
    # the surrogate's value is the ordinary loss, and a window as long as the sequence is full BPTT
    assert truncated_surrogate(net, p0, p0, x, y, k) == pytest.approx(r.loss, rel=1e-12)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_truncation_as_long_as_the_sequence_is_full_bptt(cell):
    net = make_net(cell, seed=7)
    x, y = make_data(net, T=6)
    full = simulate(net, x, y)
    for k in (6, 50):
        r = simulate(net, x, y, truncate=k)
        assert_grads_close(r.grads, full.grads, rtol=1e-13, atol=0)


def test_truncation_score_last():
    net = make_net("lstm", seed=8)
    x, y = make_data(net, T=6)
    r = simulate(net, x, y, score="last", truncate=3)
    p0 = {n: v.copy() for n, v in net.params.items()}
    fd = numerical_gradient(lambda p: truncated_surrogate(net, p, p0, x, y, 3, score="last"), net.params)
    assert_grads_close(r.grads, fd)


# ---- clipping ------------------------------------------------------------------------------


def reference_clip(grads, clip, clip_value):
    """By value first, then by global norm (torch's clip_grad_value_ then clip_grad_norm_)."""
    out = {k: np.clip(g, -clip_value, clip_value) if clip_value > 0 else g.copy() for k, g in grads.items()}
    norm = np.sqrt(sum((g**2).sum() for g in out.values()))
    if clip > 0 and norm > clip:
        out = {k: g * (clip / norm) for k, g in out.items()}
    return out


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("mode", ["norm", "value", "both"])
def test_clipping(cell, mode):
    net = make_net(cell, seed=9)
    x, y = make_data(net)
    fd = numerical_gradient(lambda p: total_loss(net, p, x, y), net.params)
    norm = np.sqrt(sum((g**2).sum() for g in fd.values()))
    value = np.quantile(np.abs(np.concatenate([g.ravel() for g in fd.values()])), 0.7)
    clip = 0.3 * norm if mode != "value" else 0.0
    clip_value = value if mode != "norm" else 0.0
    if mode == "both":
        clip = 0.2 * norm
    r = simulate(net, x, y, clip=clip, clip_value=clip_value)
    assert_grads_close(r.raw_grads, fd)
    assert_grads_close(r.grads, reference_clip(fd, clip, clip_value))
    assert r.grad_norm == pytest.approx(norm, rel=1e-8)
    after = np.sqrt(sum((g**2).sum() for g in r.grads.values()))
    assert r.grad_norm_clipped == pytest.approx(after, rel=1e-12)
    if clip > 0:
        assert after <= clip * (1 + 1e-12)
    if clip_value > 0 and mode == "value":
        assert max(np.abs(g).max() for g in r.grads.values()) <= clip_value


def test_clip_threshold_above_the_norm_changes_nothing():
    net = make_net("lstm")
    x, y = make_data(net)
    a = simulate(net, x, y)
    b = simulate(net, x, y, clip=a.grad_norm * 2, clip_value=1e9)
    for k in a.grads:
        np.testing.assert_array_equal(a.grads[k], b.grads[k])


# ---- the gradient-norm penalty of Pascanu, Mikolov & Bengio (2013) ---------------------------


def omega_reference(net, W_list, result):
    """Omega with dL/dh_k and phi'(pre_k) held at the values of `result` (as the paper does)."""
    from simulator.cells import dphi_from_output

    total = 0.0
    for k, W in enumerate(W_list):
        delta = result.dh[k][1:]  # (T-1, B, H)
        a = result.caches[k]["a"][1:]
        d = np.broadcast_to(dphi_from_output(net.activation, a), a.shape)
        for t in range(delta.shape[0]):
            for b in range(delta.shape[1]):
                J = net.leak * d[t, b][:, None] * W + (1.0 - net.leak) * np.eye(W.shape[0])  # dh_k / dh_{k-1}
                v = delta[t, b] @ J
                total += (np.linalg.norm(v) / np.linalg.norm(delta[t, b]) - 1.0) ** 2 / delta.shape[1]
    return total


@pytest.mark.parametrize("cell, activation, layers", [("rnn", "tanh", 1), ("rnn", "sigmoid", 2), ("esn", "tanh", 1)])
def test_pascanu_penalty(cell, activation, layers):
    net = make_net(cell, activation=activation, layers=layers, seed=10, leak=0.7 if cell == "esn" else 1.0)
    x, y = make_data(net)
    plain = simulate(net, x, y)
    lam = 0.3
    r = simulate(net, x, y, penalty=lam)
    names = [f"weight_hh_l{k}" for k in range(layers)]
    W0 = [net.params[n] for n in names]
    omega = omega_reference(net, W0, plain)
    assert r.penalty_value == pytest.approx(omega, rel=1e-12)
    assert r.loss == pytest.approx(plain.loss + lam * omega, rel=1e-12)

    def omega_of(p):
        return omega_reference(net, [p[n] for n in names], plain)

    fd = numerical_gradient(omega_of, {n: net.params[n] for n in names})
    want = {k: g + lam * fd[k] if k in fd else g for k, g in plain.grads.items()}
    assert_grads_close(r.grads, want)


# ---- the per-step gradients dL/dh_t and dL/dc_t (what the plots show) -----------------------


def loss_with_bumped_state(net, x, y, layer, t, kind, delta, score="all"):
    """The loss when h_t (or c_t) of one layer gets `delta` added and the run continues from there."""
    caches, _, masks, Y = forward(net, x)
    H = net.hidden
    c_t = caches[layer]["c"][t + 1].copy() if net.cell == "lstm" else None
    h_t = caches[layer]["h"][t + 1].copy()
    if kind == "c":  # h_t = o_t * tanh(c_t) moves with c_t (o_t does not, without peepholes)
        c_t += delta
        o = caches[layer]["gates"][t][:, 3 * H :]
        h_t = o * (c_t if net.variant == "noaf" else np.tanh(c_t))
    else:
        h_t += delta
    # this layer from step t + 1 on, fed by the unchanged layer below
    below = x if layer == 0 else caches[layer - 1]["h"][1:]
    if masks[layer] is not None:
        below = below * masks[layer]
    q = fgr_q(caches[layer], t + 1, H) if net.variant == "fgr" else None
    cell = net.cells()[layer]
    xp = layer_xp(net, net.params, layer, below[t + 1 :])
    rest = cell.forward(xp, h_t, c_t, q0=q)["h"][1:] if net.cell == "lstm" else cell.forward(xp, h_t, c_t)["h"][1:]
    layer_in = np.concatenate([h_t[None], rest])  # steps t .. T-1
    # the layers above, from step t on, from their unchanged states at t - 1
    for k in range(layer + 1, net.layers):
        if masks[k] is not None:
            layer_in = layer_in * masks[k][t:]
        xp = layer_xp(net, net.params, k, layer_in)
        c0 = caches[k]["c"][t] if net.cell == "lstm" else None
        q = fgr_q(caches[k], t, H) if net.variant == "fgr" else None
        cell = net.cells()[k]
        out = (
            cell.forward(xp, caches[k]["h"][t], c0, q0=q)
            if net.cell == "lstm"
            else cell.forward(xp, caches[k]["h"][t], c0)
        )
        layer_in = out["h"][1:]
    Y = Y.copy()
    Y[t:] = readout(net.params, layer_in)
    return loss_and_grad(Y, y, "mse", score)[0]


@pytest.mark.parametrize(
    "cell, variant, layers",
    [("rnn", "vanilla", 2), ("gru", "vanilla", 2), ("lstm", "vanilla", 2), ("lstm", "nfg", 1), ("lstm", "fgr", 1)],
)
@pytest.mark.parametrize("score", ["all", "last"])
def test_per_step_state_gradients(cell, variant, layers, score):
    net = make_net(cell, variant=variant, layers=layers, seed=12)
    x, y = make_data(net, T=5, B=2)
    r = simulate(net, x, y, score=score)
    shape = (x.shape[1], net.hidden)
    for layer in range(layers):
        for t in range(x.shape[0]):
            fd = numerical_derivative(
                lambda d, layer=layer, t=t: loss_with_bumped_state(net, x, y, layer, t, "h", d.reshape(shape), score),
                np.zeros(shape),
            ).reshape(shape)
            np.testing.assert_allclose(r.dh[layer][t], fd, rtol=1e-7, atol=1e-10)
            if cell == "lstm" and variant != "peephole":
                fdc = numerical_derivative(
                    lambda d, layer=layer, t=t: loss_with_bumped_state(
                        net, x, y, layer, t, "c", d.reshape(shape), score
                    ),
                    np.zeros(shape),
                ).reshape(shape)
                np.testing.assert_allclose(r.dc[layer][t], fdc, rtol=1e-7, atol=1e-10)
    norms = np.sqrt((r.dh[-1] ** 2).sum(axis=(1, 2)))
    np.testing.assert_allclose(r.grad_norms, norms, rtol=1e-14)
