"""Review 6: the leaky ESN's bound in every text that states it, and the exports' consistency."""

import re

import numpy as np
import pytest

from simulator.config import Config
from ui.formula_view import FormulaView
from ui.plots import BOUND_NAME, GradientPlot, JacobianPlot, fmt
from ui.session import Session


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&nbsp;", " ")


def legend_texts(panel) -> list[str]:
    return [label.text for _, label in panel.legend.items]


# ---- 1. a leaky unit's bound -----------------------------------------------------------------------
LEAKY = {"cell": "esn", "steps": 30, "wrec": 0.9, "leak": 0.3, "topology": "many_to_many"}


def test_equations_state_the_leaky_bound_the_steps_obey(qtbot):
    view = FormulaView(Session(Config(**LEAKY)))
    qtbot.addWidget(view)
    s = view.session
    tr = s.trace
    s.set_frame(s.frame_of("backward", 10))
    text = plain(view.text)
    smax = tr.sigma_max["W_hh"]
    assert tr.step_bound == pytest.approx(0.7 + 0.3 * smax)
    assert (
        f"(1−α) + α·γ·σmax = {fmt(0.7, 3)} + {fmt(0.3, 3)} · {fmt(1, 3)} · {fmt(smax, 3)} = {fmt(tr.step_bound, 3)}"
        in text
    )
    assert "at most (1−α) + α·γ·σmax(Whh)" in text
    assert "γ·σmax = " not in text.replace("α·γ·σmax = ", "")  # the plain form is not stated as the bound
    assert np.all(tr.step_jacobian_norms[1:] <= tr.step_bound * (1 + 1e-12))
    assert tr.step_jacobian_norms[1:].max() > smax  # the plain γσmax would be broken


def test_equations_keep_the_plain_bound_without_a_leak(qtbot):
    view = FormulaView(Session(Config(cell="rnn", steps=10, wrec=0.9)))
    qtbot.addWidget(view)
    s = view.session
    s.set_frame(s.frame_of("backward", 5))
    text = plain(view.text)
    assert f"γ·σmax = {fmt(1, 3)} · {fmt(s.trace.sigma_max['W_hh'], 3)}" in text
    assert "(1−α)" not in text


def test_one_unit_leaky_backward_row_is_the_engines_step(qtbot):
    """H = 1, loss at the last step: dL/dh_{t-1} = ((1−α) + α·w·φ′_t)·dL/dh_t exactly, as the row writes."""
    view = FormulaView(Session(Config(cell="esn", hidden=1, steps=8, wrec=0.9, leak=0.4)))
    qtbot.addWidget(view)
    s, t = view.session, 5
    s.set_frame(s.frame_of("backward", t))
    d = view.data
    w, dphi, dh = d["w_scalar"], d["dphi"][t], d["dh"][t]
    assert s.trace.dh[-1][t - 1, 0, 0] == pytest.approx((0.6 + 0.4 * w * dphi) * dh, rel=1e-12)
    text = plain(view.text)
    assert f"((1−α) + α · Wrec · tanh′) · ∂L/∂h{t}" in text
    assert f"({fmt(0.6, 3)} + {fmt(0.4, 3)} · {fmt(w, 3)} · " in text


def test_plots_label_the_leaky_bound(qtbot):
    s = Session(Config(**LEAKY))
    jac, grad = JacobianPlot(s), GradientPlot(Session(Config(**{**LEAKY, "topology": "many_to_one"})))
    qtbot.addWidget(jac)
    qtbot.addWidget(grad)
    assert "bound ((1−α)+αγσ<sub>max</sub>)<sup>T−1−t</sup>" in legend_texts(jac)
    assert BOUND_NAME not in legend_texts(jac)
    assert "((1−α) + α·γ·σ<sub>max</sub>(W<sub>hh</sub>))<sup>T−1−t</sup>, α = 0.3" in jac.caption_label.text()
    np.testing.assert_allclose(jac.bound_y, s.trace.step_bound ** (29 - np.arange(30)), rtol=1e-12)
    assert np.all(s.trace.jacobian_norms <= jac.bound_y * (1 + 1e-9))
    assert "((1−α)+αγσ<sub>max</sub>)<sup>T−1−t</sup>, α = 0.3" in grad.caption_label.text()
    plain_jac = JacobianPlot(Session(Config(cell="rnn", steps=30, wrec=0.9)))
    qtbot.addWidget(plain_jac)
    assert BOUND_NAME in legend_texts(plain_jac)
    assert "(1−α)" not in plain_jac.caption_label.text()
