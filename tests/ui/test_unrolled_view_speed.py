"""The diagram's caches (strips widened to device pixels, the legends' images) never outlive what they show:
a view changed step by step paints exactly what a view made at the last state paints."""

import numpy as np
import pytest

from simulator.config import Config
from ui import diagram as dg
from ui import theme
from ui.session import Session
from ui.unrolled_view import UnrolledView


def pixels(view: UnrolledView) -> np.ndarray:
    image = view.grab().toImage()
    return np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine()).copy()


@pytest.fixture
def make_view(qtbot, keep_theme):
    def make(frame: int | None = None, size=(1000, 420), **config) -> UnrolledView:
        view = UnrolledView(Session(Config(**config)))
        qtbot.addWidget(view)
        view.resize(*size)
        if frame is not None:
            view.session.set_frame(frame)
        return view

    return make


def same_as_fresh(view: UnrolledView, make_view, frame: int) -> bool:
    config = view.session.config
    fresh = make_view(frame=frame, size=(view.width(), view.height()), **{
        k: getattr(config, k) for k in ("cell", "steps", "hidden", "wrec")
    })  # fmt: skip
    return np.array_equal(pixels(view), pixels(fresh))


def test_a_new_trace_redraws_the_strips_and_the_gradient_legend(make_view):
    view = make_view(frame=150, cell="rnn", steps=100, hidden=32, wrec=0.8)  # BPTT, dense: strips and bars
    assert view._layout().dense
    pixels(view)
    for wrec in (1.2, 0.5, 1.8):  # the gradients' decades change too
        view.session.update(wrec=wrec)
        view.session.set_frame(150)
        assert same_as_fresh(view, make_view, 150), wrec


def test_a_theme_change_redraws_the_strips_and_the_legends(make_view):
    view = make_view(frame=150, cell="lstm", steps=100, hidden=32, wrec=1.0)
    pixels(view)
    theme.current().set_scheme("dark")
    assert same_as_fresh(view, make_view, 150)
    theme.current().set_font_scale(1.5)
    assert same_as_fresh(view, make_view, 150)


def test_a_resize_a_frame_and_a_new_length_redraw_the_legends_and_strips(make_view):
    view = make_view(frame=150, cell="rnn", steps=100, hidden=32, wrec=1.0)
    pixels(view)
    view.resize(800, 380)
    assert same_as_fresh(view, make_view, 150)
    view.session.set_frame(30)  # forward: the gradient legend faint
    pixels(view)
    assert same_as_fresh(view, make_view, 30)
    view.session.update(steps=300)
    view.session.set_frame(420)
    assert same_as_fresh(view, make_view, 420)


def test_the_titles_lead_image_follows_the_length_the_fold_and_the_width(make_view):
    """The title's bold lead is copied from an image while it stays (a Wrec step changes only what follows it)."""
    view = make_view(frame=150, cell="rnn", steps=100, hidden=32, wrec=1.0)
    pixels(view)
    view.session.update(wrec=1.8)  # the rest changes (ρ), the lead stays
    assert same_as_fresh(view, make_view, 150)
    view.session.update(steps=20)  # "T = 20": another lead
    view.session.set_frame(25)
    assert same_as_fresh(view, make_view, 25)
    view.set_folded(True)
    folded = pixels(view)
    fresh = make_view(frame=25, size=(view.width(), view.height()), cell="rnn", steps=20, hidden=32, wrec=1.8)
    fresh.set_folded(True)
    assert np.array_equal(folded, pixels(fresh))
    view.set_folded(False)
    view.resize(520, 300)  # the title's line narrower and lower (a shorter header)
    assert same_as_fresh(view, make_view, 25)
    for width in (160, 330, 1000):  # the title's line at its narrowest, then wider
        view.resize(width, 420)
        assert same_as_fresh(view, make_view, 25), width


def test_the_leads_widths_follow_the_font_and_the_frame_in_a_narrow_header(make_view):
    """The leads' measured widths place what follows them: kept per lead and scale, dropped with the font."""
    view = make_view(frame=9, size=(430, 300), cell="lstm", steps=100, hidden=32, wrec=1.0)
    pixels(view)
    for frame in (10, 99, 150, 9):  # "forward  t = 9", "… t = 10", BPTT: other leads, other widths
        view.session.set_frame(frame)
        assert same_as_fresh(view, make_view, frame), frame
    theme.current().set_font_scale(1.5)
    assert same_as_fresh(view, make_view, 9)
    theme.current().set_font_scale(0.8)
    assert same_as_fresh(view, make_view, 9)


def test_the_node_colours_follow_each_new_trace(make_view):
    """x, h and y are coloured from one stacked array: each row keeps its own values and validity."""
    view = make_view(frame=15, cell="rnn", steps=20, hidden=32, wrec=3.0)  # nodes with their colours
    assert not view._layout().dense
    pixels(view)
    for wrec in (0.5, 1.8, 1.0):
        view.session.update(wrec=wrec)
        view.session.set_frame(15)
        assert same_as_fresh(view, make_view, 15), wrec
    for values, idx, ok in ((view._x, view._x_idx, view._x_ok), (view._h, view._h_idx, view._h_ok),
                            (view._y, view._y_idx, view._y_ok)):  # fmt: skip
        assert np.array_equal(idx, dg.value_index(values)) and np.array_equal(ok, np.isfinite(values))
