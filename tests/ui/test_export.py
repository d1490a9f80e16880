"""Exports write valid files of the real numbers; the render command works for every plot and refuses clearly."""

import csv
import io
import itertools
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRectF
from PySide6.QtGui import QContextMenuEvent, QImage, QImageReader
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QFileDialog, QScrollArea, QWidget

from simulator.config import Config, run
from simulator.result import NonFinite
from simulator.scenario import Scenario, save_scenario
from ui import export, render_cli
from ui import theme as theme_mod
from ui.figures import EXPORT_FONT_SCALE, FIGURES, FigureError, build_figure, export_theme
from ui.presentation import FONT_SCALE as PRESENTATION_FONT_SCALE

ROOT = Path(__file__).resolve().parents[2]
SMALL = (640, 360)
RNN = Config(steps=6, hidden=4, wrec=0.8)
LSTM = Config(cell="lstm", steps=6, hidden=4)
SVG = "{http://www.w3.org/2000/svg}"
PICTURES = ("gradients", "jacobian", "eigenvalues", "hidden", "gates", "loss", "unrolled")


@pytest.fixture
def figure(qapp):
    """Build figures at a small size; every one is closed at the end."""
    made = []

    def make(name, config=RNN, size=SMALL, **kwargs):
        f = build_figure(name, config, run(config), theme=export_theme("light"), size=size, **kwargs)
        made.append(f)
        return f

    yield make
    for f in made:
        f.close()


def _image(data: bytes) -> QImage:
    image = QImage()
    assert image.loadFromData(data), "not a decodable image"
    return image


def _colours(image: QImage) -> int:
    small = image.scaled(160, 90).convertToFormat(QImage.Format.Format_RGB32)
    return len({small.pixel(x, y) for x in range(small.width()) for y in range(small.height())})


def _config_for(name):
    return LSTM if name == "gates" else RNN


@pytest.mark.parametrize("name", PICTURES)
def test_png_decodes_at_its_size_and_is_not_blank(figure, name):
    f = figure(name, _config_for(name))
    data = export.png_bytes(f)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = _image(data)
    assert (image.width(), image.height()) == SMALL
    assert _colours(image) > 20  # curves, text and fills, not one flat colour
    twice = _image(export.png_bytes(f, scale=2.0))
    assert (twice.width(), twice.height()) == (2 * SMALL[0], 2 * SMALL[1])


def test_png_of_a_plot_at_the_default_size_has_large_text(figure):
    f = figure("gradients", size=(1600, 900))
    image = _image(export.png_bytes(f))
    assert (image.width(), image.height()) == (1600, 900)
    assert f.theme.font_scale == EXPORT_FONT_SCALE >= PRESENTATION_FONT_SCALE  # at least presentation mode's
    assert f.panel.plot.getAxis("bottom").style["tickFont"].pointSizeF() >= 11 * PRESENTATION_FONT_SCALE * 0.9


@pytest.mark.parametrize("name", PICTURES)
def test_svg_parses_and_holds_drawing_elements(figure, name):
    f = figure(name, _config_for(name))
    data = export.svg_bytes(f)
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == f"0 0 {SMALL[0]} {SMALL[1]}"
    shapes = [e for e in root.iter() if e.tag in (f"{SVG}path", f"{SVG}polyline", f"{SVG}rect", f"{SVG}image")]
    texts = [e for e in root.iter() if e.tag == f"{SVG}text"]
    assert len(shapes) > 5 and len(texts) > 3  # lines and shapes, and text kept as text
    assert QSvgRenderer(QByteArray(data)).isValid()


def test_svg_keeps_axes_and_symbols_as_vectors(figure):
    """Cached axes or pixmap scatter symbols would land in the SVG as pictures."""
    root = ET.fromstring(export.svg_bytes(figure("gradients")))
    assert not [e for e in root.iter() if e.tag == f"{SVG}image"]
    words = "".join(e.text or "" for e in root.iter() if e.tag == f"{SVG}text")
    # a narrow figure's badge: the gradient's own verdict with its measured factor, in the shorter form that fits
    assert "step t" in words and re.search(r"(VANISHING|STABLE|EXPLODING) ?×\d", words)
    root = ET.fromstring(export.svg_bytes(figure("jacobian")))  # the verdict is fitted on the Jacobian product
    words = "".join(e.text or "" for e in root.iter() if e.tag == f"{SVG}text")
    assert "VANISHING" in words


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_gradient_csv_has_t_and_grad_norm_exactly(figure):
    rows = _rows(export.csv_text(figure("gradients")))
    assert rows[0] == ["t", "grad_norm", "pascanu_bound"]  # the dashed line the figure draws
    assert len(rows) == 1 + RNN.steps
    trace = run(RNN)
    assert [int(r[0]) for r in rows[1:]] == list(range(RNN.steps))
    np.testing.assert_array_equal([float(r[1]) for r in rows[1:]], trace.grad_norms)  # round-trips exactly
    np.testing.assert_array_equal([float(r[2]) for r in rows[1:]], trace.grad_norms[-1] * trace.pascanu_bound)


