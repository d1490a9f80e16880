"""Numbers between 0.01 and 0.1 keep two significant digits; an overflow reads the same in the banner,
the equations and the diagram (which unit, 'infinite or NaN', no gradient legend without a gradient)."""

import numpy as np
import pytest

from simulator.config import Config
from ui import diagram as dg
from ui.formula_view import FormulaView
from ui.main_window import OverflowBanner
from ui.session import Session
from ui.unrolled_view import NO_GRADIENT, UnrolledView

OVERFLOW = {"activation": "identity", "wrec": 3.0, "steps": 1000}  # h overflows at t = 648, unit 2 first


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0116, "0.012"), (-0.0116, "−0.012"), (0.05, "0.050"), (0.01, "0.010"), (0.0996, "0.10"), (0.0999, "0.10")],
)
def test_fmt_keeps_two_significant_digits_between_a_hundredth_and_a_tenth(value, text):
    assert dg.fmt(value) == text
    assert dg.fmt(value, short=True) == text  # two digits is what short allows


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0074, "7.4e−3"), (0.1, "0.10"), (0.53, "0.53"), (-14.7, "−14.7"), (0.0, "0.00"), (3.1e-5, "3.1e−5")],
)
def test_fmt_is_unchanged_outside_that_range(value, text):
    assert dg.fmt(value) == text


def test_the_diagram_header_writes_the_gradient_with_two_digits(qtbot):
    session = Session(Config(cell="lstm", steps=30, wrec=1.8))
    view = UnrolledView(session)
    qtbot.addWidget(view)
    session.set_frame(45)
    phase, t = session.phase_step()
    g = session.trace.grad_norms[t]
    assert phase == "backward" and 0.01 <= g < 0.1
    _, parts = view.step_numbers()
    assert f"‖∂L/∂h‖ = {dg.fmt(g)}" in parts and dg.fmt(g) == f"{g:.3f}"  # 0.012, not 0.01


@pytest.fixture
def overflow(qtbot):
    session = Session(Config(**OVERFLOW))
    nf = session.trace.nonfinite
    assert nf is not None and (nf.phase, nf.step, nf.unit) == ("forward", 648, 1)
    session.set_frame(session.stop_frame)
    return session


def test_the_equations_say_whose_rows_they_write_at_the_overflow(qtbot, overflow):
    view = FormulaView(overflow)
    qtbot.addWidget(view)
    h = overflow.trace.hidden_states[-1][648, 0]
    bad = int((~np.isfinite(h)).sum())
    assert np.isfinite(h[0]) and not np.isfinite(h[1])  # the rows' unit 1 is finite, unit 2 is not
    text = view.text
    assert "(unit 2 of 16) became infinite or NaN" in text
    assert f"{bad} of its 16 units are infinite or NaN here" in text
    assert "unit 2's <i>h</i><sub>648</sub> = NaN" in text
    assert f"The rows below are unit 1's, still finite here: <i>h</i><sub>648</sub> = {dg.number(h[0], 3)}" in text


def test_a_norm_with_an_infinite_entry_is_an_overflow_not_nan(qtbot, overflow):
    view = FormulaView(overflow)
    qtbot.addWidget(view)
    bad = int((~np.isfinite(overflow.trace.hidden_states[-1][648, 0])).sum())
    text = view.text
    assert f"‖<i>h</i><sub>648</sub>‖ = overflow ({bad} of 16 units infinite or NaN) over all units" in text
    assert "= NaN over all units" not in text


def test_the_banner_names_the_unit_and_how_many_overflowed(qtbot, overflow):
    banner = OverflowBanner(overflow)
    qtbot.addWidget(banner)
    bad = int((~np.isfinite(overflow.trace.hidden_states[-1][648, 0])).sum())
    text = banner.label.text()
    assert "<i>h</i><sub>t</sub> (unit 2 of 16) became infinite or NaN at step t = 648" in text
    assert f"({bad} of its 16 units at that step; the other {16 - bad} are still finite)" in text


def test_the_diagram_shows_no_gradient_scale_without_a_gradient(qtbot, overflow):
    view = UnrolledView(overflow)
    qtbot.addWidget(view)
    assert not np.isfinite(overflow.trace.grad_norms_layers).any()
    assert view.gradient_legend() == NO_GRADIENT
    finite = Session(Config(steps=20))
    other = UnrolledView(finite)
    qtbot.addWidget(other)
    assert other.gradient_legend() != NO_GRADIENT and "…" in other.gradient_legend()


