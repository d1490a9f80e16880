"""The unrolled diagram: one group per step, the playhead, gradient widths from the trace, folding, overflow."""

import numpy as np
import pytest

from simulator.config import Config
from ui.session import Session
from ui.unrolled_view import UnrolledView


@pytest.fixture
def make_view(qtbot):
    def make(**config) -> UnrolledView:
        view = UnrolledView(Session(Config(**config)))
        qtbot.addWidget(view)
        view.resize(1000, 420)
        return view

    return make


def test_one_step_group_per_step_and_steps_change_the_diagram(make_view):
    view = make_view(steps=6, topology="many_to_one")
    assert len(view.step_groups) == 6
    assert view.recurrent_edge_count() == 6
    assert [g.has_loss for g in view.step_groups] == [False] * 5 + [True]
    view.session.update(steps=7)  # "add step"
    assert len(view.step_groups) == 7
    assert view.step_groups[-1].t == 6
    view.session.update(steps=5)  # "remove step"
    assert len(view.step_groups) == 5
    view.grab()


def test_topology_shows_which_steps_have_an_input_and_a_loss(make_view):
    view = make_view(steps=4, topology="one_to_many")
    assert [g.has_input for g in view.step_groups] == [True, False, False, False]
    assert all(g.has_loss for g in view.step_groups)
    view.session.update(topology="many_to_many")
    assert all(g.has_input and g.has_loss for g in view.step_groups)


def test_the_highlighted_step_follows_the_frame(make_view):
    view = make_view(steps=5)
    s = view.session
    for frame, (phase, t) in [(0, ("forward", 0)), (3, ("forward", 3)), (5, ("backward", 4)), (9, ("backward", 0))]:
        s.set_frame(frame)
        assert (view.phase, view.highlighted_step) == (phase, t)
    view.grab()


def test_backward_frames_set_edge_widths_from_the_gradient_norms(make_view):
    view = make_view(steps=12, wrec=0.6, hidden=4)  # vanishing: the norms grow towards the last step
    s = view.session
    g = s.trace.grad_norms
    s.set_frame(s.frame_of("backward", 0))  # the front has passed every step
    widths = np.array([view.edge_width(t) for t in range(12)])
    order = np.argsort(g)
    assert np.all(np.diff(widths[order]) >= 0)  # larger gradient, wider edge
    assert widths[order[-1]] > 2 * widths[order[0]]
    # before the front arrives an edge keeps its plain width; forward frames draw no gradient
    s.set_frame(s.frame_of("backward", 8))
    assert view.edge_width(3) == view.edge_width(4) < view.edge_width(8)
    s.set_frame(2)
    assert len({view.edge_width(t) for t in range(12)}) == 1
    view.grab()


def test_folded_shows_one_recurrent_loop(make_view):
    view = make_view(steps=8)
    view.set_folded(True)
    assert view.folded and view.recurrent_edge_count() == 1
    view.session.set_frame(10)
    view.grab()
    view.set_folded(False)
    assert view.recurrent_edge_count() == 8


def test_a_non_finite_trace_renders(make_view):
    view = make_view(cell="rnn", activation="identity", wrec=10, steps=1000, hidden=4)
    s = view.session
    assert s.trace.nonfinite is not None
    for frame in (0, 400, s.frame_of("backward", 999), s.n_frames - 1):
        s.set_frame(frame)
        view.grab()
    view.set_folded(True)
    view.grab()
    view.set_folded(False)
    view._zoom_pitch = 120.0  # zoomed in on the overflow: hatched nodes with text
    s.set_frame(312)
    view._follow()
    view.grab()
    assert view.highlighted_step == 312


def test_stacked_lstm_and_gru_render(make_view):
    for config in (dict(cell="lstm", layers=2, steps=5), dict(cell="gru", steps=30, hidden=1)):
        view = make_view(**config)
        view.session.set_frame(view.session.n_frames - 2)
        view.grab()
        assert view.recurrent_edge_count() == config.get("layers", 1) * config["steps"]


def test_wheel_zooms_the_time_axis_and_drag_pans_it(make_view, qtbot):
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    view = make_view(steps=200)
    fit = view._layout().pitch
    centre = QPointF(500, 200)
    wheel = QWheelEvent(centre, centre, QPoint(), QPoint(0, 360), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
    QApplication.sendEvent(view, wheel)
    zoomed = view._layout()
    assert zoomed.pitch > 1.5 * fit
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(500, 200))
    qtbot.mouseMove(view, QPoint(300, 200))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(300, 200))
    assert view._layout().origin < zoomed.origin  # dragged left: later steps come into view
    assert view._layout().cx(5) < view._layout().area.left()
    view.session.set_frame(5)  # the playhead is out of view: the view follows it
    lay = view._layout()
    assert lay.area.left() <= lay.cx(5) <= lay.area.right()
    view.grab()
    view.reset_zoom()
    assert view._layout().pitch == fit


def test_shrinking_the_sequence_under_a_late_playhead(make_view, qtbot):
    from ui.cell_view import CellView

    view = make_view(steps=30)
    cell = CellView(view.session)
    qtbot.addWidget(cell)
    s = view.session
    s.set_frame(s.n_frames - 1)
    s.update(steps=3)
    assert 0 <= view.highlighted_step < 3 and 0 <= cell._t < 3
    view.grab()
    cell.grab()


def test_the_header_shortens_its_words_before_it_cuts_them(qapp):
    """In a narrow diagram the topology's explanation goes first, then the topology's name: never a cut word."""
    from PySide6.QtGui import QFont, QFontMetricsF

    from ui.unrolled_view import fitting_text

    fm = QFontMetricsF(QFont())
    texts = ["ρ(W_hh) = 1.00 · many-to-one: a loss at the last step", "ρ(W_hh) = 1.00 · many-to-one", "ρ(W_hh) = 1.00"]
    assert fitting_text(fm, 1e4, texts) == texts[0]
    assert fitting_text(fm, fm.horizontalAdvance(texts[1]) + 1, texts) == texts[1]
    assert fitting_text(fm, fm.horizontalAdvance(texts[2]) + 1, texts) == texts[2]
    assert fitting_text(fm, 20, texts).endswith("…")


@pytest.mark.parametrize("height", [150, 260, 600])
def test_row_names_keep_to_their_rows_in_a_short_view(make_view, height):
    """A short diagram (a projector at 1280x720, large type) draws each row's name within its row."""
    from PySide6.QtGui import QFontMetricsF

    view = make_view(steps=30, layers=2)
    view.resize(700, height)
    lay = view._layout()
    ink = QFontMetricsF(view._name_font(lay)).ascent()  # a name's letters reach this far above its baseline
    assert ink <= lay.row_h, f"names {ink:.1f} px high in rows {lay.row_h:.1f} px apart"
    assert view.grab().width() == 700  # and it paints