@pytest.mark.parametrize(
    ("name", "config", "header"),
    [
        ("jacobian", RNN, ["t", "jacobian_norm", "bound"]),
        ("hidden", RNN, ["t", "h_1", "h_2", "h_3", "h_4"]),
        ("gates", LSTM, ["t", *(f"{g}_{u}" for g in "ifgoc" for u in range(1, 5))]),
        ("loss", RNN, ["t", "loss_term"]),
        ("unrolled", RNN, ["t", "x_1", "h_1", "y_1", "loss_term", "grad_norm"]),
    ],
)
def test_csv_has_the_header_and_one_row_per_step(figure, name, config, header):
    rows = _rows(export.csv_text(figure(name, config)))
    assert rows[0] == header
    assert len(rows) == 1 + config.steps
    assert all(len(r) == len(header) for r in rows)


def test_loss_csv_is_the_engines_loss_terms_and_sums_to_the_loss(figure):
    config = Config(steps=6, hidden=4, topology="many_to_many")
    rows = _rows(export.csv_text(figure("loss", config)))
    terms = np.array([float(r[1]) for r in rows[1:]])
    trace = run(config)
    np.testing.assert_array_equal(terms, trace.loss_terms)
    assert terms.sum() == pytest.approx(trace.loss)


def test_eigenvalue_csv_lists_every_eigenvalue(figure):
    rows = _rows(export.csv_text(figure("eigenvalues")))
    assert rows[0] == ["block", "k", "real", "imag", "abs"]
    ev = run(RNN).eigenvalues["W_hh"]
    assert len(rows) == 1 + len(ev)
    assert max(float(r[4]) for r in rows[1:]) == pytest.approx(0.8)  # the spectral radius is Wrec


def test_hidden_figure_exports_the_state_asked_for(figure):
    f = figure("hidden", LSTM, quantity="f")
    rows = _rows(export.csv_text(f))
    assert rows[0][:2] == ["t", "f_1"]
    np.testing.assert_array_equal([float(r[1]) for r in rows[1:]], run(LSTM).gates(-1)["f"][:, 0, 0])


def _gif_frames(data: bytes) -> list[Image.Image]:
    gif = Image.open(io.BytesIO(data))
    frames = []
    for k in range(gif.n_frames):
        gif.seek(k)
        frames.append(gif.convert("RGB"))
    return frames


@pytest.mark.parametrize("name", ["gradients", "unrolled"])
def test_gif_has_one_frame_per_animation_step(figure, name):
    f = figure(name)
    data = export.gif_bytes(f, fps=5)
    assert data[:6] == b"GIF89a"
    frames = _gif_frames(data)
    assert len(frames) == 2 * RNN.steps  # the forward pass, then BPTT
    assert all(fr.size == SMALL for fr in frames)  # a still's size: the figure leaves room for the strip under it
    arrays = [np.asarray(fr) for fr in frames]
    assert all(not np.array_equal(a, b) for a, b in itertools.pairwise(arrays))  # every step shows something new
    assert arrays[0][2, 2].tolist() == [255, 255, 255]  # the background stays exactly white
    gif = Image.open(io.BytesIO(data))
    assert gif.info.get("loop") == 0 and gif.info.get("duration") == 200
    # and an independent decoder agrees
    buffer = QBuffer(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer, b"gif")
    if reader.canRead():
        assert reader.imageCount() == 2 * RNN.steps
    assert f.session.frame == f.session.n_frames - 1  # the figure's playhead is put back


