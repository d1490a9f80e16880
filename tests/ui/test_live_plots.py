"""The plots show the engine's numbers, redraw in place and follow the playhead."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

import ui.session
from simulator.config import Config, run
from ui.controls import wrec_to_slider
from ui.plots import fmt, positive


def test_slider_change_puts_the_engines_new_gradient_norms_into_the_plot(window, qtbot):
    curve = window.plots.gradient.curve
    before = np.array(curve.yData)
    with qtbot.waitSignal(window.session.trace_changed, timeout=2000):
        window.controls.wrec_slider.setValue(wrec_to_slider(1.8))
    config = window.session.config
    assert config.wrec == pytest.approx(1.8, abs=0.01)
    expected = run(config).grad_norms  # the engine, called independently
    assert curve is window.plots.gradient.curve  # updated in place, not rebuilt
    np.testing.assert_array_equal(curve.yData, positive(expected))
    assert not np.allclose(curve.yData, before)
    jac = window.plots.jacobian.curve.yData
    np.testing.assert_array_equal(jac, positive(run(config).jacobian_norms))


def test_slider_storm_is_throttled_to_few_recomputations(window, qtbot):
    traces = []
    window.session.trace_changed.connect(traces.append)
    for pos in range(400, 700, 3):  # 100 slider events in one go
        window.controls.wrec_slider.setValue(pos)
    qtbot.waitUntil(lambda: not window.controls.wrec_throttle.pending, timeout=2000)
    assert 1 <= len(traces) <= 3
    from ui.controls import slider_to_wrec

    assert window.session.config.wrec == pytest.approx(round(slider_to_wrec(697), 3))


def test_typed_wrec_is_applied(window, qtbot):
    box = window.controls.wrec_box
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "0.5")
    box.editingFinished.emit()
    box.interpretText()
    qtbot.waitUntil(lambda: window.session.config.wrec == pytest.approx(0.5))


def test_activation_change_changes_the_verdict(make_window, qtbot):
    window = make_window(Config(activation="identity", wrec=1.0))
    assert window.session.trace.verdict == "stable"
    box = window.controls.activation_box
    box.setCurrentIndex(box.findData("sigmoid"))  # sigmoid' <= 1/4: at Wrec = 1 the gradient must vanish
    assert window.session.config.activation == "sigmoid"
    assert window.session.trace.verdict == "vanishing"
    assert "VANISHING" in window.plots.jacobian.badge.text()
    assert "VANISHING" in window.verdict_label.text()
    window.session.update(wrec=2.5)
    assert window.session.trace.verdict == "vanishing"  # 2.5 / 4 < 1: still vanishing
    box.setCurrentIndex(box.findData("relu"))
    assert window.session.trace.verdict == "exploding"
    assert "EXPLODING" in window.plots.jacobian.badge.text()
    np.testing.assert_allclose(window.controls.activation_view.gamma_line.value(), 1.0)


def test_ghost_keeps_the_curve_from_before_a_run_of_edits(window, qtbot):
    g = window.plots.gradient
    start = np.array(g.curve.yData)
    window.session.update(wrec=1.2)
    window.session.update(wrec=1.4)  # same key: the ghost stays the curve before the drag
    np.testing.assert_array_equal(g.ghost.yData, start)
    at_14 = np.array(g.curve.yData)
    window.controls.clip_check.setChecked(True)  # a new key: the ghost moves on
    np.testing.assert_array_equal(g.ghost.yData, at_14)


def test_the_ghost_widens_the_range_only_a_little(make_window):
    """The curve from before an overflow (identity, Wrec 3, T 400: up to 1e250) set the y-range, and the new
    curve after Wrec 0.95 (1e-9 … 1) was a flat line at the bottom: the ghost may widen the live curve's
    decades by two at each end, no more (it runs off the plot beyond)."""
    from ui.plots import decade_range

    window = make_window(Config(activation="identity", wrec=3.0, steps=400))
    g = window.plots.gradient
    window.session.update(wrec=0.95)
    assert g.ghost_y is not None and np.nanmax(np.log10(g.ghost_y[np.isfinite(g.ghost_y)])) > 100
    live = decade_range(g.y, *window.session.trace.grad_norms_layers)
    (_, _), (lo, hi) = g._decades
    assert live[0] - 2 <= lo <= live[0] and live[1] <= hi <= live[1] + 2
    (y0, y1) = g.plot.getViewBox().viewRange()[1]
    assert y1 - y0 < (live[1] - live[0]) + 6  # the new curve fills the plot's height, near enough


def test_a_frame_tick_computes_nothing(window, monkeypatch):
    window.session.trace.jacobian_norms  # noqa: B018 - the lazy diagnostics are already computed

    def forbidden(*_):
        raise AssertionError("a frame tick ran the engine")

    monkeypatch.setattr(ui.session, "run", forbidden)
    items = [window.plots.gradient.curve, window.plots.states.image, window.plots.eigen.scatters[0]]
    for _ in range(2 * window.session.trace.T):
        window.player._tick()
    window.player.rewind()
    window.player.step(1)
    assert items == [window.plots.gradient.curve, window.plots.states.image, window.plots.eigen.scatters[0]]


def test_cursor_follows_the_playhead_in_every_time_plot(window):
    s = window.session
    s.set_frame(5)  # forward, t = 5
    for plot in (window.plots.gradient, window.plots.jacobian, window.plots.states):
        assert plot.cursor.value() == 5
    s.set_frame(s.frame_of("backward", 3))
    for plot in (window.plots.gradient, window.plots.jacobian, window.plots.states):
        assert plot.cursor.value() == 3
    x, y = window.plots.gradient.marker.getData()
    assert x[0] == 3 and 10 ** y[0] == pytest.approx(s.trace.grad_norms[3])


def test_hover_shows_exact_values(window):
    tr = window.session.trace
    text = window.plots.gradient.hover_text(4.2, 0.0)
    assert "t = 4" in text and fmt(tr.grad_norms[4], 6) in text
    assert fmt(tr.jacobian_norms[7], 6) in window.plots.jacobian.hover_text(6.8, 0.0)
    lam = tr.eigenvalues["W_hh"][0]
    assert fmt(abs(lam), 6) in window.plots.eigen.hover_text(lam.real, lam.imag)
    h = tr.hidden_states[-1][2, 0, 1]
    text = window.plots.states.hover_text(2.1, 1.9)  # rows are units 1 .. H
    assert fmt(h, 6) in text and "unit 2" in text


def test_lstm_shows_cell_state_gates_and_equations(window):
    window.session.update(cell="lstm")
    states = window.plots.states
    assert {"h", "c", "f", "i", "g", "o", "dh"} <= set(states.names)
    states.select("f")
    np.testing.assert_array_equal(states.image.image, window.session.trace.gates(-1)["f"][:, 0])
    cell_curve = window.plots.gradient.cell_curve
    np.testing.assert_array_equal(cell_curve.yData, positive(window.session.trace.cell_grad_norms[-1]))
    window.session.set_frame(3)
    text = window.formula.text
    f3 = window.session.trace.gates(-1)["f"][3, 0, 0]
    assert "<i>f</i><sub>" in text and "<i>c</i><sub>" in text
    assert fmt(f3, 3) in text
    assert window.plots.gradient.bound.yData is None or len(window.plots.gradient.bound.yData) == 0


def test_formula_view_fills_in_the_real_numbers(window):
    s = window.session
    s.set_frame(6)  # forward, t = 6
    h = s.trace.hidden_states[-1][6, 0, 0]
    assert fmt(h, 3) in window.formula.text
    assert "tanh" in window.formula.text
    s.set_frame(s.frame_of("backward", 6))
    assert fmt(s.trace.grad_norms[6], 3) in window.formula.text
    s.update(hidden=1, wrec=0.8)
    s.set_frame(4)
    assert "tanh(0.800 · " in window.formula.text  # the scalar Wrec itself, to 3 significant digits


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_equations_at_backward_t0_pass_nothing_to_an_earlier_step(window, cell):
    """At t = 0 of BPTT there is no h_{-1} or c_{-1}: no row may pretend to compute one."""
    s = window.session
    s.update(cell=cell, hidden=1)
    s.set_frame(s.frame_of("backward", 0))
    text = window.formula.text
    assert "no earlier step" in text
    assert "its own loss" not in text
    assert "<sub>-1</sub>" not in text and "<sub>−1</sub>" not in text
    assert "⊙ <i>f</i><sub>0</sub>" not in text  # the LSTM's cell line passes nothing back from t = 0
    s.set_frame(s.frame_of("backward", 3))  # a later step still shows what it passes back
    assert ("its own loss" in window.formula.text) if cell == "rnn" else ("⊙ <i>f</i>" in window.formula.text)


def test_truncation_shades_the_steps_without_gradient(window):
    window.controls.truncate_k.setValue(5)
    window.controls.truncate_check.setChecked(True)
    cfg = window.session.config
    assert cfg.truncate == 5
    g = window.plots.gradient
    assert g.truncated.isVisible()
    assert g.truncated.getRegion()[1] == pytest.approx(cfg.steps - 5 - 0.5)
    assert np.isnan(g.curve.yData[: cfg.steps - 5]).all()
    window.controls.truncate_check.setChecked(False)
    assert window.session.config.truncate == 0 and not g.truncated.isVisible()


def test_states_heatmap_after_an_overflow_shows_no_value_and_real_decades(window):
    """Cells with no value (NaN after an overflow) stay blank, not the most negative colour; the
    colour bar's decades never pass float64's 10^308."""
    window.session.update(activation="relu", wrec=10.0, steps=400, hidden=16)
    trace = window.session.trace
    assert trace.nonfinite is not None and trace.nonfinite.phase == "forward"
    states = window.plots.states
    states.select("h")
    h = trace.hidden_states[-1][:, 0]
    shown = states.image.image
    assert np.isnan(h).any()
    assert np.isnan(shown[np.isnan(h)]).all()  # blank: pyqtgraph leaves NaN cells transparent
    lo, hi = states.colorbar.levels()
    assert -309 <= lo < 0 < hi <= 309


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_equations_keep_their_parsed_template_from_step_to_step(window, cell):
    """A frame only puts new numbers (and step numbers) into the equations: the HTML is parsed
    once per phase, not per step (parsing it again costs a third of a millisecond per frame)."""
    s = window.session
    s.update(cell=cell)
    canvas = window.formula.canvas
    templates = set()
    for t in (8, 7, 6, 5):
        s.set_frame(s.frame_of("backward", t))
        window.formula._catch_up()
        templates.add(canvas._template)
    assert len(templates) == 1


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_equations_of_a_stacked_net_name_the_layer_below_as_input(window, cell):
    """With two layers the equations show the top layer, whose input is layer 1's h, not x."""
    s = window.session
    s.update(cell=cell, layers=2)
    s.set_frame(4)  # forward, t = 4
    window.formula._catch_up()
    text = window.formula.text
    assert "layer 2" in text and "<sup>(1)</sup>" in text
    assert "<i>x</i><sub>" not in text
    s.update(layers=1)
    window.formula._catch_up()
    assert "<i>x</i><sub>" in window.formula.text and "layer 2" not in window.formula.text


