"""The plots draw the playhead's marks themselves, over a picture of the rest (ui.plots.PlotView).

A frame moves only the cursor line, the veil's edge and the dot on the curve; the view copies
the strips they cross from its still picture and draws the marks over them. These tests play
the same story in two windows, one whose views draw the marks and one whose scenes draw them
(as pyqtgraph would: release_marks), and compare what each has on screen after every step:
the pixels must be the same, and the fast repaints must really have been used.
"""

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from simulator.config import Config, run
from ui import theme
from ui.figures import build_figure, export_theme


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def _plots_on_screen(window) -> list[np.ndarray]:
    """Each time plot's view as the screen has it (partial repaints included), not a fresh render."""
    image = QApplication.primaryScreen().grabWindow(window.winId()).toImage()
    image = image.convertToFormat(image.Format.Format_RGBA8888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    rows = rows[:, : image.width()]
    out = []
    for panel in window.plots.plots:
        viewport = panel.plot_widget.viewport()
        top_left = viewport.mapTo(window, viewport.rect().topLeft())
        x, y = top_left.x(), top_left.y()
        out.append(rows[y : y + viewport.height(), x : x + viewport.width()].copy())
    return out


def _pair(make_window, config: Config):
    """Two windows on the same config: the views draw the marks in the first, the scenes in the second."""
    windows = []
    for _ in range(2):
        window = make_window(config, show=True)
        window.resize(1600, 1000)
        windows.append(window)
    for panel in windows[1].plots.plots:
        panel.plot_widget.release_marks()
    _settle()
    return windows


def _same_story(windows, steps) -> None:
    """Do each step in both windows; after each, their plots must show the same pixels."""
    for k, step in enumerate(steps):
        for window in windows:
            step(window.session)
            _settle()
        mine, scene = (_plots_on_screen(w) for w in windows)
        for panel, a, b in zip(windows[0].plots.plots, mine, scene, strict=True):
            assert a.shape == b.shape
            differ = np.argwhere((a != b).any(axis=2))
            name = type(panel).__name__
            assert len(differ) == 0, f"step {k}, {name}: {len(differ)} pixels differ, first at {differ[:3].tolist()}"


def _frames(frames):
    return [lambda s, f=f: s.set_frame(f) for f in frames]


@pytest.mark.parametrize(("cell", "steps", "hidden"), [("rnn", 100, 32), ("lstm", 12, 4)])
def test_frames_look_as_when_the_scene_draws_the_marks(make_window, cell, steps, hidden):
    windows = _pair(make_window, Config(cell=cell, steps=steps, hidden=hidden))
    T = steps
    views = [p.plot_widget for p in windows[0].plots.plots if p.time_axis]
    assert views and all(v.draws_marks for v in views)
    assert not any(p.plot_widget.draws_marks for p in windows[1].plots.plots)
    story = [
        *_frames(range(1, 8)),  # forward, one step at a time
        *_frames([T - 2, T - 1, T, T + 1, T + 2]),  # into BPTT: the veil lifts
        lambda s: s.update(wrec=1.4),  # new data: the still must be made again
        *_frames([T + 3, T + 4, T + 5]),
        lambda s: s.set_frame(3),  # a jump back into the forward pass
        *_frames([4, 5, 2 * T - 2, 2 * T - 1]),
    ]
    fast_before = [v.fast_repaints for v in views]
    _same_story(windows, story)
    fast = [v.fast_repaints - f for v, f in zip(views, fast_before, strict=True)]
    # most frames were copied from the still (a frame that crosses the phases repaints more)
    assert all(n >= 12 for n in fast), fast
    assert all(v.stills_drawn <= 8 for v in views), [v.stills_drawn for v in views]


def test_a_theme_a_resize_and_a_zoom_remake_the_still(make_window):
    windows = _pair(make_window, Config(cell="rnn", steps=30, hidden=8))
    zoomed = []

    def zoom(s) -> None:  # as a wheel would: the x-range of every time plot, in both windows
        for w in windows:
            if w.session is s:
                for panel in w.plots.plots:
                    if panel.time_axis:
                        panel.plot.getViewBox().scaleBy((0.8, 1.0), center=QPointF(10.0, 0.0))
                zoomed.append(w)

    def dark(s) -> None:
        if s is windows[0].session:  # one theme for the whole application: change it once
            theme.install("dark")

    def resize(s) -> None:
        for w in windows:
            if w.session is s:
                w.resize(1500, 950)

    try:
        _same_story(
            windows,
            [*_frames([1, 2, 3]), dark, *_frames([4, 5]), resize, *_frames([6, 7]), zoom, *_frames([8, 40, 41])],
        )
    finally:
        theme.install("light")
    assert len(zoomed) == 2


def test_an_overflow_line_over_the_marks_gives_them_back_to_the_scene(make_window):
    """The overflow line lies over the veil: while it shows, the scene draws the marks, in its order."""
    windows = _pair(make_window, Config(cell="rnn", activation="identity", wrec=10, steps=1000, hidden=4))
    gradient = windows[0].plots.gradient
    assert gradient.overflow.isVisible()
    assert not gradient.plot_widget.draws_marks
    _same_story(windows, _frames([5, 6, 7]))
    windows[0].session.update(wrec=0.9)  # no overflow: the view draws them again
    _settle()
    assert not gradient.overflow.isVisible() and gradient.plot_widget.draws_marks


def test_marks_in_the_scene_have_contents_only_while_the_scene_draws_them(make_window):
    window = make_window(Config(cell="rnn", steps=20, hidden=4))
    panel = window.plots.gradient
    flag = panel.cursor.GraphicsItemFlag.ItemHasNoContents
    marks = (panel.cursor, panel.veil, panel.marker)
    assert panel.plot_widget.draws_marks and all(m.flags() & flag for m in marks)
    panel.plot_widget.release_marks()  # an export renders the scene: the marks must be in it
    assert not panel.plot_widget.draws_marks and not any(m.flags() & flag for m in marks)


def test_an_exported_plot_shows_its_playhead(qapp):
    """A figure renders its plot's scene (not the view): the cursor line must be drawn there."""
    config = Config(cell="rnn", steps=20, hidden=4)
    figure = build_figure("gradients", config, run(config), frame=25, theme=export_theme("light"), size=(700, 450))
    try:
        assert not figure.panel.plot_widget.draws_marks
        image = figure.image().convertToFormat(QImage.Format.Format_RGB888)
        rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
        pixels = rows[:, : 3 * image.width()].reshape(image.height(), image.width(), 3)
        ink = QColor(figure.theme.colours.backward)  # frame 25 of 40: BPTT
        line = (np.abs(pixels.astype(int) - [ink.red(), ink.green(), ink.blue()]).max(axis=2) <= 8).sum(axis=0)
        assert line.max() > 0.4 * image.height(), "no column of the cursor's colour down the plot"
    finally:
        figure.close()


_HIGH_DENSITY = """
import os, sys
import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication
app = QApplication([])
from simulator.config import Config
from ui import theme
from ui.main_window import MainWindow
from ui.session import Session
theme.install("light")
def settle():
    for _ in range(4):
        QApplication.processEvents()
def plots(window):
    image = QApplication.primaryScreen().grabWindow(window.winId()).toImage()
    image = image.convertToFormat(image.Format.Format_RGBA8888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    dpr = image.devicePixelRatio()
    out = []
    for panel in window.plots.plots:
        vp = panel.plot_widget.viewport()
        top_left = vp.mapTo(window, vp.rect().topLeft())
        x, y = round(top_left.x() * dpr), round(top_left.y() * dpr)
        out.append(rows[y : y + round(vp.height() * dpr), x : x + round(vp.width() * dpr)].copy())
    return dpr, out
windows = []
for _ in range(2):
    w = MainWindow(Session(Config(cell="rnn", steps=30, hidden=8)), settings=None)
    w.resize(1600, 1000)
    w.show()
    windows.append(w)
for panel in windows[1].plots.plots:
    panel.plot_widget.release_marks()
settle()
worst = 0
for step in ("frame 22", "zoom", "frame 23", "frame 24"):
    for w in windows:
        if step == "zoom":  # the view box's edge then falls between two logical pixels
            for panel in w.plots.plots:
                if panel.time_axis:
                    panel.plot.getViewBox().scaleBy((0.8, 1.0), center=QPointF(10.0, 0.0))
        else:
            w.session.set_frame(int(step.split()[1]))
        settle()
    (dpr, mine), (_, scene) = plots(windows[0]), plots(windows[1])
    worst = max([worst] + [int((a != b).any(axis=2).sum()) for a, b in zip(mine, scene)])
print("dpr", dpr, "differing", worst, "fast", sum(p.plot_widget.fast_repaints for p in windows[0].plots.plots))
sys.stdout.flush()
os._exit(0)
"""


def test_marks_at_twice_the_pixel_density_look_as_the_scene_draws_them(tmp_path):
    """On a high-density screen a zoomed view box ends between two logical pixels: the marks are cut there too."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "density.py"
    script.write_text(_HIGH_DENSITY)
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR="2", PYTHONPATH=str(root))
    out = subprocess.run([sys.executable, str(script)], env=env, cwd=root, capture_output=True, text=True, timeout=120)
    words = out.stdout.split()
    assert "dpr" in words, out.stdout + out.stderr
    assert float(words[words.index("dpr") + 1]) == 2.0
    assert int(words[words.index("differing") + 1]) == 0, out.stdout
    assert int(words[words.index("fast") + 1]) > 0, out.stdout
