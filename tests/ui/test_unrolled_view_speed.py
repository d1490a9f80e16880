"""The diagram's caches (strips widened to device pixels, the legends' images) never outlive what they show:
a view changed step by step paints exactly what a view made at the last state paints."""

import numpy as np
import pytest

from simulator.config import Config
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
