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
    g = s.trace.carried_grad_norms[-1]  # what each step sends back across W_hh
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


def test_an_edge_carries_only_what_crosses_w_hh(make_view):
    """Lesson 1's 'cut the loop' (Wrec = 0, a loss at every step): BPTT drew thick W_hh arrows back
    through every step, each edge showing its step's own ‖∂L/∂h_t‖. The edges now show what crosses
    them, nothing here: dotted, the plain width; the bars and the header keep ‖∂L/∂h_t‖."""
    view = make_view(steps=8, wrec=0.0, topology="many_to_many")
    s = view.session
    s.set_frame(s.frame_of("backward", 0))
    assert (s.trace.grad_norms > 0).all()
    assert (view._edge_state == 1).all()  # nothing crosses: drawn dotted
    assert len({view.edge_width(t) for t in range(8)}) == 1
    s.update(wrec=1.0)
    assert (view._edge_state[:, 1:] == 0).all()
    g, e = s.trace.grad_norms, s.trace.carried_grad_norms[-1]
    assert not np.allclose(e, g)  # an edge is not its step's ‖∂L/∂h_t‖ (that adds the loss at t)
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
    texts = ["ρ(Wₕₕ) = 1.00 · many-to-one: a loss at the last step", "ρ(Wₕₕ) = 1.00 · many-to-one", "ρ(Wₕₕ) = 1.00"]
    assert fitting_text(fm, 1e4, texts) == texts[0]
    assert fitting_text(fm, fm.horizontalAdvance(texts[1]) + 1, texts) == texts[1]
    assert fitting_text(fm, fm.horizontalAdvance(texts[2]) + 1, texts) == texts[2]
    assert fitting_text(fm, 20, texts).endswith("…")


@pytest.mark.parametrize("height", [150, 260, 600])
def test_row_names_keep_to_their_rows_in_a_short_view(make_view, height):
    """A short diagram (a projector at 1280x720, large type) draws each row's name within its row."""
    from PySide6.QtGui import QFontMetricsF

    view = make_view(steps=30, layers=2)
    view.setMinimumHeight(120)  # as the main window lets it shrink (its own minimum would hold it at 200)
    view.resize(700, height)
    assert view.height() == height
    lay = view._layout()
    ink = QFontMetricsF(view._name_font(lay)).ascent()  # a name's letters reach this far above its baseline
    assert ink <= lay.row_h, f"names {ink:.1f} px high in rows {lay.row_h:.1f} px apart"
    assert view.grab().width() == 700  # and it paints


@pytest.mark.parametrize("scale", [1.0, 1.62])
@pytest.mark.parametrize("width", [1600, 820, 780, 520])
def test_the_line_of_numbers_shows_its_numbers_whole_during_bptt(make_view, font_scale, scale, width):
    """Wide enough for the legends at its right, the header's second line cut the ratio it is there
    for ('(gradient ‖∂L/∂h‖ r…'): it takes shorter words, never fewer numbers."""
    from PySide6.QtGui import QFontMetricsF

    from ui.diagram import fmt, number

    font_scale(scale)
    view = make_view(cell="lstm", steps=100)
    view.resize(width, 420)
    s = view.session
    g = s.trace.grad_norms_layers[-1]
    for t in (98, 49, 7, 1):
        s.set_frame(s.frame_of("backward", t))
        lead, text, size = view.numbers_line()
        assert lead == f"BPTT  t = {t}" and "…" not in text, (width, text)
        assert f"‖∂L/∂h‖ = {fmt(g[t])}" in text and f"× {number(g[t - 1] / g[t], 3)}" in text, (width, text)
        rect = view._header_rects(view._layout())[1]
        bold, font = view._scaled(view._bold, size), view._scaled(view._font, size)
        need = QFontMetricsF(bold).horizontalAdvance(lead + "   ") + QFontMetricsF(font).horizontalAdvance(text)
        assert need <= rect.width() and size >= 0.8
    if width >= 1600 and scale == 1.0:  # room for every word
        assert text == "   ".join(view.step_numbers()[1])
    s.set_frame(3)  # forward: x, h, y and the loss term, whole
    assert "…" not in view.numbers_line()[1]
    view.grab()


