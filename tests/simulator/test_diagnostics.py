"""The diagnostics the plots show: Jacobians, their spectral norms, the Pascanu bound, the verdict.

References: finite differences of the cells' forward steps, the generic identity-carrying
path, closed forms (identity activation with W_hh = s Q) and np.linalg.norm(M, 2).
"""

import numpy as np
import pytest
from simref import fgr_q, layer_xp, make_data, make_net, numerical_derivative

from simulator import LSTM_VARIANTS, Network, simulate, spectral_norms
from simulator.config import Config, run

CASES = [("rnn", "vanilla", "tanh"), ("rnn", "vanilla", "sigmoid"), ("rnn", "vanilla", "relu")]
CASES += [("esn", "vanilla", "tanh"), ("gru", "vanilla", "tanh")]
CASES += [("lstm", v, "tanh") for v in LSTM_VARIANTS]


def top_states(net, result, t):
    """(h, c, q) of the top layer after step t, first example (c and q None where they do not exist)."""
    cache = result.caches[-1]
    h = cache["h"][t + 1][:1]
    c = cache["c"][t + 1][:1] if "c" in cache else None
    q = fgr_q({"gates": cache["gates"][:, :1]}, t + 1, net.hidden) if net.variant == "fgr" else None
    return h, c, q


def run_top_from(net, result, t, h, stop):
    """h_{stop-1} of the top layer (first example) when its state after step t is replaced by h."""
    layer_in = result.x[:, :1] if net.layers == 1 else result.caches[-2]["h"][1:, :1]
    xp = layer_xp(net, net.params, net.layers - 1, layer_in[t + 1 : stop])
    _, c, q = top_states(net, result, t)
    cell = net.cells()[-1]
    if net.cell == "lstm":
        return cell.forward(xp, h, c, q0=q)["h"][-1]
    return cell.forward(xp, h, c)["h"][-1]


