"""Scenario files in the window: File > Open, Save, Save As, Open Recent, drag and drop, the quit prompt.

A scenario (simulator/scenario.py) holds the configuration, the weights when they are not the
configuration's initial ones, the lesson and how far through it, the training history and the
view options. Opening refuses a corrupt, foreign or newer file with a message and changes
nothing; writing is atomic. `modified` compares what a file would hold (the view options aside)
with what was last opened or saved, so undoing back to the saved state is not a change.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from simulator.scenario import Scenario, load_scenario, save_scenario

from .plots import applying_preset

FILTER = "Unrolled scenario (*.json);;All files (*)"
SUFFIX = ".json"
MAX_RECENT = 8
RECENT_KEY = "recent_files"


class ScenarioFiles(QObject):
    """Opens and saves the window's state as scenario files; remembers recent files in QSettings."""

    path_changed = Signal(str)  # the file now open ('' for none)
    recent_changed = Signal()

    def __init__(self, window, parent: QObject | None = None):
        super().__init__(parent or window)
        self.window = window
        self.settings: QSettings | None = window.settings
        self.path = ""
        self.ask_unsaved = False  # Save / Discard / Cancel before losing changes: the application turns it on
        # (a test or a script that drives the window never blocks on a question)
        self._recent: list[str] = []  # without QSettings
        self._opened_training: dict | None = None  # the training history of the file last opened
        self._saved = self._fingerprint()
        self.recent_menu = QMenu("Open Recent", window)
        self.recent_menu.setObjectName("recent_menu")
        self._install_menu()
        self._rebuild_recent_menu()

    # ---- what a file holds -------------------------------------------------------------------
    def scenario(self) -> Scenario:
        """The window's current state as a Scenario."""
        w = self.window
        panel = w.lesson_panel
        lesson = panel.lesson.id if panel.lesson is not None else None
        return Scenario(
            w.session.config,
            network=w.session.network,
            lesson=lesson,
            lesson_step=panel.position if lesson else 0,
            training=self._training_state(),
            view=self.view_state(),
        )

    def view_state(self) -> dict:
        """The view options a scenario keeps: fold, the state tab, the font scale, the playhead."""
        w = self.window
        return {
            "fold": bool(w.actions["fold"].isChecked()),
            "states_tab": w.plots.states.current,
            "font_scale": float(w.theme.font_scale if not w.presentation.active else w.presentation.saved_font_scale),
            "frame": int(w.session.frame),
        }

    def apply_view_state(self, view: dict) -> None:
        """Put view options back (unknown ones are ignored, bad values skipped)."""
        w = self.window
        if isinstance(view.get("fold"), bool):
            w.set_folded(view["fold"])
        if isinstance(view.get("states_tab"), str):
            w.plots.states.select(view["states_tab"])
        scale = view.get("font_scale")
        if isinstance(scale, (int, float)) and not isinstance(scale, bool) and 0.5 <= scale <= 3:
            if w.presentation.active:
                w.presentation.saved_font_scale = float(scale)
            else:
                w.theme.set_font_scale(float(scale))
        frame = view.get("frame")
        if isinstance(frame, int) and not isinstance(frame, bool):
            w.session.set_frame(frame)

    def _training_panel(self):
        return getattr(self.window, "training", None)

    def _training_state(self) -> dict | None:
        """The training history: the panel's own account if it gives one, else its runs' loss curves."""
        panel = self._training_panel()
        getter = getattr(panel, "training_state", None)
        if callable(getter):
            return getter()
        runs = {}
        for label, update in (getattr(panel, "last_updates", None) or {}).items():
            snap = getattr(update, "snapshot", None)
            if snap is None:
                continue
            runs[label or "run"] = {
                "state": update.state,
                "iteration": int(snap.iteration),
                "iterations": int(snap.iterations),
                "train_loss": np.asarray(snap.train_loss, dtype=float),  # one per iteration
                "test_loss": [[int(i), float(loss)] for i, loss in snap.test_loss],  # (iteration, held-out loss)
                "seconds": float(snap.seconds),
            }
        if runs:
            return {"task": str(getattr(panel, "task_name", "") or ""), "runs": runs}
        return self._opened_training  # a history read from a file survives a save without new training

    def _fingerprint(self) -> tuple:
        w = self.window
        panel = w.lesson_panel
        lesson = panel.lesson.id if panel.lesson is not None else None
        return (w.session.config, w.session.network, lesson, panel.position if lesson else 0)

    @property
    def modified(self) -> bool:
        """Whether the state differs from the file last opened or saved (or from the start)."""
        saved = self._saved
        now = self._fingerprint()
        return not (saved[0] == now[0] and saved[1] is now[1] and saved[2:] == now[2:])

    def mark_saved(self) -> None:
        """The current state is what the file holds."""
        self._saved = self._fingerprint()
        if hasattr(self.window, "update_title"):
            self.window.update_title()

    # ---- opening ---------------------------------------------------------------------------------
    def open_dialog(self) -> bool:
        """Ask for a file (after offering to save unsaved changes) and open it."""
        if not self.confirm_discard("Open another scenario"):
            return False
        start = str(Path(self.path).parent) if self.path else ""
        path, _ = QFileDialog.getOpenFileName(self.window, "Open scenario", start, FILTER)
        return self.open_path(path) if path else False

    def open_path(self, path: str | os.PathLike) -> bool:
        """Open a scenario file; a refused file gets a message and nothing changes. True if opened."""
        path = os.fspath(path)
        try:
            scenario = load_scenario(path)
        except ValueError as exc:
            self._refuse(path, str(exc))
            return False
        return self.open_scenario(scenario, path)

    def open_scenario(self, scenario: Scenario, path: str = "") -> bool:
        """Put the window in a scenario's state; False (with a message, nothing changed) if refused."""
        w = self.window
        panel = w.lesson_panel
        note = ""
        lesson = None
        if scenario.lesson is not None:
            try:
                lesson = panel.lesson_by_id(scenario.lesson)
            except ValueError:
                note = f"The lesson {scenario.lesson!r} is not in this version of Unrolled; opened without it."
        try:
            with applying_preset(w.session):  # a file's settings are not the user's change: no "before" curve
                w.session.set_config(scenario.config, scenario.network)
        except ValueError as exc:  # e.g. weights the engine cannot run
            self._refuse(path or "the scenario", str(exc))
            return False
        if lesson is not None:
            panel.open_lesson(lesson, scenario.lesson_step, preset=False, view=False)
        else:
            panel.leave()
        self._restore_training(scenario.training)
        self.apply_view_state(scenario.view)
        w.history.reset()
        if path:
            self._set_path(path)
            self.add_recent(path)
        self.mark_saved()
        self._status(note or f"Opened {path}" if path else note)
        return True

    def _restore_training(self, training: dict | None) -> None:
        self._opened_training = training
        setter = getattr(self._training_panel(), "restore_training_state", None)
        if callable(setter):
            setter(training)

    def _refuse(self, path: str, message: str) -> None:
        QMessageBox.warning(
            self.window,
            "Cannot open this scenario",
            f"{message}\n\nNothing was changed: the simulator keeps its current state.",
        )
        self._status(f"Could not open {path}")

    # ---- saving ------------------------------------------------------------------------------------
    def save(self) -> bool:
        """Save to the open file, or ask where (Save As) if there is none."""
        return self.save_to(self.path) if self.path else self.save_as()

    def save_as(self) -> bool:
        """Ask for a file name and save there."""
        start = self.path or str(Path.home() / f"scenario{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save scenario", start, FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += SUFFIX
        return self.save_to(path)

    def save_to(self, path: str | os.PathLike) -> bool:
        """Write the scenario atomically (the old file survives any failure); True on success."""
        path = os.fspath(path)
        try:
            save_scenario(path, self.scenario())
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            QMessageBox.critical(
                self.window, "Cannot save", f"Could not save {path}:\n{reason}\n\nAny previous file there is intact."
            )
            return False
        self._set_path(path)
        self.mark_saved()
        self.add_recent(path)
        self._status(f"Saved {path}")
        return True

    # ---- unsaved changes -----------------------------------------------------------------------------
    def confirm_discard(self, doing: str = "Quit") -> bool:
        """If there are unsaved changes, ask Save / Discard / Cancel; True when it is fine to go on."""
        if not self.ask_unsaved or not self.modified:
            return True
        name = Path(self.path).name if self.path else "this scenario"
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.warning(
            self.window,
            "Unsaved changes",
            f"{doing}: {name} has changes that are not saved. Save them first?",
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Save,
        )
        if answer == buttons.Save:
            return self.save()
        return answer == buttons.Discard

    def confirm_close(self) -> bool:
        """The window is about to close: True to let it (after the question, when there is one to ask)."""
        return self.confirm_discard("Quit")

    # ---- recent files ----------------------------------------------------------------------------------
    @property
    def recent(self) -> list[str]:
        """Recently opened or saved files, newest first."""
        if self.settings is None:
            return list(self._recent)
        value = self.settings.value(RECENT_KEY, [])
        if isinstance(value, str):  # an INI file gives back a one-item list as text
            value = [value]
        return [str(v) for v in (value or []) if v]

    def add_recent(self, path: str) -> None:
        """Put a file first in the recent list."""
        path = os.path.abspath(path)
        files = [path] + [p for p in self.recent if p != path]
        self._store_recent(files[:MAX_RECENT])

    def clear_recent(self) -> None:
        """Forget the recent files."""
        if self.settings is None:
            self._recent = []
        else:
            self.settings.remove(RECENT_KEY)
        self._rebuild_recent_menu()
        self.recent_changed.emit()

    def open_recent(self, path: str) -> bool:
        """Open a recent file (after offering to save unsaved changes); a file that is gone leaves the list."""
        if not self.confirm_discard("Open another scenario"):
            return False
        opened = self.open_path(path)  # a missing file: the warning says so
        if not opened and not os.path.exists(path):
            self.forget_recent(path)
        return opened

    def forget_recent(self, path: str) -> None:
        """Take a file off the recent list."""
        path = os.path.abspath(path)
        self._store_recent([p for p in self.recent if p != path])

    def _store_recent(self, files: list[str]) -> None:
        if self.settings is None:
            self._recent = files
        else:
            self.settings.setValue(RECENT_KEY, files)
        self._rebuild_recent_menu()
        self.recent_changed.emit()

    def _install_menu(self) -> None:
        menus = getattr(self.window, "menus", {})
        file_menu = menus.get("File")
        if file_menu is None:
            return
        anchor = self.window.actions.get("save_scenario")
        actions = file_menu.actions()
        if anchor in actions:  # right after Open…
            file_menu.insertMenu(anchor, self.recent_menu)
        else:
            file_menu.addMenu(self.recent_menu)

    def _rebuild_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = self.recent
        for i, path in enumerate(files):
            action = QAction(f"&{i + 1}  {Path(path).name}", menu)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_recent(p))
            menu.addAction(action)
        if files:
            menu.addSeparator()
            menu.addAction("Clear the list", self.clear_recent)
        else:
            menu.addAction("(no recent files)").setEnabled(False)
        menu.setEnabled(True)

    # ---- drag and drop ----------------------------------------------------------------------------------
    @staticmethod
    def _dropped_file(event) -> str:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return ""
        local = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        return local[0] if len(local) == 1 else ""

    def drag_enter(self, event: QDragEnterEvent) -> None:
        """Accept one local file dragged onto the window (opening it checks what it is)."""
        if self._dropped_file(event):
            event.acceptProposedAction()

    def drop(self, event: QDropEvent) -> bool:
        """Open the file dropped onto the window."""
        path = self._dropped_file(event)
        if not path:
            return False
        event.acceptProposedAction()
        if not self.confirm_discard("Open another scenario"):
            return False
        return self.open_path(path)

    # ---- small things --------------------------------------------------------------------------------
    def _set_path(self, path: str) -> None:
        self.path = os.path.abspath(path)
        self.window.setWindowFilePath(self.path)
        self.path_changed.emit(self.path)

    def _status(self, text: str) -> None:
        if text:
            self.window.statusBar().showMessage(text, 6000)
