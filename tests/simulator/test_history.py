"""Undo/redo of configuration edits, with slider drags coalesced into one step."""

import pytest

from simulator.config import Config
from simulator.history import History, changed_keys


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def test_push_undo_redo(clock):
    a = Config()
    h = History(a, clock=clock)
    assert not h.can_undo and not h.can_redo
    b = a.replace(cell="lstm")
    c = b.replace(steps=30)
    clock.now = 1.0
    assert h.push(b)
    clock.now = 2.0
    assert h.push(c)
    assert h.current == c and len(h) == 2
    assert h.undo_text == "steps"
    assert h.undo() == b
    assert h.can_redo and h.redo_text == "steps"
    assert h.undo() == a
    assert not h.can_undo
    assert h.redo() == b
    assert h.redo() == c
    assert not h.can_redo


def test_unchanged_push_records_nothing(clock):
    h = History(Config(), clock=clock)
    assert not h.push(Config())
    assert not h.can_undo


def test_new_edit_drops_redo(clock):
    a = Config()
    h = History(a, clock=clock)
    h.push(a.replace(wrec=2.0))
    h.undo()
    clock.now = 5.0
    h.push(a.replace(hidden=8))
    assert not h.can_redo
    assert h.undo() == a


def test_slider_drag_coalesces_into_one_step(clock):
    a = Config()
    h = History(a, clock=clock)
    for i, w in enumerate([1.1, 1.2, 1.3, 1.4, 1.5]):
        clock.now = 0.05 * i
        h.push(h.current.replace(wrec=w))
    assert len(h) == 1
    assert h.current.wrec == 1.5
    assert h.undo() == a


def test_pause_or_other_key_or_seal_starts_a_new_step(clock):
    a = Config()
    h = History(a, clock=clock)
    h.push(a.replace(wrec=1.1))
    clock.now = 5.0  # long pause
    h.push(h.current.replace(wrec=1.2))
    assert len(h) == 2
    clock.now = 5.1
    h.push(h.current.replace(steps=21))  # another key
    assert len(h) == 3
    h.seal()  # the slider was released
    clock.now = 5.2
    h.push(h.current.replace(steps=22))
    assert len(h) == 4


def test_multi_key_edits_never_coalesce(clock):
    a = Config()
    h = History(a, clock=clock)
    h.push(a.replace(cell="gru", hidden=8))
    h.push(h.current.replace(cell="lstm", hidden=4))
    assert len(h) == 2
    assert h.undo_text == "cell, hidden"


def test_drag_back_to_start_leaves_no_step(clock):
    a = Config()
    h = History(a, clock=clock)
    h.push(a.replace(wrec=1.3))
    h.push(a.replace(wrec=1.0))
    assert not h.can_undo and h.current == a


def test_undo_after_drag_then_drag_again_is_a_new_step(clock):
    a = Config()
    h = History(a, clock=clock)
    h.push(a.replace(wrec=1.3))
    h.undo()
    h.redo()
    h.push(h.current.replace(wrec=1.4))  # the redone step is closed
    assert len(h) == 2


def test_limit_drops_the_oldest(clock):
    a = Config()
    h = History(a, limit=3, clock=clock)
    for s in range(2, 8):
        clock.now += 10
        h.push(h.current.replace(steps=s))
    assert len(h) == 3
    while h.can_undo:
        h.undo()
    assert h.current.steps == 4


def test_reset_and_errors(clock):
    h = History(Config(), clock=clock)
    h.push(Config(wrec=2.0))
    h.reset(Config(cell="gru"))
    assert h.current == Config(cell="gru") and not h.can_undo and not h.can_redo
    with pytest.raises(IndexError):
        h.undo()
    with pytest.raises(IndexError):
        h.redo()
    with pytest.raises(ValueError, match="Config"):
        h.push({"wrec": 1.0})


def test_changed_keys():
    assert changed_keys(Config(), Config(wrec=0.5, seed=3)) == ("wrec", "seed")
