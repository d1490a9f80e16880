"""What the plots say besides their curves, at the window sizes and type sizes students use: the
note in the middle of an empty plot, the dotted circle's legend entry, the gradient plot's legend
against its caption, the gradient's own factor in its header, and no tick numbers on an empty plot."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF
from PySide6.QtGui import QPainterPath, QPainterPathStroker
from windowtools import laid_out

from simulator.config import Config
from simulator.lessons import list_lessons
from ui.plots import label_width

SIZES = [(1280, 720, 1.0), (1280, 720, 1.5), (1600, 1000, 1.0), (1600, 1000, 1.5)]


@pytest.fixture
def dark():
    """The dark scheme for a test (the reviewer's), and the scheme before it back afterwards."""
    from ui import theme

    t = theme.current()
    before = t.scheme
    t.set_scheme("dark")
    yield
    t.set_scheme(before)


def _settle(qtbot, window, width, height):
    laid_out(qtbot, window, width, height)
    qtbot.waitUntil(lambda: not window.narrow.timer.isActive(), timeout=2000)
    laid_out(qtbot, window, width, height)


def _steps(qtbot, window, lesson: int, steps: int, width: int, height: int):
    window.lesson_panel.open_lesson(list_lessons()[lesson].id)
    _settle(qtbot, window, width, height)
    for _ in range(steps):
        window.actions["next_step"].trigger()
        qtbot.wait(10)
    _settle(qtbot, window, width, height)


def _in_window(window, panel, item) -> QRect:
    """An item of a plot's scene in the window's coordinates."""
    view = panel.plot_widget
    r = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
    return QRect(view.mapTo(window, r.topLeft()), r.size())


def _widget_in_window(window, widget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


@pytest.mark.parametrize("width, height, scale", SIZES)
def test_the_note_of_an_empty_plot_stays_inside_its_data_area(
    qtbot, make_window, font_scale, dark, width, height, scale
):
    """Lesson 1, Wrec = 0: the Jacobian plot's note ran off both sides of the plot and over its
    tick labels ('T−1/∂h_t‖ = 0 from t = 8 ba…'); now it wraps inside the view box."""
    font_scale(scale)
    window = make_window()
    _steps(qtbot, window, 0, 3, width, height)
    plot = window.plots.jacobian
    note = plot.notice
    assert note.isVisible()
    text = note.textItem.toPlainText()
    assert "from t = 8 back" in text and "log axis" in text, text
    note_rect = note.mapRectToScene(note.textItem.mapRectToParent(note.textItem.boundingRect()))
    view_rect = plot.plot.getViewBox().sceneBoundingRect()
    assert view_rect.adjusted(-0.5, -0.5, 0.5, 0.5).contains(note_rect), (note_rect, view_rect)


def test_the_notes_write_their_norms_with_subscripts(make_window):
    """The notes wrote ∂h_T−1/∂h_t with underscores where every other text has sub- and superscripts."""
    window = make_window(Config(wrec=0.0, steps=10))
    for plot in (window.plots.jacobian, window.plots.gradient):
        if not plot.notice.isVisible():
            continue
        html, plain = plot.notice.textItem.toHtml(), plot.notice.textItem.toPlainText()
        assert "_" not in plain, plain
        assert "vertical-align:sub" in html.replace(" ", ""), html
    assert window.plots.jacobian.notice.isVisible()


def test_the_note_refits_when_the_plot_resizes(qtbot, make_window):
    window = make_window(Config(wrec=0.0, steps=10))
    _settle(qtbot, window, 1600, 1000)
    plot = window.plots.jacobian
    for width in (1280, 1600, 1100):
        _settle(qtbot, window, width, 720)
        note = plot.notice
        rect = note.mapRectToScene(note.textItem.mapRectToParent(note.textItem.boundingRect()))
        view = plot.plot.getViewBox().sceneBoundingRect()
        assert view.adjusted(-0.5, -0.5, 0.5, 0.5).contains(rect), (width, rect, view)


@pytest.mark.parametrize("width, height, scale", SIZES)
def test_the_dotted_circle_is_explained_whenever_it_shows(qtbot, make_window, font_scale, width, height, scale):
    """The dotted circle's note gave way at every size tried (even 1600x1000, font 1) and the caption
    that explains it is cut to a line: a legend entry under the plot names it whenever it shows."""
    font_scale(scale)
    window = make_window(Config(steps=20))
    _settle(qtbot, window, width, height)
    s, eigen = window.session, window.plots.eigen
    key = eigen._step_key_parts()
    assert key, "the dotted circle has a legend entry"
    sample, label = key
    for frame in (3, s.frame_of("backward", 9), s.frame_of("backward", 4), s.frame_of("backward", 0), 5):
        s.set_frame(frame)
        qtbot.wait(5)
        circle = eigen.step_circle.isVisible()
        assert label.isVisible() == circle and sample.isVisible() == circle, frame
        if circle:  # inside the plot, under its axis: over no eigenvalue
            assert "step t→t−1" in label.text
            entry = label.sceneBoundingRect()
            assert eigen.plot.sceneBoundingRect().contains(entry), entry
            assert not entry.intersects(eigen.plot.getViewBox().sceneBoundingRect())
            assert _in_window(window, eigen, label).width() > 0
    s.set_frame(s.frame_of("backward", 9))
    assert eigen.step_circle.isVisible() and label.isVisible()


def test_the_dotted_circles_entry_keeps_its_room_at_the_start_of_bptt(qtbot, make_window):
    """Showing the entry must not move the plot (the legend's height stays)."""
    window = make_window(Config(steps=20))
    _settle(qtbot, window, 1600, 1000)
    s, eigen = window.session, window.plots.eigen
    s.set_frame(3)
    qtbot.wait(5)
    before = QRectF(eigen.plot.getViewBox().sceneBoundingRect()), eigen.legend.minimumHeight()
    s.set_frame(s.frame_of("backward", 9))
    qtbot.wait(5)
    assert (QRectF(eigen.plot.getViewBox().sceneBoundingRect()), eigen.legend.minimumHeight()) == before


def test_the_gradient_legend_never_lies_over_its_caption(qtbot, make_window, font_scale, dark):
    """Lesson 5 after two steps at 1280x720, font 1.5: 'before your last change' lay over the caption."""
    font_scale(1.5)
    window = make_window()
    _steps(qtbot, window, 4, 2, 1280, 720)
    plot = window.plots.gradient
    assert plot.ghost_y is not None  # the third legend row is there
    legend = _in_window(window, plot, plot.legend)
    captions = [w for w in (plot.caption_label, window.plot_fit.shorts[plot]) if w.isVisible() and w.height() > 0]
    assert captions
    for caption in captions:
        assert not legend.intersects(_widget_in_window(window, caption)), (legend, caption.geometry())
    # and the plot widget, which holds the legend, ends above them
    widget = _widget_in_window(window, plot.plot_widget)
    for caption in captions:
        assert widget.bottom() < _widget_in_window(window, caption).top()


@pytest.mark.parametrize("scale", [1.0, 1.5])
def test_the_gradients_own_factor_always_shows(qtbot, make_window, font_scale, scale):
    """GRU at Wrec 2.5, 1280x720: the toolbar and the Jacobian plot say EXPLODING, and the gradient
    plot's '×0.925/step back' was dropped for want of room: nothing said the gradient shrinks."""
    font_scale(scale)
    window = make_window(Config(cell="gru", wrec=2.5))
    _settle(qtbot, window, 1280, 720)
    plot = window.plots.gradient
    f = window.session.trace.gradient_factor
    assert np.isfinite(f)
    from ui.plots import fmt

    text = plot.badge.text()
    verdict = window.session.trace.gradient_verdict.upper()
    # the factor per step, or the factor with the gradient's own verdict beside it (preferred where it fits)
    assert f"×{fmt(f, 3)}/step" in text or (verdict in text and f"×{fmt(f, 3)}" in text), text
    assert plot.badge_line.isVisible() and plot.badge.isVisible()
    assert label_width(plot.badge, text) <= plot.badge_line.width()  # not clipped
    assert plot.badge.geometry() == plot.badge_line.rect()
    # the title and the badge side by side inside the panel
    title = _widget_in_window(plot, plot.title_label)
    badge = _widget_in_window(plot, plot.badge_line)
    assert title.right() < badge.left() + (badge.width() - label_width(plot.badge, text))
    assert badge.right() <= plot.width()


def test_an_empty_log_plot_writes_no_tick_numbers(make_window):
    """An overflow leaves the gradient plot nothing to draw: its y-axis said 3, 1, 0.3 all the same."""
    window = make_window(Config(activation="identity", wrec=3.0, steps=1000))
    assert window.session.trace.nonfinite is not None
    axis = window.plots.gradient.plot.getAxis("left")
    assert axis.tickStrings([0.0, 0.5, 1.0], 1.0, 0.5) == ["", "", ""]
    window.session.update(activation="tanh", steps=30)  # values again: numbers again
    assert all(axis.tickStrings([0.0, 1.0], 1.0, 1.0))


# ---- the eigenvalue plane: every dot and circle in sight, its labels clear of them ----------------
# the eigenvalue plot's geometry at six window sizes and font scales: the default window and a small one at
# a larger font in the default run, the other four with the slow suite (make test-slow)
EIGEN_SIZES = [
    size if size in ((1600, 1000, 1.0), (1280, 720, 1.5)) else pytest.param(*size, marks=pytest.mark.slow)
    for size in [*SIZES, (1600, 1000, 2.0), (1280, 720, 2.0)]
]
EIGEN_CASES = {
    "lstm_1.8": Config(cell="lstm", wrec=1.8, steps=30),
    "relu_3": Config(activation="relu", wrec=3.0, steps=200),
    "sigmoid_0.5": Config(activation="sigmoid", wrec=0.5),
    "default": Config(),
    "lstm_one_unit": Config(cell="lstm", hidden=1, steps=30),  # step factors up to 30x |λ|
}
DOT_ROOM = 3.0  # px beyond a dot's radius (or a circle's half pen) to the frame, at least


def _eigen_frames(session) -> list[int]:
    """The first and last forward frames and backward frames across the whole of BPTT."""
    T = session.trace.T
    return [0, T - 1, *(session.frame_of("backward", t) for t in range(T - 1, 0, -max(1, T // 8)))]


def _dots(eigen) -> list[QRectF]:
    """Each eigenvalue's dot in scene pixels."""
    view = eigen.plot.getViewBox()
    out = []
    for dots in eigen.scatters:
        if not len(dots) or not dots.isVisible():
            continue
        r = 0.5 * dots.opts["size"]
        for x, y in zip(dots._x.tolist(), dots._y.tolist(), strict=True):  # (Dots keep their points)
            p = view.mapViewToScene(QPointF(x, y))
            out.append(QRectF(p.x() - r, p.y() - r, 2 * r, 2 * r))
    return out


def _circles(eigen) -> list[tuple[QPointF, float, float]]:
    """Each circle drawn (the unit circle, the dashed 1/γ one, the step's dotted one): centre and radius in
    scene pixels, and its pen's width."""
    view = eigen.plot.getViewBox()
    centre = view.mapViewToScene(QPointF(0, 0))

    def pixels(r: float) -> float:
        return view.mapViewToScene(QPointF(r, 0)).x() - centre.x()

    out = [(centre, pixels(1.0), eigen.unit.opts["pen"].widthF())]
    inv = eigen.inv_gamma
    if inv.isVisible() and inv.xData is not None and len(inv.xData):
        out.append((centre, pixels(float(np.max(inv.xData))), inv.opts["pen"].widthF()))
    if eigen.step_circle.isVisible():
        out.append((centre, pixels(eigen.step_circle.rect().width() / 2), eigen.step_circle.pen().widthF()))
    return out


def _line(circle) -> QPainterPath:
    """The area a circle's line covers (its pen's width across)."""
    centre, r, width = circle
    path = QPainterPath()
    path.addEllipse(centre, r, r)
    stroker = QPainterPathStroker()
    stroker.setWidth(width)
    return stroker.createStroke(path)


def _text_box(item) -> QRectF:
    return item.textItem.mapRectToScene(item.textItem.boundingRect())


def _covers(eigen, box: QRectF) -> list[str]:
    """What of the plane (dots, circles' lines) a box covers."""
    out = [f"dot at {d.center()}" for d in _dots(eigen) if d.intersects(box)][:1]
    return out + [f"circle of {c[1]:.1f} px" for c in _circles(eigen) if _line(c).intersects(box)]


@pytest.mark.parametrize("width, height, scale", EIGEN_SIZES)
@pytest.mark.parametrize("case", EIGEN_CASES)
def test_every_eigenvalue_and_circle_lies_inside_the_plane(qtbot, make_window, font_scale, case, width, height, scale):
    """The outermost dots sat on the frame (LSTM, Wrec = 1.8: Im λ = ±1.8 on the top and bottom edges;
    ReLU, Wrec = 3: the dot at 3i touched the top), and a step's dotted circle could run out of the
    view. Each dot and circle now lies a dot's radius and more inside it, at every size and type size."""
    font_scale(scale)
    window = make_window(EIGEN_CASES[case])
    _settle(qtbot, window, width, height)
    s, eigen = window.session, window.plots.eigen
    view = eigen.plot.getViewBox().sceneBoundingRect()
    assert len(_dots(eigen)) == sum(len(e) for e in s.trace.eigenvalues.values())
    for frame in _eigen_frames(s):
        s.set_frame(frame)
        for dot in _dots(eigen):
            room = min(dot.left() - view.left(), view.right() - dot.right())
            room = min(room, dot.top() - view.top(), view.bottom() - dot.bottom())
            assert room >= DOT_ROOM, (frame, dot.center(), view, room)
        for centre, r, pen in _circles(eigen):
            room = min(centre.x() - view.left(), view.right() - centre.x(), centre.y() - view.top())
            room = min(room, view.bottom() - centre.y()) - r - 0.5 * pen
            assert room >= DOT_ROOM, (frame, r, view, room)


@pytest.mark.parametrize("width, height, scale", EIGEN_SIZES)
@pytest.mark.parametrize("wrec", [0.5, 8.0])  # dots inside the 1/γ circle; dots all round it (lesson 4)
def test_the_inverse_gamma_label_sits_clear_of_its_circle(qtbot, make_window, font_scale, wrec, width, height, scale):
    """Sigmoid, Wrec = 0.5: '1/γ = 4' lay on the dashed circle's line. It sits just outside (or inside)
    the circle now, inside the view, over no dot and off the unit circle. Where there is no such place
    (a tiny view; dots all round the circle) it gives way, and the header keeps 1/γ before σₘₐₓ."""
    font_scale(scale)
    window = make_window(Config(activation="sigmoid", wrec=wrec))
    _settle(qtbot, window, width, height)
    eigen = window.plots.eigen
    label = eigen.inv_gamma_label
    if (width, height, scale, wrec) == (1600, 1000, 1.0, 0.5):
        assert label.isVisible()
    if (width, height, scale) == (1600, 1000, 1.0):
        assert "1/γ = 4" in eigen.badge.text(), eigen.badge.text()
    if label.isVisible():
        assert label.textItem.toPlainText() == f"1/γ = {1 / window.session.trace.net.gamma:g}"
        box = _text_box(label)
        assert eigen.plot.getViewBox().sceneBoundingRect().contains(box), box
        assert not _covers(eigen, box), _covers(eigen, box)


@pytest.mark.parametrize("width, height, scale", EIGEN_SIZES)
@pytest.mark.parametrize("config", [Config(), Config(activation="sigmoid", wrec=0.5), Config(cell="lstm", wrec=1.8)])
def test_the_step_note_covers_no_dot_and_no_circle(qtbot, make_window, font_scale, config, width, height, scale):
    """During BPTT the note 'step 9→8 / Jacobian ×0.637 / gradient ×0.835' lay over the dots and the unit
    circle. It takes a corner of the view free of them (the plane makes room beside it), or gives way."""
    font_scale(scale)
    window = make_window(config)
    _settle(qtbot, window, width, height)
    s, eigen = window.session, window.plots.eigen
    shown = 0
    for frame in [*_eigen_frames(s), s.trace.T + s.trace.T // 2]:
        s.set_frame(frame)
        note = eigen.step_label
        if not note.isVisible():
            continue
        shown += 1
        box = _text_box(note)
        assert eigen.plot.getViewBox().sceneBoundingRect().contains(box), (frame, box)
        assert not _covers(eigen, box), (frame, _covers(eigen, box))
        if eigen.inv_gamma_label.isVisible():
            assert not box.intersects(_text_box(eigen.inv_gamma_label)), frame
    if (width, height, scale) == (1600, 1000, 1.0):
        assert shown, "at the default size the note shows"


@pytest.mark.parametrize("width, height, rows", [(1600, 1000, 2), (1280, 720, 3)])
def test_the_gate_blocks_legend_is_as_tall_as_its_rows(qtbot, make_window, width, height, rows):
    """LSTM: the legend (W_hi (i), W_hf (f), W_hg (g), W_ho (o)) was a 2 x 2 grid with a third row for the
    dotted circle's entry, in a box of about 40% of the panel. Now the four blocks share one row where
    it fits, the dotted circle's entry has the row under them, and the box is no taller than its rows."""
    window = make_window(Config(cell="lstm", wrec=1.8, steps=30))
    _settle(qtbot, window, width, height)
    legend = window.plots.eigen.legend
    labels = [label for _, label in legend.items]
    tallest = max(label.geometry().height() for label in labels)
    _, top, _, bottom = legend.layout.getContentsMargins()
    assert legend.geometry().height() <= rows * tallest + top + bottom + 0.5, (legend.geometry(), tallest)
    blocks = {round(label.geometry().top()) for label in labels if label.text}
    if width == 1600:
        assert len(blocks) == 1, "the four gate blocks in one row"
