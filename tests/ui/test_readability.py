"""What a student reads off the plots: legends that keep the plot in its panel, numbers on log axes."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPainter

from simulator.config import Config
from ui.plots import LogAxis, decade_range, fmt
from ui.session import Session


def shown(make_window, qtbot, config=None, size=(1600, 1000)):
    """A window on screen (offscreen) at a lecture-laptop size, laid out."""
    window = make_window(config, show=True)
    window.resize(*size)
    qtbot.wait(20)
    return window


def test_gradient_plot_stays_inside_its_panel_after_a_change(make_window, qtbot):
    window = shown(make_window, qtbot)
    g = window.plots.gradient
    window.session.update(hidden=8)  # the ghost curve and its legend entry appear
    qtbot.wait(20)
    assert g.ghost_y is not None
    view = g.plot_widget.viewport().width()
    vb = g.plot.vb.sceneBoundingRect()
    assert vb.right() <= view + 1, (vb, view)  # the last step (where the loss is) is on screen
    T = window.session.trace.T
    assert g.plot.vb.mapViewToScene(QPointF(T - 1, 0)).x() <= view  # the last step's dot
    assert g.legend.sceneBoundingRect().right() <= view + 1


def test_ghost_entry_is_short_and_its_details_are_on_hover(make_window, qtbot):
    window = shown(make_window, qtbot)
    g = window.plots.gradient
    window.session.update(hidden=8)
    label = g.legend.getLabel(g.ghost)
    assert label.text == "before your last change"
    assert "hidden = 16" in label.toolTip()
    assert "hidden = 16" in g.hover_text(3, 0)


def test_many_legend_entries_wrap_instead_of_widening_the_plot(make_window, qtbot):
    window = shown(make_window, qtbot, Config(layers=4, cell="lstm"), size=(1280, 720))
    window.session.update(hidden=8)
    qtbot.wait(20)
    g = window.plots.gradient
    assert g.legend.columnCount < len(g.legend.items)
    assert g.plot.vb.sceneBoundingRect().right() <= g.plot_widget.viewport().width() + 1


def labelled_ticks(axis: LogAxis) -> list[str]:
    """The tick labels the axis would draw now (pyqtgraph drops those that do not fit)."""
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _, _, text in specs[2]] if specs else []


@pytest.mark.parametrize("height", [150, 200, 300])
def test_jacobian_axis_labels_two_values_for_a_two_decade_range(make_window, qtbot, height):
    window = shown(make_window, qtbot)
    j = window.plots.jacobian
    y = np.geomspace(0.0155, 1.0, 20)
    j.set_steady_range(20, decade_range(y))
    j.plot_widget.setFixedHeight(height)
    qtbot.wait(20)
    texts = labelled_ticks(j.plot.getAxis("left"))
    assert len(texts) >= 2, (texts, j.plot.vb.height())


@pytest.mark.parametrize("decades, height", [(20, 150), (20, 110), (38, 150), (4, 110), (300, 200)])
def test_a_tall_log_range_on_a_short_axis_still_shows_two_numbers(make_window, qtbot, decades, height):
    """The vanishing lesson's 20 decades on a ~100 px axis: at least two labels survive
    pyqtgraph's dropping of the ones at the ends."""
    window = shown(make_window, qtbot)
    g = window.plots.gradient
    y = np.logspace(-decades, 0, 30)
    g.set_steady_range(30, decade_range(y))
    g.plot_widget.setFixedHeight(height)
    qtbot.wait(20)
    texts = labelled_ticks(g.plot.getAxis("left"))
    assert len(texts) >= 2, (texts, g.plot.vb.height())


def test_log_axis_labels_steps_between_decades_when_fewer_than_two_are_in_view():
    axis = LogAxis("left")
    axis.setLogMode(False, True)
    levels = axis.logTickValues(-2.3, -1.1, 150, None)  # 0.005 .. 0.079: one decade mark (0.01)
    values = [v for _, vs in levels for v in vs]
    assert len(values) >= 2
    assert any(abs(v - np.log10(0.02)) < 1e-9 for v in values)
    assert len(axis.logTickValues(-3.3, -0.7, 100, None)[0][1]) >= 2  # decades -3, -2, -1: not just -2