@pytest.mark.parametrize(
    ("config", "size", "scale", "text"),
    [
        (dict(steps=5), (729, 375), 1.62, "Wₕₕ"),  # lesson 1 presented at 1600x1000
        (dict(steps=5), (580, 265), 1.44, "Wₕₕ"),  # ... and at 1280x720
        (dict(steps=5, hidden=1), (1000, 420), 1.0, "Wₕₕ = "),  # one unit: the weight's value too
        (dict(steps=4, layers=2), (1000, 420), 1.0, "Wₕₕ⁽"),  # stacked: each layer's own matrix
        (dict(steps=12), (1000, 420), 1.0, "Wₕₕ"),
        (dict(steps=10), (785, 375), 1.62, "Wₕₕ"),  # lesson 1 step 2 presented: none of 10 were drawn
        (dict(steps=8), (785, 375), 1.62, "Wₕₕ"),  # lesson 3
        (dict(steps=12, layers=3), (1000, 470), 1.62, "Wₕₕ⁽"),  # three layers: only the top one had them
        (dict(steps=12, layers=3), (785, 375), 1.0, "Wₕₕ⁽"),
    ],
)
def test_every_recurrent_edge_has_its_w_hh_label(make_view, font_scale, config, size, scale, text):
    """Lesson 1 asks to count the W_hh labels: each recurrent edge has one whenever nodes are drawn
    (presenting at 1600x1000, T = 5, there were none: the label had to fit in the body type; T = 10
    or three layers, none either), on every layer, written Wₕₕ (drawn with a lowered, smaller hh)."""
    from ui.diagram import sub_text_width

    font_scale(scale)
    view = make_view(**config)
    view.setMinimumHeight(120)
    view.resize(*size)
    s = view.session
    s.set_frame(s.frame_of("backward", 0))
    lay = view._layout()
    assert not lay.dense
    labels = view.edge_labels()
    L, T = view._L, view._T
    assert sorted((k, t) for k, t, _, _ in labels) == [(k, t) for k in range(L) for t in range(T)]
    assert all(label.startswith(text) for _, _, label, _ in labels)
    assert min(h for *_, h in labels) >= 0.55 * lay.em - 0.5  # type no smaller than a readable minimum
    assert not any("_" in label for *_, label, _ in labels)
    if L >= 2:
        assert {label for k, _, label, _ in labels if k == 1} == {"Wₕₕ⁽²⁾"}
    for k in range(L):  # above its edge: between the two circles, or above them between the arrows up; or on it
        label, font, dy, h, stride = view._edge_label(lay, k)
        assert stride == 1  # every edge labelled: the lesson counts them
        w = sub_text_width(font, label)
        assert w <= lay.pitch - 0.4 * lay.em
        if dy == 0:  # on the edge, between the circles
            assert w < lay.pitch - 2 * lay.r
        else:
            assert dy > 0.5 * h and (w < lay.pitch - 2 * lay.r or dy - 0.5 * h > lay.r)
    view.grab()


