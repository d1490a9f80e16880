"""Undo and redo for the Session's configuration: every config it takes is recorded once.

ConfigHistory listens to `session.config_changed`, so an edit counts whatever made it (a
control, a lesson step, a command). A drag of a watched slider is one step: the history keeps
coalescing while the slider is down and seals the step when it is released; any other change
is a step of its own. Undo and redo put the recorded config back through the Session.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractSlider

from simulator.config import Config
from simulator.history import History

from .session import Session


class ConfigHistory(QObject):
    """The Session's configurations as an undo/redo history (simulator/history.py)."""

    changed = Signal()  # something was recorded, undone, redone or forgotten

    def __init__(self, session: Session, actions: dict[str, QAction] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.actions = actions or {}
        # coalescing is driven by the slider (seal on release), not by a clock
        self.history = History(session.config, coalesce_seconds=math.inf)
        self._dragging = 0
        self._restoring = False
        session.config_changed.connect(self._on_config_changed)
        self.changed.connect(self._update_actions)
        self._update_actions()

    # ---- recording ------------------------------------------------------------------------
    def watch_slider(self, slider: QAbstractSlider) -> None:
        """Make each drag of this slider one undo step."""
        slider.sliderPressed.connect(self.begin_drag)
        slider.sliderReleased.connect(self.end_drag)

    def begin_drag(self) -> None:
        """A drag starts: the changes until end_drag() join one step."""
        self._dragging += 1

    def end_drag(self) -> None:
        """The drag ended: its step is complete."""
        self._dragging = max(0, self._dragging - 1)
        if not self._dragging:
            self.history.seal()

    def _on_config_changed(self, config: Config) -> None:
        if self._restoring:
            return
        self.history.push(config)
        if not self._dragging:
            self.history.seal()
        self.changed.emit()

    def reset(self) -> None:
        """Forget every step (after a scenario file was opened)."""
        self.history.reset(self.session.config)
        self.changed.emit()

    # ---- undo / redo ----------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        """Whether there is a change to take back."""
        return self.history.can_undo

    @property
    def can_redo(self) -> bool:
        """Whether there is an undone change to do again."""
        return self.history.can_redo

    def undo(self) -> bool:
        """Put back the configuration before the last change; False if there is none."""
        if not self.history.can_undo:
            return False
        self._restore(self.history.undo())
        return True

    def redo(self) -> bool:
        """Do the last undone change again; False if there is none."""
        if not self.history.can_redo:
            return False
        self._restore(self.history.redo())
        return True

    def _restore(self, config: Config) -> None:
        self._restoring = True
        try:
            self.session.set_config(config)
        finally:
            self._restoring = False
        self.changed.emit()

    def _update_actions(self) -> None:
        undo, redo = self.actions.get("undo"), self.actions.get("redo")
        if undo is not None:
            undo.setEnabled(self.history.can_undo)
            undo.setText(f"Undo {self.history.undo_text}" if self.history.can_undo else "Undo")
        if redo is not None:
            redo.setEnabled(self.history.can_redo)
            redo.setText(f"Redo {self.history.redo_text}" if self.history.can_redo else "Redo")
