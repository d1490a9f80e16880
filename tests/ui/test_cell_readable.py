"""The Cell dock stays readable with any number and in a small dock.

- Badges are placed for the widest number dg.fmt can show ('−8.8e−88'), not for '−0.00': the
  review's GRU at font 1.5 (one-to-many, frame 3) had 'z·h_{t−1} −1.2e−4' under 'h_t −9.3e−4'
  and 'n 6.3e−4' against the dock's right edge.
- At 1280×720, font 1, with a lesson open (a small dock), the RNN's W_hh and W_ih and their
  subscripts were drawn 4–8 px tall: no text in the canvas is smaller than TEXT_FLOOR_PX.
"""

import itertools

import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainter
from windowtools import direct_image, laid_out, small_cell_view

from simulator.config import Config
from ui import diagram as dg

WIDEST = ["−8.8e−88", "−0.012", "−88.8"]  # exponent form; three decimals (if fmt shows [0.01, 0.1) so); tens


def _badges(canvas) -> list[tuple[str, QRectF]]:
    """The badges (and gradient labels) of the frame last painted, as drawn, in the canvas's pixels."""
    out = []
    for draw, args, world in canvas._frame:
        if draw == canvas._chip:
            x, y, name, sub, series, align, tail = args
            rect = canvas.chip_rect(x, y, name, sub, dg.fmt(canvas._val[series]), align, tail)
            out.append((series, world.mapRect(rect)))
        elif draw == canvas._draw_grad_label:
            rect, name, _grad = args
            w = canvas.metrics(bold=True).horizontalAdvance(f"{name} = {dg.fmt(1.0)}")
            text = QRectF(rect.right() - w, rect.top(), w, rect.height())
            out.append((name, world.mapRect(text)))
    return out


def _nodes(canvas) -> list[QRectF]:
    """The cell's boxes and circles in the canvas's pixels (the cell is drawn under the title)."""
    for draw, _args, world in canvas._frame:
        if draw == canvas._chip:
            return [world.mapRect(r) for r in canvas._nodes]
    return []


# two of the five dock sizes run with the slow suite (make test-slow): the default run stays under ten minutes
MORE_SIZES = [pytest.param(size, marks=pytest.mark.slow) for size in ((460, 460), (374, 347))]


@pytest.mark.parametrize("widest", WIDEST)
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("scale", [1.0, 1.5, 2.0])
@pytest.mark.parametrize("size", [(420, 340), (384, 230), (900, 480), *MORE_SIZES])
def test_badges_with_the_widest_numbers_stay_apart_and_inside(
    qtbot, font_scale, monkeypatch, widest, cell, scale, size
):
    font_scale(scale)
    monkeypatch.setattr(dg, "fmt", lambda v, short=False: widest)
    view = small_cell_view(qtbot, size, cell=cell, topology="one-to-many")
    s, canvas = view.session, view.canvas
    for frame in (3, s.frame_of("backward", 2)):
        s.set_frame(frame)
        canvas.grab()
        canvas._val = view.values()
        badges, nodes = _badges(canvas), _nodes(canvas)
        assert len(badges) >= 4 and nodes
        room = QRectF(canvas.rect()).adjusted(-0.5, -0.5, 0.5, 0.5)
        bad = []
        for i, (a, ra) in enumerate(badges):
            if not room.contains(ra):
                bad.append((a, "outside", ra, room))
            bad += [(a, "node", ra, n) for n in nodes if ra.intersects(n)]
            bad += [(a, b, ra, rb) for b, rb in badges[i + 1 :] if ra.intersects(rb)]
        assert bad == [], (cell, scale, size, frame, [(a, b) for a, b, *_ in bad])


