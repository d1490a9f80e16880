"""The window fits small laptop and projector screens."""


def test_window_fits_1280x720(window):
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, hint
    window.show()
    window.resize(1280, 720)
    assert window.width() == 1280 and window.height() == 720