def test_gif_of_an_overflow_stops_where_the_animation_stops(qapp):
    trace = run(RNN)
    trace.nonfinite = NonFinite(step=2, phase="backward", quantity="dL/dh_t")  # as an overflow at t = 2 records it
    f = build_figure("gradients", RNN, trace, theme=export_theme("light"), size=SMALL)
    try:
        assert f.session.stop_frame == 2 * RNN.steps - 1 - 2
        frames = _gif_frames(export.gif_bytes(f))
        assert len(frames) == f.session.stop_frame + 1  # the player stops there too
    finally:
        f.close()


def test_a_long_export_reports_progress_and_can_be_cancelled(figure, tmp_path):
    seen = []

    def progress(done, total):
        seen.append((done, total))
        return done < 3

    with pytest.raises(export.ExportCancelledError):
        export.export_figure(figure("gradients"), tmp_path / "a.gif", progress=progress)
    assert seen == [(k, 2 * RNN.steps) for k in range(4)]
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_an_animation_too_long_for_slides_is_refused_with_the_limit(figure):
    f = figure("gradients", Config(steps=export.MAX_FRAMES // 2 + 1, hidden=2), size=(320, 180))
    with pytest.raises(export.ExportError, match=f"at most {export.MAX_FRAMES}"):
        export.gif_bytes(f)


def test_mp4_has_every_animation_step_when_its_encoder_is_installed(figure, tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    out = tmp_path / "bptt.mp4"
    assert "MP4" in export.export_figure(figure("unrolled"), out, fps=4)
    frames = imageio_ffmpeg.read_frames(str(out))
    meta = next(frames)
    hold = round(export.GIF_HOLD_S * 4)  # the last frame is held, as in the GIF
    assert sum(1 for _ in frames) == 2 * RNN.steps + hold
    assert meta["size"][0] == SMALL[0]


def test_mp4_without_its_encoder_says_what_to_install(figure, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "mp4_available", lambda: False)
    with pytest.raises(export.ExportError, match="imageio-ffmpeg"):
        export.export_figure(figure("unrolled"), tmp_path / "x.mp4")
    assert not list(tmp_path.iterdir())


def test_training_history_is_the_loss_figure_of_a_scenario(figure):
    record = {"train_loss": [1.0, 0.5, 0.25, 0.2], "test_loss": [[0, 1.1], [2, 0.3]]}
    f = figure("loss", training=record)
    rows = _rows(export.csv_text(f))
    assert rows[0] == ["iteration", "train_loss", "test_loss"]
    assert rows[1] == ["0", "1.0", "1.1"] and rows[2] == ["1", "0.5", ""] and rows[3] == ["2", "0.25", "0.3"]
    assert _colours(_image(export.png_bytes(f))) > 20
    with pytest.raises(export.ExportError, match="does not change with the animation"):
        export.gif_bytes(f)


def test_the_loss_figure_reads_the_training_state_the_window_saves(figure):
    """The window's export and a scenario file hold the training view's state, the runs under
    "runs" (simulator.scenario.training_record each): the loss figure showed the per-step loss
    terms of the trace instead of the training curves. It takes the first run's record."""
    record = {"train_loss": [1.0, 0.5, 0.25, 0.2], "test_loss": [[0, 1.1], [2, 0.3]]}
    state = {"task": "sine", "task_args": {}, "runs": {"A": record, "B": {"train_loss": [9.0], "test_loss": []}}}
    rows = _rows(export.csv_text(figure("loss", training=state)))
    assert rows[0] == ["iteration", "train_loss", "test_loss"]
    assert rows[1] == ["0", "1.0", "1.1"] and rows[3] == ["2", "0.25", "0.3"] and len(rows) == 5
    empty = {"task": "sine", "runs": {}}  # nothing trained yet: the trace's loss terms, as without a history
    assert _rows(export.csv_text(figure("loss", training=empty)))[0] == ["t", "loss_term"]


def test_figures_that_cannot_be_made_say_why(figure):
    with pytest.raises(FigureError, match="no gates"):
        figure("gates", RNN)
    with pytest.raises(FigureError, match="unknown figure"):
        figure("histogram")
    with pytest.raises(FigureError, match="frame must be between"):
        figure("gradients", frame=99)
    with pytest.raises(export.ExportError, match="no table"):
        export.csv_text(figure("window", size=(1280, 800)))


def test_export_writes_whole_files_and_names_the_format(figure, tmp_path):
    f = figure("gradients")
    for suffix in ("png", "svg", "csv", "gif"):
        path = tmp_path / f"out.{suffix}"
        what = export.export_figure(f, path)
        assert path.stat().st_size > 0 and what
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.gif", "out.png", "out.svg"]  # no leftovers
    with pytest.raises(export.ExportError, match=r"\.png, \.svg, \.csv, \.gif"):
        export.export_figure(f, tmp_path / "out.bmp")


def test_building_a_figure_leaves_the_windows_theme_alone(figure):
    before = theme_mod.current()
    scale = before.font_scale
    f = figure("unrolled")
    assert theme_mod.current() is before and before.font_scale == scale
    assert f.theme is not before and f.theme.font_scale == EXPORT_FONT_SCALE


# ---- the window -----------------------------------------------------------------------------------
def test_file_export_commands_write_what_the_window_shows(window, tmp_path, monkeypatch):
    window.session.update(steps=5)
    window.session.set_frame(3)
    target = tmp_path / "grad"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "SVG drawing (*.svg)"))
    )
    window.actions["export_gradients"].trigger()
    svg = tmp_path / "grad.svg"  # the chosen filter adds its suffix
    assert svg.exists() and ET.parse(svg).getroot().tag == f"{SVG}svg"
    assert window.session.frame == 3  # the export had its own playhead
    assert "Saved" in window.statusBar().currentMessage()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(tmp_path / "a.gif"), "")))
    window.actions["export_animation"].trigger()
    assert len(_gif_frames((tmp_path / "a.gif").read_bytes())) == window.session.n_frames