@pytest.mark.parametrize("cell, variant, activation", CASES)
@pytest.mark.parametrize("layers", [1, 2])
def test_step_jacobians_and_products(cell, variant, activation, layers):
    net = make_net(cell, variant, activation, layers=layers, hidden=4, seed=2, leak=0.7 if cell == "esn" else 1.0)
    x, y = make_data(net, T=6, B=2)
    r = simulate(net, x, y)
    T, H = 6, net.hidden
    J = r.step_jacobians
    P = r.jacobian_products
    assert J.shape == (T, H, H) and P.shape == (T, H, H)
    np.testing.assert_allclose(J, r._generic_step_jacobians(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(P, r._generic_products(), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(P[-1], np.eye(H))
    for t in range(1, T):  # dh_t / dh_{t-1}, everything else at step t-1 held fixed
        h_prev, _, _ = top_states(net, r, t - 1)
        fd = numerical_derivative(lambda h, t=t: run_top_from(net, r, t - 1, h.reshape(1, H), t + 1), h_prev[0])
        np.testing.assert_allclose(J[t], fd, rtol=1e-8, atol=1e-11)
    for t in range(T - 1):  # dh_{T-1} / dh_t
        h_t, _, _ = top_states(net, r, t)
        fd = numerical_derivative(lambda h, t=t: run_top_from(net, r, t, h.reshape(1, H), T), h_t[0])
        np.testing.assert_allclose(P[t], fd, rtol=1e-8, atol=1e-11)
    for norms, mats in ((r.jacobian_norms, P), (r.step_jacobian_norms, J)):
        want = np.array([np.linalg.norm(m, 2) for m in mats])
        np.testing.assert_allclose(norms, want, rtol=1e-9)


# ---- closed form: identity activation, W_hh = s Q --------------------------------------------


@pytest.mark.parametrize("s", [0.5, 1.0, 1.3])
@pytest.mark.parametrize("B", [1, 3])
def test_closed_form_identity_orthogonal(s, B):
    H, T = 6, 12
    rng = np.random.default_rng(4)
    Q, R = np.linalg.qr(rng.standard_normal((H, H)))
    Q = Q * np.sign(np.diag(R))
    net = Network.create("rnn", 2, H, 3, activation="identity", seed=1)
    p = dict(net.params)
    p["weight_hh_l0"] = s * Q
    net = net.with_params(p)
    x = rng.standard_normal((T, B, 2))
    y = rng.standard_normal((T, B, 3))
    r = simulate(net, x, y, score="last")
    dist = T - 1 - np.arange(T)
    np.testing.assert_allclose(r.grad_norms, s**dist * r.grad_norms[-1], rtol=1e-12)
    np.testing.assert_allclose(r.jacobian_norms, s**dist, rtol=1e-12)
    np.testing.assert_allclose(r.step_jacobian_norms[1:], s, rtol=1e-12)
    np.testing.assert_allclose(r.pascanu_bound, s**dist, rtol=1e-12)
    assert r.growth_factor == pytest.approx(s, rel=1e-9)
    assert r.verdict == {0.5: "vanishing", 1.0: "stable", 1.3: "exploding"}[s]
    assert r.spectral_radius["W_hh"] == pytest.approx(s, rel=1e-12)
    assert r.sigma_max["W_hh"] == pytest.approx(s, rel=1e-12)
    np.testing.assert_allclose(np.abs(r.eigenvalues["W_hh"]), s, rtol=1e-12)


def test_closed_form_through_the_config():
    """The same law through Config (orthogonal init, wrec = s): the knob the lecture turns."""
    for s in (0.8, 1.2):
        r = run(Config(cell="rnn", activation="identity", hidden=8, steps=30, wrec=s, init="orthogonal"))
        dist = 29 - np.arange(30)
        np.testing.assert_allclose(r.jacobian_norms, s**dist, rtol=1e-11)
        np.testing.assert_allclose(r.grad_norms, s**dist * r.grad_norms[-1], rtol=1e-11)


def test_tiny_gradients_survive_on_a_log_axis():
    """float64 and a scaled norm: a gradient far below float32's range (and below 1e-154) is not 0."""
    H, T, s = 4, 200, 0.1
    net = Network.create("rnn", 1, H, 1, activation="identity", init="orthogonal", seed=0)
    p = dict(net.params)
    p["weight_hh_l0"] = s * np.eye(H)
    net = net.with_params(p)
    x = np.ones((T, 1, 1))
    r = simulate(net, x, np.zeros((T, 1, 1)), score="last")
    want = s ** (T - 1 - np.arange(T)) * r.grad_norms[-1]
    ok = want > 1e-300
    np.testing.assert_allclose(r.grad_norms[ok], want[ok], rtol=1e-10)
    assert r.grad_norms[0] < 1e-190
    np.testing.assert_allclose(r.jacobian_norms[ok], (s ** (T - 1 - np.arange(T)))[ok], rtol=1e-10)


# ---- the bound of Pascanu et al. --------------------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("wrec", [0.5, 1.0, 3.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_pascanu_bound_holds(activation, wrec, seed):
    net = Network.create("rnn", 3, 10, 2, activation=activation, init="normal", sigma=0.5, wrec=wrec, seed=seed)
    rng = np.random.default_rng(seed)
    r = simulate(net, rng.standard_normal((40, 2, 3)), rng.standard_normal((40, 2, 2)))
    assert np.all(r.jacobian_norms <= r.pascanu_bound * (1 + 1e-9))
    gamma = {"tanh": 1.0, "sigmoid": 0.25}[activation]
    assert np.all(r.step_jacobian_norms <= gamma * r.sigma_max["W_hh"] * (1 + 1e-9))
    dist = 39 - np.arange(40)
    np.testing.assert_allclose(r.pascanu_bound, (gamma * np.linalg.norm(net.params["weight_hh_l0"], 2)) ** dist)


def test_pascanu_bound_is_for_rnn_and_esn_only():
    for cell in ("lstm", "gru"):
        r = run(Config(cell=cell, hidden=4, steps=5))
        assert r.pascanu_bound is None
    r = run(Config(cell="esn", hidden=4, steps=5, leak=0.5))
    assert np.all(r.jacobian_norms <= r.pascanu_bound * (1 + 1e-9))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "identity"])
@pytest.mark.parametrize("leak", [0.1, 0.3, 0.7, 1.0])
@pytest.mark.parametrize("wrec", [0.9, 1.5])
def test_leaky_pascanu_bound_holds(activation, leak, wrec):
    """A leaky ESN: one step back is (1 - a) I + a diag(phi') W_hh, bounded by (1 - a) + a gamma sigma_max.

    The plain gamma sigma_max is no bound for it: at Wrec 0.9 and leak 0.3 the steps measure 0.97 > 0.9.
    """
    net = Network.create("esn", 3, 10, 2, activation=activation, init="normal", sigma=0.5, wrec=wrec, leak=leak, seed=2)
    rng = np.random.default_rng(3)
    r = simulate(net, 0.5 * rng.standard_normal((40, 2, 3)), rng.standard_normal((40, 2, 2)))
    gamma = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "identity": 1.0}[activation]
    smax = np.linalg.norm(net.params["weight_hh_l0"], 2)
    per_step = (1 - leak) + leak * gamma * smax
    assert r.step_bound == pytest.approx(per_step, rel=1e-12)
    dist = 39 - np.arange(40)
    np.testing.assert_allclose(r.pascanu_bound, per_step**dist, rtol=1e-12)
    ok = np.isfinite(r.jacobian_norms)
    assert ok.all()
    assert np.all(r.jacobian_norms <= r.pascanu_bound * (1 + 1e-9))
    assert np.all(r.step_jacobian_norms[1:] <= per_step * (1 + 1e-9))


