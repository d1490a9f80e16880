"""Review 8: the toolbar's remedy status stands apart from the verdict; a small window at a large
font gives the diagram and plots the room (the side docks give way); presenting, the diagram gets height."""

from PySide6.QtCore import QPoint
from windowtools import laid_out

from simulator.config import Config


def _text_gap(window) -> int:
    """Pixels between the end of the verdict label and the start of the remedy label's text."""
    bar, verdict, remedy = window.toolbar, window.verdict_label, window.remedy_label
    verdict_end = verdict.mapTo(bar, QPoint(verdict.width(), 0)).x()
    remedy_start = remedy.mapTo(bar, QPoint(remedy.contentsRect().left(), 0)).x()
    return remedy_start - verdict_end


def test_remedy_status_stands_apart_from_the_verdict(qtbot, make_window):
    window = make_window(Config(clip=1.0, truncate=5))
    laid_out(qtbot, window)
    assert window.remedy_action.isVisible()
    assert window.remedy_separator.isVisible()
    em = window.remedy_label.fontMetrics().horizontalAdvance("m")
    assert _text_gap(window) >= em * 0.75, _text_gap(window)  # was 1 px: "×0.72/stepclip at 1 ..."


def test_no_remedy_no_separator(qtbot, window):
    laid_out(qtbot, window)
    assert not window.remedy_separator.isVisible()
    window.session.update(clip=1.0)
    assert window.remedy_separator.isVisible()
    window.session.update(clip=0.0)
    assert not window.remedy_separator.isVisible()