def test_loss_export_of_the_window_uses_its_training_history(window, tmp_path):
    record = {"train_loss": [0.8, 0.4, 0.3], "test_loss": [[0, 0.9], [3, 0.35]]}
    window.training_view = SimpleNamespace(training_state=lambda: record)  # the training panel's record
    assert export.export_to(window, "loss", str(tmp_path / "loss.csv"))
    rows = _rows((tmp_path / "loss.csv").read_text())
    assert rows[0] == ["iteration", "train_loss", "test_loss"] and rows[-1] == ["3", "", "0.35"]


def test_export_menu_lists_the_exports_and_gates_follow_the_cell(window):
    file_menu = window.menus["File"]
    export_menu = next(a.menu() for a in file_menu.actions() if a.menu() and "Export" in a.text())
    ids = {a.objectName() for a in export_menu.actions()}
    assert {"action_export_gradients", "action_export_unrolled", "action_export_animation"} <= ids
    assert not window.actions["export_gates"].isEnabled()
    window.session.update(cell="lstm")
    assert window.actions["export_gates"].isEnabled()


def test_right_click_on_a_plot_offers_its_exports(window, qtbot):
    view = window.plots.gradient.plot_widget
    menu = window.export_menus["gradients"]
    assert window.actions["export_gradients"] in menu.actions()
    assert window.actions["copy_gradients"] in menu.actions()
    texts = [a.text() for a in view.scene().contextMenu]  # pyqtgraph's own "Export..." is replaced
    assert "Export..." not in texts and any("Export" in t for t in texts)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(50, 50), view.mapToGlobal(QPoint(50, 50)))
    with qtbot.waitSignal(view.customContextMenuRequested, timeout=1000):
        QApplication.sendEvent(view.viewport(), event)
    menu.close()
    assert window.actions["export_unrolled"] in window.export_menus["unrolled"].actions()


def test_copy_puts_an_image_and_svg_on_the_clipboard(window):
    window.actions["copy_unrolled"].trigger()
    mime = QApplication.clipboard().mimeData()
    assert mime.hasImage() and mime.hasFormat("image/svg+xml")
    image = QImage(mime.imageData())
    assert image.width() > 0


# ---- the render command --------------------------------------------------------------------------------
def _render(tmp_path, *args):
    return render_cli.main(["--size", "480x270", *args])


@pytest.mark.parametrize("name", [n for n in FIGURES if n != "window"])
def test_render_writes_every_plot(qapp, tmp_path, capsys, name):
    out = tmp_path / f"{name}.png"
    extra = ["--set", "cell=lstm"] if name == "gates" else []
    assert _render(tmp_path, "--set", "steps=5", *extra, "--plot", name, "--out", str(out)) == 0
    assert _image(out.read_bytes()).width() == 480
    assert f"wrote {out}" in capsys.readouterr().out