def test_log_axes_hold_still_while_wrec_moves_a_little_and_follow_a_big_move(window):
    from ui.plots import decade_range, steady_range

    assert steady_range((-8.0, 0.0), (-9.0, 1.0)) == (-9.0, 1.0)  # held: one decade to spare at each end
    assert steady_range((-8.0, 0.0), (-12.0, 1.0)) == (-8.0, 0.0)  # four to spare below: follow
    assert steady_range((-8.0, 2.0), (-9.0, 1.0)) == (-8.0, 2.0)  # the data leaves the range: follow
    assert steady_range((-8.0, 0.0), None) == (-8.0, 0.0)
    s, g = window.session, window.plots.gradient
    s.update(wrec=0.9)
    shown = g.plot.vb.viewRange()[1]
    s.update(wrec=0.92)  # a small step: the data stays inside, the axis stays
    fitted = decade_range(g.y, extra=g.bound_y)
    assert shown[0] <= fitted[0] and fitted[1] <= shown[1]
    assert g.plot.vb.viewRange()[1] == pytest.approx(shown)
    s.update(wrec=3.0)  # exploding: far outside, the axis follows and holds all the data
    lo, hi = g.plot.vb.viewRange()[1]
    finite = np.log10(g.y[np.isfinite(g.y) & (g.y > 0)])
    assert lo <= finite.min() and finite.max() <= hi


