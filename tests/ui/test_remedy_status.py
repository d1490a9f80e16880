"""The remedies in force show next to the verdict, and the equations say when truncation cut a step off."""

from simulator.config import Config


def test_toolbar_shows_truncation_and_clipping(make_window):
    window = make_window(Config(truncate=5, clip=1.0))
    text = window.remedy_label.text()
    assert "truncated k=5" in text
    assert "update clipped" in text and "→1" in text
    assert window.remedy_action.isVisible()


def test_no_remedy_no_status(window):
    assert window.remedy_label.text() == ""
    assert not window.remedy_action.isVisible()


def test_equations_name_the_truncation_window(make_window):
    window = make_window(Config(truncate=5))
    session = window.session
    session.set_frame(session.n_frames - 1)  # the end of BPTT: t = 0, far outside the window
    assert "Outside the truncation window" in window.formula.text
    session.set_frame(0)  # forward: nothing to say
    assert "truncation window" not in window.formula.text
