"""The cell view: the trace's own numbers at the current step, gradients in BPTT, Greff's variants."""

import numpy as np
import pytest
from PySide6.QtGui import QImage
from windowtools import direct_image

from simulator.config import Config
from ui.cell_view import MEAN, CellView
from ui.session import Session


@pytest.fixture
def make_view(qtbot):
    def make(**config) -> CellView:
        view = CellView(Session(Config(**config)))
        qtbot.addWidget(view)
        view.resize(900, 480)
        return view

    return make


def test_lstm_shows_the_traces_gate_values_at_the_current_step(make_view):
    view = make_view(cell="lstm", steps=6, hidden=5)
    s = view.session
    tr = s.trace
    for frame in (0, 3, s.frame_of("backward", 2)):
        s.set_frame(frame)
        t = s.phase_step()[1]
        shown = view.values()
        for name in "ifgo":
            assert shown[name] == tr.gates(-1)[name][t, 0, 0]
        assert shown["c"] == tr.cell_states[-1][t, 0, 0]
        assert shown["h"] == tr.hidden_states[-1][t, 0, 0]
        view.canvas.grab()
    view.set_unit(3)
    assert view.values()["f"] == tr.gates(-1)["f"][2, 0, 3]
    view.set_unit(MEAN)
    assert view.values()["o"] == pytest.approx(tr.gates(-1)["o"][2, 0].mean())
    view.canvas.grab()


def test_gru_and_rnn_show_their_own_elements(make_view):
    gru = make_view(cell="gru", steps=4, hidden=3)
    gru.session.set_frame(2)
    g = gru.session.trace.gates(-1)
    assert {gru.values()[n] for n in "rzn"} == {g[n][2, 0, 0] for n in "rzn"}
    gru.canvas.grab()
    rnn = make_view(cell="rnn", steps=4, activation="relu")
    assert rnn.element_states()["phi"] == "relu"
    assert rnn.values()["h"] == rnn.session.trace.hidden_states[-1][0, 0, 0]
    assert rnn.values()["a"] == pytest.approx(max(rnn.values()["pre"], 0.0))  # h = relu(pre), from the weights
    rnn.canvas.grab()


def test_backward_frames_show_the_cell_and_hidden_gradient_norms(make_view):
    view = make_view(cell="lstm", steps=5)
    s = view.session
    s.set_frame(s.frame_of("backward", 1))
    assert view._gc[1] == s.trace.cell_grad_norms[-1][1]
    assert view._gh[1] == s.trace.grad_norms[1]
    view.canvas.grab()


@pytest.mark.parametrize(
    "variant, expected",
    [
        ("vanilla", {"i": "gate", "f": "gate", "o": "gate", "peephole": "none"}),
        ("peephole", {"peephole": "drawn"}),
        ("nig", {"i": "absent"}),
        ("nfg", {"f": "absent"}),
        ("nog", {"o": "absent"}),
        ("niaf", {"g": "identity"}),
        ("noaf", {"tanh_c": "identity"}),
        ("cifg", {"i": "coupled"}),
        ("fgr", {"gate_recurrence": "drawn"}),
    ],
)
def test_greff_variants_show_in_the_drawing(make_view, variant, expected):
    view = make_view(cell="lstm", variant=variant, steps=3, hidden=2)
    states = view.element_states()
    for key, value in expected.items():
        assert states[key] == value
    if variant == "cifg":  # the value drawn in the input gate is 1 − f
        assert view.values()["i"] == pytest.approx(1.0 - view.values()["f"])
    if variant in ("nig", "nfg", "nog"):
        assert view.values()[variant[1]] == 1.0
    view.canvas.grab()


def test_layers_units_and_a_non_finite_trace(make_view):
    view = make_view(cell="rnn", activation="identity", wrec=10, steps=1000, hidden=4, layers=2)
    s = view.session
    assert view.layer_box.count() == 2 and view.layer == 1
    view.layer_box.setCurrentIndex(0)
    s.set_frame(400)
    assert not np.isfinite(view.values()["h"])
    view.canvas.grab()
    s.update(hidden=2)  # the unit choices follow the size
    assert view.unit_box.count() == 3
    view.canvas.grab()