def test_render_hidden_shows_the_state_asked_for(qapp, tmp_path):
    out = tmp_path / "c.csv"
    assert (
        _render(
            tmp_path, "--set", "cell=lstm", "--set", "steps=4", "--plot", "hidden", "--state", "c", "--out", str(out)
        )
        == 0
    )
    rows = _rows(out.read_text())
    assert rows[0][1] == "c_1" and len(rows) == 5


def test_render_window_and_lesson_and_csv(qapp, tmp_path):
    out = tmp_path / "w.png"
    assert render_cli.main(["--plot", "window", "--size", "1280x800", "--out", str(out)]) == 0
    assert (_image(out.read_bytes()).width(), _image(out.read_bytes()).height()) == (1280, 800)
    out = tmp_path / "g.csv"
    assert _render(tmp_path, "--lesson", "vanishing", "--plot", "gradients", "--out", str(out)) == 0
    rows = _rows(out.read_text())
    assert rows[0][:2] == ["t", "grad_norm"] and float(rows[1][1]) < 1e-3 * float(rows[-1][1])  # it vanishes


def test_render_a_scenario_with_its_own_weights_and_history(qapp, tmp_path):
    from simulator.config import build_network

    net = build_network(RNN).copy()
    net.params["weight_hh_l0"][...] *= 0.5
    path = tmp_path / "s.json"
    save_scenario(path, Scenario(RNN, network=net, training={"train_loss": [0.9, 0.4], "test_loss": [[1, 0.5]]}))
    out = tmp_path / "g.csv"
    assert _render(tmp_path, "--scenario", str(path), "--plot", "gradients", "--out", str(out)) == 0
    norms = [float(r[1]) for r in _rows(out.read_text())[1:]]
    assert norms != list(run(RNN).grad_norms)  # the file's weights, not the config's
    out = tmp_path / "loss.csv"
    assert _render(tmp_path, "--scenario", str(path), "--plot", "loss", "--out", str(out)) == 0
    assert _rows(out.read_text())[0] == ["iteration", "train_loss", "test_loss"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plot", "histogram", "--out", "x.png"], "unknown plot 'histogram'; plots: gradients"),
        (["--plot", "gradients", "--out", "x.bmp"], "must end in .png, .svg, .csv, .gif, .mp4"),
        (["--plot", "gradients", "--out", "x.png", "--set", "colour=red"], "unknown key 'colour'"),
        (["--plot", "gradients", "--out", "x.png", "--set", "cell=transformer"], "cell must be one of"),
        (["--plot", "gradients", "--out", "x.png", "--lesson", "nope"], "unknown lesson 'nope'; lessons: 01-"),
        (["--plot", "gates", "--out", "x.png"], "no gates"),
        (["--plot", "window", "--out", "x.csv"], "picture, not a table"),
        (["--plot", "gradients", "--out", "x.png", "--size", "big"], "--size must be WIDTHxHEIGHT"),
        (["--plot", "gradients", "--out", "x.png", "--theme", "pink"], "--theme must be one of"),
        (["--plot", "gradients", "--out", "x.png", "--frame", "500"], "frame must be between"),
        (["--plot", "gradients"], "required: --out"),
    ],
)
def test_render_refuses_unknown_names_with_exit_2(qapp, tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert render_cli.main(args) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing written


def test_render_refuses_a_corrupt_scenario(qapp, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    assert render_cli.main(["--scenario", str(bad), "--plot", "loss", "--out", str(tmp_path / "x.png")]) == 2
    assert "not a valid scenario file" in capsys.readouterr().err


def _main(*args, timeout=120):
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_render_command_in_a_process_exits_cleanly(tmp_path):
    out = tmp_path / "bptt.gif"
    proc = _main("render", "--set", "steps=4", "--plot", "unrolled", "--size", "480x270", "--out", str(out))
    assert proc.returncode == 0, proc.stderr  # not 139: the widgets are deleted before exit
    assert "propagateSizeHints" not in proc.stderr
    assert len(_gif_frames(out.read_bytes())) == 8
    out = tmp_path / "eig.svg"
    proc = _main("render", "--lesson", "exploding", "--plot", "eigenvalues", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert ET.parse(out).getroot().get("viewBox") == "0 0 1600 900"
    proc = _main("render", "--plot", "nope", "--out", str(tmp_path / "x.png"))
    assert proc.returncode == 2 and "unknown plot 'nope'" in proc.stderr


def test_lessons_command_lists_every_lesson():
    proc = _main("lessons")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) >= 11 and lines[3].startswith("04-vanishing")
    proc = _main("render", "--help")
    assert proc.returncode == 0 and "loss" in proc.stdout and "training" in proc.stdout


def test_every_figure_has_a_label_for_the_dialogs():
    assert set(export.FIGURE_LABELS) == set(FIGURES)


def test_clip_polyline_keeps_what_is_inside_and_breaks_between_pieces():
    from ui.export import clip_polyline

    rect = (0.0, 10.0, 0.0, 1.0)
    x, y = clip_polyline(np.array([0.0, 5.0, 10.0]), np.array([0.5, 2.5, 0.5]), rect)  # up out and back in
    assert np.isnan(x).sum() == 1 and np.nanmax(y) == pytest.approx(1.0) and np.nanmin(y) == 0.5
    assert x[0] == 0.0 and x[-1] == 10.0 and x[1] == pytest.approx(1.25) and x[-2] == pytest.approx(8.75)
    x, y = clip_polyline(np.array([1.0, 2.0, 3.0]), np.array([0.2, 0.4, 0.6]), rect)  # inside: unchanged
    np.testing.assert_array_equal(y, [0.2, 0.4, 0.6])
    x, y = clip_polyline(np.array([1.0, 2.0]), np.array([5.0, 6.0]), rect)  # wholly outside
    assert len(x) == 0
    x, y = clip_polyline(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.2, np.nan, 0.4, 0.5]), rect)  # a NaN breaks it
    assert len(x) == 2 and list(y) == [0.4, 0.5]