def test_many_steps_label_every_kth_edge_in_a_type_read_from_afar(make_view):
    """T = 30 in the 1600x1000 window drew Wₕₕ 6 px high on every edge: unreadable in a hall. Where
    the body type fits on no single edge and smaller type would go below EDGE_LABEL_READ_EM line
    heights, every k-th edge (counted back from the last) has it in the body type, clear of the next."""
    from ui.diagram import sub_text_width
    from ui.unrolled_view import EDGE_LABEL_READ_EM

    view = make_view(cell="lstm", steps=30)
    view.resize(840, 330)  # the diagram's size in the 1600x1000 window
    s = view.session
    s.set_frame(s.frame_of("backward", 0))
    lay = view._layout()
    assert not lay.dense
    text, font, dy, h, stride = view._edge_label(lay, 0)
    assert stride > 1 and font == view._font  # the body type, on every stride-th edge
    assert h >= EDGE_LABEL_READ_EM * lay.em
    assert sub_text_width(font, text) <= stride * lay.pitch - 0.5 * lay.em  # clear of the next label
    assert dy - 0.5 * h > lay.r  # above the circles
    labelled = [t for _, t, _, _ in view.edge_labels()]
    assert labelled == [t for t in range(30) if (29 - t) % stride == 0]  # the last edge always has one
    assert len(labelled) >= 30 // stride
    view.grab()


def test_too_many_steps_for_nodes_draw_no_labels(make_view):
    view = make_view(steps=200)
    assert view._layout().dense and view.edge_labels() == []


@pytest.mark.parametrize("scale", [1.0, 1.44])
@pytest.mark.parametrize(("layers", "height"), [(1, 170), (2, 170), (1, 240), (1, 120)])
def test_a_short_diagram_gives_its_rows_the_room(make_view, font_scale, scale, layers, height):
    """Presenting at 1280x720 the header took about 110 px of a 170 px diagram (rows 4 px apart):
    a short diagram keeps at most two header lines, its legends in the header's tooltip."""
    font_scale(scale)
    view = make_view(steps=30, layers=layers)
    view.setMinimumHeight(120)  # as the main window (DIAGRAM_MIN_HEIGHT)
    view.resize(700, height)
    assert view.height() == height
    lay = view._layout()
    em = lay.em
    line1, line2, legends = view._header_rects(lay)
    assert lay.area.top() <= 2.8 * em  # two lines at most
    assert line2.bottom() <= lay.area.top() and (line1.isEmpty() or line1.bottom() <= line2.top())
    assert legends.isEmpty()  # not below the lines, where they took the rows' room
    # the rows before: under a header of the title, the numbers and the legends below them
    before = max(10.0, height - 5.5 * em - 1.8 * em) / (3.9 + 1.15 * (layers - 1))
    assert lay.row_h >= max(before, min(1.5 * em, 2 * before)), f"rows {lay.row_h:.1f} px apart, em {em:.1f}"
    if scale == 1.0 and height >= 170 and layers == 1:
        assert lay.row_h >= 1.2 * em and not line1.isEmpty()  # and the title stays
    tip = view._tooltip(line2.center())  # the legends are a hover away
    assert "value" in tip and "‖∂L/∂h‖" in tip and "NaN" in tip
    if line1.isEmpty():
        assert "T = 30" in tip
    view.session.set_frame(view.session.n_frames - 1)
    assert "…" not in view.numbers_line()[1]
    view.grab()


def test_a_tall_diagram_keeps_its_legends(make_view):
    view = make_view(steps=30)
    view.resize(700, 420)
    lay = view._layout()
    assert lay.header == "full" and not view._header_rects(lay)[2].isEmpty()
    assert view._tooltip(view._header_rects(lay)[1].center()) == ""