def test_the_diagram_can_carry_a_note_at_its_foot_below_everything_else(qtbot):
    """For an exported figure: 'how it was made' under the axis, the rows making room for it."""
    from ui.figures import setting_text

    session = Session(Config(steps=20))
    view = UnrolledView(session)
    qtbot.addWidget(view)
    view.resize(1600, 900)
    before = view._layout().area
    assert view.note_rect().isEmpty()
    view.set_note(setting_text(session.config))
    note, area = view.note_rect(), view._layout().area
    assert not note.isEmpty() and note.bottom() <= view.height() and note.right() <= view.width()
    assert area.bottom() < before.bottom() and area.bottom() + 1.5 * view._layout().em <= note.top() + 1e-6
    image = view.grab().toImage()
    inked = [image.pixelColor(x, round(note.center().y())) != image.pixelColor(2, round(note.center().y()))
             for x in range(round(note.left()), round(note.right()), 2)]  # fmt: skip
    assert any(inked)  # the note is drawn


def test_show_that_step_puts_the_overflowing_layer_and_unit_in_the_cell(make_window):
    """The banner names unit 2 of layer 1; "Show that step" moves the playhead there and the Cell
    panel to that layer and unit, so the equations and the cell show the infinite value itself."""
    window = make_window(Config(**OVERFLOW, layers=2))
    nf = window.session.trace.nonfinite
    assert nf is not None and nf.quantity.endswith("of layer 1")
    cell = window.cell_view
    cell.set_layer(1)
    cell.set_unit(5)
    assert (cell.layer, cell.unit) == (1, 5)
    window.session.set_frame(0)
    window.banner.show_button.click()
    assert window.session.frame == window.session.stop_frame
    assert (cell.layer, cell.unit) == (0, nf.unit)
    assert f"unit {nf.unit + 1} " in window.banner.label.text()


def test_an_output_overflow_leaves_the_cells_unit_alone():
    from types import SimpleNamespace

    from ui.main_window import overflow_unit

    assert overflow_unit(SimpleNamespace(quantity="output y_t", unit=0)) is None
    assert overflow_unit(SimpleNamespace(quantity="gradient of weight_hh_l0", unit=None)) is None
    assert overflow_unit(SimpleNamespace(quantity="c_t of layer 3", unit=4)) == (2, 4)
    assert overflow_unit(SimpleNamespace(quantity="dL/dh_t of layer 1", unit=0)) == (0, 0)


def test_the_jacobian_header_says_overflow_and_draws_no_bound_without_a_product(qtbot, overflow):
    """The header said EXPLODING over 'no Jacobian product', with the bound's last steps a stray
    dashed line: it says OVERFLOW, as the toolbar does, and the bound goes with the product."""
    from ui.plots import JacobianPlot

    relu = Session(Config(activation="relu", wrec=3.0, steps=1000))  # no product but the last, the identity
    assert relu.trace.nonfinite.phase == "forward"
    assert not (relu.trace.jacobian_norms[:-1] > 0).any()
    plot = JacobianPlot(relu)
    qtbot.addWidget(plot)
    assert all("OVERFLOW" in text for text in plot.badge_line._texts)
    assert plot.bound_y is None and (plot.bound.xData is None or len(plot.bound.xData) == 0)
    partial = JacobianPlot(overflow)  # identity: the products do not depend on the states, drawn up to the overflow
    qtbot.addWidget(partial)
    assert all("OVERFLOW" in text for text in partial.badge_line._texts)
    assert partial.bound_y is not None
    finite = JacobianPlot(Session(Config(steps=20)))
    qtbot.addWidget(finite)
    assert not any("OVERFLOW" in text for text in finite.badge_line._texts)
    assert finite.bound_y is not None and len(finite.bound.xData) == 20


def test_the_diagram_header_names_the_unit_its_numbers_are_of(qtbot):
    """At the overflow the header read 'x = 0.15  h = inf' with 8 units: whose h? The nodes show unit 1
    of the first example, and the header's longest form says so (a single unit needs no name)."""
    session = Session(Config(**OVERFLOW))
    view = UnrolledView(session)
    qtbot.addWidget(view)
    session.set_frame(session.trace.nonfinite.step)
    _, parts = view.step_numbers()
    assert any(p.startswith("h (unit 1) = ") for p in parts), parts
    assert any(p.startswith("x = ") for p in parts)  # one input: no name needed
    single = Session(Config(hidden=1, steps=5))
    view1 = UnrolledView(single)
    qtbot.addWidget(view1)
    assert any(p.startswith("h = ") for p in view1.step_numbers()[1])
    wide = Session(Config(steps=5, inputs=3, outputs=2))
    view3 = UnrolledView(wide)
    qtbot.addWidget(view3)
    wide.set_frame(4)
    parts = view3.step_numbers()[1]
    assert any(p.startswith("x (input 1) = ") for p in parts) and any(p.startswith("y (output 1) = ") for p in parts)
