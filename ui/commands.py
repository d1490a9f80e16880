"""Every user command, declared once: id, text, shortcut, callback.

Menus, the toolbar, keyboard shortcuts and tests all take the same QAction from
`create_actions(window)`; nothing else makes an action. A callback receives the main window
(which owns the Session and the Player) and the action's checked state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QWidget

from . import export, theme


@dataclass(frozen=True)
class Command:
    """One user command."""

    id: str
    text: str
    shortcuts: tuple[str, ...]
    callback: Callable[[Any, bool], None]  # (window, checked)
    tip: str = ""
    menu: str = ""  # which menu lists it
    toolbar: bool = False  # also on the transport toolbar
    checkable: bool = False
    group: str = ""  # exclusive group of checkable commands
    icon: str = ""  # a transport icon drawn by the theme (Theme.media_icon)
    short: str = ""  # the toolbar's text, if shorter than `text`
    context: str = ""  # also in the right-click menu of this view (ui/export.py context_targets)


COMMANDS: tuple[Command, ...] = (
    # ---- transport ----
    Command("rewind", "Rewind", ("Home",), lambda w, _: w.player.rewind(),
            "Back to the first step of the forward pass", "Play", True, icon="rewind"),
    Command("step_back", "Step back", ("Left",), lambda w, _: w.player.step(-1),
            "One frame back", "Play", True, icon="step_back"),
    Command("play_pause", "Play", ("Space",), lambda w, _: w.player.toggle(),
            "Play the forward pass, then backpropagation through time", "Play", True, icon="play"),
    Command("step_forward", "Step forward", ("Right",), lambda w, _: w.player.step(1),
            "One frame forward", "Play", True, icon="step_forward"),
    Command("to_end", "End", ("End",), lambda w, _: w.player.to_end(),
            "Jump to the end of BPTT (or to the overflow)", "Play", True, icon="end"),
    Command("slower", "Slower", ("[",), lambda w, _: w.change_speed(-1), "Halve the animation speed", "Play"),
    Command("faster", "Faster", ("]",), lambda w, _: w.change_speed(+1), "Double the animation speed", "Play"),
    # ---- building the network ----
    Command("add_step", "Add step", ("+", "="), lambda w, _: w.add_step(),
            "Unroll one more time step (T + 1)", "Network", True, short="Add step"),
    Command("remove_step", "Remove step", ("-",), lambda w, _: w.remove_step(),
            "Unroll one step less (T − 1)", "Network", True, short="Remove step"),
    Command("fold", "Folded", ("F",), lambda w, on: w.set_folded(on),
            "Show the network folded (one hidden layer with its loop) or unrolled through time",
            "Network", True, checkable=True, short="Fold"),
    Command("new_seed", "New random seed", ("R",), lambda w, _: w.new_seed(),
            "Draw new initial weights and a new input sequence", "Network"),
    # ---- training ----
    Command("show_training", "Training lab", ("Ctrl+Shift+T",), lambda w, _: w.show_training(),
            "Learn a real task: loss curves, predictions, RNN vs LSTM side by side", "Network"),
    Command("train", "Train", ("Ctrl+T",), lambda w, _: w.show_training(toggle=True),
            "Train on the chosen task; again to pause, again to resume", "Network"),
    Command("stop_training", "Stop training", ("Ctrl+.",), lambda w, _: w.training.stop(),
            "Stop training now and keep the weights", "Network"),
    # ---- view ----
    Command("full_screen", "Full screen", ("F11",), lambda w, on: w.set_full_screen(on),
            "Fill the screen (for the projector)", "View", checkable=True),
    Command("larger_text", "Larger text", ("Ctrl++", "Ctrl+="), lambda w, _: w.theme.step_font_scale(+1),
            "Scale every font up", "View"),
    Command("smaller_text", "Smaller text", ("Ctrl+-",), lambda w, _: w.theme.step_font_scale(-1),
            "Scale every font down", "View"),
    Command("reset_text", "Normal text size", ("Ctrl+0",), lambda w, _: w.theme.set_font_scale(1.0),
            "Font scale 1", "View"),
    Command("theme_system", "Follow the system theme", (), lambda w, _: w.theme.set_scheme("system"),
            "Dark or light as the system says", "View", checkable=True, group="theme"),
    Command("theme_light", "Light theme", (), lambda w, _: w.theme.set_scheme("light"),
            "Dark text on white (bright rooms)", "View", checkable=True, group="theme"),
    Command("theme_dark", "Dark theme", (), lambda w, _: w.theme.set_scheme("dark"),
            "Light text on black (dim rooms)", "View", checkable=True, group="theme"),
    Command("theme_contrast", "High-contrast theme", (), lambda w, _: w.theme.set_scheme("contrast"),
            "Black on white with darker colours (projectors)", "View", checkable=True, group="theme"),
    Command("reset_layout", "Reset layout", (), lambda w, _: w.reset_layout(),
            "Put every panel back where it started", "View"),
    # ---- scenario files and undo ----
    Command("open_scenario", "Open…", ("Ctrl+O",), lambda w, _: w.files.open_dialog(),
            "Open a scenario file (configuration, weights, lesson, view)", "File"),
    Command("save_scenario", "Save", ("Ctrl+S",), lambda w, _: w.files.save(),
            "Save this scenario so that it reopens exactly as it is", "File"),
    Command("save_scenario_as", "Save As…", ("Ctrl+Shift+S",), lambda w, _: w.files.save_as(),
            "Save this scenario under a new name", "File"),
    Command("undo", "Undo", ("Ctrl+Z",), lambda w, _: w.history.undo(),
            "Take back the last change of the configuration", "Edit"),
    Command("redo", "Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), lambda w, _: w.history.redo(),
            "Do the undone change again", "Edit"),
    # ---- lessons and presentation ----
    Command("show_lessons", "Lessons…", ("Ctrl+L",), lambda w, _: w.show_lessons(),
            "The guided lessons, in order", "Lesson"),
    Command("next_step", "Next step", ("PgDown",), lambda w, _: w.lesson_panel.next_step(),
            "Take the lesson's next 'try this' step (a presenter's clicker sends Page Down)", "Lesson"),
    Command("previous_step", "Previous step", ("PgUp",), lambda w, _: w.lesson_panel.previous_step(),
            "Go back one 'try this' step", "Lesson"),
    Command("leave_lesson", "Leave lesson", (), lambda w, _: w.lesson_panel.leave(),
            "Close the lesson and show every control again", "Lesson"),
    Command("present", "Presentation mode", ("F5",), lambda w, on: w.presentation.set_active(on),
            "Full screen, large high-contrast text, only the lesson's controls; Page Down/Up step, Esc leaves",
            "Lesson", checkable=True),
    Command("leave_presentation", "Leave presentation mode", ("Escape",),
            lambda w, _: w.presentation.set_active(False), "Back to the normal window"),
    # ---- file and help ----
    # ---- exports for slides (File > Export, Edit > Copy figure, each view's right-click menu) ----
    Command("export_gradients", "Export gradient plot…", (), lambda w, _: export.export_dialog(w, "gradients"),
            "Save the gradient plot in large type: PNG, SVG, CSV data, or the animation as GIF", "File/Export",
            context="gradients"),
    Command("export_jacobian", "Export Jacobian plot…", (), lambda w, _: export.export_dialog(w, "jacobian"),
            "Save the Jacobian-product plot: PNG, SVG, CSV data or GIF", "File/Export", context="jacobian"),
    Command("export_eigenvalues", "Export eigenvalue plot…", (), lambda w, _: export.export_dialog(w, "eigenvalues"),
            "Save the eigenvalues of W_hh: PNG, SVG, CSV data or GIF", "File/Export", context="eigenvalues"),
    Command("export_hidden", "Export states heatmap…", (), lambda w, _: export.export_dialog(w, "hidden"),
            "Save the heatmap on show (hidden state, cell state, a gate or ∂L/∂h): PNG, SVG, CSV or GIF",
            "File/Export", context="hidden"),
    Command("export_gates", "Export all gates…", (), lambda w, _: export.export_dialog(w, "gates"),
            "Save every gate of the LSTM or GRU as heatmaps, one under the other", "File/Export", context="hidden"),
    Command("export_loss", "Export loss terms…", (), lambda w, _: export.export_dialog(w, "loss"),
            "Save the per-step loss terms L_t (their sum is the total error), or the training loss curve",
            "File/Export"),
    Command("export_unrolled", "Export unrolled diagram…", (), lambda w, _: export.export_dialog(w, "unrolled"),
            "Save the network unrolled through time: PNG, SVG, CSV of its numbers, or the animation as GIF",
            "File/Export", context="unrolled"),
    Command("export_animation", "Export forward + BPTT animation (GIF)…", (),
            lambda w, _: export.export_dialog(w, "unrolled", "gif"),
            "The unrolled diagram as a looping GIF for slides: one frame per step, forward then backward",
            "File/Export", context="unrolled"),
    Command("copy_gradients", "Copy gradient plot", (), lambda w, _: export.copy_figure(w, "gradients"),
            "Copy the gradient plot in large type, to paste into a slide", "Edit/Copy figure", context="gradients"),
    Command("copy_jacobian", "Copy Jacobian plot", (), lambda w, _: export.copy_figure(w, "jacobian"),
            "Copy the Jacobian-product plot, to paste into a slide", "Edit/Copy figure", context="jacobian"),
    Command("copy_eigenvalues", "Copy eigenvalue plot", (), lambda w, _: export.copy_figure(w, "eigenvalues"),
            "Copy the eigenvalue plot, to paste into a slide", "Edit/Copy figure", context="eigenvalues"),
    Command("copy_hidden", "Copy states heatmap", (), lambda w, _: export.copy_figure(w, "hidden"),
            "Copy the heatmap on show, to paste into a slide", "Edit/Copy figure", context="hidden"),
    Command("copy_unrolled", "Copy unrolled diagram", (), lambda w, _: export.copy_figure(w, "unrolled"),
            "Copy the unrolled diagram, to paste into a slide", "Edit/Copy figure", context="unrolled"),
    Command("save_screenshot", "Save screenshot…", ("Ctrl+Alt+S",), lambda w, _: w.save_screenshot_dialog(),
            "Save the window as a PNG image", "File"),
    Command("quit", "Quit", ("Ctrl+Q",), lambda w, _: w.close(), "Close Unrolled", "File"),
    Command("shortcuts", "Keyboard shortcuts", ("F1",), lambda w, _: w.show_shortcuts(),
            "Every key the window answers to", "Help"),
    Command("about", "About Unrolled", (), lambda w, _: w.show_about(), "", "Help"),
)  # fmt: skip

MENUS = ("File", "Edit", "Play", "Network", "Lesson", "View", "Help")
COMMAND_IDS = tuple(c.id for c in COMMANDS)


def command(command_id: str) -> Command:
    """The Command with this id."""
    for c in COMMANDS:
        if c.id == command_id:
            return c
    raise KeyError(command_id)


def create_actions(window: QWidget) -> dict[str, QAction]:
    """One QAction per command, owned by and added to the window (so shortcuts work in full screen)."""
    actions: dict[str, QAction] = {}
    groups: dict[str, QActionGroup] = {}
    for c in COMMANDS:
        action = QAction(c.text, window)
        action.setObjectName(f"action_{c.id}")
        if c.shortcuts:
            action.setShortcuts([QKeySequence(s) for s in c.shortcuts])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            keys = " or ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in c.shortcuts)
            action.setToolTip(f"{c.tip} ({keys})" if c.tip else c.text)
        elif c.tip:
            action.setToolTip(c.tip)
        action.setStatusTip(c.tip)
        if c.icon:
            action.setIcon(theme.current().media_icon(c.icon))
        action.setCheckable(c.checkable)
        if c.short:
            action.setIconText(c.short)
        if c.group:
            groups.setdefault(c.group, QActionGroup(window)).addAction(action)
        action.triggered.connect(lambda checked=False, c=c: c.callback(window, checked))
        window.addAction(action)
        actions[c.id] = action
    return actions


def shortcuts_html(actions: dict[str, QAction]) -> str:
    """A table of every command that has keys, by menu, with the keys as the actions hold them now."""
    import html

    rows, last = [], None
    for c in COMMANDS:
        action = actions.get(c.id)
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()] if action else []
        keys = [k for k in keys if k]
        if not keys:
            continue
        menu = c.menu.split("/")[0] or "Window"
        if menu != last:
            rows.append(f"<tr><td colspan='2'><b>{html.escape(menu)}</b></td></tr>")
            last = menu
        text = html.escape(c.text.replace("&", ""))
        rows.append(
            f"<tr><td style='padding-right:16px'>{' or '.join(map(html.escape, keys))}</td><td>{text}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"
