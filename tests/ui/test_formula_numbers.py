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
