"""Exported figures fit their picture: nothing wider than it, the legend whole, no empty band under the plot.

A plot item wider than the figure (a long title in large type widened it) was exported scaled
down into the picture's top: its legend ran past the right edge and an empty band lay under it.
"""

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage

from simulator.config import Config, run
from ui import export
from ui.figures import build_figure, export_theme

SIZES = [(800, 600), (1600, 900)]
LSTM = Config(cell="lstm", wrec=1.3)
RNN = Config(cell="rnn", wrec=1.3)
PLOTS = ("gradients", "jacobian", "eigenvalues", "hidden", "gates", "loss")
TOLERANCE = 1.0  # px: layouts place items at fractional pixels


@pytest.fixture
def figure(qapp):
    """Build figures in the light theme at the presentation scale; every one is closed at the end."""
    made = []

    def make(name, config, size):
        f = build_figure(name, config, run(config), theme=export_theme("light"), size=size)
        made.append(f)
        return f

    yield make
    for f in made:
        f.close()


def _inside(rect: QRectF, size: tuple[int, int]) -> bool:
    w, h = size
    return (
        rect.left() >= -TOLERANCE
        and rect.top() >= -TOLERANCE
        and rect.right() <= w + TOLERANCE
        and rect.bottom() <= h + TOLERANCE
    )


def _ink_extent(image: QImage, background: QColor) -> tuple[int, int]:
    """The last row and the last column holding anything but the background (-1 if none)."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    bg = background.rgb()
    w, h = image.width(), image.height()
    last_row = next((y for y in range(h - 1, -1, -1) if any(image.pixel(x, y) != bg for x in range(0, w, 2))), -1)
    last_col = next((x for x in range(w - 1, -1, -1) if any(image.pixel(x, y) != bg for y in range(0, h, 2))), -1)
    return last_row, last_col


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", PLOTS)
def test_plot_is_no_wider_than_the_figure(figure, name, size):
    f = figure(name, LSTM, size)
    rect = f.item.sceneBoundingRect()
    assert _inside(rect, size), f"the {name} plot spans {rect.getRect()} in a {size} figure"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name, config", [("eigenvalues", LSTM), ("eigenvalues", RNN), ("gradients", LSTM),
                                          ("jacobian", LSTM), ("jacobian", RNN)])  # fmt: skip
def test_legend_lies_inside_the_exported_picture(figure, name, config, size):
    f = figure(name, config, size)
    legend = f.panel.legend
    assert legend.isVisible() and legend.items
    rect = legend.sceneBoundingRect()
    assert _inside(rect, size), f"the legend spans {rect.getRect()} in a {size} figure"
    for _, label in legend.items:  # each entry's text inside the legend's box (a squeezed box cuts them)
        text = label.mapRectToScene(label.itemRect())
        assert text.right() <= rect.right() + TOLERANCE, f"{label.text!r} runs past the legend's box"
    # the exported picture shows the scene 1:1 (the source rectangle is the figure's own)
    source = f.item.sceneBoundingRect()
    assert abs(source.width() - size[0]) <= TOLERANCE and abs(source.height() - size[1]) <= TOLERANCE


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("config", [LSTM, RNN], ids=["lstm", "rnn"])
def test_eigenvalue_plane_fills_the_height(figure, config, size):
    f = figure("eigenvalues", config, size)
    vb = f.panel.plot.vb
    box = vb.sceneBoundingRect()
    room = size[1] - f.setting_note.sceneBoundingRect().height()  # the configuration's note has its own row
    assert box.height() >= 0.72 * room, f"the plane is {box.height():.0f} px tall in {room:.0f} px"
    # still aspect-locked: one unit is as many pixels across as up
    (x0, x1), (y0, y1) = vb.viewRange()
    assert box.width() / (x1 - x0) == pytest.approx(box.height() / (y1 - y0), rel=0.01)
    # the legend beside the plane, within the picture, not under it
    legend = f.panel.legend.sceneBoundingRect()
    assert legend.left() >= box.right() - TOLERANCE and legend.right() <= size[0] + TOLERANCE


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", PLOTS)
def test_title_fits_the_figure(figure, name, size):
    f = figure(name, LSTM, size)
    label = f.title_label
    text = label.mapRectToScene(label.itemRect())
    assert _inside(text, size), f"the title spans {text.getRect()} in a {size} figure"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", PLOTS)
def test_png_has_no_empty_band(figure, name, size):
    f = figure(name, LSTM, size)
    image = QImage.fromData(export.png_bytes(f))
    assert (image.width(), image.height()) == size
    last_row, last_col = _ink_extent(image, f.background)
    assert last_row >= 0.93 * size[1], f"rows {last_row + 1}..{size[1]} of the {name} PNG are empty"
    assert last_col >= 0.93 * size[0], f"columns {last_col + 1}..{size[0]} of the {name} PNG are empty"


@pytest.mark.parametrize("config", [LSTM, RNN], ids=["lstm", "rnn"])
def test_svg_shows_the_same_layout(figure, config):
    """The SVG is drawn from the same scene rectangle: the picture's, at scale 1."""
    f = figure("eigenvalues", config, (800, 600))
    data = export.svg_bytes(f)
    assert b'viewBox="0 0 800 600"' in data
    assert _inside(f.item.sceneBoundingRect(), (800, 600))


