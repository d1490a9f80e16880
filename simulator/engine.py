"""simulate(): the forward pass and backpropagation through time, once, into a frozen Result.

Read it top to bottom: validate, forward through the layers, the loss and its gradient at the
readout, then BPTT layer by layer from the top, then the parameter gradients in one matrix
product each, then the remedies (penalty, clipping).
"""

from __future__ import annotations

import numpy as np

from .network import Network
from .result import NonFinite, Result, first_nonfinite_unit

LOSSES = ("mse", "cross_entropy")
MAX_STEPS = 100_000
MAX_BYTES = 2_000_000_000  # refuse a trace that would not fit in about 2 GB


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def _all_finite(arr: np.ndarray) -> bool:
    """True when arr holds no NaN or infinity (one fast pass: a sum is finite only if every term is)."""
    with np.errstate(all="ignore"):
        if np.isfinite(np.add.reduce(arr, axis=None)):
            return True
    return bool(np.isfinite(arr).all())  # the sum may also overflow on finite values


def _as_float_array(name: str, value, ndim: int | None, shape_text: str) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be an array of shape {shape_text}: {exc}") from None
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"{name} must hold real numbers, shape {shape_text}; got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have shape {shape_text}; got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not _all_finite(arr):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} contains NaN or infinity (first at index {tuple(int(i) for i in bad)})")
    return arr


def validate_inputs(net: Network, x, targets, loss: str, score: str):
    """Check x and targets against the network; return them as float64 / int arrays."""
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}; got {loss!r}")
    if not isinstance(score, str) or score not in ("all", "last"):
        raise ValueError(f"score must be 'all' or 'last'; got {score!r}")
    x = _as_float_array("x", x, 3, f"(T, B, {net.inputs})")
    T, B, I = x.shape
    if T < 1 or B < 1:
        raise ValueError(f"x must have at least one step and one example, shape (T, B, {net.inputs}); got {x.shape}")
    if I != net.inputs:
        raise ValueError(
            f"x has {I} input features per step; the network expects {net.inputs} (shape (T, B, {net.inputs}))"
        )
    if T > MAX_STEPS:
        raise ValueError(f"sequence length T = {T} is more than {MAX_STEPS} steps")
    G = net.params["weight_hh_l0"].shape[0]
    nbytes = 8 * T * B * (3 * G + 4 * net.hidden) * net.layers
    if nbytes > MAX_BYTES:
        raise ValueError(
            f"T = {T}, batch = {B}, hidden = {net.hidden}, layers = {net.layers} would need about "
            f"{nbytes / 1e9:.1f} GB for the trace; use a shorter sequence, a smaller batch or fewer units"
        )
    O = net.outputs
    if loss == "mse":
        want = f"(T, B, {O}) = ({T}, {B}, {O})"
        targets = _as_float_array("targets", targets, None, want)
        if score == "last" and targets.shape == (B, O):
            full = np.zeros((T, B, O))
            full[-1] = targets
            targets = full
        if targets.shape != (T, B, O):
            raise ValueError(f"targets must have shape {want}; got {targets.shape}")
    else:
        want = f"(T, B) = ({T}, {B}) class indices"
        try:
            arr = np.asarray(targets)
        except Exception:
            raise ValueError(f"cross_entropy targets must be whole class indices of shape {want}") from None
        whole = arr.dtype.kind in "iu" or (arr.dtype.kind == "f" and bool(np.all(arr == np.round(arr))))
        if not whole:
            raise ValueError(f"cross_entropy targets must be whole class indices of shape {want}")
        if score == "last" and arr.shape == (B,):
            arr = np.broadcast_to(arr, (T, B))
        if arr.shape != (T, B):
            raise ValueError(f"cross_entropy targets must have shape {want}; got {arr.shape}")
        if arr.size and (arr.min() < 0 or arr.max() >= O):
            raise ValueError(
                f"class indices must be between 0 and {O - 1} (outputs = {O}); got {arr.min()}..{arr.max()}"
            )
        targets = arr.astype(np.int64)
    return x, targets