def test_leaky_bound_is_needed():
    """The review's case (ESN, Wrec 0.9, leak 0.3): measured steps above gamma sigma_max, below the leaky bound."""
    r = run(Config(cell="esn", steps=30, wrec=0.9, leak=0.3, topology="many_to_many"))
    plain = r.net.gamma * r.sigma_max["W_hh"]
    assert r.step_jacobian_norms[1:].max() > plain
    assert r.step_bound == pytest.approx(0.7 + 0.3 * plain, rel=1e-12)
    assert np.all(r.step_jacobian_norms[1:] <= r.step_bound * (1 + 1e-12))
    assert np.all(r.jacobian_norms <= r.pascanu_bound * (1 + 1e-9))
    assert run(Config(cell="lstm", steps=5)).step_bound is None


# ---- overflow is data -------------------------------------------------------------------------


def test_overflow_is_recorded_not_raised():
    r = run(Config(cell="rnn", activation="identity", hidden=8, steps=1000, wrec=10.0, init="orthogonal"))
    assert r.nonfinite is not None
    assert r.nonfinite.phase == "forward"
    t = r.nonfinite.step
    h = r.hidden_states[-1]
    assert np.all(np.isfinite(h[:t])) and not np.all(np.isfinite(h[t]))
    assert "t = " in r.nonfinite.message()
    # every diagnostic still answers
    assert r.jacobian_norms.shape == (1000,)
    assert r.step_jacobian_norms.shape == (1000,)
    assert r.verdict == "exploding"
    assert r.pascanu_bound.shape == (1000,)
    assert r.eigenvalues["W_hh"].shape == (8,)
    assert r.grad_norms.shape == (1000,)


def test_backward_overflow_is_recorded():
    """Finite states, exploding gradient: recorded in the backward phase at the first step it appears."""
    net = Network.create("rnn", 1, 4, 1, activation="identity", init="orthogonal", wrec=10.0, seed=0)
    T = 400
    x = np.zeros((T, 1, 1))
    x[-1] = 1.0
    r = simulate(net, x, np.ones((T, 1, 1)), score="last")
    assert r.nonfinite is not None and r.nonfinite.phase == "backward"
    assert np.all(np.isfinite(r.grad_norms[r.nonfinite.step + 1 :]))
    assert not np.isfinite(r.grad_norms[r.nonfinite.step])
    assert r.verdict == "exploding"


@pytest.mark.parametrize("cell", ["lstm", "gru", "esn"])
def test_large_weights_never_raise(cell):
    net = Network.create(cell, 2, 6, 2, init="normal", sigma=50.0, seed=0, leak=0.5 if cell == "esn" else 1.0)
    rng = np.random.default_rng(0)
    r = simulate(net, 100 * rng.standard_normal((50, 2, 2)), rng.standard_normal((50, 2, 2)))
    for value in (r.jacobian_norms, r.step_jacobian_norms, r.grad_norms, r.verdict, r.eigenvalues):
        assert value is not None