def _text_sizes(canvas) -> list[tuple[float, str]]:
    """(pixel size on screen, text) of every text the canvas draws (a direct, uncached drawing)."""
    seen = []
    font = [None]

    class Recorder:  # the painter, with setFont and drawText noted
        def __init__(self, p):
            self._p = p

        def __getattr__(self, name):
            return getattr(self._p, name)

        def setFont(self, f):
            font[0] = f
            self._p.setFont(f)

        def drawText(self, *args):
            text = next(a for a in args if isinstance(a, str))
            if text.strip():
                seen.append((font[0].pixelSize() * self._p.worldTransform().m22(), text))
            self._p.drawText(*args)

    from PySide6.QtGui import QPixmap

    pixmap = QPixmap(canvas.size())
    painter = QPainter(pixmap)
    try:
        canvas._paint(Recorder(painter), "direct")
    finally:
        painter.end()
        canvas.p = None
    return seen


TEXT_FLOOR_PX = 9.0  # no text (subscripts included) under this many pixels, in any dock (the numbers: 11 px)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("scale", [1.0, 1.5])
def test_no_text_in_a_small_dock_is_tiny(qtbot, font_scale, cell, scale):
    """The review's 1280×720 window with Lesson 1 open: the Cell dock's canvas was 384×204."""
    font_scale(scale)
    view = small_cell_view(qtbot, (384, 230), cell=cell)
    view.session.set_frame(view.session.frame_of("backward", 0))
    view.canvas.grab()
    sizes = _text_sizes(view.canvas)
    assert any(t.startswith("W") for _, t in sizes) or cell != "rnn"
    small = [(round(px, 1), t) for px, t in sizes if px < TEXT_FLOOR_PX - 0.01]
    assert small == [], (cell, scale)


def test_the_weights_read_as_large_as_the_numbers(qtbot, font_scale):
    """W_hh and W_ih were drawn at the drawing's own size (8.7 px at 384×204) beside 11 px numbers."""
    font_scale(1.0)
    view = small_cell_view(qtbot, (384, 230), cell="rnn")
    view.canvas.grab()
    sizes = _text_sizes(view.canvas)
    value_px = min(px for px, t in sizes if t[:1].isdigit() or t[:1] == "−")
    weights = [px for px, t in sizes if t == "W"]
    assert len(weights) == 2 and min(weights) >= value_px - 0.01, (weights, value_px)


# ---- every number beside its own wire ----------------------------------------------------------------
# The review at the default window (1600×1000): the Cell dock is narrow, so the numbers are large beside
# the drawing, and the first free place put the LSTM's 'f·c(t−1)' under the cell-state line beside the
# vertical i·g wire, 'i·g' beside the c(t) → tanh wire (at t = 0 both are c(t): which is which?), and the
# GRU's '1−z' on the far-left h(t−1) wire, away from its (1−) node. A number now sits by its own wire or
# node, nearer to it than to any other number's, or is tied to it by a leader line.


def _wire(*pts) -> list[tuple]:
    """A polyline (each leg across or down) as boxes (left, top, right, bottom)."""
    return [(min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])) for a, b in itertools.pairwise(pts)]


def _drawing(canvas, monkeypatch) -> dict:
    """The cell as drawn (the drawing's units): its ops by symbol, gates by series, dots and line points."""
    seen = {"ops": [], "gates": {}, "dots": [], "points": []}
    op, gate, dot, line = canvas.op, canvas.gate, canvas.dot, canvas.line

    def spy_op(x, y, symbol, r=20.0, ghost=False):
        rr = r * canvas.sym()
        seen["ops"].append((symbol, x, y, rr * (1.9 if symbol in ("tanh", "id") else 1.0), rr))
        return op(x, y, symbol, r, ghost)

    def spy_gate(x, y, symbol, series, state, kind="sigmoid"):
        seen["gates"][series] = (x, y, 39.0 * canvas.sym(), 27.0 * canvas.sym())
        return gate(x, y, symbol, series, state, kind)

    monkeypatch.setattr(canvas, "op", spy_op)
    monkeypatch.setattr(canvas, "gate", spy_gate)
    monkeypatch.setattr(canvas, "dot", lambda x, y: seen["dots"].append((x, y)) or dot(x, y))
    monkeypatch.setattr(canvas, "line", lambda pts, *a, **k: seen["points"].extend(pts) or line(pts, *a, **k))
    canvas._layers_key = None
    canvas.grab()
    monkeypatch.undo()
    seen["ops"] = sorted(set(seen["ops"]))  # each pass (see _Canvas) draws them
    seen["dots"] = sorted(set(seen["dots"]))
    return seen