def loss_and_grad(Y: np.ndarray, targets: np.ndarray, loss: str, score: str):
    """The mean loss over the scored steps, its per-step terms (T,) and dL/dY (T, B, O)."""
    T, B, O = Y.shape
    scored = np.zeros(T, dtype=bool)
    scored[:] = score == "all"
    scored[-1] = True
    if loss == "mse":
        n = scored.sum() * B * O  # torch.nn.MSELoss: mean over every scored element
        err = Y - targets
        if score == "all":
            terms = np.einsum("tbo,tbo->t", err, err) / n
            dY = err
            dY *= 2.0 / n
        else:
            terms = np.zeros(T)
            terms[-1] = (err[-1] * err[-1]).sum() / n
            dY = np.zeros_like(Y)
            dY[-1] = 2.0 * err[-1] / n
    else:
        n = scored.sum() * B  # torch.nn.CrossEntropyLoss: mean over scored (step, example)
        z = Y - Y.max(axis=-1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))  # log softmax
        picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]  # (T, B)
        terms = np.where(scored, -picked.sum(axis=1) / n, 0.0)
        p = np.exp(logp)
        np.put_along_axis(p, targets[..., None], np.take_along_axis(p, targets[..., None], -1) - 1.0, -1)
        dY = np.zeros_like(Y)
        dY[scored] = p[scored] / n  # softmax - one-hot
    return float(terms.sum()), terms, dY


def _first_nonfinite_step(arr: np.ndarray) -> int | None:
    """The first index along axis 0 where arr holds a NaN or infinity."""
    if _all_finite(arr):
        return None
    ok = np.isfinite(arr.reshape(arr.shape[0], -1)).all(axis=1)
    return None if ok.all() else int(np.argmin(ok))


def _flat(a: np.ndarray) -> np.ndarray:
    """(T, B, n) -> (T*B, n) without a copy."""
    return a.reshape(-1, a.shape[-1])


def _run_forward(net: Network, x: np.ndarray, h0=None, c0=None, dropout: float = 0.0, rng=None):
    """forward(), also handing back each layer's input-projection buffer for BPTT to reuse."""
    T, B, _ = x.shape
    H = net.hidden
    p = net.params
    caches, layer_inputs, masks, buffers = [], [], [], []
    layer_in = x
    for k, cell in enumerate(net.cells()):
        mask = None
        if k > 0 and dropout > 0.0:  # dropout between stacked layers, as torch.nn.LSTM(dropout=p)
            mask = (rng.random((T, B, H)) >= dropout) / (1.0 - dropout)
            layer_in = layer_in * mask
        masks.append(mask)
        layer_inputs.append(layer_in)
        W_ih, b_hh = p[f"weight_ih_l{k}"], p[f"bias_hh_l{k}"]
        xp = np.empty((T, B, W_ih.shape[0]))
        np.matmul(_flat(layer_in), W_ih.T, out=_flat(xp))  # (T, B, G): all steps at once
        bias = p[f"bias_ih_l{k}"] + b_hh
        if net.cell == "gru":
            bias[2 * H :] = p[f"bias_ih_l{k}"][2 * H :]  # b_hn stays inside the reset product
        xp += bias
        hk = np.zeros((B, H)) if h0 is None else h0[k]
        ck = np.zeros((B, H)) if c0 is None else c0[k]
        cache = cell.forward(xp, hk, ck, scratch=True)  # xp is ours: the cell may overwrite it
        caches.append(cache)
        buffers.append(xp)
        layer_in = cache["h"][1:]  # (T, B, H)
    R = p["readout.weight"]
    Y = np.empty((T, B, R.shape[0]))
    np.matmul(_flat(layer_in), R.T, out=_flat(Y))
    Y += p["readout.bias"]  # (T, B, O)
    return caches, layer_inputs, masks, Y, buffers


def forward(net: Network, x: np.ndarray, h0=None, c0=None, dropout: float = 0.0, rng=None):
    """Run the layers and the readout; returns (per-layer caches, per-layer inputs, dropout masks, Y)."""
    with np.errstate(all="ignore"):
        caches, layer_inputs, masks, Y, _ = _run_forward(net, x, h0, c0, dropout, rng)
    return caches, layer_inputs, masks, Y