def test_vanishing_verdict_for_a_small_wrec():
    r = run(Config(cell="rnn", hidden=16, steps=50, wrec=0.5, init="orthogonal"))
    assert r.verdict == "vanishing" and r.growth_factor < 0.6


def test_lstm_products_and_gate_traces():
    r = run(Config(cell="lstm", hidden=5, steps=8, batch=2))
    gates = r.gates()
    assert set(gates) == {"i", "f", "g", "o"}
    assert all(g.shape == (8, 2, 5) for g in gates.values())
    assert r.cell_grad_norms.shape == (1, 8)
    assert r.cell_states[0].shape == (8, 2, 5)
    g = run(Config(cell="gru", hidden=5, steps=8)).gates()
    assert set(g) == {"r", "z", "n"}


# ---- spectral norms: exact enough on the hard cases ------------------------------------------


def hard_matrices():
    """Stacks of matrices on which an iterative spectral norm has to work for its answer."""
    rng = np.random.default_rng(0)
    n = 16
    out = {}
    U, _ = np.linalg.qr(rng.standard_normal((n, n)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))

    def with_singular_values(s):
        return (U * s) @ V.T

    out["clustered"] = np.stack(
        [with_singular_values(np.r_[1.0, 1.0 - d, 1.0 - 2 * d, np.linspace(0.5, 0.1, n - 3)]) for d in (1e-3, 1e-8)]
    )
    out["dense top"] = with_singular_values(np.linspace(1.0, 0.9, n))[None]
    out["equal"] = np.stack([with_singular_values(np.ones(n)), 3.0 * np.eye(n)])
    out["rank one"] = np.outer(rng.standard_normal(n), rng.standard_normal(n))[None]
    s = np.zeros(n)
    s[:3] = [2.0, 1.0, 0.5]
    out["rank deficient"] = with_singular_values(s)[None]
    out["zero"] = np.zeros((2, n, n))
    out["huge"] = 1e250 * rng.standard_normal((3, n, n))
    out["tiny"] = 1e-250 * rng.standard_normal((3, n, n))
    out["subnormal"] = 1e-310 * rng.standard_normal((1, n, n))
    out["random"] = rng.standard_normal((50, n, n))
    out["rectangular"] = rng.standard_normal((4, n, 5))
    out["one by one"] = np.array([[[-3.0]], [[0.0]], [[2e-300]]])
    out["nilpotent"] = np.triu(rng.standard_normal((3, n, n)), 1)
    out["products"] = np.stack([np.linalg.matrix_power(rng.standard_normal((n, n)) / 4.0, k) for k in range(1, 30)])
    return out


@pytest.mark.parametrize("name", list(hard_matrices()))
def test_spectral_norms_match_numpy(name):
    M = hard_matrices()[name]
    got = spectral_norms(M)
    want = np.array([np.linalg.norm(m, 2) for m in M])
    assert got.shape == M.shape[:-2]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=0)


def test_spectral_norms_of_non_finite_matrices():
    M = np.random.default_rng(0).standard_normal((4, 5, 5))
    M[1, 2, 3] = np.inf
    M[2, 0, 0] = np.nan
    got = spectral_norms(M)
    assert np.isinf(got[1]) and np.isinf(got[2])
    assert got[0] == pytest.approx(np.linalg.norm(M[0], 2), rel=1e-12)
    assert got[3] == pytest.approx(np.linalg.norm(M[3], 2), rel=1e-12)
    assert spectral_norms(np.zeros((0, 3, 3))).shape == (0,)
    assert spectral_norms(np.eye(3)).shape == ()


