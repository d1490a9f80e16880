"""The window stays readable on a lecture projector: plots keep their height, the verdict stays in view."""

import pytest
from windowtools import laid_out as _laid_out

from ui import theme

VIEW_MIN = 60  # px: the least height of a plot's data area


def _view_heights(window) -> list[float]:
    return [p.plot.getViewBox().sceneBoundingRect().height() for p in window.plots.plots if p.isVisible()]


@pytest.mark.parametrize("size, scale", [((1280, 720), 1.0), ((1280, 720), 1.5), ((1600, 1000), 1.5)])
def test_plots_keep_their_height(qtbot, make_window, font_scale, size, scale):
    font_scale(scale)
    window = make_window()
    _laid_out(qtbot, window, *size)
    assert window.height() <= size[1] and window.width() <= size[0], window.size()
    heights = _view_heights(window)
    assert len(heights) == 4 and min(heights) >= VIEW_MIN, heights


def test_captions_fold_to_one_line_when_room_is_short(qtbot, make_window, font_scale):
    font_scale(1.5)
    window = make_window()
    _laid_out(qtbot, window, 1280, 720)
    fit = window.plot_fit
    assert fit.collapsed
    for panel, short in fit.shorts.items():
        assert short.isVisible() and panel.caption_label.height() == 0
        assert short.toolTip() == panel.caption_label.text()  # the whole caption is a hover away
        assert short.fontMetrics().horizontalAdvance(short.text()) <= short.contentsRect().width() + 1
    font_scale(1.0)
    _laid_out(qtbot, window, 2400, 1400)
    assert not fit.collapsed
    assert all(not s.isVisible() and p.caption_label.height() > 0 for p, s in fit.shorts.items())


def test_plain_caption_keeps_scripts():
    from ui.main_window import plain_caption

    assert plain_caption("‖∂h<sub>T−1</sub>/∂h<sub>t</sub>‖ and (γσ)<sup>T−1−t</sup>") == "‖∂h_(T−1)/∂hₜ‖ and (γσ)ᵀ⁻¹⁻ᵗ"


def _verdict_in_view(window) -> bool:
    bar, label = window.toolbar, window.verdict_label
    return label.isVisible() and bar.rect().contains(label.geometry()) and label.parent() is bar


@pytest.mark.parametrize("size, scale", [((1280, 720), 1.0), ((1280, 720), 1.5)])
def test_verdict_stays_in_the_toolbar(qtbot, make_window, font_scale, size, scale):
    font_scale(scale)
    window = make_window()
    _laid_out(qtbot, window, *size)
    assert _verdict_in_view(window)
    assert window.verdict_label.width() >= window.verdict_label.sizeHint().width()  # never cut


def test_verdict_in_view_at_the_presentation_font(qtbot, make_window, font_scale):
    """1920×1080 at presentation mode's font (the offscreen screen is too small to go full screen on)."""
    from ui.presentation import FONT_SCALE

    font_scale(FONT_SCALE)
    window = make_window()
    _laid_out(qtbot, window, 1920, 1080)
    assert window.width() == 1920
    assert _verdict_in_view(window)


def test_verdict_names_the_last_step_as_the_plots_do(window):
    text = window.verdict_label.text()
    assert "∂h<sub>T−1</sub>/∂h<sub>t</sub>" in text and "<sub>T</sub>" not in text


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_cell_drawing_text_grows_with_the_font_scale(qtbot, font_scale, cell):
    """In a dock as narrow as presentation mode's left column, the numbers reach the font scale's size."""
    from simulator.config import Config
    from ui.cell_view import FONT_PX, MIN_TEXT_PX, TEXT_FILL, CellView
    from ui.session import Session

    sizes = {}
    for scale in (1.0, 1.75):
        font_scale(scale)
        view = CellView(Session(Config(cell=cell)))
        qtbot.addWidget(view)
        view.resize(460, 460)
        view.canvas.grab()  # paints: the text factor is set for this size
        tf, fit = view.canvas.fit()
        assert view.canvas._tf == pytest.approx(tf, abs=0.03)
        sizes[scale] = FONT_PX * tf * fit  # value text on screen, px
        b = view.canvas.bounds(tf)
        assert b.width() * fit <= view.canvas.width() + 1 and b.height() * fit <= view.canvas.height() + 1
    # at 1× the square dock's spare height enlarges the text a little (TEXT_FILL), the font scale more
    assert MIN_TEXT_PX <= sizes[1.0] <= TEXT_FILL * MIN_TEXT_PX + 0.01, sizes
    # (the drawing is as wide as its widest numbers need, '−8.8e−88': at 1.75 the width sets the size)
    assert sizes[1.75] >= 0.85 * MIN_TEXT_PX * 1.75 and sizes[1.75] > sizes[1.0] * 1.15, sizes