def test_per_step_dots_are_drawn_over_their_curve(window):
    for plot in (window.plots.gradient, window.plots.jacobian):
        item = plot.curve
        kids = item.childItems()  # in stacking order: the last is drawn on top
        assert kids.index(item.curve) < kids.index(item.scatter)


def test_a_narrow_jacobian_plot_shortens_its_title_not_its_verdict(qtbot):
    """At a large font in a narrow plot the verdict word must show whole: the title gives way to 'Jacobian'."""
    from ui.plots import JacobianPlot, static_text
    from ui.session import Session

    plot = JacobianPlot(Session(Config(steps=30, wrec=0.5)))
    qtbot.addWidget(plot)
    font = plot.title_label.font()
    font.setPointSizeF(2.2 * font.pointSizeF())
    for label in (plot.title_label, plot.badge):
        label.setFont(font)
    plot._on_trace_changed(plot.session.trace)
    plot.resize(1400, 400)
    plot.show()
    qtbot.waitExposed(plot)
    QApplication.processEvents()
    assert plot.title_label.text() == plot.title  # room for both: the whole title
    assert "×" in plot.badge.text()
    plot.resize(
        int(1.05 * (static_text("Jacobian", font).size().width() + static_text("VANISHING", font).size().width())) + 40,
        400,
    )
    QApplication.processEvents()
    verdict = plot.badge.text()
    assert plot.title_label.text() == "Jacobian" and plot.title_label.toolTip() == plot.title
    assert "VANISHING" in verdict
    drawn = static_text(verdict, plot.badge.font(), Qt.TextFormat.RichText).size().width()
    assert drawn <= plot.badge.width(), f"the verdict needs {drawn:.0f} px, its label has {plot.badge.width()}"
    plot.resize(1400, 400)
    QApplication.processEvents()
    assert plot.title_label.text() == plot.title and plot.title_label.toolTip() == ""