def test_power_iteration_certificate_is_exact_where_it_answers():
    """The cheap path answers only with a certificate; where it does, it agrees with LAPACK to 1e-9."""
    from simulator.spectral import exact_norms, power_norms

    r = run(Config(cell="lstm", hidden=16, steps=60, init="uniform"))
    P = np.ascontiguousarray(r.jacobian_products) / np.abs(r.jacobian_products).max(axis=(1, 2))[:, None, None]
    cheap, left = power_norms(P, steps=30)
    answered = ~np.isnan(cheap)
    assert answered.sum() >= 10  # the path is exercised
    np.testing.assert_allclose(cheap[answered], exact_norms(P[answered]), rtol=1e-9)
    # the left subspaces it hands back are orthonormal, their first column a top left singular
    # vector: ||P^T u|| = sigma_max
    assert np.isnan(left[~answered]).all()
    U = left[answered]
    k = U.shape[2]
    gram = np.matmul(U.transpose(0, 2, 1), U)
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(k), (len(U), k, k)), atol=1e-12)
    reached = np.linalg.norm(np.einsum("kij,ki->kj", P[answered], U[:, :, 0]), axis=1)
    np.testing.assert_allclose(reached, cheap[answered], rtol=1e-9)
    # a bad start vector costs steps, never accuracy
    bad_start = np.zeros((len(P), 16))
    bad_start[:, 0] = 1.0
    np.testing.assert_allclose(spectral_norms(P, bad_start), spectral_norms(P), rtol=1e-10)
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((16, 16)))
    clustered = np.stack([(Q * np.r_[1.0, 1.0 - 1e-9, np.full(14, 0.5)]) @ Q.T] * 4)
    np.testing.assert_allclose(spectral_norms(clustered), 1.0, rtol=1e-9)


# ---- long traces: the chunked products and their norms ------------------------------------------


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("seed", [0, 6])
@pytest.mark.parametrize("power", [True, False])
def test_chunked_jacobian_norms_match_lapack_on_long_traces(cell, seed, power, monkeypatch):
    """T spans several chunks: the warm-started block power iteration, its LAPACK fallbacks on the
    pool thread and the chain that makes the products a chunk at a time agree with numpy (and so
    does the all-LAPACK path of small hidden sizes)."""
    import simulator.result as result_module

    monkeypatch.setattr(result_module, "POWER_FROM", 1 if power else 10**6)
    T = 3 * result_module.PRODUCT_CHUNK + 7
    net = Network.create(cell, 3, 12, 2, seed=seed)
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((T, 1, 3)), rng.standard_normal((T, 1, 2))
    norms = simulate(net, x, y).jacobian_norms  # made chunk by chunk, never as one (T, H, H) array
    r = simulate(net, x, y)
    P = r.jacobian_products
    np.testing.assert_allclose(P, r._generic_products(), rtol=1e-10, atol=1e-300)
    want = np.array([np.linalg.norm(p, 2) for p in P])
    np.testing.assert_allclose(norms, want, rtol=1e-9, atol=0)
    np.testing.assert_allclose(r.jacobian_norms, want, rtol=1e-9, atol=0)  # from the products already made


