"""The Equations panel's shortcuts: numbers worked out on first use, and only the changed paragraphs laid out again."""

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from simulator.cells import dphi_from_output
from simulator.config import Config
from simulator.result import frobenius_norms
from ui.formula_view import FormulaView
from ui.session import Session


@pytest.fixture
def view_of(qtbot):
    """A FormulaView on a session of this config, shown (a hidden view writes nothing until read)."""

    def make(**changes) -> FormulaView:
        view = FormulaView(Session(Config(**changes)))
        qtbot.addWidget(view)
        view.resize(420, 900)
        view.show()
        qtbot.waitExposed(view)
        return view

    return make


def _worked_out_now(trace) -> dict:
    """What the view's lazy numbers must be for this trace, computed here from scratch (unit 1, example 1)."""
    hs, dh = trace.hidden_states[-1][:, 0], trace.dh[-1][:, 0]
    want = {
        "h_bad": (~np.isfinite(hs)).sum(axis=1),
        "dh_bad": (~np.isfinite(dh)).sum(axis=1),
        "h_norm": frobenius_norms(hs),
    }
    net, k = trace.net, trace.net.layers - 1
    if net.cell in ("rnn", "esn"):
        p, a = net.params, trace.caches[-1]["a"][:, 0]
        h_prev = trace.caches[-1]["h"][:-1, 0]
        layer_in = trace.x[:, 0] if k == 0 else trace.hidden_states[-2][:, 0]
        want["rec"] = h_prev @ p[f"weight_hh_l{k}"][0]
        want["inp"] = layer_in @ p[f"weight_ih_l{k}"][0] + (p[f"bias_ih_l{k}"] + p[f"bias_hh_l{k}"])[0]
        want["pre"] = want["rec"] + want["inp"]
        dp = np.broadcast_to(dphi_from_output(net.activation, a), a.shape)
        want["dphi"], want["dphi_mean"] = dp[:, 0], dp.mean(axis=1)
    else:
        for name, g in trace.gates(-1).items():
            want[name + "_mean"] = g[:, 0].mean(axis=1)
    return want


@pytest.mark.parametrize(
    "config",
    [
        dict(cell="rnn", hidden=4, layers=2),
        dict(cell="rnn", activation="relu", hidden=3),
        dict(cell="esn", hidden=4, leak=0.5),
        dict(cell="lstm", hidden=4),
        dict(cell="gru", hidden=4),
    ],
)
def test_numbers_worked_out_on_first_use_are_the_new_traces(view_of, config):
    view = view_of(steps=12, **config)
    session = view.session
    before = None
    for wrec in (0.6, 1.7):
        session.update(wrec=wrec)
        for frame in (3, session.n_frames - 4):  # a forward and a BPTT frame: each reads some of them
            session.set_frame(frame)
            assert view.text
        want = _worked_out_now(session.trace)
        for name, value in want.items():
            assert np.array_equal(view.data[name], value, equal_nan=True), name
        if before is not None:  # the trace before had other numbers: had they been kept, the check above fails
            assert any(not np.array_equal(before[n], want[n], equal_nan=True) for n in want)
        before = dict(view.data)


def test_a_frame_lays_out_only_the_paragraphs_it_changes(view_of):
    """The general form between the header and the rows keeps its layout when the numbers change."""
    view = view_of(cell="lstm", hidden=8, steps=20)
    session, doc = view.session, view.canvas.doc
    session.set_frame(5)
    QApplication.processEvents()
    general = next(b for b in _blocks(doc) if "likewise" in b.text())  # the forward pass's general form
    laid_out = []
    doc.contentsChange.connect(lambda position, removed, added: laid_out.append((position, position + added)))
    for change in ({"frame": 6}, {"wrec": 1.3}, {"frame": 7}, {"wrec": 0.8}):
        laid_out.clear()
        if "frame" in change:
            session.set_frame(change["frame"])
        else:
            session.update(**change)
        assert laid_out, change  # numbers were put in place ...
        first, last = general.position(), general.position() + general.length() - 1
        assert not [r for r in laid_out if r[0] <= last and r[1] >= first], change  # ... not in the general form
    reference = FormulaView(Session(session.config))  # and the document is the one a fresh view writes
    reference.session.set_frame(7)
    assert reference.text == view.text
    assert doc.toHtml() == reference.canvas.doc.toHtml()
    reference.deleteLater()


def _blocks(doc):
    block = doc.begin()
    while block.isValid():
        yield block
        block = block.next()
