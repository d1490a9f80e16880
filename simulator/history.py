"""Undo and redo for edits of the configuration: a linear history of frozen Configs.

    history = History(Config())
    history.push(config.replace(wrec=1.2))     # one edit
    history.undo()                             # -> the Config before it
    history.redo()                             # -> the Config after it

Rapid edits of the same key (the many values a slider sends while it is dragged) coalesce into
one step: an edit of the same single key within `coalesce_seconds` of the previous one
replaces that step's result instead of adding a step. `seal()` ends the coalescing early (call
it when the slider is released). Pure Python: the UI wraps it in its Undo/Redo actions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .config import KEYS, Config


@dataclass
class _Edit:
    """One undoable step: the configs before and after it, and what it changed."""

    before: Config
    after: Config
    key: str | None  # the single key changed, or None when several changed at once
    label: str
    time: float
    open: bool = True  # may still absorb a rapid edit of the same key


def changed_keys(a: Config, b: Config) -> tuple[str, ...]:
    """The configuration keys whose values differ between a and b."""
    return tuple(k for k in KEYS if getattr(a, k) != getattr(b, k))


class History:
    """A linear undo/redo history of Config edits, with slider drags coalesced."""

    def __init__(
        self,
        initial: Config,
        coalesce_seconds: float = 0.6,
        limit: int = 500,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not isinstance(initial, Config):
            raise ValueError(f"the history starts from a Config; got {type(initial).__name__}")
        if limit < 1:
            raise ValueError(f"limit must be at least 1; got {limit}")
        self._current = initial
        self._undo: list[_Edit] = []
        self._redo: list[_Edit] = []
        self.coalesce_seconds = float(coalesce_seconds)
        self.limit = int(limit)
        self._clock = clock

    # ---- state ------------------------------------------------------------------------
    @property
    def current(self) -> Config:
        """The configuration after every edit that has not been undone."""
        return self._current

    @property
    def can_undo(self) -> bool:
        """Whether there is an edit to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """Whether there is an undone edit to redo."""
        return bool(self._redo)

    @property
    def undo_text(self) -> str:
        """What undo would take back, for the menu item ('' when nothing)."""
        return self._undo[-1].label if self._undo else ""

    @property
    def redo_text(self) -> str:
        """What redo would do again, for the menu item ('' when nothing)."""
        return self._redo[-1].label if self._redo else ""

    def steps(self) -> tuple[tuple, tuple]:
        """(undoable steps oldest first, undone steps with the next to redo last): opaque objects
        with .before and .after configs."""
        return tuple(self._undo), tuple(self._redo)

    def __len__(self) -> int:
        """Number of undoable steps."""
        return len(self._undo)

    # ---- edits ------------------------------------------------------------------------
    def push(self, config: Config, label: str | None = None) -> bool:
        """Record that the configuration became `config`; False if nothing changed.

        Any redo steps are dropped (a new edit starts a new branch). An edit of the same single
        key as the previous, still-open step and within coalesce_seconds of it joins that step.
        """
        if not isinstance(config, Config):
            raise ValueError(f"push takes a Config; got {type(config).__name__}")
        keys = changed_keys(self._current, config)
        if not keys:
            return False
        now = self._clock()
        key = keys[0] if len(keys) == 1 else None
        self._redo.clear()
        top = self._undo[-1] if self._undo else None
        if (
            top is not None
            and top.open
            and key is not None
            and top.key == key
            and now - top.time <= self.coalesce_seconds
        ):
            top.after, top.time = config, now  # the slider is still moving: same step
            self._current = config
            if not changed_keys(top.before, top.after):
                self._undo.pop()  # dragged back to where it started: no step at all
            return True
        if top is not None:
            top.open = False
        self._undo.append(_Edit(self._current, config, key, label or _label(keys), now))
        if len(self._undo) > self.limit:
            del self._undo[0]
        self._current = config
        return True

    def seal(self) -> None:
        """End coalescing: the next edit starts a new step even if it touches the same key."""
        if self._undo:
            self._undo[-1].open = False

    def undo(self) -> Config:
        """Take back the last edit and return the configuration before it."""
        if not self._undo:
            raise IndexError("nothing to undo")
        edit = self._undo.pop()
        edit.open = False
        self._redo.append(edit)
        self._current = edit.before
        return self._current

    def redo(self) -> Config:
        """Do the last undone edit again and return the configuration after it."""
        if not self._redo:
            raise IndexError("nothing to redo")
        edit = self._redo.pop()
        self._undo.append(edit)
        self._current = edit.after
        return self._current

    def reset(self, config: Config) -> None:
        """Forget every step and start again from `config` (after opening a file)."""
        if not isinstance(config, Config):
            raise ValueError(f"reset takes a Config; got {type(config).__name__}")
        self._current = config
        self._undo.clear()
        self._redo.clear()


def _label(keys: tuple[str, ...]) -> str:
    """Menu text for an edit: 'wrec', or 'cell, hidden' for several keys."""
    return ", ".join(keys) if len(keys) <= 3 else f"{len(keys)} settings"