@pytest.mark.parametrize("cell", ["rnn", "lstm", "esn"])
def test_diagnose_computes_what_the_window_shows(cell):
    """diagnose() fills in every diagnostic in SHOWN, with the values first access would give."""
    net = Network.create(cell, 2, 8, 2, seed=4)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 1, 2)), rng.standard_normal((40, 1, 2))
    r = simulate(net, x, y)
    assert r.diagnose() is r
    assert set(r.SHOWN) <= set(r.__dict__)
    assert "step_jacobian_norms" not in r.__dict__  # nothing on screen reads it
    fresh = simulate(net, x, y)
    for name in r.SHOWN:
        a, b = getattr(r, name), getattr(fresh, name)
        if isinstance(a, dict):
            assert a.keys() == b.keys()
            for k in a:
                np.testing.assert_array_equal(a[k], b[k])
        elif a is None:
            assert b is None
        else:
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "f, T, want",
    [
        (0.5, 3, "vanishing"),  # fast per step, even over a short sequence
        (0.95, 10, "stable"),  # x0.63 over the sequence
        (0.95, 100, "vanishing"),  # x0.006 over the sequence
        (0.91, 30, "vanishing"),  # x0.065
        (1.02, 50, "stable"),  # x2.6
        (1.05, 100, "exploding"),  # x130
        (1.2, 3, "exploding"),
        (1.0, 500, "stable"),
        (10.0, 400, "exploding"),  # 10^399 overflows a float: the verdict must not raise
        (1e-3, 400, "vanishing"),
    ],
)
def test_verdict_judges_the_step_and_the_whole_sequence(f, T, want):
    net = Network.create("rnn", 1, 2, 1, seed=0)
    rng = np.random.default_rng(0)
    r = simulate(net, rng.standard_normal((T, 1, 1)), rng.standard_normal((T, 1, 1)))
    r.__dict__["growth_factor"] = f  # the fitted factor, as if measured
    assert r.verdict == want


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_wrec_change_reuses_the_initial_spectrum_exactly_enough(cell, monkeypatch):
    """A Wrec change scales each W_hh block: its eigenvalues and sigma_max come from the initial
    block's, scaled, without solving an eigenproblem again, and agree with LAPACK's."""
    base = Config(cell=cell, hidden=12, steps=15, seed=11)
    _ = run(base.replace(wrec=0.7)).eigenvalues  # the initial spectra are now known
    calls = []
    real = np.linalg.eigvals
    monkeypatch.setattr(np.linalg, "eigvals", lambda W: calls.append(1) or real(W))
    for wrec in (0.37, 1.0, 2.45):
        r = run(base.replace(wrec=wrec))
        eig, smax, rho = r.eigenvalues, r.sigma_max, r.spectral_radius
        assert not calls
        for name, W in r.net.recurrent_blocks().items():
            want = real(W)
            np.testing.assert_allclose(np.sort_complex(eig[name]), np.sort_complex(want), rtol=1e-12, atol=1e-14)
            assert smax[name] == pytest.approx(np.linalg.norm(W, 2), rel=1e-12)
            assert rho[name] == pytest.approx(wrec, rel=1e-12)


@pytest.mark.parametrize("hidden", [8, 64])
def test_diagnose_in_the_background_gives_the_same_numbers(hidden):
    """diagnose(wait=False) returns at once; reading a diagnostic waits for the pool thread."""
    net = Network.create("lstm", 2, hidden, 2, seed=5)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((70, 1, 2)), rng.standard_normal((70, 1, 2))
    r = simulate(net, x, y).diagnose(wait=False)
    fresh = simulate(net, x, y)
    np.testing.assert_array_equal(r.jacobian_norms, fresh.jacobian_norms)
    assert r.verdict == fresh.verdict
    assert r.diagnose() is r  # nothing left to do, and no second computation
    broken = simulate(net, x, y)
    broken.caches = None  # the background job fails on this
    broken.diagnose(wait=False)
    with pytest.raises(TypeError):
        _ = broken.jacobian_norms  # the pool thread's error reaches the reader


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_a_cancelled_background_job_cancels_its_chunks_and_the_norms_are_still_exact(cell, monkeypatch):
    """A small network's norms go to the pool thread a chunk at a time; a drag that moved on cancels
    the job, and with it every chunk not yet begun (none of them runs for nothing); reading the
    norms afterwards computes them here, equal to a fresh trace's."""
    import threading

    import simulator.result as result_module
    from simulator.config import Config
    from simulator.spectral import on_pool, pool

    config = Config(cell=cell, steps=100, hidden=16, wrec=1.1)
    on_the_pool = []

    def spying(measured):
        def spy(*args, **kwargs):
            if on_pool():
                on_the_pool.append(args[0].shape)
            return measured(*args, **kwargs)

        return spy

    for name in ("spectral_norms", "exact_norms"):  # (a plain chunk goes straight to LAPACK)
        monkeypatch.setattr(result_module, name, spying(getattr(result_module, name)))
    gate = threading.Event()
    blocker = pool().submit(gate.wait, 10)  # the pool thread is busy: nothing queued after it begins
    try:
        r = run(config).diagnose(wait=False)
        job = r.background
        assert r.cancel_background() and job.cancelled()
    finally:
        gate.set()
        blocker.result()
    ran = []
    pool().submit(ran.append, 1).result()  # everything queued before this has run or been dropped
    assert ran == [1] and "jacobian_norms" not in r.__dict__
    assert on_the_pool == []  # no chunk was measured for nothing
    fresh = run(config).diagnose(wait=False)
    _ = fresh.jacobian_norms
    assert len(on_the_pool) > 2  # (the spy sees the chunks when they are not cancelled)
    np.testing.assert_array_equal(r.jacobian_norms, run(config).jacobian_norms)


