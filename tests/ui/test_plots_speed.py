"""Plots: the header's title width is measured once, and measured again when the title label changes."""

import pytest
from PySide6.QtCore import Qt
from windowtools import laid_out as _laid_out

from simulator.config import Config
from ui.plots import RichLabel, label_width


def _changes(label: RichLabel):
    """Ways the label's measure of a text changes: its font, margins, contents margins and format."""
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 2)
    yield lambda: label.setFont(font)
    yield lambda: label.setMargin(label.margin() + 7)
    m = label.contentsMargins()
    yield lambda: label.setContentsMargins(m.left() + 5, m.top(), m.right() + 9, m.bottom())
    yield lambda: label.setTextFormat(Qt.TextFormat.PlainText)


def test_a_rich_labels_kept_width_follows_its_font_margins_and_format(qtbot):
    label = RichLabel("x")
    qtbot.addWidget(label)
    text = "Gradient ‖∂L/∂h<sub>t</sub>‖"
    for change in _changes(label):
        before = label.width_of(text)
        assert before == label_width(label, text)
        change()
        after = label.width_of(text)
        assert after == label_width(label, text)
        assert after != before


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_the_title_shortens_when_its_font_grows_and_comes_back(qtbot, make_window, cell):
    """A bigger title font (measured anew, not the kept width) leaves the badge no room: the short title."""
    window = make_window(Config(cell=cell))
    _laid_out(qtbot, window, 1600, 1000)
    for panel in (window.plots.gradient, window.plots.jacobian):
        label = panel.title_label
        panel._fit_title()
        assert label.text() == panel.title  # room enough at this size
        normal = label.font()
        big = label.font()
        big.setPointSizeF(normal.pointSizeF() * 6)
        label.setFont(big)
        panel._fit_title()
        assert label.text() == panel.short_title, type(panel).__name__
        label.setFont(normal)
        panel._fit_title()
        assert label.text() == panel.title