def _anchors(cell: str, d: dict) -> dict[str, list[tuple]]:
    """What each number labels, from the drawing: its wire, or its node and the wire leaving it."""
    ops = d["ops"]

    def box(o):
        return (o[1] - o[3], o[2] - o[4], o[1] + o[3], o[2] + o[4])

    def gate(series):
        x, y, w, h = d["gates"][series]
        return (x - w, y - h, x + w, y + h)

    plus = next(o for o in ops if o[0] == "+")
    r = plus[4]
    xs = [p[0] for p in d["points"]]
    left, right = min(xs), max(xs)
    yb = max(y for _, y in d["dots"])  # the bus under the gates
    x_in = min(x for x, y in d["dots"] if y == yb)  # the input joins it here
    bottom = max(p[1] for p in d["points"] if p[0] == x_in)
    yg = next(iter(d["gates"].values()))[1]
    gh = next(iter(d["gates"].values()))[3]
    times = sorted((o for o in ops if o[0] == "×"), key=lambda o: o[2])
    if cell == "lstm":
        (_, xf, yc, *_), (_, xg, ymul, *_), (_, xoo, _, *_) = times
        tanh = next(o for o in ops if o[0] in ("tanh", "id"))
        xi, xo, gw = d["gates"]["i"][0], d["gates"]["o"][0], d["gates"]["o"][2]
        return {
            "c_prev": _wire((left, yc), (xf - r, yc)),
            "fc": _wire((xf + r, yc), (xg - r, yc)),
            "c": _wire((xg + r, yc), (right, yc)) + _wire((xoo, yc), (xoo, ymul - r)),
            "ig": [box(times[1]), *_wire((xg, ymul - r), (xg, yc + r))],
            "tanh_c": [box(tanh), *_wire((xoo, ymul + r), (xoo, yg - r))],
            "f": [gate("f"), *_wire((xf, yg - gh), (xf, yc + r))],
            "i": [gate("i"), *_wire((xi, yg - gh), (xi, ymul), (xg - r, ymul))],
            "g": [gate("g"), *_wire((xg, yg - gh), (xg, ymul + r))],
            "o": [gate("o"), *_wire((xo + gw, yg), (xoo - r, yg))],
            "h_prev": _wire((left, yb), (x_in, yb)),
            "h": [box(times[2]), *_wire((xoo, yg + r), (xoo, yb), (right, yb))],
            "x": _wire((x_in, yb), (x_in, bottom)),
        }
    yh = plus[2]
    xn = plus[1]
    z_times = next(o for o in times if o[2] == yh)
    n_times = next(o for o in times if o[1] == xn and o[2] != yh)
    r_times = next(o for o in times if o[2] == yg)
    one = next(o for o in ops if o[0] == "1−")
    x_drop = min(x for x, y in d["dots"] if y == yh)  # h(t−1) down into the bus
    (xz, *_), (xr, *_), (_, _, gw, _) = d["gates"]["z"], d["gates"]["r"], d["gates"]["n"]
    return {
        "h_prev": _wire((left, yh), (z_times[1] - r, yh)) + _wire((x_drop, yh), (x_drop, yb)),
        "h": _wire((xn + r, yh), (right, yh)),
        "zh": _wire((z_times[1] + r, yh), (xn - r, yh)),
        "z": [gate("z"), *_wire((xz, yg - gh), (xz, yh + r)), *_wire((xz, one[2]), (one[1] - r, one[2]))],
        "r": [gate("r"), *_wire((xr + gw, yg), (r_times[1] - r, yg))],
        "rh": [box(r_times), *_wire((r_times[1] + r, yg), (xn - gw, yg))],
        "n": [gate("n"), *_wire((xn, yg - gh), (xn, n_times[2] + r))],
        "zn": [box(n_times), *_wire((xn, n_times[2] - r), (xn, yh + r))],
        "one_minus_z": [box(one), *_wire((one[1] + r, one[2]), (xn - r, one[2]))],
        "x": _wire((x_in, yb), (x_in, bottom)),
    }