def test_the_room_beyond_the_decades_is_the_same_pixels_whatever_the_span():
    from ui.plots import padded_range

    assert decade_range(np.array([0.0155, 1.0])) == (-2.0, 0.0)  # whole decades: the room is added when shown
    for decades in ((-2.0, 0.0), (-20.0, 0.0), (-300.0, 0.0)):
        for height in (60.0, 110.0, 400.0):
            lo, hi = padded_range(decades, height, 12.0)
            px = height / (hi - lo)  # per decade
            assert (decades[0] - lo) * px == pytest.approx(12.0) and (hi - decades[1]) * px == pytest.approx(12.0)


def test_colour_bar_reads_powers_of_ten_on_the_signed_log_scale(make_window):
    window = make_window(Config(activation="relu", wrec=3.0, steps=100, hidden=32))
    states = window.plots.states
    states.select("h")
    assert np.nanmax(np.abs(window.session.trace.hidden_states[-1])) > 1e20
    labels = [text for level in states.colorbar.axis._tickLevels for _, text in level]
    assert any(t.startswith("10") and len(t) > 2 for t in labels), labels  # 10²⁵, not 25
    assert any(t.startswith("−10") for t in labels), labels
    assert "log" in states.badge.text()


def test_colour_bar_labels_both_ends_of_a_linear_scale(make_window):
    window = make_window()
    labels = [text for level in window.plots.states.colorbar.axis._tickLevels for _, text in level]
    assert "1" in labels and "−1" in labels
    assert window.plots.states.colorbar.axis.style["hideOverlappingLabels"] is False


