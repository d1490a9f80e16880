"""Exports: the leaky ESN's bound in every text that states it, and the exports' consistency."""

import csv
import io
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from simulator.config import Config, run
from ui import export
from ui.figures import build_figure, setting_text
from ui.formula_view import FormulaView
from ui.plots import BOUND_NAME, GradientPlot, JacobianPlot, fmt, positive
from ui.session import Session

SVG = "{http://www.w3.org/2000/svg}"


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&nbsp;", " ")


def legend_texts(panel) -> list[str]:
    return [label.text for _, label in panel.legend.items]


# ---- 1. a leaky unit's bound -----------------------------------------------------------------------
LEAKY = {"cell": "esn", "steps": 30, "wrec": 0.9, "leak": 0.3, "topology": "many_to_many"}


def test_equations_state_the_leaky_bound_the_steps_obey(qtbot):
    view = FormulaView(Session(Config(**LEAKY)))
    qtbot.addWidget(view)
    s = view.session
    tr = s.trace
    s.set_frame(s.frame_of("backward", 10))
    text = plain(view.text)
    smax = tr.sigma_max["W_hh"]
    assert tr.step_bound == pytest.approx(0.7 + 0.3 * smax)
    assert (
        f"(1−α) + α·γ·σmax = {fmt(0.7, 3)} + {fmt(0.3, 3)} · {fmt(1, 3)} · {fmt(smax, 3)} = {fmt(tr.step_bound, 3)}"
        in text
    )
    assert "at most (1−α) + α·γ·σmax(Whh)" in text
    assert "γ·σmax = " not in text.replace("α·γ·σmax = ", "")  # the plain form is not stated as the bound
    assert np.all(tr.step_jacobian_norms[1:] <= tr.step_bound * (1 + 1e-12))
    assert tr.step_jacobian_norms[1:].max() > smax  # the plain γσmax would be broken


def test_equations_keep_the_plain_bound_without_a_leak(qtbot):
    view = FormulaView(Session(Config(cell="rnn", steps=10, wrec=0.9)))
    qtbot.addWidget(view)
    s = view.session
    s.set_frame(s.frame_of("backward", 5))
    text = plain(view.text)
    assert f"γ·σmax = {fmt(1, 3)} · {fmt(s.trace.sigma_max['W_hh'], 3)}" in text
    assert "(1−α)" not in text


def test_one_unit_leaky_backward_row_is_the_engines_step(qtbot):
    """H = 1, loss at the last step: dL/dh_{t-1} = ((1−α) + α·w·φ′_t)·dL/dh_t exactly, as the row writes."""
    view = FormulaView(Session(Config(cell="esn", hidden=1, steps=8, wrec=0.9, leak=0.4)))
    qtbot.addWidget(view)
    s, t = view.session, 5
    s.set_frame(s.frame_of("backward", t))
    d = view.data
    w, dphi, dh = d["w_scalar"], d["dphi"][t], d["dh"][t]
    assert s.trace.dh[-1][t - 1, 0, 0] == pytest.approx((0.6 + 0.4 * w * dphi) * dh, rel=1e-12)
    text = plain(view.text)
    assert f"((1−α) + α · Wrec · tanh′) · ∂L/∂h{t}" in text
    assert f"({fmt(0.6, 3)} + {fmt(0.4, 3)} · {fmt(w, 3)} · " in text


def test_plots_label_the_leaky_bound(qtbot):
    s = Session(Config(**LEAKY))
    jac, grad = JacobianPlot(s), GradientPlot(Session(Config(**{**LEAKY, "topology": "many_to_one"})))
    qtbot.addWidget(jac)
    qtbot.addWidget(grad)
    assert "bound ((1−α)+αγσ<sub>max</sub>)<sup>T−1−t</sup>" in legend_texts(jac)
    assert BOUND_NAME not in legend_texts(jac)
    assert "((1−α) + α·γ·σ<sub>max</sub>(W<sub>hh</sub>))<sup>T−1−t</sup>, α = 0.3" in jac.caption_label.text()
    np.testing.assert_allclose(jac.bound_y, s.trace.step_bound ** (29 - np.arange(30)), rtol=1e-12)
    assert np.all(s.trace.jacobian_norms <= jac.bound_y * (1 + 1e-9))
    assert "((1−α)+αγσ<sub>max</sub>)<sup>T−1−t</sup>, α = 0.3" in grad.caption_label.text()
    plain_jac = JacobianPlot(Session(Config(cell="rnn", steps=30, wrec=0.9)))
    qtbot.addWidget(plain_jac)
    assert BOUND_NAME in legend_texts(plain_jac)
    assert "(1−α)" not in plain_jac.caption_label.text()


# ---- 2. exports --------------------------------------------------------------------------------------
def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def figure(qapp):
    made = []

    def make(name, config, **kw):
        f = build_figure(name, config, run(config), **kw)
        made.append(f)
        return f

    yield make
    for f in made:
        f.close()


def test_gates_figure_has_the_configuration_footer_and_a_unit_axis_title(figure):
    config = Config(cell="gru", steps=6, hidden=4)
    f = figure("gates", config)
    assert f.setting_note is not None and f.setting_note.text == figure("gradients", config).setting_note.text
    assert setting_text(config).startswith("GRU · W<sub>rec</sub>")  # its activations are fixed: no φ
    root = ET.fromstring(export.svg_bytes(f))
    words = " ".join(e.text or "" for e in root.iter() if e.tag == f"{SVG}text")
    assert "unit" in words.split() and "T = 6" in words and "4 units" in words
    image = f.image()
    assert (image.width(), image.height()) == (1600, 900)
    note = f.setting_note.sceneBoundingRect()
    assert note.bottom() <= 900 and note.left() >= 0  # inside the picture, not cut