def _gap(a: tuple, b: tuple) -> float:
    """The distance between boxes (left, top, right, bottom), 0 where they touch or overlap."""
    dx = max(0.0, a[0] - b[2], b[0] - a[2])
    dy = max(0.0, a[1] - b[3], b[1] - a[3])
    return (dx * dx + dy * dy) ** 0.5


def _nearness(rect: QRectF, anchor: list[tuple]) -> float:
    """How near a number's box is to an anchor: the gap from its edge plus half the gap from its centre."""
    box, c = (rect.left(), rect.top(), rect.right(), rect.bottom()), rect.center()
    return min(_gap(box, a) + 0.5 * _gap((c.x(), c.y(), c.x(), c.y()), a) for a in anchor)


def _crosses(p: QPointF, q: QPointF, rect: QRectF) -> bool:
    """Whether the segment p–q passes through the inside of rect (sampled finely)."""
    inner = rect.adjusted(1, 1, -1, -1)
    return any(inner.contains(p + (q - p) * (k / 200)) for k in range(201))


def _misplaced(canvas, anchors: dict[str, list[tuple]]) -> list[str]:
    """The numbers of the frame last painted (as drawn, with the frame's numbers) that are not by their own
    wire or node (within their height of it, and nearer to it than to any other number's), and not tied
    to it by a leader line that runs from their box to it across no other number."""
    drawn = {}
    world = None
    for draw, args, at in canvas._frame:
        if draw == canvas._chip:
            x, y, name, sub, series, align, tail = args
            drawn[series] = canvas.chip_rect(x, y, name, sub, dg.fmt(canvas._val[series]), align, tail)
            world = at
    scale = world.m11()
    leaders = {series: (QPointF(*p), QPointF(*q)) for series, p, q in getattr(canvas, "_leaders", [])}
    bad = []
    for series, rect in drawn.items():
        own = anchors[series]
        if series in leaders:
            p, q = leaders[series]
            end = _gap((q.x(), q.y(), q.x(), q.y()), min(own, key=lambda a: _gap((q.x(), q.y(), q.x(), q.y()), a)))
            if not rect.adjusted(-1, -1, 1, 1).contains(p) or end * scale > 1.0:
                bad.append(f"{series}: its leader line {p} → {q} does not join its box to its wire")
            bad += [
                f"{series}: its leader line crosses {o}" for o, r in drawn.items() if o != series and _crosses(p, q, r)
            ]
            continue
        box = (rect.left(), rect.top(), rect.right(), rect.bottom())
        gap = min(_gap(box, a) for a in own)
        if gap > rect.height():
            bad.append(f"{series}: {gap * scale:.0f} px from its wire")
        mine = _nearness(rect, own)
        nearer = [(other, _nearness(rect, a)) for other, a in anchors.items() if other != series]
        bad += [
            f"{series}: nearer to {other}'s wire ({near * scale:.0f} px) than to its own ({mine * scale:.0f} px)"
            for other, near in nearer
            if near <= mine
        ]
    return bad