@pytest.mark.parametrize(("steps", "height"), [(5, 170), (5, 300), (30, 170), (30, 130)])
def test_partial_repaints_of_a_short_diagram_leave_the_pixels_of_a_full_one(qtbot, font_scale, steps, height):
    """The header's rows and the edge labels stay inside what a frame or a new trace repaints."""
    from PySide6.QtWidgets import QApplication

    font_scale(1.44)
    view = UnrolledView(Session(Config(steps=steps)))
    qtbot.addWidget(view)
    view.setMinimumHeight(120)
    view.resize(620, height)
    view.show()
    qtbot.waitExposed(view)

    def screen() -> np.ndarray:
        QApplication.processEvents()
        image = QApplication.primaryScreen().grabWindow(view.winId()).toImage()
        image = image.convertToFormat(image.Format.Format_RGBA8888)
        rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
        return rows[:, : image.width()].astype(int)

    def differ() -> np.ndarray:
        """Pixels a full repaint changes by more than the last bit of an antialiased edge's blend."""
        shown = screen()
        view.update()
        return np.argwhere((np.abs(shown - screen()) > 2).any(axis=2))

    s = view.session
    T = s.trace.T
    for frame in (0, 1, 2, T - 1, T, T + 1, 2 * T - 2, 2 * T - 1, 3):
        s.set_frame(frame)
        assert len(differ()) == 0, f"frame {frame}: {differ()[:3].tolist()}"
    s.update(wrec=1.3)  # a new trace of the same shape repaints the header and the steps only
    assert len(differ()) == 0


@pytest.mark.parametrize("scale", [1.0, 1.44, 1.62])
@pytest.mark.parametrize("config", [dict(steps=10), dict(steps=10, hidden=1), dict(steps=10, topology="many_to_one")])
def test_the_title_never_cuts_wrec_s_number(make_view, font_scale, scale, config):
    """Presenting, the title line read 'ρ(Wₕₕ) = 1…' (as if ρ = 1) or 'ρ(W_h…': it offers
    'ρ = 1.00', then leaves Wrec out (the eigenvalue plot says it), never an elided number."""
    font_scale(scale)
    view = make_view(**config)
    seen = set()
    for width in range(330, 1300, 10):
        view.resize(width, 420)
        lay = view._layout()
        line1 = view._header_rects(lay)[0]
        title, forms = view._title_texts()
        _, rest, _ = view._fit_pair(line1.width(), title, forms, 1.0)
        assert "…" not in rest and rest in forms, (width, rest)
        seen.add(rest)
    short = view._wrec_short
    assert short.startswith(("ρ = ", "W = ")) and short in seen  # the short whole form is used somewhere
    view.grab()


@pytest.mark.parametrize("scale", [1.0, 1.4, 1.62])
@pytest.mark.parametrize("topology", ["many_to_many", "many_to_one"])
def test_the_line_of_numbers_drops_numbers_before_it_cuts_one_in_forward_frames(make_view, font_scale, scale, topology):
    """'x=3.04 h=−0.07 y=−…': with no room for every number at the smallest type the line drops the
    loss, then y, then x; h, the one the diagram is about, stays whole."""
    font_scale(scale)
    view = make_view(steps=12, topology=topology, cell="gru")
    s = view.session
    for width in range(330, 900, 15):
        view.resize(width, 420)
        for t in (0, 5, 11):
            s.set_frame(t)
            _, text, size = view.numbers_line()
            assert "…" not in text, (width, t, text)
            h = view._text("h", view._L - 1, t)
            assert f"h={h}" in text or f"h = {h}" in text or f"h (unit 1) = {h}" in text, (width, t, text)
            assert size >= 0.8
    view.grab()


def test_the_shortest_bptt_numbers_say_what_the_ratio_is(make_view, font_scale):
    """The shortest BPTT form '× 0.76' said nothing of what it was: a header with room for a few
    more letters says 'ratio × 0.76' or '2→1: × 0.76'."""
    from PySide6.QtGui import QFontMetricsF

    view = make_view(steps=12, hidden=4)
    s = view.session
    s.set_frame(s.frame_of("backward", 2))
    lead, forms = view.step_number_forms()
    bare = forms[-1]
    assert bare.endswith(f"   × {bare.rsplit('× ', 1)[1]}")
    need = QFontMetricsF(view._bold).horizontalAdvance(lead + "   ")
    need += QFontMetricsF(view._font).horizontalAdvance(bare.replace("   ×", "   ratio ×"))
    _, text, scale = view._fit_pair(need + 1, lead, forms, 0.8)
    assert scale == 1.0 and ("ratio ×" in text or "2→1: ×" in text), text