@pytest.mark.parametrize("s", [0.8, 1.0, 1.2])
def test_gradient_factor_closed_form(s):
    """Identity activation, orthogonal W_hh scaled by s, one loss at the last step: going back t steps
    multiplies dL/dh by (s·Q)^T, so ||dL/dh_t|| = s^(T-1-t) ||dL/dh_{T-1}|| and the fitted factor is s."""
    r = run(Config(cell="rnn", activation="identity", hidden=8, steps=30, wrec=s, init="orthogonal"))
    assert r.score == "last"
    dist = 29 - np.arange(30)
    np.testing.assert_allclose(r.grad_norms, r.grad_norms[-1] * s**dist, rtol=1e-10)
    assert r.gradient_factor == pytest.approx(s, rel=1e-9)


def test_gradient_factor_needs_a_single_loss_and_skips_steps_truncation_leaves_out():
    every = run(Config(cell="rnn", steps=20, topology="many_to_many"))
    assert np.isnan(every.gradient_factor)  # a loss at every step: a sum of paths, no single factor
    full = run(Config(cell="rnn", activation="identity", hidden=8, steps=30, wrec=0.9, init="orthogonal"))
    cut = run(Config(cell="rnn", activation="identity", hidden=8, steps=30, wrec=0.9, init="orthogonal", truncate=10))
    assert (cut.grad_norms[:20] == 0).all()  # beyond the window: no gradient at all
    assert cut.gradient_factor == pytest.approx(0.9, rel=1e-9) == full.gradient_factor


@pytest.mark.parametrize(
    ("f", "T", "verdict"),
    [
        (0.85, 3, "vanishing"),  # below 0.9 a step
        (0.95, 100, "vanishing"),  # 0.95^99 = 0.006: a factor of 160 over the sequence
        (0.95, 10, "stable"),  # 0.95^9 = 0.63
        (1.05, 10, "stable"),
        (1.05, 100, "exploding"),
        (1.2, 3, "exploding"),
        (float("nan"), 10, "undetermined"),
        (0.5, 1, "undetermined"),  # one step: no step back to measure
    ],
)
def test_verdict_of_a_factor(f, T, verdict):
    from simulator.result import verdict_of

    assert verdict_of(f, T) == verdict


def test_the_gradient_has_its_own_verdict_only_with_one_loss():
    one = run(Config(wrec=0.5, steps=30))
    assert one.gradient_verdict == "vanishing" and one.gradient_factor < 0.9
    every = run(Config(wrec=0.5, steps=30, topology="many_to_many"))
    assert np.isnan(every.gradient_factor) and every.gradient_verdict == "undetermined"


def test_each_steps_own_loss_gradient_is_what_bptt_adds_at_that_step():
    """dL/dh_t = dl_t/dh_t + J_{t+1}^T dL/dh_{t+1}: the remainder of that recursion is loss_grad_norms."""
    r = run(Config(steps=12, hidden=6, topology="many_to_many", wrec=1.3, batch=1))
    dh = r.dh[-1][:, 0]  # (T, H), the one example
    J = r.step_jacobians  # (T, H, H): dh_t/dh_{t-1}
    own = np.array([dh[t] - (J[t + 1].T @ dh[t + 1] if t + 1 < r.T else 0.0) for t in range(r.T)])
    np.testing.assert_allclose(np.linalg.norm(own, axis=1), r.loss_grad_norms, rtol=1e-9, atol=1e-15)
    one = run(Config(steps=12, hidden=6, wrec=1.3))
    assert np.all(one.loss_grad_norms[:-1] == 0) and one.loss_grad_norms[-1] == one.grad_norms[-1]


