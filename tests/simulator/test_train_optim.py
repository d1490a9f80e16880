"""The optimisers against their references: torch.optim (when installed) and min-char-rnn's Adagrad."""

import numpy as np
import pytest

from simulator.optim import SGD, Adagrad, Adam, RMSprop, make_optimizer


def problem(seed=0):
    rng = np.random.default_rng(seed)
    params = {"weight_hh_l0": rng.standard_normal((4, 3)), "readout.bias": rng.standard_normal(2)}
    grads = [{k: rng.standard_normal(v.shape) for k, v in params.items()} for _ in range(4)]
    return params, grads


def run_numpy(opt, params, grads):
    for g in grads:
        params = opt.step(params, g)
    return params


def test_adagrad_is_min_char_rnns_update_exactly():
    params, grads = problem()
    out = run_numpy(Adagrad(lr=0.1), params, grads)
    for name, p in params.items():  # min-char-rnn.py, line by line
        p, mem = p.copy(), np.zeros_like(p)
        for g in grads:
            dparam = g[name]
            mem += dparam * dparam
            p += -0.1 * dparam / np.sqrt(mem + 1e-8)
        np.testing.assert_array_equal(out[name], p)


def test_step_returns_new_arrays_and_leaves_the_old_ones():
    params, grads = problem()
    before = {k: v.copy() for k, v in params.items()}
    out = Adam(1e-2).step(params, grads[0])
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
        assert not np.shares_memory(out[k], params[k])


def test_parameters_without_a_gradient_are_kept():
    params, grads = problem()
    out = SGD(0.1).step(params, {"readout.bias": grads[0]["readout.bias"]})
    assert out["weight_hh_l0"] is params["weight_hh_l0"]


def test_same_inputs_give_bit_identical_results():
    params, grads = problem()
    for name in ("sgd", "adagrad", "rmsprop", "adam"):
        a = run_numpy(make_optimizer(name, 0.01), params, grads)
        b = run_numpy(make_optimizer(name, 0.01), params, grads)
        for k in a:
            assert a[k].tobytes() == b[k].tobytes()


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_learning_rate_is_refused(bad):
    with pytest.raises(ValueError, match="learning rate"):
        make_optimizer("adam", bad)


def test_unknown_optimizer_is_named():
    with pytest.raises(ValueError, match="optimizer must be one of sgd, adagrad, rmsprop, adam"):
        make_optimizer("lbfgs")


# ---- torch.optim as the reference -----------------------------------------------------------


def run_torch(torch, factory, params, grads):
    tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    opt = factory(list(tensors.values()))
    for g in grads:
        for k, t in tensors.items():
            t.grad = torch.tensor(g[k], dtype=torch.float64)
        opt.step()
    return {k: t.detach().numpy() for k, t in tensors.items()}


@pytest.mark.parametrize("name", ["sgd", "sgd0", "rmsprop", "adam", "adagrad"])
def test_matches_torch_optim(name):
    torch = pytest.importorskip("torch")
    params, grads = problem(1)
    ours, theirs = {
        "sgd": (SGD(0.05, 0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
        "sgd0": (SGD(0.05, 0.0), lambda p: torch.optim.SGD(p, lr=0.05)),
        "rmsprop": (RMSprop(0.01), lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-8)),
        "adam": (Adam(0.01), lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8)),
        # torch adds eps outside the square root, min-char-rnn (exact test above) 1e-8 inside
        "adagrad": (Adagrad(0.1), lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-10)),
    }[name]
    a = run_numpy(ours, params, grads)
    b = run_torch(torch, theirs, params, grads)
    rtol = 1e-4 if name == "adagrad" else 1e-12  # Adagrad: eps/(2 mem) apart, mem >= 1e-4 here
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=rtol, atol=1e-14)
