"""Truncated BPTT: the step back where the window ends reads as the cut, not as a gradient that
fell to ×0.00 in one step (the diagram's header, the Equations and the eigenvalue plot's note)."""

import numpy as np
import pytest

from simulator.config import Config, run
from ui.formula_view import FormulaView
from ui.plots import EigenPlot
from ui.session import Session
from ui.unrolled_view import CUT, CUT_SHORT, UnrolledView

CUT_CONFIG = dict(truncate=5, steps=30)  # many-to-one: the loss at t = 29 reaches t = 25 ... 29


def test_the_trace_knows_which_steps_truncation_keeps_the_gradient_from():
    trace = run(Config(**CUT_CONFIG))
    np.testing.assert_array_equal(trace.cut_off, np.arange(30) < 25)
    assert (trace.grad_norms[:25] == 0).all() and (trace.grad_norms[25:] > 0).all()  # the engine agrees
    assert [t for t in range(30) if trace.cut_at(t)] == [25]
    every = run(Config(truncate=5, steps=30, topology="many_to_many"))  # a loss at every step: every window
    assert not every.cut_off.any() and not any(every.cut_at(t) for t in range(30))
    assert not run(Config(steps=30)).cut_off.any()


@pytest.fixture
def at_the_cut(qtbot):
    session = Session(Config(**CUT_CONFIG))
    session.set_frame(session.frame_of("backward", 25))
    return session


def test_the_equations_say_the_step_back_is_cut(qtbot, at_the_cut):
    view = FormulaView(at_the_cut)
    qtbot.addWidget(view)
    text = view.text
    assert "cut here by truncated BPTT (k = 5)" in text and "the 4 before it" in text
    assert "×0.00" not in text
    at_the_cut.set_frame(at_the_cut.frame_of("backward", 26))  # inside the window: a measured ratio
    assert "cut here" not in view.text and "gradient ratio, step " in view.text


def test_the_diagram_header_says_the_step_back_is_cut(qtbot, at_the_cut):
    view = UnrolledView(at_the_cut)
    qtbot.addWidget(view)
    view.resize(1000, 420)
    _, parts = view.step_numbers()
    assert parts[-1] == "(step 25→24: " + CUT + ")"
    _, forms = view.step_number_forms()
    assert all("× 0" not in form for form in forms) and any(CUT_SHORT in form for form in forms)
    assert view.numbers_line()[1] in forms


def test_the_eigenvalue_note_says_the_gradient_is_cut(qtbot, at_the_cut):
    plot = EigenPlot(at_the_cut)
    qtbot.addWidget(plot)
    plot.resize(700, 500)
    plot._on_frame_changed(at_the_cut.frame)
    text = plot.step_label.toPlainText()
    assert text.startswith("step 25→24\nJacobian ×")
    assert text.endswith("\ngradient: cut\n(truncation)")


def test_the_gradient_bound_is_not_drawn_where_truncation_sends_no_gradient(qtbot):
    """The dashed bound ran across the shaded 'truncated: no gradient' band: there is nothing to
    bound there. It is drawn over the window the loss reaches, as before."""
    from ui.plots import GradientPlot, gradient_bound

    session = Session(Config(**CUT_CONFIG))
    trace = session.trace
    bound = gradient_bound(trace, session.config)
    assert np.isnan(bound[:25]).all() and np.isfinite(bound[25:]).all()
    assert np.all(trace.grad_norms[25:] <= bound[25:] * (1 + 1e-9))
    plot = GradientPlot(session)
    qtbot.addWidget(plot)
    assert np.isnan(plot.bound_y[:25]).all() and np.isfinite(plot.bound_y[25:]).all()
    whole = gradient_bound(run(Config(steps=30)), Config(steps=30))
    assert np.isfinite(whole).all()  # no truncation: the bound over every step


def test_the_note_at_the_cut_finds_room_in_the_window(make_window):
    """At the cut (truncate = 5, frame 34) the dotted circle came without its note: 'gradient: cut
    (truncation)' made the note too wide for any free corner. Its lines are short now."""
    window = make_window(Config(**CUT_CONFIG))
    window.resize(1600, 1000)
    window.show()
    s = window.session
    s.set_frame(s.frame_of("backward", 25))
    from PySide6.QtWidgets import QApplication

    for _ in range(3):
        QApplication.processEvents()
    plot = window.plots.eigen
    assert plot.step_circle.isVisible() and plot.step_label.isVisible()
    assert "cut" in plot.step_label.toPlainText()
