"""`render --frame N` renders frame N of every plot, the whole window too, with or without a lesson."""

import pytest

from simulator.config import Config, run
from ui import export, render_cli
from ui.figures import FIGURES, build_figure, export_theme

CONFIG = Config(steps=12, hidden=4)  # 2T = 24 frames
FRAMES = [(10, 10), (0, 0), (15, 15), (-1, 23), (-5, 19)]  # (asked, shown): negative counts from the end


@pytest.mark.parametrize("name", [n for n in FIGURES if n != "gates"])
@pytest.mark.parametrize(("asked", "shown"), FRAMES)
def test_every_figure_shows_the_frame_asked_for(qapp, name, asked, shown):
    figure = build_figure(name, CONFIG, run(CONFIG), frame=asked, theme=export_theme("light"), size=(640, 360))
    try:
        assert figure.session.frame == shown
        if name == "window":  # the toolbar's timeline and step text follow it
            window = figure.widget
            assert window.timeline.value() == shown
            phase, t = figure.session.phase_step(shown)
            assert (phase, t) == (("forward", shown) if shown < 12 else ("backward", 23 - shown))
    finally:
        figure.close()


@pytest.fixture
def rendered(qapp, monkeypatch, tmp_path):
    """Run `render` and return the frame of the figure it would have written (no file is drawn)."""
    seen = {}

    def fake_export(figure, path, **_kwargs):
        seen["frame"] = figure.session.frame
        seen["phase_step"] = figure.session.phase_step(figure.session.frame)
        return "captured"

    monkeypatch.setattr(export, "export_figure", fake_export)

    def run_cli(*args):
        assert render_cli.main([*args, "--out", str(tmp_path / "x.png")]) == 0
        return seen

    return run_cli


@pytest.mark.parametrize("lesson", [[], ["--lesson", "vanishing"]])
def test_render_window_frame_with_and_without_a_lesson(rendered, lesson):
    seen = rendered(*lesson, "--plot", "window", "--size", "1280x720", "--set", "steps=40", "--frame", "10")
    assert seen == {"frame": 10, "phase_step": ("forward", 10)}
    seen = rendered(*lesson, "--plot", "window", "--size", "1280x720", "--set", "steps=40", "--frame", "-5")
    assert seen == {"frame": 75, "phase_step": ("backward", 4)}


def test_render_window_default_frame_is_the_end_of_bptt(rendered):
    seen = rendered("--plot", "window", "--size", "1280x720", "--set", "steps=8")
    assert seen == {"frame": 15, "phase_step": ("backward", 0)}


@pytest.mark.parametrize("name", ["gradients", "jacobian", "unrolled", "hidden"])
def test_render_plot_frame(rendered, name):
    seen = rendered("--plot", name, "--size", "480x270", "--set", "steps=40", "--frame", "10")
    assert seen == {"frame": 10, "phase_step": ("forward", 10)}
