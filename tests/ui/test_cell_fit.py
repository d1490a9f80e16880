"""The Cell dock: the drawing fits its room (never cut), the gradient's label keeps off the
cell's box, the RNN names its weights and loops h_t back, and a tall dock draws the RNN larger."""

import pytest
from PySide6.QtCore import QRectF
from windowtools import small_cell_view

from ui.cell_view import FONT_PX

CELLS = [dict(cell="rnn"), dict(cell="lstm"), dict(cell="lstm", variant="peephole"), dict(cell="gru")]


def _badges_on_screen(canvas) -> list[QRectF]:
    """The value badges of the frame last painted, as boxes in the canvas's pixels (their stamps' places)."""
    boxes = []
    for stamp, *_ in canvas._looks.values():
        place, pixmap = stamp
        dpr = pixmap.devicePixelRatio()
        boxes.append(QRectF(place.x(), place.y(), pixmap.width() / dpr, pixmap.height() / dpr))
    return boxes


@pytest.mark.parametrize("config", CELLS)
@pytest.mark.parametrize("scale", [1.0, 2.0])
@pytest.mark.parametrize("size", [(420, 245), (420, 592), (374, 150), (374, 347)])
def test_every_number_is_inside_the_canvas(qtbot, font_scale, config, scale, size):
    """The review's cut "x_t" badge: at any size and font scale the drawing scales down to fit."""
    font_scale(scale)
    view = small_cell_view(qtbot, size, **config)
    s, canvas = view.session, view.canvas
    for frame in (3, s.frame_of("backward", 2)):
        s.set_frame(frame)
        canvas.grab()
        boxes = _badges_on_screen(canvas)
        assert len(boxes) >= 4
        for box in boxes:
            assert box.left() >= -1 and box.top() >= -1, (config, box)
            assert box.right() <= canvas.width() + 1 and box.bottom() <= canvas.height() + 1, (config, size, box)


@pytest.mark.parametrize("config", CELLS)
@pytest.mark.parametrize("size", [(420, 245), (420, 592), (900, 480), (374, 347)])
def test_the_gradient_label_keeps_off_the_cells_box(qtbot, monkeypatch, config, size):
    """‖∂L/∂h‖ = … sits wholly inside or wholly outside the box, never across its border."""
    view = small_cell_view(qtbot, size, **config)
    s, canvas = view.session, view.canvas
    boxes = []
    monkeypatch.setattr(canvas, "_cell_box", lambda *box: boxes.append(box))
    s.set_frame(s.frame_of("backward", 2))
    canvas.grab()
    ((left, top, right, bottom),) = boxes[:1]
    labels = [args for draw, args, _ in canvas._frame if draw == canvas._draw_grad_label]
    assert labels
    for rect, name, grad in labels:
        norm = view._gc[view._t] if grad == "c" else view._gh[view._t]
        from ui import diagram as dg

        width = canvas.metrics(FONT_PX, bold=True).horizontalAdvance(f"{name} = {dg.fmt(norm)}")
        text = QRectF(rect.right() - width, rect.center().y() - 0.5 * FONT_PX * canvas._tf, width, FONT_PX * canvas._tf)
        inside = QRectF(left, top, right - left, bottom - top).adjusted(4, 4, -4, -4).contains(text)
        outside = not QRectF(left, top, right - left, bottom - top).adjusted(-4, -4, 4, 4).intersects(text)
        assert inside or outside, (config, size, text, (left, top, right, bottom))


def test_the_rnn_names_its_weights_and_loops_its_state_back(qtbot, monkeypatch):
    """x_t enters through W_ih, h_{t−1} through W_hh, and h_t is drawn going back as the next h_{t−1}."""
    view = small_cell_view(qtbot, (420, 592), cell="rnn")
    canvas = view.canvas
    drawn, lines = [], []
    label, line = canvas._label, canvas._line

    def spy_label(x, y, main, sub="", *rest, **named):
        drawn.append((main, sub, " ".join(str(a) for a in (*rest, *named.values()))))
        return label(x, y, main, sub, *rest, **named)

    monkeypatch.setattr(canvas, "_label", spy_label)
    monkeypatch.setattr(canvas, "_line", lambda path, head, pen: lines.append(path) or line(path, head, pen))
    canvas.grab()
    names = {(main, sub) for main, sub, _ in drawn}
    assert ("W", "ih") in names and ("W", "hh") in names
    assert any("next step" in tail for _, _, tail in drawn)
    # the loop: one line leaves to the right of the activation and comes back in from the left (it turns 3 times)
    assert any(path.elementCount() >= 5 and path.boundingRect().height() > 200 for path in lines)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_tall_dock_draws_the_rnn_large(qtbot, scheme):
    """The default window's right column (420 × 564): the drawing takes most of the height and its
    boxes are drawn larger than the LSTM's at the same size (the RNN has one box, not four)."""
    from ui import theme

    before = theme.current().scheme if hasattr(theme.current(), "scheme") else None
    theme.current().set_scheme(scheme)
    try:
        sizes = {}
        for cell in ("rnn", "lstm"):
            view = small_cell_view(qtbot, (420, 592), cell=cell)
            view.canvas.grab()
            tf, scale = view.canvas.fit()
            sizes[cell] = scale  # the drawing (boxes, lines) on screen
            if cell == "rnn":
                assert view.canvas.bounds(tf).height() * scale >= 0.55 * view.canvas.height()
                right = max(box.right() for box in _badges_on_screen(view.canvas))
                assert right <= view.canvas.width() - 4  # h_t's badge clear of the edge
        assert sizes["rnn"] > 1.3 * sizes["lstm"], sizes
    finally:
        if before is not None:
            theme.current().set_scheme(before)