def test_setting_text_names_the_configuration():
    from ui.figures import setting_text

    default = "RNN · φ = tanh · W<sub>rec</sub> = 1 · T = 20 · 16 units · orthogonal init, seed 0"
    assert setting_text(Config()) == default
    text = setting_text(Config(cell="lstm", variant="nfg", wrec=0.8, layers=2, truncate=5, clip=1.0, seed=7))
    assert text.startswith("LSTM (nfg) · W<sub>rec</sub> = 0.8 · T = 20 · 16 units · 2 layers")
    assert text.endswith("seed 7 · BPTT truncated to k = 5 · gradient norm clipped at 1")
    assert "truncated" not in setting_text(Config(truncate=20))  # k >= T truncates nothing
    # an LSTM or GRU uses σ and tanh whatever the activation setting (kept for an RNN or ESN): a slide
    # said 'GRU · φ = relu'
    for cell in ("lstm", "gru"):
        assert "φ" not in setting_text(Config(cell=cell, activation="relu"))
    assert "φ = relu" in setting_text(Config(cell="esn", activation="relu"))


def test_a_figure_of_own_weights_does_not_give_the_configs_wrec(make_window):
    """Exported after training, a figure's footer said 'W_rec = 1 · orthogonal init, seed 0' while the
    trained W_hh had ρ 1.2–1.7: with the Session's own weights it says so instead."""
    from simulator.config import build_network
    from ui import export

    window = make_window()
    config = window.session.config
    assert "W<sub>rec</sub> = 1" in export.figure_from_window(window, "gradients").setting_note.text
    net = build_network(config.replace(wrec=1.6))  # weights that are not the config's
    window.session.set_config(config, net)
    for name in ("gradients", "gates" if config.cell in ("lstm", "gru") else "hidden"):
        figure = export.figure_from_window(window, name)
        note = figure.setting_note.text if figure.setting_note is not None else ""
        assert "own weights" in note and "W<sub>rec</sub>" not in note and "seed" not in note, note
        figure.close()


@pytest.mark.parametrize("size", [(700, 500), (1600, 900)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", ("gradients", "jacobian", "eigenvalues", "hidden", "loss"))
def test_a_plot_figure_says_its_configuration_inside_the_picture(figure, name, size):
    config = Config(cell="lstm", wrec=1.3, layers=2, truncate=5, clip=1.0, clip_value=3.0)
    f = figure(name, config, size)
    note = f.setting_note
    assert note is not None and note.isVisible()
    assert "W<sub>rec</sub> = 1.3" in note.text and "entries clipped to ±3" in note.text
    assert _inside(note.sceneBoundingRect(), size)  # wrapped where one line would not fit, never cut
    assert _inside(f.item.sceneBoundingRect(), size)