def backward(net: Network, caches, layer_inputs, masks, dY: np.ndarray, truncate: int = 0, buffers=None):
    """BPTT. Returns (grads, dh per layer (T, B, H), dc per layer or None, carried per layer (T, B, H)).

    carried[k][t] is the gradient step t sends back to h_{t-1} of layer k through the recurrence
    (h_{-1}, the initial state, at t = 0): the part of dL/dh_{t-1} that crossed the recurrent edge,
    without the loss (or the layer above) at t-1. With truncation, what the windows still carry.

    Truncation (truncate = k > 0): the loss term at step t sends gradient back through steps
    t, t-1, ..., t-k+1 only, i.e. across at most k-1 recurrent edges, and no further. Each loss
    term is cut at its own window (Williams & Peng's BPTT(k, 1) for every t), so the result is
    exactly the gradient of sum_t L_t with every state older than t-k+1 held constant in L_t
    (in every layer). It is computed by carrying k "ages" of gradient at once; gradient moving
    down a layer keeps its age. truncate = 0 (or k >= T) is full BPTT.

    buffers: optional scratch arrays (T, B, G) per layer, overwritten (simulate passes the
    input projections, which the forward pass no longer needs).
    """
    T = dY.shape[0]
    if truncate == 0 or truncate >= T:
        if all(cell.fast_bptt for cell in net.cells()):
            return _backward_full(net, caches, layer_inputs, masks, dY, buffers)
        return _backward_ages(net, caches, layer_inputs, masks, dY, 0)
    return _backward_ages(net, caches, layer_inputs, masks, dY, truncate)


def _param_grads(net, k, grads, cache, X, dxp, dhp) -> None:
    """The gradients of layer k's weights from dL/d(x projection) and dL/d(h projection), (T, B, G).

    dxp may come as a list of column blocks (the GRU's), which is the same as their concatenation.
    """
    H = net.hidden
    ones = np.ones(_flat(dhp).shape[0])
    parts = dxp if isinstance(dxp, list) else [dxp]
    # each a sum over steps and batch in one matrix product
    grads[f"weight_ih_l{k}"] = np.concatenate([_flat(d).T @ _flat(X) for d in parts])
    grads[f"bias_ih_l{k}"] = np.concatenate([ones @ _flat(d) for d in parts])
    grads[f"weight_hh_l{k}"] = _flat(dhp).T @ _flat(cache["h"][:-1])
    grads[f"bias_hh_l{k}"] = grads[f"bias_ih_l{k}"] if dhp is dxp else ones @ _flat(dhp)
    if net.variant == "peephole":
        c = cache["c"]
        grads[f"peephole_l{k}"] = np.stack(
            [
                np.einsum("tbh,tbh->h", dxp[..., :H], c[:-1]),
                np.einsum("tbh,tbh->h", dxp[..., H : 2 * H], c[:-1]),
                np.einsum("tbh,tbh->h", dxp[..., 3 * H :], c[1:]),
            ]
        )
    if net.variant == "fgr":
        T, B, _ = dxp.shape
        g = cache["gates"]
        q_prev = np.zeros((T, B, 3 * H))  # gates i, f, o at t-1 (zero before the start)
        q_prev[1:, :, : 2 * H] = g[:-1, :, : 2 * H]
        q_prev[1:, :, 2 * H :] = g[:-1, :, 3 * H :]
        dq = np.concatenate([dxp[..., : 2 * H], dxp[..., 3 * H :]], axis=-1)
        grads[f"weight_gg_l{k}"] = _flat(dq).T @ _flat(q_prev)


def _readout_grads(net, caches, dY, grads) -> None:
    top = caches[-1]["h"][1:]
    grads["readout.weight"] = _flat(dY).T @ _flat(top)
    grads["readout.bias"] = np.ones(_flat(dY).shape[0]) @ _flat(dY)