def _unseen_leaders(canvas, monkeypatch) -> list[str]:
    """The leader lines that do not show: drawn with and without them, the canvas differs at fewer than
    two of 21 points along the line (its dot on the wire is one)."""
    leaders = list(getattr(canvas, "_leaders", []))
    if not leaders:
        return []
    world = next(at for draw, _args, at in canvas._frame if draw == canvas._chip)
    drawn = direct_image(canvas)
    with monkeypatch.context() as m:
        m.setattr(canvas, "_leader_line", lambda *args: None)
        bare = direct_image(canvas)
    out = []
    for series, p, q in leaders:
        a, b = world.map(QPointF(*q)), world.map(QPointF(*p))
        shows = 0
        for k in range(21):  # from the wire to the box: the dot, and the line up to the number's box
            at = a + (b - a) * (k / 20)
            near = [(round(at.x()) + dx, round(at.y()) + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
            shows += any(drawn.pixelColor(x, y) != bare.pixelColor(x, y) for x, y in near)
        if shows < 2:
            out.append(f"{series}'s leader line {a} → {b} does not show")
    return out


def _check_numbers_by_their_wires(canvas, monkeypatch, cell: str) -> list[str]:
    """_misplaced for a forward and a backward frame, with the trace's numbers and with the widest."""
    view = canvas.view
    s = view.session
    anchors = _anchors(cell, _drawing(canvas, monkeypatch))
    bad = []
    for widest in (None, "−8.8e−88"):
        if widest is not None:
            monkeypatch.setattr(dg, "fmt", lambda v, short=False, text=widest: text)
        for frame in (0, s.frame_of("backward", 0)):
            s.set_frame(frame)
            canvas.grab()
            canvas._val = view.values()
            bad += [f"frame {frame}, {widest or 'trace'}: {b}" for b in _misplaced(canvas, anchors)]
        bad += _unseen_leaders(canvas, monkeypatch)
        monkeypatch.undo()
    return bad


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("size, scale", [((1600, 1000), 1.0), ((1280, 720), 1.5)], ids=["1600x1000", "1280x720-1.5"])
def test_every_number_sits_by_its_own_wire_in_the_window(
    make_window, qtbot, font_scale, monkeypatch, cell, size, scale
):
    """The review's window: LSTM (wrec 1.8, 30 steps) and GRU, the Cell dock as the window lays it out."""
    font_scale(scale)
    window = make_window(Config(cell=cell, wrec=1.8, steps=30), show=True)
    laid_out(qtbot, window, *size)
    window.cell_dock.raise_()  # at 1280×720 in large type it shares a tab with the equations
    qtbot.waitUntil(lambda: window.cell_view.canvas.isVisible() and window.cell_view.canvas.width() > 100)
    window.player.pause()
    canvas = window.cell_view.canvas
    assert _check_numbers_by_their_wires(canvas, monkeypatch, cell) == []


LSTM_VARIANTS = ["vanilla", "peephole", "nig", "nfg", "nog", "niaf", "noaf", "cifg", "fgr"]
# the Cell dock's canvas in the windows that show it: 1600×1000 at font 1, 1.5, 2; 1280×720 at font 1 and
# 1.5 (its tab raised) and 2; presenting the LSTM lesson at 1280×720 (the canvas as measured in each window)
CANVASES = [((420, 508), 1.0), ((420, 312), 1.5), ((437, 327), 2.0), ((420, 248), 1.0), ((437, 510), 1.5),
            ((538, 457), 2.0), ((383, 234), 2.0)]  # fmt: skip


# every variant at the default window's canvas, vanilla LSTM and GRU at every canvas; the rest with the slow suite
WIRE_CASES = [
    pytest.param(
        config, size, scale,
        id=f"{config.get('variant', config['cell'])}-{size[0]}x{size[1]}-font{scale}",
        marks=() if k == 0 or config.get("variant") in ("vanilla", None) else pytest.mark.slow,
    )
    for config in [dict(cell="lstm", variant=v) for v in LSTM_VARIANTS] + [dict(cell="gru")]
    for k, (size, scale) in enumerate(CANVASES)
]  # fmt: skip


@pytest.mark.parametrize("config, canvas_size, scale", WIRE_CASES)
def test_every_number_sits_by_its_own_wire(qtbot, font_scale, monkeypatch, config, canvas_size, scale):
    """Greff's LSTM variants and the GRU at every size of the Cell dock's canvas the windows give."""
    font_scale(scale)
    bar = 40
    view = small_cell_view(qtbot, (canvas_size[0], canvas_size[1] + bar), **config)
    for _ in range(2):  # the unit bar above takes its height as the layout settles (a grab lays it out)
        view.grab()
        bar = view.height() - view.canvas.height()
        view.resize(canvas_size[0], canvas_size[1] + bar)
    view.grab()
    assert (view.canvas.width(), view.canvas.height()) == canvas_size
    assert _check_numbers_by_their_wires(view.canvas, monkeypatch, config["cell"]) == []
