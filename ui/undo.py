"""Undo and redo for the Session's configuration: every config it takes is recorded once.

ConfigHistory listens to `session.config_changed`, so an edit counts whatever made it (a
control, a lesson step, a command). A drag of a watched slider is one step: the history keeps
coalescing while the slider is down and seals the step when it is released; any other change
is a step of its own. Undo and redo put the recorded config back through the Session, with the
weights of their own (trained, or from a file) that went with it: a change of the configuration
runs its initial weights, so without them an Undo after training brought back the Wrec but not
the trained network.
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
    weights_dropped = Signal()  # a change replaced weights of their own by the config's initial ones

    def __init__(self, session: Session, actions: dict[str, QAction] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.actions = actions or {}
        # coalescing is driven by the slider (seal on release), not by a clock
        self.history = History(session.config, coalesce_seconds=math.inf)
        self._dragging = 0
        self._restoring = False
        # the Session's own weights on each side of each step (by the step's id): None = the config's
        self._nets: dict[int, list] = {}
        self._network = session.network  # as of the last trace: config_changed comes before the new one
        session.config_changed.connect(self._on_config_changed)
        session.trace_changed.connect(self._on_trace_changed)
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
        top = self._top()
        before = self._network
        self.history.push(config)
        if self._top() is not top and self._top() is not None:  # a new step: the weights it started from
            self._nets[id(self._top())] = [before, None]
            if before is not None and self.session.network is None:
                self.weights_dropped.emit()
        undone, redone = self.history.steps()
        live = {id(e) for e in (*undone, *redone)}
        for key in [k for k in self._nets if k not in live]:  # steps the history no longer holds
            del self._nets[key]
        if not self._dragging:
            self.history.seal()
        self.changed.emit()

    def _on_trace_changed(self, _trace) -> None:
        """Weights of their own arrived or went (training, a file): the current step's result has them."""
        self._network = self.session.network
        top = self._top()
        if top is not None and top.after == self.session.config and id(top) in self._nets:
            self._nets[id(top)][1] = self._network

    def _top(self):
        undone, _ = self.history.steps()
        return undone[-1] if undone else None

    def reset(self) -> None:
        """Forget every step (after a scenario file was opened)."""
        self.history.reset(self.session.config)
        self._nets.clear()
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
        """Put back the configuration before the last change (and the weights it had); False if there is none."""
        if not self.history.can_undo:
            return False
        step = self.history.steps()[0][-1]
        self._restore(self.history.undo(), self._nets.get(id(step), [None, None])[0])
        return True

    def redo(self) -> bool:
        """Do the last undone change again (with the weights it led to); False if there is none."""
        if not self.history.can_redo:
            return False
        step = self.history.steps()[1][-1]
        self._restore(self.history.redo(), self._nets.get(id(step), [None, None])[1])
        return True

    def _restore(self, config: Config, network=None) -> None:
        self._restoring = True
        try:
            try:
                self.session.set_config(config, network)
            except ValueError:  # weights that no longer fit (cannot happen for a recorded pair): the config's own
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
