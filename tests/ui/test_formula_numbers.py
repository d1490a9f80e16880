"""The Equations panel's numbers: computed from the trace without overflowing, and saying which unit they are."""

import numpy as np
import pytest

from simulator.config import Config
from simulator.result import frobenius_norms
from ui.formula_view import FormulaView
from ui.plots import fmt
from ui.session import Session


@pytest.fixture
def view_of(qtbot):
    """A FormulaView on a session of this config."""

    def make(**changes) -> FormulaView:
        view = FormulaView(Session(Config(**changes)))
        qtbot.addWidget(view)
        return view

    return make


def test_the_norm_of_a_huge_but_finite_state_is_not_shown_as_infinite(view_of):
    view = view_of(activation="relu", wrec=3.0, steps=1000)
    trace = view.session.trace
    assert trace.nonfinite is not None and trace.nonfinite.step > 600  # h overflows later, not at 600
    view.session.set_frame(600)
    h = trace.hidden_states[-1][600, 0]
    assert np.isfinite(h).all() and np.abs(h).max() > 1e160  # squares of these overflow
    expected = frobenius_norms(trace.hidden_states[-1][:, 0])[600]
    assert np.isfinite(expected)
    text = view.text
    assert f"‖<i>h</i><sub>600</sub>‖ = {fmt(expected, 3)}" in text
    assert "∞" not in text


@pytest.mark.parametrize(
    ("cell", "per_unit"),
    [
        ("rnn", ["tanh′(<i>pre</i><sub>3</sub>) = "]),
        ("lstm", ["<i>f</i><sub>", "∂L/∂<i>c</i>"]),
        ("gru", ["<i>z</i><sub>", "<i>z</i><sub>"]),
    ],
)
def test_bptt_numbers_of_one_unit_say_which_unit_next_to_a_norm(view_of, cell, per_unit):
    view = view_of(cell=cell, layers=3, steps=8)
    session = view.session
    session.set_frame(session.frame_of("backward", 3))
    rows = view.text.split("<p style='margin:6px 0 6px 3px'>")[1:]  # the rows with the numbers
    assert any(r.startswith("‖∂L/∂") for r in rows)  # a norm over all units ...
    labelled = [r for r in rows if r.startswith("unit 1: ")]  # ... and each one-unit number says so
    assert [r[len("unit 1: ") :].startswith(s) for r, s in zip(labelled, per_unit)] == [True] * len(per_unit)
    d = view.data
    if cell == "gru":  # the product is the unit's own: z_t[0] times dL/dh_t[0] of the top layer, example 1
        dh = session.trace.dh[-1][3, 0, 0]
        assert d["dh"][3] == dh
        assert fmt(d["z"][3] * dh, 3) in labelled[1]


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_a_single_unit_needs_no_label_and_no_mean(view_of, cell):
    view = view_of(cell=cell, hidden=1)
    view.session.set_frame(view.session.frame_of("backward", 3))
    assert "unit 1: " not in view.text and "the single unit" in view.text
    assert "mean over units" not in view.text  # one unit's number is its own mean
    if cell == "rnn":
        assert f"tanh′(<i>pre</i><sub>3</sub>) = {fmt(view.data['dphi'][3], 3)} (γ\u00a0=\u00a01)" in view.text
    wide = view_of(cell=cell, hidden=4)
    wide.session.set_frame(wide.session.frame_of("backward", 3))
    assert "mean over units" in wide.text


def test_at_the_overflow_step_the_equations_name_the_unit_that_overflowed(view_of):
    view = view_of(activation="relu", wrec=3.0, steps=1000)
    session, trace = view.session, view.session.trace
    step = trace.nonfinite.step
    h = trace.hidden_states[-1][step, 0]
    unit = int(np.flatnonzero(~np.isfinite(h))[0])  # the first unit that overflowed, from the trace
    assert unit != 0  # the rows show unit 1, which is still finite here
    session.set_frame(session.frame_of("forward", step))
    text = view.text
    assert f"<b>Overflow</b>: <i>h</i><sub>t</sub> (unit {unit + 1} of 16) became infinite or NaN" in text
    assert f"at step t = {step} during the forward pass" in text
    session.set_frame(session.frame_of("forward", step - 1))
    assert "Overflow" not in view.text  # only at its step


