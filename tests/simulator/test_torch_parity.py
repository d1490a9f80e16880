"""Parity with PyTorch (float64): a torch model's state_dict opens unchanged and gives the same numbers.

Skipped when torch is not installed (`pip install torch==2.13.0` gives a CPU build).
"""

import numpy as np
import pytest

import simulator

torch = pytest.importorskip("torch")

TORCH_CELLS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def torch_model(cell, nonlinearity, inputs, hidden, outputs, layers, seed):
    """A float64 torch recurrent stack and a nn.Linear readout, with PyTorch's default init."""
    torch.manual_seed(seed)
    kw = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    rec = getattr(torch.nn, TORCH_CELLS[cell])(inputs, hidden, num_layers=layers, **kw).double()
    lin = torch.nn.Linear(hidden, outputs).double()
    return rec, lin


def save_state_dict(path, rec, lin):
    """Exactly what a PyTorch user would do: np.savez of the state_dict arrays."""
    arrays = {k: v.detach().numpy() for k, v in rec.state_dict().items()}
    arrays.update({f"readout.{k}": v.detach().numpy() for k, v in lin.state_dict().items()})
    np.savez(path, **arrays)


def rel(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(b), 1e-300)


@pytest.mark.parametrize(
    "cell, nonlinearity",
    [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")],
)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("loss, score", [("mse", "all"), ("mse", "last"), ("cross_entropy", "all")])
def test_outputs_and_gradients_match_torch(tmp_path, cell, nonlinearity, layers, loss, score):
    T, B, inputs, hidden, outputs = 7, 3, 4, 5, 3
    rec, lin = torch_model(cell, nonlinearity, inputs, hidden, outputs, layers, seed=layers)
    path = tmp_path / "model.npz"
    save_state_dict(path, rec, lin)
    net = simulator.Network.from_npz(path, activation=nonlinearity)
    assert net.cell == cell and net.layers == layers and net.hidden == hidden

    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, inputs))
    if loss == "mse":
        targets = rng.standard_normal((T, B, outputs))
    else:
        targets = rng.integers(0, outputs, (T, B))
    r = simulator.simulate(net, x, targets, loss=loss, score=score)

    xt = torch.tensor(x)
    out, _ = rec(xt)
    y = lin(out)
    yt = torch.tensor(targets)
    scored = slice(None) if score == "all" else slice(T - 1, T)
    if loss == "mse":
        L = torch.nn.functional.mse_loss(y[scored], yt[scored])
    else:
        L = torch.nn.functional.cross_entropy(y[scored].reshape(-1, outputs), yt[scored].reshape(-1))
    L.backward()

    assert rel(r.outputs, y.detach().numpy()) < 1e-12
    assert rel(r.hidden_states[-1], out.detach().numpy()) < 1e-12
    assert r.loss == pytest.approx(L.item(), rel=1e-12)
    named = dict(rec.named_parameters()) | {f"readout.{k}": v for k, v in lin.named_parameters()}
    assert set(r.grads) == set(named)
    for name, p in named.items():
        assert rel(r.grads[name], p.grad.numpy()) < 1e-9, name


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_initial_state_and_hidden_gradients_match_torch(tmp_path, cell):
    """h0 / c0 are honoured, and dL/dh_t of the top layer is torch's gradient on the output sequence."""
    T, B, inputs, hidden, outputs, layers = 6, 2, 3, 4, 2, 2
    rec, lin = torch_model(cell, "tanh", inputs, hidden, outputs, layers, seed=5)
    path = tmp_path / "m.npz"
    save_state_dict(path, rec, lin)
    net = simulator.Network.from_npz(path)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((T, B, inputs))
    targets = rng.standard_normal((T, B, outputs))
    h0 = rng.standard_normal((layers, B, hidden))
    c0 = rng.standard_normal((layers, B, hidden))
    r = simulator.simulate(net, x, targets, h0=list(h0), c0=list(c0) if cell == "lstm" else None)

    state = (torch.tensor(h0), torch.tensor(c0)) if cell == "lstm" else torch.tensor(h0)
    out, _ = rec(torch.tensor(x), state)
    out.retain_grad()
    L = torch.nn.functional.mse_loss(lin(out), torch.tensor(targets))
    L.backward()
    assert r.loss == pytest.approx(L.item(), rel=1e-12)
    # torch's out.grad is the gradient from the readout only; ours adds what comes from the future
    # of the same layer, so compare at the last step, where nothing comes from the future
    assert rel(r.dh[-1][-1], out.grad.numpy()[-1]) < 1e-12
    for name, p in rec.named_parameters():
        assert rel(r.grads[name], p.grad.numpy()) < 1e-9, name


def test_torch_rnn_cell_reference_for_the_total_step_gradient(tmp_path):
    """The total dL/dh_t (loss at t + the future) equals torch's gradient on a per-step unrolled h_t."""
    T, B, inputs, hidden, outputs = 5, 2, 3, 4, 2
    rec, lin = torch_model("rnn", "tanh", inputs, hidden, outputs, 1, seed=3)
    path = tmp_path / "m.npz"
    save_state_dict(path, rec, lin)
    net = simulator.Network.from_npz(path)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((T, B, inputs))
    targets = rng.standard_normal((T, B, outputs))
    r = simulator.simulate(net, x, targets)

    cell = torch.nn.RNNCell(inputs, hidden).double()
    with torch.no_grad():
        cell.weight_ih.copy_(rec.weight_ih_l0)
        cell.weight_hh.copy_(rec.weight_hh_l0)
        cell.bias_ih.copy_(rec.bias_ih_l0)
        cell.bias_hh.copy_(rec.bias_hh_l0)
    h = torch.zeros(B, hidden, dtype=torch.float64)
    hs = []
    for t in range(T):
        h = cell(torch.tensor(x[t]), h)
        h.retain_grad()
        hs.append(h)
    L = torch.nn.functional.mse_loss(lin(torch.stack(hs)), torch.tensor(targets))
    L.backward()
    for t in range(T):
        assert rel(r.dh[0][t], hs[t].grad.numpy()) < 1e-12
