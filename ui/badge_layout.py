"""Where the cell drawing's value badges go: by their own wires, clear of the nodes and of each other.

A badge labels a wire or a node, its anchor: boxes (left, top, right, bottom) in the drawing's
units, a wire being a box of no width or no height (every wire of the LSTM's and GRU's drawings
runs across or down). Each badge comes with the places its drawing code names, best first, and
is tried at every place around them too. A place is free when the badge there stays in the room
and keeps GAP off every node and label. It is good when the badge there reads as its own
anchor's label (see Anchors.attached). Else the badge may be tied to its anchor by a thin leader
line, which crosses no node and no badge, no other leader line, and runs along no drawn line.

A layout costs the sum of its badges' costs: a good place its rank (the named places in order,
a place around one by how far it moved, in badge heights); a tied one TIED_COST more, more again
for a long line and for each other anchor the badge or its line covers; a free place with no
line (when no line can be drawn) LOOSE_COST more. The badges are placed in turn, each at its
cheapest place clear of those before it, in a few orders (the costliest badge first the next
time); the cheapest layout is then bettered by moves that push one or two badges aside (see
_improve). So a badge gives way to another when that spares a leader line.

The drawing code runs this once per layout (size, font, cell), never per frame. Pure numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

GAP = 3.0  # the least room between a badge and a node or another badge (drawing units)
GROW = np.array([-GAP, -GAP, GAP, GAP])  # added to a box: the box GAP larger all round
NEAR_WEIGHT = 0.5  # how much a badge's centre counts, beside its edge, in how near it is to an anchor
MARGIN = 0.15  # a good place is nearer its own anchor than any other by this much of a badge's height
TIED_COST = 10.0  # a place with a leader line costs this much more than its rank,
LINE_COST = 2.0  # and this much more for each badge height of its line
COVER_COST = 5.0  # a place costs this much more for each other anchor the badge (or its line) covers there
LOOSE_COST = 100.0  # a free place with no line (none can be drawn from it) costs this much more than its rank
MIN_LEADER = 8.0  # a leader line shows this long at least (drawing units)
MAX_OPTIONS = 500  # the places a badge keeps (the cheapest)
MAX_TRIES = 40  # the places with a leader line a badge tries in a layout
ROUNDS = 4  # the orders tried (three times as many while a badge finds no place by its wire and no line)
KICKS = 40  # the moves tried at most (see _improve)
KICK_OPTIONS = 150  # the cheaper places a badge looks at to move to
KICK_TRIES = 12  # and tries at most


@dataclass
class Badge:
    """A badge to place: its places (x, y, align), its box at each with the widest number (wide) and with
    a narrow one (narrow: any number's box covers it), (k, 4) each, and each place's rank."""

    series: str
    named: list[tuple[float, float, str]]  # the places the drawing code names, best first
    base: np.ndarray  # (k,): the named place each place is moved from
    moved: np.ndarray  # (k, 2): by how much (x, y)
    wide: np.ndarray
    narrow: np.ndarray
    rank: np.ndarray  # (k,): the named place's order, plus how far it moved in badge heights
    options: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # free places, cheapest first
    cost: np.ndarray = field(default_factory=lambda: np.zeros(0))  # each option's cost (see prepare)
    good: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # each option's: good (no line)
    grown: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))  # each option's box, GAP larger
    lines: dict = field(default_factory=dict)  # option -> (cost, leader line or None), once worked out
    reach: dict = field(default_factory=dict)  # place -> its gap to the anchor
    own: np.ndarray | None = None  # the anchor's boxes
    blocks: np.ndarray | None = None  # what a leader line keeps off
    wires: np.ndarray | None = None  # what it crosses at a cost (the other anchors)
    drawn: np.ndarray | None = None  # the lines drawn (x0, y0, x1, y1): it runs along none

    @classmethod
    def around(cls, series: str, named: list[tuple], wide: list[tuple], narrow: list[tuple]) -> Badge:
        """A badge's places: the named ones (x, y, align) with its boxes there (wide, narrow), and every
        place around them: moved sideways up to its width, and a row or two up or down."""
        wide, narrow = np.asarray(wide, float), np.asarray(narrow, float)
        width, height = wide[0, 2] - wide[0, 0], wide[0, 3] - wide[0, 1]
        step = max(6.0, width / 32.0)
        shifts = step * np.arange(1, int(width / step) + 1)
        dx = np.concatenate([[0.0], shifts, -shifts])
        dy = (height + 6.0) * np.array([0.0, 1.0, -1.0, 2.0, -2.0])
        mx, my = (m.ravel() for m in np.meshgrid(dx, dy))
        g = np.repeat(np.arange(len(named)), len(mx))
        moved = np.stack([np.tile(mx, len(named)), np.tile(my, len(named))], axis=1)
        shift = np.concatenate([moved, moved], axis=1)
        rank = g + np.hypot(moved[:, 0], moved[:, 1]) / height
        return cls(series, list(named), g, moved, wide[g] + shift, narrow[g] + shift, rank)

    def place(self, index: int) -> tuple[float, float, str]:
        """Place number index, as (x, y, align)."""
        x, y, align = self.named[self.base[index]]
        return x + float(self.moved[index, 0]), y + float(self.moved[index, 1]), align


@dataclass
class Placed:
    """Where a badge went: its place (index into places) moved by (dx, dy), and its leader line or None."""

    index: int
    dx: float = 0.0
    dy: float = 0.0
    leader: tuple | None = None


# ---- boxes and lines, many at once ---------------------------------------------------------------
def overlapping(boxes: np.ndarray, box) -> np.ndarray:
    """Which of boxes (n, 4) overlap box (left, top, right, bottom) (touching is not overlapping)."""
    return (boxes[:, 0] < box[2]) & (boxes[:, 2] > box[0]) & (boxes[:, 1] < box[3]) & (boxes[:, 3] > box[1])


def _overlaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which boxes of a (n, 4) overlap which of b (m, 4), (n, m)."""
    return ((a[:, None, 0] < b[None, :, 2]) & (a[:, None, 2] > b[None, :, 0])
            & (a[:, None, 1] < b[None, :, 3]) & (a[:, None, 3] > b[None, :, 1]))  # fmt: skip


def gaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The distances between boxes a (n, 4) and boxes b (m, 4), (n, m); 0 where they touch or overlap."""
    dx = np.maximum(0.0, np.maximum(a[:, None, 0] - b[None, :, 2], b[None, :, 0] - a[:, None, 2]))
    dy = np.maximum(0.0, np.maximum(a[:, None, 1] - b[None, :, 3], b[None, :, 1] - a[:, None, 3]))
    return np.hypot(dx, dy)


def centres(boxes: np.ndarray) -> np.ndarray:
    """The boxes' centres, as boxes of no size (n, 4)."""
    cx, cy = 0.5 * (boxes[:, 0] + boxes[:, 2]), 0.5 * (boxes[:, 1] + boxes[:, 3])
    return np.stack([cx, cy, cx, cy], axis=1)


def hits(p: tuple, q: tuple, boxes: np.ndarray) -> np.ndarray:
    """Which of boxes (n, 4) the segment p–q passes through (Liang–Barsky clipping) (n,)."""
    x0, y0 = p
    dx, dy = q[0] - x0, q[1] - y0
    t0, t1 = np.zeros(len(boxes)), np.ones(len(boxes))
    inside = np.ones(len(boxes), bool)
    for pk, qk in ((-dx, x0 - boxes[:, 0]), (dx, boxes[:, 2] - x0), (-dy, y0 - boxes[:, 1]), (dy, boxes[:, 3] - y0)):
        if pk == 0.0:
            inside &= qk >= 0.0
        elif pk < 0.0:
            t0 = np.maximum(t0, qk / pk)
        else:
            t1 = np.minimum(t1, qk / pk)
    return inside & (t0 <= t1)


def segments_hit(lines: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Which segments (n, 4: x0, y0, x1, y1; NaN rows: none) pass through which boxes (m, 4), (n, m)
    (Liang–Barsky clipping, for every pair)."""
    x0, y0 = lines[:, 0:1], lines[:, 1:2]
    dx, dy = lines[:, 2:3] - x0, lines[:, 3:4] - y0
    t0 = np.zeros((len(lines), len(boxes)))
    t1 = np.ones((len(lines), len(boxes)))
    inside = np.isfinite(x0) & np.ones((1, len(boxes)), bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for pk, qk in ((-dx, x0 - boxes[None, :, 0]), (dx, boxes[None, :, 2] - x0),
                       (-dy, y0 - boxes[None, :, 1]), (dy, boxes[None, :, 3] - y0)):  # fmt: skip
            t = qk / pk
            flat = pk == 0.0
            inside &= ~flat | (qk >= 0.0)
            t0 = np.where(~flat & (pk < 0.0), np.maximum(t0, t), t0)
            t1 = np.where(~flat & (pk > 0.0), np.minimum(t1, t), t1)
    return inside & (t0 <= t1)


def segments_cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which segments of a (n, 4) cross which of b (m, 4) (NaN rows cross nothing), (n, m)."""

    def side(p, q, r):  # which side of the line p–q r is on, for every pair
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    p1, p2 = (a[:, None, 0], a[:, None, 1]), (a[:, None, 2], a[:, None, 3])
    q1, q2 = (b[None, :, 0], b[None, :, 1]), (b[None, :, 2], b[None, :, 3])
    with np.errstate(invalid="ignore"):
        return (side(q1, q2, p1) * side(q1, q2, p2) < 0) & (side(p1, p2, q1) * side(p1, p2, q2) < 0)


# ---- what a badge labels ---------------------------------------------------------------------------
class Anchors:
    """What each series' badge labels: its boxes, all in one array (for whole-array sums)."""

    def __init__(self, anchors: dict[str, list[tuple]]):
        self.names = [name for name, boxes in anchors.items() if len(boxes)]
        arrays = [np.asarray(anchors[name], float).reshape(-1, 4) for name in self.names]
        self.boxes = np.concatenate(arrays) if arrays else np.zeros((0, 4))
        self.starts = np.cumsum([0] + [len(a) for a in arrays[:-1]]) if arrays else np.zeros(0, int)
        self.of = dict(zip(self.names, arrays, strict=True))

    def measure(self, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(gap, nearness), (n, anchors) each: each badge's (boxes (n, 4)) least gap to each anchor, and
        how near it is: the gap from its edge plus NEAR_WEIGHT times the gap from its centre, at the
        anchor's nearest box."""
        edge = gaps(boxes, self.boxes)
        near = edge + NEAR_WEIGHT * gaps(centres(boxes), self.boxes)
        return np.minimum.reduceat(edge, self.starts, axis=1), np.minimum.reduceat(near, self.starts, axis=1)

    def attached(self, boxes: np.ndarray, series: str, height: float) -> tuple[np.ndarray, np.ndarray]:
        """(attached, covers), (n,) each: which badges (boxes (n, 4) of the series) read as their own
        anchor's label: over no other anchor (a wire behind a badge reads as its wire), within a
        badge's height of their own and nearer to it than to any other anchor by MARGIN of that
        height; and how many other anchors each covers or touches.

        Near weighs the centre too (see measure): a wide badge beside the end of another wire is
        not taken for that wire's label while its middle sits by its own."""
        if series not in self.of or not len(boxes):
            return np.ones(len(boxes), bool), np.zeros(len(boxes), int)
        own = self.names.index(series)
        gap, near = self.measure(boxes)
        covers = (np.delete(gap, own, axis=1) == 0.0).sum(axis=1)
        nearest = (np.delete(near, own, axis=1) > near[:, own : own + 1] + MARGIN * height).all(axis=1)
        return nearest & (gap[:, own] <= height) & (covers == 0), covers


def leader(box: np.ndarray, wide: np.ndarray, anchor: np.ndarray, blocks: np.ndarray,
           drawn: np.ndarray | None = None) -> tuple[float, tuple | None]:  # fmt: skip
    """(length, (from, to)): the shortest line from a badge's box (box: with a narrow number, wide: with
    the widest) across to its anchor: to the middle three fifths of one of its wires (clear of the
    nodes at their ends), or to the middle of a side of its node; (inf, None) when there is none.

    The line leaves the narrow box's edge (any number's box covers its start), meets the anchor
    MIN_LEADER or more off the wide box (so it always shows) at a slant of 27° or more (a line along a
    wire would not show), and passes through none of blocks (m, 4) but the node it ends on. It ends on
    no side of a node where a line of drawn (x0, y0, x1, y1) joins it (it would read as that line's)."""
    cx, cy = 0.5 * (box[0] + box[2]), 0.5 * (box[1] + box[3])
    ends = []  # (length, from, to, the node it is on)
    for a in anchor:
        if a[0] == a[2] or a[1] == a[3]:  # a wire
            ex, ey = 0.2 * (a[2] - a[0]), 0.2 * (a[3] - a[1])
            sides = [((min(max(cx, a[0] + ex), a[2] - ex), min(max(cy, a[1] + ey), a[3] - ey)), a[1] == a[3], None)]
        else:  # a node: the middles of its sides (on the circle, for an op); the line must not run through it
            mx, my = 0.5 * (a[0] + a[2]), 0.5 * (a[1] + a[3])
            inner = (a[0] + 1.0, a[1] + 1.0, a[2] - 1.0, a[3] - 1.0)
            sides = [((mx, a[1]), True, inner), ((mx, a[3]), True, inner)]
            sides += [((a[0], my), False, inner), ((a[2], my), False, inner)]
        for to, across, inner in sides:
            start = (min(max(to[0], box[0]), box[2]), min(max(to[1], box[1]), box[3]))
            dx, dy = abs(to[0] - start[0]), abs(to[1] - start[1])
            off = math.hypot(max(0.0, wide[0] - to[0], to[0] - wide[2]), max(0.0, wide[1] - to[1], to[1] - wide[3]))
            if (dy >= 0.5 * dx if across else dx >= 0.5 * dy) and off >= MIN_LEADER:
                ends.append((math.hypot(dx, dy), start, to, inner))
    for length, start, to, inner in sorted(ends, key=lambda e: e[0]):  # the shortest that crosses nothing
        if inner is not None and (_through(start, to, inner) or _along((to, to), drawn, 1)):
            continue
        if len(blocks):
            at = (blocks[:, 0] <= to[0]) & (to[0] <= blocks[:, 2]) & (blocks[:, 1] <= to[1]) & (to[1] <= blocks[:, 3])
            if hits(start, to, blocks[~at]).any():
                continue
        return length, (start, to)
    return math.inf, None


def _through(p: tuple, q: tuple, box: tuple) -> bool:
    """Whether the segment p–q passes through a box (left, top, right, bottom) (Liang–Barsky clipping)."""
    x0, y0 = p
    dx, dy = q[0] - x0, q[1] - y0
    t0, t1 = 0.0, 1.0
    for pk, qk in ((-dx, x0 - box[0]), (dx, box[2] - x0), (-dy, y0 - box[1]), (dy, box[3] - y0)):
        if pk == 0.0:
            if qk < 0.0:
                return False
        elif pk < 0.0:
            t0 = max(t0, qk / pk)
        else:
            t1 = min(t1, qk / pk)
        if t0 > t1:
            return False
    return True


def prepare(badge: Badge, anchors: Anchors, blocks: np.ndarray, room: tuple, height: float) -> None:
    """A badge's free places (in the room, GAP off every block), cheapest first, with their costs (see
    the module's docstring): a good place its rank, more for each other anchor it covers; any other
    place the least a leader line from it could cost (its line is drawn only when it is taken)."""
    wide = badge.wide
    grown = wide + GROW
    free = (wide[:, 0] >= room[0]) & (wide[:, 2] <= room[2]) & (wide[:, 1] >= room[1]) & (wide[:, 3] <= room[3])
    for block in blocks:
        free &= ~overlapping(grown, block)
    free = np.flatnonzero(free)
    good, covers = anchors.attached(wide[free], badge.series, height)
    good[good] = anchors.attached(badge.narrow[free[good]], badge.series, height)[0]
    cost = badge.rank[free] + COVER_COST * covers
    own = anchors.of.get(badge.series)
    if own is not None:  # the rest need a line: it is no shorter than the gap to the anchor
        reach = gaps(badge.narrow[free], own).min(axis=1)
        cost = np.where(good, cost, cost + TIED_COST + LINE_COST * reach / height)
        badge.reach = dict(zip(free.tolist(), reach.tolist(), strict=True))
        others = [a for name, a in anchors.of.items() if name != badge.series]
        badge.blocks = blocks + GROW  # a line keeps off nodes and labels
        badge.wires = np.concatenate(others) if others else np.zeros((0, 4))  # and crosses other anchors at a cost
    order = np.argsort(cost, kind="stable")[:MAX_OPTIONS]
    badge.options, badge.cost, badge.good = free[order], cost[order], good[order]
    badge.grown = grown[badge.options]


def _line(badge: Badge, k: int, height: float) -> tuple[float, tuple | None]:
    """(cost, line) of a badge's option k that needs a leader line (cached); (inf, None) when it has none."""
    got = badge.lines.get(k)
    if got is None:
        i = int(badge.options[k])
        length, line = leader(badge.narrow[i], badge.wide[i], badge.own, badge.blocks, badge.drawn)
        if line is not None and _along(line, badge.drawn):
            length, line = math.inf, None
        crossed = 0 if line is None else int(hits(*line, badge.wires).sum())
        extra = LINE_COST * (length - badge.reach[i]) / height + COVER_COST * crossed
        got = badge.lines[k] = (badge.cost[k] + extra, line)
    return got


@dataclass
class _Spot:
    """Where a badge is in a layout being built: its Placed, its box, its leader line and its cost."""

    placed: Placed
    box: np.ndarray
    line: tuple | None
    cost: float


def _choose(badge: Badge, others: list[_Spot], height: float, room: tuple, blocks: np.ndarray) -> _Spot:
    """A badge's cheapest option clear of the others (GAP apart; no leader line through a badge or
    across another line); else its best free place clear of them, with no line; else the named place
    that covers least, moved inside the room."""
    ok = np.ones(len(badge.options), bool)
    if others:
        ok = ~_overlaps(badge.grown, np.array([spot.box for spot in others])).any(axis=1)
    lines = [spot.line for spot in others if spot.line is not None]
    if lines:
        ok &= ~segments_hit(np.array([(*p, *q) for p, q in lines]), badge.grown).any(axis=0)
    boxes = np.array([spot.box for spot in others]).reshape(-1, 4) + GROW
    tried = 0
    for k in np.flatnonzero(ok):
        index = int(badge.options[k])
        if badge.good[k]:
            return _Spot(Placed(index), badge.wide[index], None, float(badge.cost[k]))
        tried += 1
        if tried > MAX_TRIES:
            break
        cost, line = _line(badge, int(k), height)
        if line is None or hits(*line, boxes).any() or any(_cross(line, other) for other in lines):
            continue
        return _Spot(Placed(index, leader=line), badge.wide[index], line, cost)
    if ok.any():  # a free place with no line: the last resort
        k = int(np.flatnonzero(ok)[np.argmin(badge.rank[badge.options[ok]])])
        index = int(badge.options[k])
        return _Spot(Placed(index), badge.wide[index], None, LOOSE_COST + float(badge.rank[index]))
    every = np.concatenate([blocks, boxes - GROW])  # nowhere free: where it covers least
    named = np.flatnonzero((badge.moved == 0.0).all(axis=1))
    i = int(min(named, key=lambda i: _covering(_moved_in(badge.wide[i], room), every)))
    box = _moved_in(badge.wide[i], room)
    return _Spot(Placed(i, box[0] - badge.wide[i][0], box[1] - badge.wide[i][1]), box, None, 2 * LOOSE_COST)


def _in_turn(badges: list[Badge], order: list[int], height: float, room: tuple, blocks: np.ndarray) -> list[_Spot]:
    """The badges placed in the order, each where _choose puts it among those before it."""
    spots: list = [None] * len(badges)
    for j in order:
        spots[j] = _choose(badges[j], [s for s in spots if s is not None], height, room, blocks)
    return spots


def _clashing(badge: Badge, k: int, spots: list[_Spot], skip: int, height: float) -> list[int]:
    """Which of spots (not skip) a badge at its option k would clash with (None: it has no line there)."""
    grown = badge.grown[k]
    line = None if badge.good[k] else _line(badge, k, height)[1]
    out = []
    for m, spot in enumerate(spots):
        if m == skip:
            continue
        hit = overlapping(grown[None, :], spot.box)[0]
        if not hit and spot.line is not None:
            hit = hits(*spot.line, grown[None, :])[0]
        if not hit and line is not None:
            hit = hits(*line, (spot.box + GROW)[None, :])[0] or (spot.line is not None and _cross(line, spot.line))
        if hit:
            out.append(m)
    return out if (badge.good[k] or line is not None) else None


def _improve(badges: list[Badge], spots: list[_Spot], height: float, room: tuple, blocks: np.ndarray) -> list[_Spot]:
    """Better layouts by moves: a badge that pays for a line (or worse) takes one of its cheaper
    options, the one or two badges in its way are placed again around it, and the move is kept
    when the layout costs less. KICKS moves at most."""
    kicks = 0
    better = True
    while better and kicks < KICKS:
        better = False
        for j in sorted(range(len(badges)), key=lambda m: -spots[m].cost):
            if spots[j].cost < TIED_COST:
                break
            badge = badges[j]
            cheaper = np.flatnonzero(badge.cost < spots[j].cost)[:KICK_OPTIONS]
            tried = 0
            for k in cheaper:
                away = _clashing(badge, int(k), spots, j, height)
                if away is None or len(away) > 2:
                    continue
                tried += 1
                if tried > KICK_TRIES:
                    break
                kicks += 1
                trial = list(spots)
                index = int(badge.options[k])
                line = None if badge.good[k] else _line(badge, int(k), height)[1]
                cost = float(badge.cost[k]) if line is None else _line(badge, int(k), height)[0]
                trial[j] = _Spot(Placed(index, leader=line), badge.wide[index], line, cost)
                for m in away:
                    trial[m] = None
                for m in away:
                    trial[m] = _choose(badges[m], [t for t in trial if t is not None], height, room, blocks)
                if sum(t.cost for t in trial) < sum(t.cost for t in spots) - 1e-9:
                    spots, better = trial, True
                    break
                if kicks >= KICKS:
                    break
            if better or kicks >= KICKS:
                break
    return spots


def _along(line: tuple, drawn: np.ndarray | None, most: int = 2) -> bool:
    """Whether a leader line runs along a drawn line (within GAP of it for a fifth of its length or more,
    most tenths): it would not show."""
    if drawn is None or not len(drawn):
        return False
    (x0, y0), (x1, y1) = line
    t = np.linspace(0.0, 1.0, 11)[:-1]  # its end is on its wire
    px, py = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    lo_x, hi_x = np.minimum(drawn[:, 0], drawn[:, 2]), np.maximum(drawn[:, 0], drawn[:, 2])
    lo_y, hi_y = np.minimum(drawn[:, 1], drawn[:, 3]), np.maximum(drawn[:, 1], drawn[:, 3])
    dx = np.maximum(0.0, np.maximum(lo_x[None, :] - px[:, None], px[:, None] - hi_x[None, :]))
    dy = np.maximum(0.0, np.maximum(lo_y[None, :] - py[:, None], py[:, None] - hi_y[None, :]))
    return bool(((np.hypot(dx, dy) < GAP).sum(axis=0) >= most).any())


def _cross(s: tuple, t: tuple) -> bool:
    """Whether two segments ((x, y), (x, y)) cross."""
    return bool(segments_cross(np.array([[*s[0], *s[1]]]), np.array([[*t[0], *t[1]]]))[0, 0])


def _covering(box, blocks: np.ndarray) -> float:
    """How much a badge at box covers of blocks: 1 a thing plus the area (GAP around the badge)."""
    if not len(blocks):
        return 0.0
    g = np.asarray(box) + GROW
    w = np.minimum(g[2], blocks[:, 2]) - np.maximum(g[0], blocks[:, 0])
    h = np.minimum(g[3], blocks[:, 3]) - np.maximum(g[1], blocks[:, 1])
    over = (w > 0) & (h > 0)
    return float(np.sum(1.0 + w[over] * h[over]))


def _moved_in(box: np.ndarray, room: tuple) -> np.ndarray:
    """A box moved (the least) into the room."""
    dx = max(0.0, room[0] - box[0]) - max(0.0, box[2] - room[2])
    dy = max(0.0, room[1] - box[1]) - max(0.0, box[3] - room[3])
    return box + np.array([dx, dy, dx, dy])


def place(badges: list[Badge], anchors: dict[str, list[tuple]], blocks: list[tuple], room: tuple, height: float,
          wires: tuple = ()) -> list[Placed]:  # fmt: skip
    """Where each badge goes (a Placed each, in order).

    The badges are placed in turn (see _choose), in their order first; then, while some badge pays
    for a leader line or worse, again with the badge that paid most moved to the front (so that it
    is placed before those that took its room): ROUNDS times at most, three times as many while a
    badge finds no place by its wire and no leader line. The cheapest layout is then
    improved by moves (see _improve). anchors: the boxes each series labels; blocks: the nodes and
    labels there already; room: the drawing (left, top, right, bottom); height: a badge's height;
    wires: the lines drawn (x0, y0, x1, y1), which no leader line runs along."""
    anchor_set = Anchors(anchors)
    block_array = np.asarray(blocks, float).reshape(-1, 4)
    drawn = np.asarray(wires, float).reshape(-1, 4)
    for badge in badges:
        badge.own = anchor_set.of.get(badge.series)
        badge.drawn = drawn
        prepare(badge, anchor_set, block_array, room, height)
    order = list(range(len(badges)))
    best: list[_Spot] | None = None
    seen = set()
    for turn in range(3 * ROUNDS):
        seen.add(tuple(order))
        spots = _in_turn(badges, order, height, room, block_array)
        if best is None or sum(s.cost for s in spots) < sum(s.cost for s in best):
            best = spots
        worst = max(order, key=lambda j: spots[j].cost)
        if spots[worst].cost < TIED_COST or (turn >= ROUNDS - 1 and max(s.cost for s in best) < LOOSE_COST):
            break  # (a badge with no line and not by its wire: more tries)
        order = [worst] + [j for j in order if j != worst]
        if tuple(order) in seen:
            break
    best = _improve(badges, best, height, room, block_array)
    return [spot.placed for spot in best]
