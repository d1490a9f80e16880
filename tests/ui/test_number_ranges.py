"""Numbers a fresh-eyes review found misleading: a legend past float64's range, a gradient plot silent
about its own factor while the verdict (the Jacobians' worst case) says the opposite."""

import numpy as np

from simulator.config import Config
from ui import diagram as dg
from ui.plots import fmt
from ui.session import Session


def test_the_log_legend_never_names_a_decade_past_float64():
    norms = np.array([1e-3, 1e300, 1.5e308])
    u, lo, hi = dg.log_scale(norms)
    assert hi == 308 and dg.decade(hi) == "1e308"
    assert u.max() == 1.0 and u.min() >= 0.0
    u, lo, hi = dg.log_scale(np.array([1.7e308]))  # one value near the top: still two decades wide
    assert hi == 308 and hi - lo >= 2
    u, lo, hi = dg.log_scale(np.array([0.5, 3.0]))  # ordinary norms keep their whole decades
    assert (lo, hi) == (-1.0, 1.0)


def test_the_gradient_plot_shows_the_gradients_own_factor_next_to_the_jacobian_verdict(qtbot):
    from ui.plots import GradientPlot

    session = Session(Config(cell="gru", wrec=2.5, steps=20))
    plot = GradientPlot(session)
    qtbot.addWidget(plot)
    trace = session.trace
    assert trace.verdict == "exploding" and trace.gradient_factor < 1  # the case that read as a contradiction
    f = trace.gradient_factor
    assert trace.gradient_verdict == "stable"  # ×0.925 over 19 steps is 0.23: within a factor of 10
    assert plot.badge_line._texts[0].endswith(f">STABLE</span> ×{fmt(f, 3)}/step back")  # its own verdict
    # narrower, the verdict stays with a shorter factor (a bare factor beside the Jacobian plot's EXPLODING read
    # as that verdict's); the bare factor is the last resort (font 2 in a narrow plot)
    stable = plot.badge_line._texts[0].split("· ")[-1].split(" ×")[0]
    assert list(plot.badge_line._texts[-5:]) == [
        f"{stable} ×{fmt(f, 3)}/step back", f"{stable} ×{fmt(f, 3)}/step", f"{stable} ×{fmt(f, 3)}",
        f"×{fmt(f, 3)}/step", f"×{fmt(f, 3)}",
    ]  # fmt: skip
    session.update(topology="many_to_many")  # a loss at every step: no single factor to show
    assert not any("/step back" in t for t in plot.badge_line._texts)
    assert "a loss at every step" in plot.badge_line._texts[0]


def test_a_log_axis_writes_its_decades_in_one_form_and_marks_the_ones_between():
    from ui.plots import LogAxis

    axis = LogAxis("left")
    axis.setLogMode(False, True)
    assert axis.tickStrings([-16.0, -8.0, 0.0], 1.0, 8.0) == ["10⁻¹⁶", "10⁻⁸", "10⁰"]  # not '1' beside '10⁻¹⁶'
    assert axis.tickStrings([-2.0, -1.0, 0.0], 1.0, 1.0) == ["0.01", "0.1", "1"]
    (step, labelled), (_, marks) = axis.logTickValues(-16.4, 0.4, 150, None)
    assert len(labelled) >= 3 and step > 1  # 17 decades on 150 px: labels every few decades ...
    assert set(range(-16, 1)) == {round(v) for v in labelled + marks}  # ... and a mark at every one
    assert not set(labelled) & set(marks)
    (_, labelled), (_, marks) = axis.logTickValues(-300.4, 0.4, 150, None)  # 300 decades: no wall of marks
    assert 0 < len(marks) <= 150 / LogAxis.MINOR_PX


def test_the_hidden_state_heatmap_says_when_its_colours_mean_other_values_than_the_diagrams(qtbot):
    """The diagram colours h on ±1; the heatmap spreads small states over its colours (±0.1 for a
    3-layer LSTM): the same gold would mean 1 in one and 0.1 in the other, so the heatmap says so."""
    from ui.plots import StatesPlot

    session = Session(Config(cell="lstm", layers=3, steps=20))
    plot = StatesPlot(session)
    qtbot.addWidget(plot)
    _, hi = plot.colorbar.levels()
    assert hi < 1.0
    assert any("±1 in the diagram" in t for t in plot.badge_line._texts)
    session.update(cell="rnn", layers=1, wrec=1.5)  # states near ±1: one scale, nothing to say
    assert plot.colorbar.levels()[1] == 1.0
    assert not any("diagram" in t for t in plot.badge_line._texts)