def test_numbers_below_one_keep_three_significant_digits():
    """A student checking γ·σ_max = 0.25 · 0.50 by hand gets 0.125: the equations must not say 0.12."""
    from ui.diagram import number

    assert number(0.125, 3) == "0.125" and number(0.5, 3) == "0.500" and number(0.25, 3) == "0.250"
    assert number(1.25, 3) == "1.25" and number(0.0741, 3) == "0.0741" and number(-0.7734, 3) == "−0.773"
    assert number(0.99996, 3) == number(1.0, 3) == "1.00" and number(-0.99996, 3) == "−1.00"  # one 1, not 1.000


def test_the_sigmoid_bound_line_multiplies_out(window):
    """At Wrec 0.5 with sigmoid the bound line reads 0.250 · 0.500 = 0.125 (its factors as shown give its product)."""
    s = window.session
    s.update(activation="sigmoid", wrec=0.5, init="orthogonal")
    s.set_frame(s.frame_of("backward", 5))
    text = window.formula.text
    smax = s.trace.sigma_max["W_hh"]
    assert abs(smax - 0.5) < 1e-9
    assert "= 0.250 · 0.500 = 0.125" in text


def test_a_step_ratio_with_no_gradient_or_an_overflow_is_undefined_not_nan(view_of):
    """'0.00 / 0.00 = ×NaN' under truncation and 'NaN / ∞ = ×NaN' after an overflow read as measurements."""
    view = view_of(truncate=5, steps=20, topology="many_to_one")
    session = view.session
    t = 3  # more than k = 5 steps back from the only scored loss: BPTT never reaches it
    assert session.trace.grad_norms[t] == 0
    session.set_frame(session.frame_of("backward", t))
    text = view.text
    assert "NaN" not in text and f"undefined, no gradient reaches step {t}" in text
    session.set_frame(session.frame_of("backward", 17))  # inside the window: a real ratio
    g = session.trace.grad_norms
    assert f"<b>×{fmt(g[16] / g[17], 3)}</b>" in view.text

    view = view_of(activation="relu", wrec=3.0, steps=1000)
    session, trace = view.session, view.session.trace
    bad = np.flatnonzero(~np.isfinite(trace.grad_norms))
    assert len(bad)
    t = int(bad.max()) if bad.max() > 0 else int(bad.max()) + 1
    session.set_frame(session.frame_of("backward", t))
    assert "×NaN" not in view.text and "undefined, the gradient is not finite here" in view.text


@pytest.mark.parametrize("variant", ["vanilla", "peephole", "nig", "nfg", "nog", "niaf", "noaf", "cifg", "fgr"])
def test_the_lstm_rows_show_their_products_and_say_tanh(view_of, variant):
    """'c₅ = 0.709·0.333 + 0.557·(−0.582) = −0.0884' then 'h₅ = 0.292·(−0.0881)': the rounded factors
    did not give the sum, and c₅ seemed to change on the way. The products are written out, and tanh(c)."""
    view = view_of(cell="lstm", variant=variant, steps=8)
    session = view.session
    t = 5
    session.set_frame(t)
    d, text = view.data, view.text
    keep, write = d["f"][t] * d["c_prev"][t], d["i"][t] * d["g"][t]
    assert keep + write == pytest.approx(d["c"][t], rel=1e-9, abs=1e-12)  # the terms are c's own
    assert f"= {fmt(keep, 3)} " in text and f"= <b>{fmt(d['c'][t], 3)}</b>" in text
    if variant == "noaf":
        assert f"·{fmt(d['c'][t], 3).replace('−', '(−', 1)}" in text or f"·{fmt(d['c'][t], 3)}" in text
        assert "tanh(" + fmt(d["c"][t], 3) not in text
    else:
        assert f"·tanh({fmt(d['c'][t], 3)})" in text
        assert np.tanh(d["c"][t]) == pytest.approx(d["tc"][t])


def test_the_gru_row_shows_its_two_parts(view_of):
    view = view_of(cell="gru", steps=8)
    view.session.set_frame(5)
    d, text = view.data, view.text
    new, old = (1 - d["z"][5]) * d["n"][5], d["z"][5] * d["h_prev"][5]
    assert new + old == pytest.approx(d["h"][5], rel=1e-9, abs=1e-12)
    assert f"= {fmt(new, 3)} " in text and f"= <b>{fmt(d['h'][5], 3)}</b>" in text


def test_an_echo_state_network_says_its_reservoir_is_fixed(view_of):
    """BPTT through an ESN's W_hh is shown, but training leaves the reservoir fixed: the header says so."""
    text = view_of(cell="esn").text
    assert "A fixed random reservoir: training fits the readout only" in text
    assert "reservoir" not in view_of(cell="rnn").text


