"""Presentation mode: the window as a lecturer shows it to a hall.

Full screen, the high-contrast theme, large fonts; no menu or status bar; only the controls and
plots the current lesson names; the lesson panel in its presentation layout (title, live
numbers, steps). Navigation is by keyboard alone: Page Down / Page Up (what presentation
clickers send) take the lesson's steps, Escape leaves and puts everything back as it was.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSignalBlocker, Qt, Signal

from simulator.lessons import Lesson

FONT_SCALE = 1.75  # at least this while presenting (the back row of a 200-seat hall)
SCHEME = "contrast"
LESSON_WIDTH = 0.34  # share of the screen's width for the lesson panel
CONTROLS_WIDTH = 0.2
# the window's four plots, and the lesson plot names (simulator.lessons.PLOTS) each one shows
PLOT_NAMES = {"gradient": ("gradients",), "jacobian": ("jacobian",), "eigen": ("eigenvalues",),
              "states": ("hidden", "gates")}  # fmt: skip
TOOLBAR_CONTROLS = ("transport", "fold", "steps")


class Presentation(QObject):
    """Enters and leaves presentation mode on a MainWindow, restoring what it changed."""

    active_changed = Signal(bool)

    def __init__(self, window, parent: QObject | None = None):
        super().__init__(parent or window)
        self.window = window
        self._saved: dict | None = None
        window.actions["leave_presentation"].setEnabled(False)
        window.lesson_panel.lesson_changed.connect(self._on_lesson_changed)

    @property
    def active(self) -> bool:
        """Whether the window is presenting."""
        return self._saved is not None

    @property
    def saved_font_scale(self) -> float:
        """The font scale the window goes back to on leaving (the current one when not presenting)."""
        return self._saved["font_scale"] if self._saved is not None else self.window.theme.font_scale

    @saved_font_scale.setter
    def saved_font_scale(self, scale: float) -> None:
        if self._saved is not None:
            self._saved["font_scale"] = float(scale)
        else:
            self.window.theme.set_font_scale(scale)

    def set_active(self, on: bool) -> None:
        """Enter (True) or leave (False) presentation mode."""
        on = bool(on)
        if on != self.active:
            self._enter() if on else self._leave()
        w = self.window
        with QSignalBlocker(w.actions["present"]):
            w.actions["present"].setChecked(self.active)
        w.actions["leave_presentation"].setEnabled(self.active)

    def toggle(self) -> None:
        """Enter or leave."""
        self.set_active(not self.active)

    # ---- entering and leaving ------------------------------------------------------------
    def _enter(self) -> None:
        w = self.window
        theme = w.theme
        self._saved = {
            "scheme": theme.scheme,
            "font_scale": theme.font_scale,
            "dock_state": w.saveState(),
            "splitter": w.splitter.saveState(),
            "window_state": w.windowState(),
            "menubar": not w.menuBar().isHidden(),
            "statusbar": not w.statusBar().isHidden(),
            "toolbar": not w.toolbar.isHidden(),
            "plots": {name: not getattr(w.plots, name).isHidden() for name in PLOT_NAMES},
            "plots_panel": not w.plots.isHidden(),
            "captions": {name: not getattr(w.plots, name).caption_label.isHidden() for name in PLOT_NAMES},
        }
        theme.set_scheme(SCHEME)
        theme.set_font_scale(max(theme.font_scale, FONT_SCALE))
        w.menuBar().hide()
        w.statusBar().hide()
        w.lesson_panel.set_presenting(True)
        w.showFullScreen()
        self._arrange(w.lesson_panel.lesson)
        with QSignalBlocker(w.actions["full_screen"]):
            w.actions["full_screen"].setChecked(True)
        w.setFocus(Qt.FocusReason.OtherFocusReason)  # Page Up/Down reach the window's shortcuts
        self.active_changed.emit(True)

    def _leave(self) -> None:
        w, saved = self.window, self._saved
        self._saved = None
        w.lesson_panel.set_presenting(False)
        w.theme.set_scheme(saved["scheme"])
        w.theme.set_font_scale(saved["font_scale"])
        w.menuBar().setVisible(saved["menubar"])
        w.statusBar().setVisible(saved["statusbar"])
        w.toolbar.setVisible(saved["toolbar"])
        for name, shown in saved["plots"].items():
            getattr(w.plots, name).setVisible(shown)
            getattr(w.plots, name).caption_label.setVisible(saved["captions"][name])
        w.plots.setVisible(saved["plots_panel"])
        state = saved["window_state"]
        if state & Qt.WindowState.WindowFullScreen:
            w.showFullScreen()
        elif state & Qt.WindowState.WindowMaximized:
            w.showMaximized()
        else:
            w.showNormal()
        w.restoreState(saved["dock_state"])
        w.splitter.restoreState(saved["splitter"])
        with QSignalBlocker(w.actions["full_screen"]):
            w.actions["full_screen"].setChecked(bool(state & Qt.WindowState.WindowFullScreen))
        self.active_changed.emit(False)

    # ---- what shows -------------------------------------------------------------------------
    def _arrange(self, lesson: Lesson | None) -> None:
        """Only what the lesson names: its controls, its plots, the lesson panel beside them."""
        w = self.window
        named = set(lesson.plots) if lesson is not None else set()
        w.formula_dock.hide()
        w.cell_dock.setVisible("gates" in named)
        w.lesson_dock.setVisible(lesson is not None)
        if lesson is not None:
            w.lesson_dock.setFloating(False)
            w.lesson_dock.raise_()
        w.controls_dock.setVisible(w.controls.shows_any())
        shown = {name: bool(named & set(names)) for name, names in PLOT_NAMES.items()}
        if lesson is None:
            shown = dict.fromkeys(PLOT_NAMES, True)
        for name, on in shown.items():
            getattr(w.plots, name).setVisible(on)
            getattr(w.plots, name).caption_label.hide()  # the lecturer says it; the plot gets the room
        w.plots.setVisible(any(shown.values()))
        controls = set(lesson.controls) if lesson is not None else set(TOOLBAR_CONTROLS)
        w.toolbar.setVisible(bool(controls & set(TOOLBAR_CONTROLS)))
        width = max(w.width(), 800)
        docks, sizes = [], []
        if lesson is not None:
            docks.append(w.lesson_dock)
            sizes.append(round(width * LESSON_WIDTH))
        if w.controls_dock.isVisibleTo(w):
            docks.append(w.controls_dock)
            sizes.append(round(width * CONTROLS_WIDTH))
        if docks:
            w.resizeDocks(docks, sizes, Qt.Orientation.Horizontal)

    def _on_lesson_changed(self, lesson: Lesson | None) -> None:
        if self.active:
            self._arrange(lesson)
