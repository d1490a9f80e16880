"""Plots: captions keep their point when cut, a variant shows only its own gates, zeros are explained."""

import numpy as np
import pytest
from windowtools import laid_out as _laid_out

from simulator.config import Config
from ui.main_window import plain_caption
from ui.session import Session


def _visible_caption(window, panel) -> str:
    """The caption as the user reads it: the one-line cut where room is short, else the whole text."""
    short = window.plot_fit.shorts[panel]
    return short.text() if short.isVisible() else plain_caption(panel.caption_label.text())


def _first_sentence(panel) -> str:
    text = plain_caption(panel.caption_label.text())
    return text[: text.index(".") + 1]


@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000)])
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_a_cut_caption_still_shows_a_complete_first_sentence(qtbot, make_window, size, cell):
    window = make_window(Config(cell=cell))
    _laid_out(qtbot, window, *size)
    for panel in window.plots.plots:
        first = _first_sentence(panel)
        assert 10 <= len(first) <= 40, first  # a sentence, short enough for a narrow plot's one line
        assert _visible_caption(window, panel).startswith(first), (type(panel).__name__, first)


def test_the_eigenvalue_plots_point_is_readable_at_the_default_size(qtbot, make_window):
    window = make_window()
    _laid_out(qtbot, window, 1600, 1000)
    seen = _visible_caption(window, window.plots.eigen)
    assert "Inside the circle ⇒ vanishing." in seen and "Outside ⇒ can explode." in seen, seen


@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000)])
def test_a_cut_caption_ends_on_a_whole_sentence(qtbot, make_window, size):
    """Cut at a sentence's end, then "…" ("… can explode. Do…" read as a mistake); the whole text on hover."""
    window = make_window(Config(cell="lstm"))
    _laid_out(qtbot, window, *size)
    for panel in window.plots.plots:
        short = window.plot_fit.shorts[panel]
        if not short.isVisible():
            continue
        whole = plain_caption(panel.caption_label.text())
        seen = short.text()
        assert seen.endswith(". …") or seen == whole, seen
        assert whole.startswith(seen[:-2]), (seen, whole)
        assert short.toolTip() == panel.caption_label.text()


def test_the_short_sentence_begins_the_caption_in_every_eigenvalue_case(make_window):
    window = make_window(Config(activation="sigmoid"))  # gamma = 1/4: the dashed 1/gamma circle
    assert plain_caption(window.plots.eigen.caption_label.text()).startswith("Dots inside 1/γ ⇒ vanishing.")
    window.session.update(activation="tanh")
    assert plain_caption(window.plots.eigen.caption_label.text()).startswith("Inside the circle ⇒ vanishing.")
    for panel in window.plots.plots:
        if panel.short_caption:
            assert plain_caption(panel.caption_label.text()).startswith(panel.short_caption)


@pytest.mark.parametrize(
    "variant, gone, unread",
    [("nfg", "f", "f"), ("nig", "i", "i"), ("nog", "o", "o"), ("cifg", None, "i"), ("vanilla", None, None)],
)
def test_a_variant_shows_only_the_gates_and_blocks_it_has(make_window, variant, gone, unread):
    """nfg holds f at 1, nig i, nog o: no such gate, no such tab; CIFG's i is 1 − f, its W_hh block unread."""
    window = make_window(Config(cell="lstm", variant=variant))
    trace = window.session.trace
    gates = [n for n in "ifgo" if n != gone]
    blocks = [n for n in "ifgo" if n != unread]
    assert list(trace.net.gates) == gates
    eigen = window.plots.eigen
    assert list(eigen.eig) == blocks
    legend = [label.text for _, label in eigen.legend.items if label.text]
    assert len(legend) == len(blocks) and all(f"({n})" in t for n, t in zip(blocks, legend)), legend
    shown = [s for s in eigen.scatters if len(s)]
    assert len(shown) == len(blocks)
    states = window.plots.states
    tabs = [states.tabs.tabText(k) for k in range(states.tabs.count())]
    assert sorted(n for n in states.names if n in "ifgo") == sorted(gates), tabs
    assert len(tabs) == len(states.names)
    if gone is not None:  # the engine does hold that gate at exactly 1
        np.testing.assert_array_equal(trace.gates(-1)[gone], 1.0)


def test_exact_zeros_are_explained_and_hovered_at_wrec_0(make_window):
    """Wrec = 0: every step before the last has gradient and Jacobian product exactly 0, which a log axis can't draw."""
    window = make_window(Config(wrec=0.0))
    trace = window.session.trace
    T = trace.T
    zero = np.flatnonzero(trace.grad_norms == 0)
    assert list(zero) == list(range(T - 1))  # the engine's numbers: only the last step has a gradient
    gradient, jacobian = window.plots.gradient, window.plots.jacobian
    for panel in (gradient, jacobian):
        assert panel.notice.isVisible()
        assert f"= 0 from t = {T - 2} back" in panel.notice.textItem.toPlainText()
        assert "log axis" in panel.notice.textItem.toPlainText()
        assert panel.hover_text(3, 0).splitlines()[1].endswith("= 0 (not drawable on a log axis)")
    window.session.update(wrec=1.0)  # nothing is zero: no notice, the hover gives the number
    for panel in (gradient, jacobian):
        assert not panel.notice.isVisible()
        assert "not drawable" not in panel.hover_text(3, 0)


def test_zeros_the_truncation_explains_get_no_notice(make_window):
    window = make_window(Config(truncate=5))
    trace = window.session.trace
    assert (trace.grad_norms[: trace.T - 5] == 0).all()  # cut off by truncated BPTT, whose band says so
    assert not window.plots.gradient.notice.isVisible()