def _backward_full(net, caches, layer_inputs, masks, dY, buffers):
    """Full BPTT with each cell's fast loop; the gradient from above is written straight into dL/dh."""
    p = net.params
    T, B, _ = dY.shape
    H = net.hidden
    grads: dict[str, np.ndarray] = {}
    _readout_grads(net, caches, dY, grads)
    dhs, dcs, carried = [None] * net.layers, [None] * net.layers, [None] * net.layers
    DH = np.empty((T, B, H))
    np.matmul(_flat(dY), p["readout.weight"], out=_flat(DH))  # from the readout
    for k in range(net.layers - 1, -1, -1):
        cell, cache = net.cells()[k], caches[k]
        G = p[f"weight_hh_l{k}"].shape[0]
        DP = buffers[k] if buffers is not None else np.empty((T, B, G))
        carried[k] = np.empty((T, B, H))
        dxp, dhp, DC = cell.bptt(cache, DH, DP, carried[k])
        dhs[k], dcs[k] = DH, DC
        _param_grads(net, k, grads, cache, layer_inputs[k], dxp, dhp)
        if k > 0:  # to the layer below
            DH = np.empty((T, B, H))
            W_ih = p[f"weight_ih_l{k}"]
            if isinstance(dxp, list):
                np.matmul(_flat(dxp[0]), W_ih[: dxp[0].shape[-1]], out=_flat(DH))
                DH += dxp[1] @ W_ih[dxp[0].shape[-1] :]
            else:
                np.matmul(_flat(dxp), W_ih, out=_flat(DH))
            if masks[k] is not None:
                DH *= masks[k]
    return {name: grads[name] for name in p}, dhs, dcs, carried


def _backward_ages(net, caches, layer_inputs, masks, dY, truncate):
    """BPTT one step at a time through cell.backward(), carrying one age per truncation window."""
    p = net.params
    T, B, _ = dY.shape
    H = net.hidden
    ages = max(truncate, 1)
    grads: dict[str, np.ndarray] = {}
    _readout_grads(net, caches, dY, grads)
    d_in = (dY @ p["readout.weight"])[:, None]  # (T, 1, B, H): gradient from above, age 0
    dhs, dcs, carried = [None] * net.layers, [None] * net.layers, [None] * net.layers
    for k in range(net.layers - 1, -1, -1):
        cell, cache = net.cells()[k], caches[k]
        G = p[f"weight_hh_l{k}"].shape[0]
        CARRY = carried[k] = np.empty((T, B, H))
        DXP = np.empty((T, ages, B, G))
        DHP = DXP if net.cell != "gru" else np.empty((T, ages, B, G))
        DH = np.empty((T, B, H))  # total dL/dh_t: from the output at t and from the future
        DC = np.empty((T, B, H)) if net.cell == "lstm" else None
        widths = [H, H, 3 * H][: cell.carries]
        carry = tuple(np.zeros((ages, B, w)) for w in widths)
        for t in range(T - 1, -1, -1):
            dh = carry[0].copy()
            dh[: d_in.shape[1]] += d_in[t]  # from the loss here (top) or the layer above
            carry = (dh, *carry[1:])
            DH[t] = dh[0] if ages == 1 else dh.sum(axis=0)
            dxp, dhp, carry, dc = cell.backward(cell.cache_at(cache, t), carry)
            if DC is not None:
                DC[t] = dc[0] if ages == 1 else dc.sum(axis=0)
            DXP[t] = dxp
            if DHP is not DXP:
                DHP[t] = dhp
            if truncate:  # every window grows one step older; the oldest is cut here
                for c in carry:
                    c[1:] = c[:-1].copy()
                    c[0] = 0.0
            carry[0].sum(axis=0, out=CARRY[t])  # what the windows still carry back to h_{t-1}
        dhs[k], dcs[k] = DH, DC
        dxp_sum = DXP[:, 0] if ages == 1 else DXP.sum(axis=1)  # (T, B, G)
        dhp_sum = dxp_sum if DHP is DXP else (DHP[:, 0] if ages == 1 else DHP.sum(axis=1))
        _param_grads(net, k, grads, cache, layer_inputs[k], dxp_sum, dhp_sum)
        if k > 0:
            d_in = DXP @ p[f"weight_ih_l{k}"]  # (T, ages, B, H) to the layer below, same age
            if masks[k] is not None:
                d_in = d_in * masks[k][:, None]
    return {name: grads[name] for name in p}, dhs, dcs, carried