def test_the_bptt_rows_name_the_step_of_the_derivative_and_call_the_bound_a_bound(view_of):
    view = view_of(steps=8)
    view.session.set_frame(view.session.frame_of("backward", 0))
    text = view.text
    assert "tanh′(<i>pre</i><sub>0</sub>) = " in text  # the value at this step, not a constant
    assert "bound per step: γ·σ<sub>max</sub> = " in text


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_at_t0_the_equations_pass_nothing_back_to_an_earlier_step(view_of, cell):
    """GRU at t = 0 wrote z₀ ⊙ ∂L/∂h₀ = … (what the shortcut passes to h₋₁), then 'no earlier step':
    as the LSTM's, the row is left out at t = 0."""
    view = view_of(cell=cell, steps=8)
    view.session.set_frame(view.session.frame_of("backward", 0))
    text = view.text
    assert "there is no earlier step" in text
    assert "⊙ ∂L/∂<i>h</i><sub>0</sub> =" not in text and "∂L/∂<i>c</i><sub>0</sub> ⊙" not in text
    view.session.set_frame(view.session.frame_of("backward", 3))
    assert ("⊙ ∂L/∂<i>h</i><sub>3</sub> =" if cell == "gru" else "∂L/∂<i>c</i><sub>3</sub> ⊙") in view.text


def _v(name: str, sub: str = "t") -> str:
    """A variable as the equations write it: italic, with its subscript."""
    return f"<i>{name}</i><sub>{sub}</sub>"


@pytest.mark.parametrize(
    ("variant", "says", "never"),
    [
        ("cifg", [f"likewise {_v('o')}; {_v('i')} = 1 − {_v('f')}"], ["likewise <i>i</i>"]),
        ("nfg", [f"{_v('i')} = σ(", f"{_v('f')} = 1"], [f"{_v('f')} = σ("]),
        ("peephole", [f"{_v('p', 'f')} ⊙ {_v('c', 't−1')}", f"{_v('p', 'o')} ⊙ {_v('c')}"], []),
        ("niaf", [f"{_v('g')} = {_v('W', 'g')}"], [f"{_v('g')} = tanh("]),
        ("noaf", [f"{_v('h')} = {_v('o')} ⊙ {_v('c')}"], [f"⊙ tanh({_v('c')})"]),
    ],
)
def test_the_lstm_equations_are_the_variants_own(qtbot, variant, says, never):
    """CIFG's equations said 'f = σ(…), likewise i, o' and then 'coupled gates: i = 1 − f'; the
    peephole's gates had no peephole term: the symbols are now what the engine computes."""
    session = Session(Config(cell="lstm", variant=variant, steps=6))
    view = FormulaView(session)
    qtbot.addWidget(view)
    session.set_frame(3)  # forward
    text = view.text
    for part in says:
        assert part in text, (part, text)
    for part in never:
        assert part not in text, (part, text)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_equations_write_the_layer_and_unit_the_cell_panel_shows(make_window, cell):
    """With stacked layers the Cell panel showed layer 1 (c_4 = 0.33) beside equations of layer 2 (c_4 = −0.03):
    the equations now follow its layer and unit, and say which."""
    import re

    window = make_window(Config(cell=cell, layers=2, steps=12, hidden=8))
    s, cell_view, formula = window.session, window.cell_view, window.formula
    for phase_frame in (4, 2 * 12 - 1 - 4):  # t = 4 forward, then t = 4 in BPTT
        s.set_frame(phase_frame)
        cell_view.set_layer(0)
        cell_view.set_unit(2)
        assert (formula.layer, formula.unit) == (0, 2)
        text = re.sub("<[^>]+>", "", formula.text).replace("&nbsp;", " ")
        assert "unit 3 of 8 of layer 1 of 2 (its input is x)" in text
        values = cell_view.values()
        if phase_frame < 12:
            assert f"= {fmt(values['h'], 3)}" in text  # h_4 of layer 1, unit 3: the cell's number
        else:  # the step ratio of the gradient's norms: layer 1's, not the top layer's
            mine, top = (s.trace.grad_norms_layers[k][4] for k in (0, 1))
            assert f"/ {fmt(mine, 3)} =" in text and f"/ {fmt(top, 3)} =" not in text
    cell_view.set_layer(1)
    assert formula.layer == 1
    text = re.sub("<[^>]+>", "", formula.text)
    assert "of layer 2 of 2 (the top; its input is layer 1's h)" in text
    s.update(layers=3)  # the Cell panel goes to the new top layer, and the equations with it
    assert cell_view.layer == formula.layer == 2