def test_an_svg_cuts_a_line_that_leaves_the_plot_and_puts_it_back(figure):
    """The exploding lesson's bound ran up through the SVG's title (Qt's SVG writes no clipping): in
    vector output the curves are cut to their views, and the figure's own data is unchanged after."""
    import pyqtgraph as pg

    from ui.export import curves_clipped_to_views

    f = figure("gradients", Config(steps=40, wrec=2.5))
    curves = [c for c in f.item.scene().items() if isinstance(c, pg.PlotCurveItem) and c.xData is not None]
    before = [(c.xData.copy(), c.yData.copy()) for c in curves]
    with curves_clipped_to_views(f.item) as cut:
        assert cut >= 1  # the bound leaves the top of the view
        for c in curves:
            (x0, x1), (y0, y1) = c.getViewBox().viewRange()
            ok = np.isfinite(c.yData)
            x, y = c.xData[ok], c.yData[ok]
            assert np.all((y >= y0 - 1e-9) & (y <= y1 + 1e-9) & (x >= x0 - 1e-9) & (x <= x1 + 1e-9))
    for c, (x, y) in zip(curves, before, strict=True):
        np.testing.assert_array_equal(c.xData, x)
        np.testing.assert_array_equal(c.yData, y)
    assert export.svg_bytes(f).startswith(b"<?xml")


def _text_of(element) -> str:
    return "".join(element.itertext())