def pascanu_penalty(net: Network, caches, dhs):
    """Omega of Pascanu, Mikolov & Bengio 2013 and its gradient on W_hh (RNN and ESN only).

    Omega = sum_k mean_batch (||dL/dh_k . dh_k/dh_{k-1}|| / ||dL/dh_k|| - 1)^2, k = 1..T-1.
    As in the paper, dL/dh_k is held constant when differentiating; so are the activation
    derivatives phi'(pre_k), so the gradient is with respect to W_hh where it appears explicitly.
    """
    from .cells import dphi_from_output

    omega, grads = 0.0, {}
    for k, cache in enumerate(caches):
        W = net.params[f"weight_hh_l{k}"]
        delta = dhs[k][1:]  # (T-1, B, H) dL/dh_k
        u = net.leak * delta * dphi_from_output(net.activation, cache["a"][1:])
        v = u @ W + (1.0 - net.leak) * delta  # the row vector dL/dh_k . dh_k/dh_{k-1}
        nd = np.linalg.norm(delta, axis=-1)
        nv = np.linalg.norm(v, axis=-1)
        ok = (nd > 0) & (nv > 0)
        B = delta.shape[1]
        ratio = np.where(ok, nv / np.where(ok, nd, 1.0), 1.0)
        omega += float(((ratio - 1.0) ** 2).sum() / B)
        coef = np.where(ok, 2.0 * (ratio - 1.0) / (np.where(ok, nd, 1.0) * np.where(ok, nv, 1.0) * B), 0.0)
        grads[f"weight_hh_l{k}"] = (u * coef[..., None]).reshape(-1, W.shape[0]).T @ v.reshape(-1, W.shape[1])
    return omega, grads


def clip_gradients(grads: dict, clip: float = 0.0, clip_value: float = 0.0):
    """Clip by value (each entry to [-clip_value, clip_value]), then by global norm.

    Returns (clipped grads, global norm before, global norm after).
    """
    before = float(np.sqrt(sum(float((g * g).sum()) for g in grads.values())))
    out = grads
    if clip_value > 0:
        out = {k: np.clip(g, -clip_value, clip_value) for k, g in out.items()}
    norm = float(np.sqrt(sum(float((g * g).sum()) for g in out.values())))
    if clip > 0 and norm > clip:
        scale = clip / norm
        out = {k: g * scale for k, g in out.items()}
        norm = clip
    return out, before, norm


