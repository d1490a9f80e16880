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