def test_gradient_csv_has_the_bound_the_plot_draws(figure):
    for config in (Config(cell="esn", steps=8, hidden=4, wrec=0.9, leak=0.3), Config(steps=8, hidden=4)):
        f = figure("gradients", config)
        rows = _rows(export.csv_text(f))
        assert rows[0] == ["t", "grad_norm", "pascanu_bound"]
        tr = f.session.trace
        bound = [float(r[2]) for r in rows[1:]]
        np.testing.assert_array_equal(bound, tr.grad_norms[-1] * tr.step_bound ** (7 - np.arange(8)))
        np.testing.assert_array_equal(positive(np.array(bound)), f.panel.bound_y)  # the dashed line's numbers
        assert np.all(tr.grad_norms <= np.array(bound) * (1 + 1e-9))
    # a loss at every step: each step's own loss gradient carried back, sum_k>=t |dl_k/dh_k| s^(k-t)
    f = figure("gradients", Config(steps=5, hidden=4, topology="many_to_many"))
    rows = _rows(export.csv_text(f))
    assert rows[0] == ["t", "grad_norm", "pascanu_bound"]
    tr = f.session.trace
    n, s = tr.loss_grad_norms, tr.step_bound
    expected = [sum(n[k] * s ** (k - t) for k in range(t, 5)) for t in range(5)]
    np.testing.assert_allclose([float(r[2]) for r in rows[1:]], expected, rtol=1e-12)
    assert np.all(tr.grad_norms <= np.array(expected) * (1 + 1e-9))
    assert np.count_nonzero(n) == 5  # every step scored
    # no bound drawn (a gated cell): no column; the LSTM's cell-state line is one (the plot draws it)
    assert _rows(export.csv_text(figure("gradients", Config(cell="gru", steps=5))))[0] == ["t", "grad_norm"]
    f = figure("gradients", Config(cell="lstm", steps=5, layers=2))
    rows = _rows(export.csv_text(f))
    assert rows[0] == ["t", "grad_norm", "cell_grad_norm"]
    tr = f.session.trace
    assert [float(r[2]) for r in rows[1:]] == list(tr.cell_grad_norms[-1])  # the top layer's, as drawn
    np.testing.assert_array_equal(positive(np.array([float(r[2]) for r in rows[1:]])), f.panel.cell_curve.yData)


def test_unrolled_csv_says_which_unit(figure):
    config = Config(steps=5, hidden=4, layers=2)
    f = figure("unrolled", config)
    rows = _rows(export.csv_text(f))
    assert rows[0] == ["t", "x_1", "h_1_layer1", "h_1_layer2", "y_1", "loss_term", "grad_norm1", "grad_norm2"]
    tr = f.session.trace
    np.testing.assert_array_equal([float(r[3]) for r in rows[1:]], tr.hidden_states[1][:, 0, 0])  # unit 1, layer 2
    one = _rows(export.csv_text(figure("unrolled", Config(steps=5, hidden=4))))
    assert one[0][:3] == ["t", "x_1", "h_1"]


def test_gif_frames_are_as_large_as_a_still(figure):
    for name, config in (("gradients", Config(steps=3, hidden=4)), ("eigenvalues", Config(steps=2, hidden=4))):
        f = figure(name, config)
        still = f.image()
        frames = list(export.animation_frames(f))
        assert {(i.width(), i.height()) for i in frames} == {(still.width(), still.height())} == {(1600, 900)}
        gif = Image.open(io.BytesIO(export.gif_bytes(f)))
        assert gif.size == (1600, 900)
        f.show_playhead(False)  # the animation leaves its playhead shown
        after = f.image()  # the figure is laid out at its size again
        assert (after.width(), after.height()) == (1600, 900) and f.size == (1600, 900)
        assert after == still


def test_eigenvalue_ticks_use_the_minus_sign(figure):
    f = figure("eigenvalues", Config(steps=3, hidden=4))
    root = ET.fromstring(export.svg_bytes(f))
    words = [e.text or "" for e in root.iter() if e.tag == f"{SVG}text"]
    ticks = [w for w in words if re.fullmatch(r"[−-]?\d+(\.\d+)?", w.strip())]
    assert any(w.startswith("−") for w in ticks)
    assert not any("-" in w for w in ticks)
    axis = f.panel.plot.getAxis("left")
    assert axis.tickStrings([-1.0, 0.5], 1.0, 0.5) == ["−1.0", "0.5"]
    assert f.panel.plot.getAxis("bottom").tickStrings([-2, 0], 1.0, 1.0) == ["−2", "0"]


def test_the_exported_diagram_says_its_configuration_at_its_foot(figure):
    """A slide of the unrolled network names the set-up it was made with, as the plot figures do."""
    from ui.figures import setting_text

    config = Config(cell="lstm", steps=6, wrec=1.3, clip=1.0)
    f = figure("unrolled", config)
    view = f.widget
    assert view._note == setting_text(config)
    rect = view.note_rect()
    assert not rect.isEmpty() and rect.bottom() <= view.height() and rect.left() >= 0
    image = f.image()
    foot = image.copy(0, round(rect.top()), image.width(), round(rect.height()))
    colours = {foot.pixel(x, y) for x in range(0, foot.width(), 3) for y in range(foot.height())}
    assert len(colours) > 3  # the line is drawn, not only the background
