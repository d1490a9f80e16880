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


def test_trained_weights_show_their_spectral_radius(window):
    from simulator.config import build_network

    label = window.controls.trained_label
    assert label.isHidden()
    net = build_network(window.session.config)
    net.params["weight_hh_l0"] = net.params["weight_hh_l0"] * 1.22
    window.session.set_network(net)
    rho = window.session.trace.spectral_radius["W_hh"]
    assert "trained weights" in label.text() and f"{rho:.3g}" in label.text()
    assert not label.isHidden()
    window.session.update(wrec=0.9)  # the slider starts afresh from the config's weights
    assert label.isHidden()


def test_switching_a_remedy_on_scrolls_its_read_out_into_view(make_window, qtbot):
    """At 1600×1000 the remedies' read-out ('‖∇θ‖ = 377 → clipped to 1.00') sat under the panel's
    visible foot, cut through its middle: ticking the box now scrolls the panel to show it."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication, QScrollArea

    window = make_window()
    window.resize(1600, 1000)
    window.show()
    qtbot.waitExposed(window)
    c = window.controls
    window.session.update(activation="relu", wrec=1.5, steps=30)
    area = c.parentWidget()
    while not isinstance(area, QScrollArea):
        area = area.parentWidget()
    area.verticalScrollBar().setValue(0)  # the panel's top, as it opens
    c.clip_check.click()
    assert window.session.config.clip > 0
    for _ in range(3):
        QApplication.processEvents()
    label = c.remedy_effect
    assert label.isVisible() and "clipped to" in label.text()
    viewport = area.viewport()
    top = label.mapTo(viewport, QPoint(0, 0)).y()
    assert 0 <= top and top + label.height() <= viewport.height(), (top, label.height(), viewport.height())