def test_the_window_svg_cuts_its_scrolled_panels_and_plots_to_what_they_show(figure):
    """Qt's SVG generator writes no clipping: the Build panel's rows below its edge were drawn over the
    status bar. Each viewport (scroll areas, plots) is now drawn in a group cut to its rectangle."""
    f = figure("window", Config(steps=20), size=(1600, 700))  # short: the Build panel scrolls
    window = f.widget
    shown = [
        a.viewport()
        for a in window.findChildren(QAbstractScrollArea)
        if a.isVisibleTo(window) and a.viewport().width() > 0 and a.viewport().height() > 0
    ]
    controls = [a for a in window.findChildren(QScrollArea) if a.isVisibleTo(window) and a.widget() is not None]
    assert any(a.widget().height() > a.viewport().height() for a in controls)  # something is scrolled off

    data = export.svg_bytes(f)
    root = ET.fromstring(data)
    assert root.get("version") == "1.1" and root.get("baseProfile") is None  # clip paths are SVG 1.1
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))  # the separately drawn parts' gradients do not collide
    clips = {c.get("id"): c.find(f"{SVG}rect") for c in root.iter(f"{SVG}clipPath")}
    assert len(clips) == len(shown)
    sizes = sorted((round(float(r.get("width"))), round(float(r.get("height")))) for r in clips.values())
    assert sizes == sorted((v.width(), v.height()) for v in shown)

    # every text of a scrolled panel lies in a group cut to its viewport, and the status bar's is in none
    parents = {child: parent for parent in root.iter() for child in parent}

    def clipped(element) -> bool:
        while element is not None:
            if (element.get("clip-path") or "").startswith("url(#"):
                return True
            element = parents.get(element)
        return False

    texts = list(root.iter(f"{SVG}text"))
    inside = [t for t in texts if _text_of(t).strip() == "Activation"]  # a group title in the Build panel
    status = [t for t in texts if _text_of(t).strip().startswith("Space plays")]  # the status bar
    assert inside and status
    assert all(clipped(t) for t in inside)
    assert not any(clipped(t) for t in status)
    # a row of the Build panel cut by its lower edge: in one pass it was drawn whole, over the status bar
    panel = next(a for a in controls if a.widget().height() > a.viewport().height())
    row = panel.widget().findChild(QWidget, "check_penalty_text")
    top = row.mapTo(panel.widget(), QPoint(0, 0)).y()
    panel.verticalScrollBar().setValue(top + row.height() // 2 - panel.viewport().height())
    straddling = row.mapTo(panel.viewport(), QPoint(0, 0)).y()
    assert straddling < panel.viewport().height() < straddling + row.height()
    before = [t for t in ET.fromstring(_one_pass_svg(f)).iter(f"{SVG}text") if "penalty" in _text_of(t)]
    assert before
    root = ET.fromstring(export.svg_bytes(f))
    parents = {child: parent for parent in root.iter() for child in parent}
    now = [t for t in root.iter(f"{SVG}text") if "penalty" in _text_of(t)]
    assert now and all(clipped(t) for t in now)


def _one_pass_svg(f) -> bytes:
    """The window drawn in one pass, as svg_bytes did before it cut the viewports."""
    w, h = f.size
    return export._svg_drawing((w, h), lambda p: f.paint(p, QRectF(0, 0, w, h)))


def test_lines_under_a_scaling_transform_get_it_in_their_points():
    """Qt writes a cosmetic pen under a scale as vector-effect="non-scaling-stroke", which cairo and
    LibreOffice ignore (the window's φ curves came out 40 px thick): such a group's points are transformed."""
    scaled = (
        b'<g fill="none" stroke="#e69f00" stroke-width="2" transform="matrix(47,0,0,-40,210,61)"\n>\n'
        b'<path vector-effect="non-scaling-stroke" fill-rule="evenodd" d="M-4,-1 L0,0 C1,2 3,4 4,1e-3 "/>\n'
        b'<polyline fill="none" vector-effect="non-scaling-stroke" points="0,1 2,.5 " />\n</g>\n'
    )
    out = export.flatten_scaled_strokes(scaled)
    assert b'transform="matrix(1,0,0,1,0,0)"' in out
    assert b'd="M22,101 L210,61 C257,-19 351,-99 398,60.96 "' in out
    assert b'points="210,21 304,41 "' in out
    text = b'<g transform="matrix(2,0,0,2,5,5)"\n>\n<text vector-effect="non-scaling-stroke">a</text>\n</g>\n'
    moved = b'<g transform="matrix(1,0,0,1,5,5)"\n>\n<path vector-effect="non-scaling-stroke" d="M0,0 L1,1"/>\n</g>\n'
    plain = b'<g transform="matrix(3,0,0,3,0,0)"\n>\n<path d="M0,0 L1,1"/>\n</g>\n'  # a real (scaling) pen
    for kept in (text, moved, plain):
        assert export.flatten_scaled_strokes(kept) == kept


def test_the_loss_figure_labels_its_zero_and_marks_a_term_that_overflowed(figure):
    """The loss export had no 0 on its axis (a label on the view's very edge is left out), and a loss term that
    overflowed (identity, Wrec 3, T = 400: the last one) had neither bar nor mark under a title of 'L = ∞'."""
    f = figure("loss", Config(activation="identity", wrec=3.0, steps=400))
    panel = f.panel
    (y0, y1) = panel.plot.getViewBox().viewRange()[1]
    assert y0 < 0 < y1
    assert panel.overflowed.isVisible()
    assert list(panel.overflowed.opts["x"]) == [399]
    ok = figure("loss", Config(steps=20))
    assert not ok.panel.overflowed.isVisible()