def test_log_axis_labels_keep_apart_at_a_large_font():
    """At font scale 2 a tick label is twice as tall: '0.1' was drawn over '0.01' on a short axis."""
    from PySide6.QtGui import QFont

    from ui.plots import LogAxis

    axis = LogAxis("left")
    axis.setLogMode(False, True)
    small = [v for _, vs in axis.logTickValues(-1.6, -0.2, 60, None) for v in vs]
    font = QFont(axis.font())
    font.setPointSizeF(2 * font.pointSizeF())
    axis.setStyle(tickFont=font)
    assert axis.label_px() > LogAxis.LABEL_PX
    big = [v for _, vs in axis.logTickValues(-1.6, -0.2, 60, None) for v in vs]
    assert len(big) < len(small)
    assert all(b - a >= axis.label_px() * 1.4 / 60 for a, b in zip(sorted(big), sorted(big)[1:]))


def test_log_axis_steps_between_decades_keep_a_label_apart():
    """0.03, 0.1 and 0.3 are not evenly spaced on a log axis: '0.3' was drawn over '0.1' on a short one."""
    from ui.plots import LogAxis

    axis = LogAxis("left")
    axis.setLogMode(False, True)
    for size in (70, 90, 150):  # (below ~3 labels high no two fit: the two outermost are kept)
        ticks = [v for _, vs in axis.logTickValues(-1.7, 0.05, size, None) for v in vs]
        assert len(ticks) >= 2, size
        gaps = np.diff(sorted(ticks)) * size / 1.75
        assert gaps.min() >= axis.label_px() - 1e-9, (size, ticks)


def test_the_eigenvalue_plots_step_note_gives_way_in_a_small_view(qtbot):
    """At font 2 in a small window the note ('step 9→8 / Jacobian ×… / gradient ×…')
    covered the eigenvalues and was cut at the left; it shows only where it leaves them room."""
    from ui.plots import EigenPlot

    session = Session(Config(steps=20))
    plot = EigenPlot(session)
    qtbot.addWidget(plot)
    plot.resize(700, 500)
    plot.show()
    qtbot.wait(20)
    session.set_frame(session.frame_of("backward", 9))
    assert plot.step_circle.isVisible() and plot.step_label.isVisible()
    assert plot.step_label.toPlainText().startswith("step 9→8\nJacobian ×")
    plot.resize(260, 200)
    qtbot.wait(20)
    assert plot.step_circle.isVisible() and not plot.step_label.isVisible()  # at once, not at the next frame
    session.set_frame(session.frame_of("backward", 8))
    assert plot.step_circle.isVisible() and not plot.step_label.isVisible()
    plot.resize(700, 500)
    qtbot.wait(20)
    assert plot.step_label.isVisible()


def test_colour_indices_saturate_and_put_nan_in_the_middle():
    """value_index: ±vmax and beyond (±inf too) at the ends of the diverging map, NaN and 0 at its
    centre; unit_index: [0, 1] onto the sequential map, NaN at its start. Any array shape, or none."""
    top = dg.LUT_SIZE - 1
    values = np.array([[-np.inf, -2.0, -1.0, 0.0, np.nan], [0.5, 1.0, 3.0, np.inf, 1e308]])
    assert dg.value_index(values).tolist() == [
        [0, 0, 0, round(top / 2), round(top / 2)],
        [round(0.75 * top), top, top, top, top],
    ]
    assert dg.value_index(values, vmax=4.0)[0, 1] == round(0.25 * top)
    assert dg.value_index(np.nan).shape == () and dg.value_index(np.nan) == round(top / 2)
    assert dg.unit_index(np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan, np.inf])).tolist() == [
        0, 0, round(0.5 * top), top, top, 0, top,
    ]  # fmt: skip


def test_the_gradient_header_says_how_its_verdict_differs_from_the_toolbars(qtbot):
    """×0.773 in the toolbar and ×0.774 in the gradient header, or EXPLODING beside STABLE (a GRU
    at Wrec 2.5): the header's tooltip says which quantity each is fitted on."""
    from ui.plots import GradientPlot

    plot = GradientPlot(Session(Config(cell="gru", wrec=2.5)))
    qtbot.addWidget(plot)
    tip = plot.badge.toolTip()
    assert "‖∂L/∂h_t‖" in tip and "‖∂h_{T−1}/∂h_t‖" in tip and "can differ" in tip