def _pixels(image: QImage) -> np.ndarray:
    """An image's pixels, (height, width, 4) bytes."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return rows[:, : image.width()].astype(int)


@pytest.mark.parametrize(
    "config, size",
    [
        (dict(cell="lstm", steps=12, hidden=4), (900, 480)),
        (dict(cell="lstm", variant="peephole", steps=12, hidden=4), (900, 480)),
        (dict(cell="lstm", variant="cifg", steps=12, hidden=4), (900, 480)),
        (dict(cell="lstm", variant="fgr", steps=12, hidden=4), (900, 480)),
        (dict(cell="lstm", variant="nog", steps=12, hidden=4, layers=2), (420, 300)),  # large text, layer 2
        (dict(cell="lstm", variant="nfg", steps=12, hidden=4), (900, 480)),
        (dict(cell="lstm", variant="noaf", steps=12, hidden=4), (420, 300)),
        (dict(cell="gru", steps=12, hidden=4), (900, 480)),
        (dict(cell="gru", steps=12, hidden=4), (420, 300)),
        (dict(cell="rnn", steps=12, hidden=4), (900, 480)),
        (dict(cell="esn", leak=0.5, steps=12, hidden=8), (900, 480)),
        (dict(cell="rnn", activation="identity", wrec=10, steps=1000, hidden=4, layers=2), (900, 480)),
    ],
)
def test_cached_frames_draw_what_the_direct_drawing_draws(make_view, config, size):
    """A frame replayed over the cached layers looks like the whole drawing done directly, at each step."""
    view = make_view(**config)
    view.resize(*size)
    s, canvas = view.session, view.canvas
    T = s.trace.T
    non_finite = config.get("wrec") == 10  # inf and NaN chips, hatched boxes
    # (phase, the step that makes the layers and the display list, the step compared)
    cases = [("forward", 2, 5), ("backward", T - 2, 1)]
    if non_finite:
        cases = [("forward", 2, 401), ("backward", 3, T - 2)]
    for unit in [0, MEAN] if config.get("layers") else [0]:
        view.set_unit(unit)
        for phase, first, t in cases:
            s.set_frame(s.frame_of(phase, first))
            canvas.grab()
            before = _pixels(direct_image(canvas))
            s.set_frame(s.frame_of(phase, t))
            assert (view._phase, view._t) == (phase, t)
            if non_finite:
                assert not np.isfinite(view.values()["h"])
            cached, direct = _pixels(canvas.grab().toImage()), _pixels(direct_image(canvas))
            assert cached.shape == direct.shape
            diff = np.abs(cached - direct).max(axis=2)
            far = float((diff > 8).mean())  # more than antialiasing: a wrong number, colour or element
            moved = float((np.abs(before - direct).max(axis=2) > 8).mean())  # what the step changed
            print(f"{config} unit {unit} {phase} t={t}: max {diff.max()} levels, {100 * far:.4f} % of the pixels")
            print(f"    differ by more than 8 (the step changed {100 * moved:.2f} %)")
            assert far <= 1e-5, f"{phase} t={t}: {100 * far:.3f} % of the pixels differ from the direct drawing"
            assert moved > 100 * 1e-5  # the test sees a frame drawn with another step's numbers


def test_a_frame_does_not_run_the_drawing_code(make_view, monkeypatch):
    """Frames replay the display list; the drawing code runs only when the static layers are made again."""
    view = make_view(cell="lstm", steps=8, hidden=3)
    s, canvas = view.session, view.canvas
    canvas.grab()
    passes = []
    monkeypatch.setattr(canvas, "_paint", lambda p, mode: passes.append(mode))
    for t in (1, 2, 3):
        s.set_frame(t)
        canvas.grab()
    assert passes == []
    s.set_frame(s.frame_of("backward", 3))  # another phase: new layers
    canvas.grab()
    assert passes == ["under", "over"]


# ---- the shortcuts give the very numbers of the long way (one unit's products, ...) ----


def _products(trace, cell: str) -> dict[str, np.ndarray]:
    """The products the cell shows, over every unit, (T, B, H) each (as the view computed them before)."""
    cache = trace.caches[-1]
    gates = trace.gates(-1)
    with np.errstate(all="ignore"):
        if cell == "lstm":
            c = cache["c"]
            return {"fc": gates["f"] * c[:-1], "ig": gates["i"] * gates["g"]}
        z, n, h = gates["z"], gates["n"], cache["h"]
        return {"zh": z * h[:-1], "one_minus_z": 1.0 - z, "zn": (1.0 - z) * n, "rh": gates["r"] * cache["hpn"]}


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("wrec", [0.9, 3.0])
def test_one_units_products_are_the_products_of_every_unit_cut_out(make_view, cell, wrec):
    view = make_view(cell=cell, steps=30, hidden=4, wrec=wrec)
    products = _products(view.session.trace, cell)
    for unit in (0, 3, MEAN):
        view.set_unit(unit)
        for name, full in products.items():
            with np.errstate(all="ignore"):
                want = full[:, 0].mean(axis=-1) if unit == MEAN else full[:, 0, unit]
            got = view._series[name]
            assert np.array_equal(got, want, equal_nan=True), (unit, name)
            assert got.tobytes() == np.ascontiguousarray(want).tobytes()  # bit for bit (signed zeros too)


def test_the_cell_panel_says_what_its_colours_mean(make_window):
    """A box's colour is its value, yet students read it as which gate a box is (a fresh-eyes review): the
    top bar keys the σ gates' map (0 … 1, LSTM and GRU) and the values' map (−1 … +1), without ever
    widening the panel."""
    from PySide6.QtGui import QImage

    window = make_window(Config(cell="lstm"), show=True)
    window.resize(1600, 1000)
    key = window.cell_view.colour_key
    assert key.gated and key.minimumSizeHint().width() <= 0
    assert key.needed_width() <= key.width()
    image = key.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    colours = {image.pixel(x, image.height() // 2) for x in range(image.width())}
    assert len(colours) > 20  # the two colour strips are drawn
    window.session.update(cell="rnn")
    assert not key.gated
    key.resize(20, key.height())  # no room: nothing rather than a cut key
    blank = key.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    assert len({blank.pixel(x, y) for x in range(blank.width()) for y in range(blank.height())}) == 1