def test_the_value_legend_says_its_ends_saturate(make_view):
    """x is standard-normal and a state can pass 1: the diagram's colour scale ends at ±1 and says so
    (drawn in the header, or in its tooltip where a short view gives the legends up)."""
    view = make_view(steps=20)
    assert np.abs(view.session.trace.x).max() > 1  # values beyond the ends are common
    view.setMinimumHeight(100)
    view.resize(1000, 120)
    tip = view._header_tooltip(view._layout())
    assert "≤−1" in tip and "≥+1" in tip
    view.grab()


def test_labels_on_every_kth_edge_stay_inside_the_diagram(make_view, monkeypatch):
    """Stacked layers' labels (Wₕₕ⁽²⁾) are wider than a step: the first and the last were cut at the
    diagram's ends. Every label drawn lies inside the area the steps are drawn in."""
    import ui.diagram as dg_module

    view = make_view(cell="lstm", variant="cifg", steps=45, layers=2)
    view.resize(840, 330)
    s = view.session
    s.set_frame(s.frame_of("backward", 39))
    lay = view._layout()
    assert all(view._edge_label(lay, k)[4] > 1 for k in range(2))  # every k-th edge here
    drawn = []
    real = dg_module.sub_text

    def spy(p, mid, text, font):
        drawn.append((mid.x(), dg_module.sub_text_width(font, text)))
        return real(p, mid, text, font)

    monkeypatch.setattr(dg_module, "sub_text", spy)
    view.grab()
    labels = [(x, w) for x, w in drawn if w > 0]
    assert labels
    assert all(lay.area.left() <= x - w / 2 and x + w / 2 <= lay.area.right() for x, w in labels)


def test_the_dense_diagram_shows_an_unreached_loss_faint(make_view):
    """At T = 100 the many-to-one loss marker was drawn in the full gradient blue during the forward
    pass, while the shapes at T = 30 draw an unreached loss box pale: the strip is faint until the
    forward pass reaches the step, full once it has (and in BPTT)."""
    view = make_view(steps=100, topology="many_to_one")
    s = view.session
    lay = view._layout()
    assert lay.pitch < 12  # the dense drawing: strips, not shapes
    y_loss = view._rows(lay)[0]
    x = round(lay.cx(99))

    def ink() -> int:  # how far the loss strip's pixel is from the background (0..255 per channel, summed)
        image = view.grab().toImage()
        c, bg = image.pixelColor(x, round(y_loss)), image.pixelColor(x, round(y_loss) - round(0.2 * lay.row_h))
        return abs(c.red() - bg.red()) + abs(c.green() - bg.green()) + abs(c.blue() - bg.blue())

    s.set_frame(50)
    faint = ink()
    s.set_frame(150)  # BPTT: every step reached (at frame 99 the playhead's line covers the step)
    full = ink()
    assert 0 < faint < 0.4 * full, (faint, full)


@pytest.mark.parametrize("scale", [1.0, 1.6, 2.0])
@pytest.mark.parametrize("height", [260, 420, 700])
def test_the_bars_name_never_overlaps_the_row_name_h(make_view, font_scale, scale, height):
    """Presenting at 1280×720, the dense diagram's '∂L/∂h' (the bars' name) was drawn across the
    row name 'h' above it: it goes where it clears the name, or nowhere."""
    from PySide6.QtGui import QFontMetricsF

    font_scale(scale)
    view = make_view(steps=100)
    view.resize(520, height)
    s = view.session
    s.set_frame(s.frame_of("backward", 0))
    lay = view._layout()
    line = view.bars_name_line(lay)
    name_h = QFontMetricsF(view._name_font(lay)).height()
    if line is not None:
        top, room = line
        assert top >= 0.5 * name_h - 1e-9 and room >= 0.6 * lay.em
    view.grab()