def test_the_verdict_survives_a_narrow_header(make_window, qtbot):
    window = shown(make_window, qtbot, Config(activation="sigmoid"))
    j = window.plots.jacobian
    assert window.session.trace.verdict == "vanishing"
    line = j.badge_line
    full = line._width_of(line._texts[0])
    word = line._width_of(line._texts[1])
    j.setFixedWidth(j.width() - line.width() + (full + word) // 2)  # room for the word, not the factor
    qtbot.waitUntil(lambda: line.width() < full)
    assert "VANISHING" in j.badge.text()
    assert "/step" not in j.badge.text()
    assert j.badge.geometry().width() > 0  # shown, not dropped
    j.setFixedWidth(j.title_label.sizeHint().width() + 20)  # hardly any room: the word still shows
    qtbot.waitUntil(lambda: line.width() < word)
    assert "VANISHING" in j.badge.text() and j.badge.geometry().width() > 0  # the whole word, smaller


def test_gated_cells_say_an_equal_spectral_radius_once(make_window):
    window = make_window(Config(cell="lstm", wrec=1.8))
    text = window.plots.eigen.badge.text()
    assert text.count("1.80") == 1, text


@pytest.mark.parametrize("scale", [1.0, 1.5, 2.0])
@pytest.mark.parametrize("config", [Config(), Config(activation="sigmoid", wrec=0.5)], ids=["tanh", "sigmoid"])
def test_the_eigenvalue_header_says_each_number_with_an_equals_sign(qtbot, font_scale, config, scale):
    """'ρ 1.00 · σₘₐₓ 1.00 · 1/γ 1' read as a row of symbols, and '·' as a product;
    it is 'ρ = 1.00, σₘₐₓ = 1.00, 1/γ = 1'.
    A narrower header drops σₘₐₓ (a sigmoid's 1/γ before it: the dashed circle needs its value), then
    1/γ, then the '=' (large type), then all; whatever shows fits."""
    import re

    from ui.plots import EigenPlot
    from ui.session import Session

    font_scale(scale)
    session = Session(config)
    plot = EigenPlot(session)
    qtbot.addWidget(plot)
    plot.show()
    trace = session.trace
    rho, smax = fmt(trace.spectral_radius["W_hh"], 3), fmt(trace.sigma_max["W_hh"], 3)
    inv = f"1/γ = {1 / trace.net.gamma:g}"
    middle = f"ρ = {rho}, {inv}" if trace.net.gamma != 1 else f"ρ = {rho}, σₘₐₓ = {smax}"
    forms = [f"ρ = {rho}, σₘₐₓ = {smax}, {inv}", middle, f"ρ = {rho}", f"ρ {rho}", ""]
    seen = []
    for width in range(1400, 150, -25):
        plot.resize(width, 400)
        qtbot.wait(1)
        text = re.sub("<[^>]+>", "", plot.badge.text())
        assert text in forms, text
        if text:
            assert plot.badge_line._width_of(plot.badge.text()) <= plot.badge_line.width(), (width, text)
        if not seen or seen[-1] != text:
            seen.append(text)
    assert seen[0] == forms[0]  # the whole header where there is room
    assert seen == [f for f in forms if f in seen], seen  # shorter and shorter as the panel narrows
    assert len(seen) >= 3, seen


def test_colour_bar_ticks_of_overflowing_states_are_finite():
    from ui.plots import colorbar_ticks

    ticks = colorbar_ticks(-500.0, 500.0, "signed_log")[0]  # |h| up to 1e300 and beyond
    assert len(ticks) >= 3 and all(np.isfinite(v) for v, _ in ticks)


def test_the_three_step_ratios_at_one_playhead_agree_and_say_what_they_are(window):
    s = window.session
    s.update(topology="many_to_one")
    t = 9
    s.set_frame(s.frame_of("backward", t))
    g, J = s.trace.grad_norms, s.trace.jacobian_norms
    gradient, jacobian = fmt(g[t - 1] / g[t], 3), fmt(J[t - 1] / J[t], 3)
    _, parts = window.diagram.step_numbers()
    header = " ".join(parts)
    assert f"step {t}→{t - 1}" in header and "gradient" in header
    assert f"× {gradient}" in header
    equations = window.formula.text
    assert f"step {t}→{t - 1}" in equations and "gradient" in equations and f"×{gradient}" in equations
    label = window.plots.eigen.step_label.toPlainText()
    assert f"step {t}→{t - 1}" in label
    assert f"Jacobian ×{jacobian}" in label and f"gradient ×{gradient}" in label
    assert "so it can differ" in window.plots.eigen.caption_label.text()


def test_many_to_one_forward_header_shows_y_only_where_it_is_scored(window):
    s = window.session
    s.update(topology="many_to_one")
    s.set_frame(5)
    assert not any(p.startswith("y =") for p in window.diagram.step_numbers()[1])
    s.set_frame(s.trace.T - 1)
    assert any(p.startswith("y =") for p in window.diagram.step_numbers()[1])


def test_opening_a_lesson_leaves_no_ghost_of_the_screen_before(window):
    g = window.plots.gradient
    window.session.update(steps=30)  # the student's own change: a ghost
    assert g.ghost_y is not None
    lesson = next(le for le in window.lesson_panel.lessons if le.config != window.session.config)
    window.lesson_panel.open_lesson(lesson.id)
    assert window.session.config == lesson.config
    assert g.ghost_y is None and not g.ghost.isVisible()
    assert g.legend.getLabel(g.ghost) is None
    window.session.update(wrec=window.session.config.wrec * 1.2)  # the student's next change: a ghost again
    assert g.ghost_y is not None and g.ghost.isVisible()


def test_overflow_in_the_forward_pass_says_why_the_gradient_plots_are_empty(make_window):
    window = make_window(Config(activation="relu", wrec=10.0, steps=500, hidden=64))
    nf = window.session.trace.nonfinite
    assert nf is not None and nf.phase == "forward"
    for plot in (window.plots.gradient, window.plots.jacobian):
        assert plot.notice.isVisible()
        assert f"forward pass overflowed at t = {nf.step}" in plot.notice.toPlainText()
    window.session.update(activation="tanh")
    assert not window.plots.gradient.notice.isVisible() and not window.plots.jacobian.notice.isVisible()


def test_verdict_tooltip_states_the_engines_rule(make_window):
    window = make_window(Config(wrec=0.95, steps=100, activation="identity"))
    trace = window.session.trace
    tip = window.plots.jacobian.badge.toolTip()
    assert "f < 0.9" in tip and "1/10" in tip and "f > 1.1" in tip and "> 10" in tip
    assert f"f = {fmt(trace.growth_factor, 3)}" in tip


def test_verdict_rule_text_survives_a_factor_that_overflows_over_the_sequence():
    """f^(T-1) for f = 10 over 400 steps is beyond float64: the tooltip says inf, it does not raise."""
    from ui.plots import verdict_rule

    assert "inf" in verdict_rule(10.0, 400) or "∞" in verdict_rule(10.0, 400)


def test_the_eigenvalue_plot_step_note_sits_on_a_card(window):
    """During BPTT the 'step t→t−1 / Jacobian / gradient' note lies over the dots: it needs a
    background of its own to stay readable."""
    s = window.session
    s.set_frame(s.frame_of("backward", 7))
    label = window.plots.eigen.step_label
    assert label.isVisible()
    assert label.fill.color().alpha() >= 200
    assert label.fill.color().rgb() == QColor(window.theme.colours.background).rgb()


@pytest.mark.parametrize("height", [120, 180, 400])
def test_heatmap_unit_labels_do_not_overlap(make_window, qtbot, height):
    """The states heatmap labels as many units as its height has room for, a label's height apart."""
    window = shown(make_window, qtbot)
    window.session.update(hidden=32)
    states = window.plots.states
    states.plot_widget.setFixedHeight(height)
    qtbot.wait(30)
    ticks = states.plot.getAxis("left")._tickLevels[0]
    units = [u for u, _ in ticks]
    assert len(units) >= 2
    px_per_unit = states.plot.vb.height() / 32
    gaps = np.diff(sorted(units)) * px_per_unit
    line = QFontMetricsF(states.plot.getAxis("left").style["tickFont"] or states.font()).height()
    assert gaps.min() >= line, (units, gaps.min(), line)


def test_jacobian_plot_says_nothing_over_a_curve_it_can_draw_after_an_overflow(make_window):
    # identity RNN: the step Jacobians are W_hh whatever the states, so their products exist near T−1
    window = make_window(Config(activation="identity", wrec=10.0, steps=1000, hidden=4))
    assert window.session.trace.nonfinite is not None and window.session.trace.nonfinite.phase == "forward"
    j = window.plots.jacobian
    assert np.isfinite(j.y).any()
    assert not j.notice.isVisible()
    assert window.plots.gradient.notice.isVisible()  # the gradient has nothing to draw


def test_the_truncated_bands_label_reads_over_the_shading_and_the_veil(make_window, qtbot):
    """'truncated: no gradient' was muted grey on grey shading, and the veil (steps not reached yet) covered it."""
    from PySide6.QtGui import QColor

    window = shown(make_window, qtbot, Config(cell="lstm", truncate=5))
    plot = window.plots.gradient
    label = plot.truncated_label
    assert label.isVisible() and plot.truncated.isVisible()
    assert label.zValue() > plot.veil.zValue()

    def luminance(colour: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())

    text, back = label.textItem.defaultTextColor(), QColor(window.theme.colours.background)
    lo, hi = sorted((luminance(text), luminance(back)))
    assert (hi + 0.05) / (lo + 0.05) >= 7.0  # WCAG's AAA for small text, on the background under the shading


def test_headers_write_subscripts_not_source_notation(make_window, qtbot):
    """'h_t: hidden state' over the heatmap and 'ρ(W_hh)' or 'W_hh = 0.9' over the diagram were source notation."""
    from ui.unrolled_view import UnrolledView

    window = shown(make_window, qtbot, Config(cell="lstm"))
    states = window.plots.states
    texts = []
    for name in states.names:
        states.select(name)
        texts += list(states.badge_line._texts)
    for hidden in (16, 1):
        trace = Session(Config(hidden=hidden)).trace
        texts.append(UnrolledView._wrec_label(trace))
    raw = [t for t in texts if any(s in t for s in ("_t", "W_hh", "W_ih"))]
    assert not raw, raw
    assert any("hₜ" in t for t in texts) and any("cₜ" in t for t in texts)
    assert texts[-2].startswith("ρ(Wₕₕ) = ") and texts[-1].startswith("Wₕₕ = ")


def test_the_overflow_notice_is_not_crossed_by_the_overflow_line(make_window, qtbot):
    """Identity at Wrec 3 over 800 steps: the gradient plot's 'the forward pass overflowed at t = 648' sat in
    the middle of the view with the orange overflow line at t = 648 running through its words."""
    import numpy as np
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QImage

    window = shown(make_window, qtbot, Config(activation="identity", wrec=3.0, steps=800))
    plot = window.plots.gradient
    assert plot.notice.isVisible() and plot.overflow.isVisible()
    view, box_of_view = plot.plot_widget, plot.plot.getViewBox()
    image = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    rows = np.frombuffer(image.constBits(), np.uint32).reshape(image.height(), image.bytesPerLine() // 4)
    box = view.mapFromScene(plot.notice.sceneBoundingRect()).boundingRect()
    line_x = view.mapFromScene(box_of_view.mapViewToScene(QPointF(plot.overflow.value(), 0))).x()
    assert box.left() < line_x < box.right(), (box, line_x)  # the line does pass behind the notice
    dpr = image.devicePixelRatio()
    column = rows[:, int(line_x * dpr)]
    line = column[int((box.top() - 4) * dpr)]  # the line's colour just above the notice
    inside = column[int((box.top() + 4) * dpr) : int((box.bottom() - 4) * dpr)]
    assert np.mean(inside == line) < 0.3, np.mean(inside == line)  # hidden behind the notice's card