def test_scattered_zeros_are_listed_as_runs():
    from ui.plots import zero_notice

    v = np.array([1.0, 0, 0, 0, 2, 0, 3, 0, 0, 4, 0])
    assert zero_notice(v, "x") == "x = 0 at t = 1 … 3, 5, 7 … 8, …:\nnot drawable on a log axis"
    assert zero_notice(np.array([0.0, 0, 1]), "x").startswith("x = 0 from t = 1 back")
    assert zero_notice(np.array([1.0, 2.0]), "x") == ""


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_the_overflow_line_and_its_label_show_above_the_veil_in_the_themes_type(make_window, scale):
    """The forward pass overflowed, so BPTT never ran and the veil covers the plot: the line says so anyway."""
    from ui import theme

    theme.current().set_font_scale(scale)
    try:
        window = make_window(Config(activation="relu", wrec=3.0, steps=1000))
        plot = window.plots.gradient
        assert plot.overflow.isVisible()
        assert plot.overflow.value() == window.session.trace.nonfinite.step
        assert plot.overflow.zValue() > plot.veil.zValue()
        font = plot.overflow.label.textItem.font()
        assert font.pointSizeF() == pytest.approx(theme.current().point_size(0.85))
        assert font.bold()
        assert plot.truncated_label.textItem.font().pointSizeF() == pytest.approx(theme.current().point_size(0.85))
    finally:
        theme.current().set_font_scale(1.0)


@pytest.mark.parametrize(("cell", "gate"), [("lstm", "f"), ("gru", "z")])
def test_a_gated_cells_eigenvalue_caption_gives_its_gates_measured_mean(qtbot, cell, gate):
    """'Gates, not λ, steer the flow' with the number that shows it: the mean of the gate that
    carries the memory (top layer, first example), from this trace; none for an Elman RNN."""
    from ui.diagram import number
    from ui.plots import EigenPlot

    for wrec in (0.5, 1.8):
        plot = EigenPlot(Session(Config(cell=cell, wrec=wrec, steps=30)))
        qtbot.addWidget(plot)
        mean = float(plot.session.trace.gates()[gate][:, 0].mean())
        text = plot.caption_label.text()
        assert text.startswith("Gates, not λ, steer the flow. Mean ")
        assert f" gate {gate} = {number(mean, 2)}: " in text
    rnn = EigenPlot(Session(Config(steps=30)))
    qtbot.addWidget(rnn)
    assert "Mean " not in rnn.caption_label.text()


def test_stacked_layers_say_which_layer_the_jacobian_and_the_eigenvalues_are_of(qtbot):
    from ui.plots import EigenPlot, JacobianPlot

    session = Session(Config(layers=3, hidden=4))
    jacobian, eigen = JacobianPlot(session), EigenPlot(session)
    for plot in (jacobian, eigen):
        qtbot.addWidget(plot)
    labels = jacobian.legend.__dict__["_unrolled_labels"]
    assert labels[id(jacobian.curve)].endswith(" layer 3")
    assert eigen.legend.__dict__["_unrolled_labels"][id(eigen.scatters[0])] == "W<sub>hh</sub> layer 3"
    session.update(layers=1)
    assert not labels[id(jacobian.curve)].endswith("layer 3")


def test_an_lstm_without_a_forget_gate_says_so_instead_of_a_mean(qtbot):
    from ui.plots import EigenPlot

    plot = EigenPlot(Session(Config(cell="lstm", variant="nfg", steps=30)))
    qtbot.addWidget(plot)
    text = plot.caption_label.text()
    assert "No forget gate in this variant (f = 1)" in text and "Mean forget gate" not in text


def test_stacked_the_pascanu_bound_says_which_layer_it_bounds(window):
    """With two layers, layer 1's gradient lay above the dashed 'Pascanu bound' (1.13 against 0.99 at
    t = 15): the bound is the top layer's, and its legend entry now says so."""
    window.session.update(layers=2, wrec=1.2, steps=20)
    plot = window.plots.gradient
    names = [label.text for _, label in plot.legend.items if label.text]
    assert "Pascanu bound, layer 2" in names, names
    trace = window.session.trace
    top = trace.grad_norms_layers[-1]
    assert np.all(top <= plot.bound_y * (1 + 1e-9))  # the layer it names is under it
    assert np.any(trace.grad_norms_layers[0] > plot.bound_y)  # (the one a reviewer saw above it)
    window.session.update(layers=1)
    assert "Pascanu bound" in [label.text for _, label in plot.legend.items if label.text]


def test_each_gate_blocks_eigenvalues_have_a_shape_of_their_own(make_window):
    """A GRU at Wrec 2.5: the W_hr dots sat almost wholly under the z and n dots (the blocks share
    their spectral radius). Each block now has its own symbol, the later ones smaller, and its legend
    sample shows that symbol (colour-blind viewers tell them apart too)."""
    window = make_window(Config(cell="gru", wrec=2.5, steps=30))
    eigen = window.plots.eigen
    shown = [s for s in eigen.scatters if len(s)]
    assert len(shown) == 3
    symbols = [s.opts["symbol"] for s in shown]
    assert len(set(symbols)) == 3
    sizes = [s.opts["size"] for s in shown]
    assert sizes == sorted(sizes, reverse=True)  # later blocks no larger: the first shows under them
    samples = [sample.item for sample, label in eigen.legend.items if label.text and hasattr(sample, "item")]
    assert [s.opts["symbol"] for s in samples[:3]] == symbols