def _check_remedies(truncate, clip, clip_value, penalty, dropout, seed, net):
    if isinstance(truncate, bool) or not isinstance(truncate, (int, np.integer)) or truncate < 0:
        raise ValueError(f"truncate must be a whole number of steps >= 0 (0 = full BPTT); got {truncate!r}")
    for name, val in (("clip", clip), ("clip_value", clip_value), ("penalty", penalty)):
        if not (_is_number(val) and np.isfinite(val) and val >= 0):
            raise ValueError(f"{name} must be a number >= 0 (0 = off); got {val!r}")
    if not (_is_number(dropout) and 0.0 <= dropout < 1.0):
        raise ValueError(f"dropout must be a number in [0, 1); got {dropout!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"seed must be None or a whole number >= 0; got {seed!r}")
    if penalty > 0 and net.cell not in ("rnn", "esn"):
        raise ValueError("the Pascanu gradient penalty is defined here for cell 'rnn' and 'esn' only")


def simulate(
    net: Network,
    x,
    targets,
    loss: str = "mse",
    score: str = "all",
    truncate: int = 0,
    clip: float = 0.0,
    clip_value: float = 0.0,
    penalty: float = 0.0,
    dropout: float = 0.0,
    seed: int | None = None,
    h0=None,
    c0=None,
) -> Result:
    """Forward pass + BPTT of `net` on x (T, B, inputs); returns the frozen Result (the trace).

    loss 'mse' takes targets (T, B, outputs); 'cross_entropy' takes class indices (T, B).
    score 'all' scores every step (many-to-many), 'last' only the last (many-to-one).
    truncate k > 0 is truncated BPTT (see backward()); clip is the global-norm threshold,
    clip_value the element-wise one, penalty the weight of Pascanu's Omega (0 = off).
    dropout (between stacked layers) draws its masks from `seed`. h0, c0: initial states,
    one (B, H) array per layer (zeros if None). Overflow never raises: it is recorded in
    result.nonfinite.
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be a simulator.Network; got {type(net).__name__}")
    x, targets = validate_inputs(net, x, targets, loss, score)
    _check_remedies(truncate, clip, clip_value, penalty, dropout, seed, net)
    T, B, _ = x.shape
    if 0 < truncate < T and 8 * T * truncate * B * net.params["weight_hh_l0"].shape[0] * 2 > MAX_BYTES:
        raise ValueError(
            f"truncate = {truncate} with T = {T} and batch {B} needs too much memory; use a smaller window"
        )
    h0 = _initial_state("h0", h0, net, B)
    c0 = _initial_state("c0", c0, net, B)
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        caches, layer_inputs, masks, Y, buffers = _run_forward(net, x, h0, c0, dropout, rng)
        total, terms, dY = loss_and_grad(Y, targets, loss, score)
        raw, dhs, dcs, carried = backward(net, caches, layer_inputs, masks, dY, truncate, buffers)
        del buffers
        omega = 0.0
        if penalty > 0:
            omega, pg = pascanu_penalty(net, caches, dhs)
            raw = {k: g + penalty * pg[k] if k in pg else g for k, g in raw.items()}
            total += penalty * omega
        grads, norm_before, norm_after = clip_gradients(raw, clip, clip_value)
        nonfinite = _find_nonfinite(net, caches, Y, dhs, grads, terms)
    return Result(
        net=net,
        x=x,
        targets=targets,
        loss_name=loss,
        score=score,
        truncate=int(truncate),
        caches=caches,
        outputs=Y,
        output_grads=dY,
        loss=total,
        loss_terms=terms,
        dh=dhs,
        dc=dcs,
        carried=carried,
        grads=grads,
        raw_grads=raw,
        grad_norm=norm_before,
        grad_norm_clipped=norm_after,
        penalty_value=omega,
        nonfinite=nonfinite,
    )


def _initial_state(name, value, net, B):
    if value is None:
        return None
    want = f"{net.layers} array(s) of shape (B, H) = ({B}, {net.hidden})"
    try:
        arrs = [np.asarray(v, dtype=np.float64) for v in value]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a list of {want}") from None
    if len(arrs) != net.layers or any(a.shape != (B, net.hidden) for a in arrs):
        raise ValueError(f"{name} must be a list of {want}")
    if not all(np.isfinite(a).all() for a in arrs):
        raise ValueError(f"{name} contains NaN or infinity")
    return arrs


def _find_nonfinite(net, caches, Y, dhs, grads, terms=None) -> NonFinite | None:
    """Where a NaN or infinity first appears: forward states, outputs, the loss terms (the end of the
    forward pass: a finite output of 1e160 has an infinite square), then the backward pass (with its unit)."""

    def at(values: np.ndarray, t: int, phase: str, quantity: str) -> NonFinite:
        step = values[t]  # (B, units)
        return NonFinite(t, phase, quantity, first_nonfinite_unit(step), step.shape[-1])

    for k, cache in enumerate(caches):
        for key in ("h", "c"):
            if key in cache:
                t = _first_nonfinite_step(cache[key][1:])
                if t is not None:
                    return at(cache[key][1:], t, "forward", f"{key}_t of layer {k + 1}")
    t = _first_nonfinite_step(Y)
    if t is not None:
        return at(Y, t, "forward", "output y_t")
    if terms is not None:  # (None: a caller that has no loss terms to check)
        bad = ~np.isfinite(np.asarray(terms, dtype=float).reshape(len(terms), -1)).all(axis=1)
        if bad.any():
            return NonFinite(int(np.argmax(bad)), "forward", "the loss term ℓ_t")
    for k in range(net.layers - 1, -1, -1):
        if _all_finite(dhs[k]):
            continue
        ok = np.isfinite(dhs[k].reshape(dhs[k].shape[0], -1)).all(axis=1)
        return at(dhs[k], int(np.nonzero(~ok)[0].max()), "backward", f"dL/dh_t of layer {k + 1}")
    for name, g in grads.items():
        if not _all_finite(g):
            return NonFinite(0, "backward", f"gradient of {name}")
    return None