def test_the_faint_curve_s_legend_name_is_whole_or_short_never_cut(qtbot):
    """The ghost's legend entry says 'before your last change' where it fits, 'before' where it would be cut."""
    from ui.plots import GHOST_NAME, GHOST_SHORT, GradientPlot
    from ui.session import Session

    plot = GradientPlot(Session(Config(steps=30)))
    qtbot.addWidget(plot)
    plot.legend.setLabelTextSize("20pt")
    plot.resize(1400, 500)
    plot.show()
    qtbot.waitExposed(plot)
    plot.session.update(wrec=0.7)  # a change of yours: the curve from before it stays, faint
    QApplication.processEvents()

    def shown() -> str:
        return plot.legend.getLabel(plot.ghost).text

    assert shown() == GHOST_NAME
    plot.resize(300, 500)
    for _ in range(3):
        QApplication.processEvents()
    assert shown() == GHOST_SHORT
    label = plot.legend.getLabel(plot.ghost)
    assert "before your last change" in label.toolTip()
    right = label.mapRectToScene(label.boundingRect()).right()
    assert right <= plot.plot.mapRectToScene(plot.plot.boundingRect()).right() + 1, "the entry runs past the plot"
    plot.resize(1400, 500)
    for _ in range(3):
        QApplication.processEvents()
    assert shown() == GHOST_NAME