def test_a_typed_wrec_past_the_slider_says_so(window):
    note = window.controls.wrec_beyond
    assert note.isHidden()
    window.session.update(wrec=10.0)
    assert not note.isHidden() and "10" in note.text() and "3" in note.text()
    assert window.controls.wrec_slider.toolTip() == note.text()
    window.session.update(wrec=1.0)
    assert note.isHidden() and "10" not in window.controls.wrec_slider.toolTip()


def test_gamma_label_sits_inside_the_activation_plot(window):
    view = window.controls.activation_view
    for activation in ("tanh", "sigmoid", "relu"):
        window.session.update(activation=activation)
        top = view.getPlotItem().vb.viewRange()[1][1]
        text = view.gamma_text
        assert text.anchor.y() == 0 or top - text.pos().y() > 0.5, activation  # room above, or drawn under the line


def test_overflow_banner_names_a_layer_only_when_there_are_several(window):
    s = window.session
    s.update(hidden=1, activation="identity", wrec=10.0, steps=400)  # 10^t overflows float64 at t ~ 308
    assert "infinite" in window.banner.label.text() and "layer" not in window.banner.label.text()
    s.update(layers=2)
    assert "of layer" in window.banner.label.text()


def test_a_long_caption_folds_alone(qtbot, make_window):
    """At the default 1600 x 1000 the gradient plot's caption (how to read it) stays in full even
    when the eigenvalue plot's longer one has to fold."""
    window = make_window()
    _laid_out(qtbot, window, 1600, 1000)
    fit = window.plot_fit
    gradient = window.plots.gradient
    assert gradient not in fit.short_captions
    assert gradient.caption_label.height() > 0 and not fit.shorts[gradient].isVisible()
    for panel in fit.short_captions:  # the folded ones: one line each, the rest in full
        assert fit.shorts[panel].isVisible() and panel.caption_label.height() == 0


def test_presentation_font_follows_the_projector():
    """1.75 on a 1080-line screen (or taller); a 720-line projector gets 1.4, so the window fits it."""
    from ui.presentation import FONT_SCALE, presentation_font_scale

    assert presentation_font_scale(1080) == presentation_font_scale(2160) == FONT_SCALE
    assert presentation_font_scale(720) == 1.4
    assert 1.4 < presentation_font_scale(900) < FONT_SCALE


def test_the_status_hint_comes_back_after_a_passing_message(window, qtbot):
    """'T = 30 steps' shows for a moment; then the bar says what to do again, not nothing."""
    bar = window.statusBar()
    assert window.hint_label.text().startswith("Space plays")
    bar.showMessage("T = 30 steps", 50)
    assert bar.currentMessage() == "T = 30 steps"
    qtbot.waitUntil(lambda: bar.currentMessage() == "", timeout=2000)
    assert not window.hint_label.isHidden()


@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000)])
def test_opening_the_training_lab_leaves_the_main_view_room(qtbot, make_window, size):
    """At 1280 x 720 the Training tab used to take 560 px beside 380 px of controls: the
    diagram and the plots were left a third of the window."""
    window = make_window()
    _laid_out(qtbot, window, *size)
    window.show_training()
    qtbot.wait(50)
    assert window.plots.width() >= 0.38 * window.width(), (window.plots.width(), window.width())


def test_the_status_bar_says_the_lesson_while_it_is_open(make_window, qtbot, monkeypatch):
    """The lesson's hint stays in the status bar while the lesson is open, also after presenting
    (the bar came back with the window's own hint); leaving the lesson gives that hint back."""
    from ui.lesson_panel import LessonPanel

    monkeypatch.setattr(LessonPanel, "train_in_background", False)
    t = theme.current()
    scheme, scale = t.scheme, t.font_scale
    window = make_window(show=True)
    bar = window.statusBar()

    def says() -> str:
        return bar.currentMessage() or (window.hint_label.text() if window.hint_label.isVisible() else "")

    try:
        window.lesson_panel.open_lesson("06-remedies-exploding")
        qtbot.wait(10)
        assert says().startswith("Lesson 6:")
        window.presentation.set_active(True)
        qtbot.wait(20)
        window.presentation.set_active(False)
        window.showNormal()
        bar.clearMessage()  # a passing message's time is up
        qtbot.wait(20)
        assert says().startswith("Lesson 6:"), says()
        window.lesson_panel.leave()
        bar.clearMessage()
        assert says().startswith("Space plays"), says()
    finally:
        t.set_scheme(scheme)
        t.set_font_scale(scale)