@pytest.mark.parametrize(
    "changes",
    [
        dict(),
        dict(topology="many_to_many"),
        dict(topology="one_to_many", wrec=1.6),
        dict(topology="many_to_many", truncate=4, wrec=1.4),
        dict(topology="many_to_many", layers=3, batch=4, activation="relu", wrec=1.2),
        dict(cell="esn", topology="many_to_many", leak=0.3, wrec=2.0),
        dict(topology="many_to_many", activation="sigmoid", wrec=3.0),
    ],
)
def test_the_gradient_bound_holds_at_every_step(changes):
    """||dL/dh_t|| <= sum_{k>=t} s^(k-t) ||dl_k/dh_k||; with one loss it is Pascanu's closed form, bit for bit."""
    r = run(Config(steps=30, **changes))
    b = r.gradient_bound
    assert np.all(r.grad_norms <= b * (1 + 1e-12))
    if r.score == "last":
        np.testing.assert_array_equal(b, r.grad_norms[-1] * r.pascanu_bound)
    else:
        s, n = r.step_bound, r.loss_grad_norms
        np.testing.assert_allclose(b, [sum(n[k] * s ** (k - t) for k in range(t, r.T)) for t in range(r.T)], rtol=1e-12)
    assert run(Config(cell="lstm", topology="many_to_many")).gradient_bound is None  # gates: no such bound


def test_a_plain_stack_gets_the_same_norms_from_lapack_alone():
    """spectral.plain: a stack spectral_norms(steps=0) takes as it is; exact_norms then gives its
    numbers bit for bit (the pool thread measures plain chunks so, in two calls without the GIL).
    Stacks with a NaN or inf, a zero matrix, or entries that would need rescaling are not plain."""
    from simulator.spectral import exact_norms, plain, spectral_norms

    rng = np.random.default_rng(7)
    P = rng.standard_normal((33, 16, 16)) * np.logspace(-30, 30, 33)[:, None, None]
    assert plain(P)
    np.testing.assert_array_equal(exact_norms(P), spectral_norms(P, steps=0))
    for bad in (np.inf, np.nan, 0.0, 1e-200, 1e200):
        Q = P.copy()
        Q[5] = bad if bad in (0.0, 1e-200, 1e200) else Q[5]
        if bad in (np.inf, np.nan):
            Q[5, 3, 4] = bad
        assert not plain(Q), bad
    assert not plain(P[:, :1, :]) and not plain(P[:0])  # a row each (their own path), an empty stack


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("wrec", [0.5, 1.0, 3.0])
def test_the_pool_threads_chunked_norms_equal_a_fresh_traces_to_the_last_bit(cell, wrec):
    from simulator.config import Config

    config = Config(cell=cell, steps=100, hidden=16, wrec=wrec, activation="relu" if wrec == 3.0 else "tanh")
    r = run(config).diagnose(wait=False)
    r.background.result()
    np.testing.assert_array_equal(r.jacobian_norms, run(config).jacobian_norms)


def test_an_overflow_message_leaves_out_layer_1_of_a_single_layer():
    """Lesson 5 said 'h_t of layer 1 (unit 2 of 16)' for a network of one layer, where the banner said 'h_t'."""
    one = run(Config(activation="relu", wrec=3.0, steps=1000))  # h overflows in the forward pass
    two = run(Config(activation="relu", wrec=3.0, steps=1000, layers=2))
    assert one.nonfinite is not None and two.nonfinite is not None
    assert "layer" not in one.nonfinite.message(1) and "of layer 1" in one.nonfinite.message()
    assert " of layer " in two.nonfinite.message(2)


def test_a_loss_that_overflows_is_named_before_the_gradient_it_makes():
    """identity, Wrec 3, T = 400: y_399 is finite (about 1e160) but its squared error is not, so the loss
    term is the first value that overflows (at the end of the forward pass). The banner named the
    backward pass's dL/dh_t at t = 146 instead, while the diagram showed loss = inf at t = 399."""
    r = run(Config(activation="identity", wrec=3.0, steps=400))
    assert np.isfinite(r.outputs).all() and not np.isfinite(r.loss_terms[-1])
    nf = r.nonfinite
    assert (nf.step, nf.phase, nf.quantity) == (399, "forward", "the loss term ℓ_t")
    assert nf.message(1) == "the loss term ℓ_t became infinite or NaN at step t = 399 during the forward pass"
