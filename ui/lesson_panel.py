"""The guided lessons: a page of an interactive textbook beside the simulator.

With no lesson open the panel lists every lesson in order. Opening one puts the Session in the
lesson's preset and shows its text, in which every number is measured on the CURRENT trace
(simulator/lessons.py render_text): when the student moves Wrec, the quoted ratio changes with
it. Below the text, 2-4 "try this" steps each have a button that applies the step's change
through the Session (so Undo takes it back) and then say what to look at, measured again. The
latest step's card follows the current trace like the text; an earlier card keeps quoting the
configuration and trace its step was taken with (step 1's "clipping off" norm stays, whatever
step 2 does next).

Position: 0 is the lesson's preset, k means k steps have been taken. next_step() takes the next
step (the presenter's Page Down), previous_step() goes back to the configuration the previous
position had; past the last step Page Down opens the next lesson.

A lesson whose training task has class targets (lesson 10's character model: one-hot characters
in, a score per character out, cross-entropy) shows that task on screen: the configuration's own
sequence (standard-normal inputs, MSE) cannot stand for it, so while the configuration has the
task's sizes the panel runs the network on the task's first held-out sequence, the one the
Training lab shows while it trains (Session.set_network with that data).

The panel only talks to the Session. The window listens to `lesson_changed` (which controls to
show, the Training lab's task) and `view_requested` (fold, focus, play) and does the rest.
"""

from __future__ import annotations

import functools
import html
import json
import re
import threading

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QGuiApplication, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionComboBox,
    QStyleOptionViewItem,
    QStylePainter,
    QVBoxLayout,
    QWidget,
)

from simulator.config import Config, run
from simulator.lessons import Lesson, Step, list_lessons, render_text
from simulator.result import Result
from simulator.tasks import Task, make_task

from . import theme as theme_mod
from .plots import applying_preset
from .session import Session
from .soon import soon
from .training_worker import probe_of

QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum size"
LEAVE_TIP = "Close the lesson; every control comes back"
RENDER_INTERVAL_MS = 60  # a slider storm re-renders the text at most this often (first change at once)
_PLACEHOLDER = re.compile(r"(\{\{\s*[A-Za-z_][A-Za-z0-9_.]*\s*\}\})")
_LIVE = re.compile(r"Live\s*(?:\(([^)]*)\))?\s*:\s*")  # the paragraph that quotes the measurements
_OPEN, _CLOSE = "\x01", "\x02"  # marks around a measured value, turned into HTML after escaping
# a measured value that is a sentence ("the largest gradient entry is 0.136 for the readout ..."): in the
# measured colour but normal weight (in bold the whole paragraph was one block); a number or verdict bold
_WORDS = re.compile(r"[A-Za-z]{3,}")
# W_hh, h_{t+1}, σ_max: a single symbol, an underscore, a short subscript (not snake_case words). A
# superscript or modifier letter may follow it (h_{t−1}ᵀ, W_hh², h_t′): Python counts ᵀ and ² as word
# characters, so the end is "no word character other than those", not just "no word character".
_MODIFIERS = "\u00b2\u00b3\u00b9\u02b0-\u02ff\u1d2c-\u1dbf\u2070-\u209f"
_SUBSCRIPT = re.compile(r"(?<![\w])([A-Za-zα-ωΑ-Ω∂])_(\{[^{}]{1,12}\}|[A-Za-z0-9]{1,3})(?![^\W" + _MODIFIERS + "])")

# (γ·σ_max(W_hh))^(T−t), (factor)^k: a caret and a short exponent, in parentheses, braces or bare
_SUPERSCRIPT = re.compile(r"\^(?:\(([^()]{1,12})\)|\{([^{}]{1,12})\}|([A-Za-z0-9]{1,3})(?![\w]))")


def _subscripts(text: str) -> str:
    """Plain-text indices as HTML: h_{t−1} and W_hh as subscripts, x^(T−t) and x^k as superscripts."""
    text = _SUBSCRIPT.sub(lambda m: f"{m.group(1)}<sub>{m.group(2).strip('{}')}</sub>", text)
    return _SUPERSCRIPT.sub(lambda m: f"<sup>{m.group(1) or m.group(2) or m.group(3)}</sup>", text)


@functools.lru_cache(maxsize=4)
def _lesson_task(spec_json: str, seed: int) -> Task:
    """A lesson's training task, as its training claims make it (simulator/lessons.py)."""
    spec = json.loads(spec_json)
    return make_task(spec["task"], spec.get("seq_len"), seed, **spec.get("task_args", {}))


def task_data(lesson: Lesson | None, config: Config) -> tuple | None:
    """(x, targets, loss) the main view runs this configuration on in this lesson, or None: its own sequence.

    A lesson whose training task has class targets (cross-entropy: the character model) is shown
    on the task's first held-out sequence (one-hot characters, the next character as the target)
    whenever the configuration has the task's sizes; any other lesson keeps the configuration's own.
    """
    spec = lesson.training if lesson is not None else None
    if not spec:
        return None
    try:
        task = _lesson_task(json.dumps(spec, sort_keys=True), config.seed)
    except ValueError:
        return None
    shape = (config.inputs, config.outputs, config.steps, config.topology)
    if task.loss != "cross_entropy" or shape != (task.inputs, task.outputs, task.seq_len, task.topology):
        return None
    return probe_of(task)


def run_in_lesson(lesson: Lesson | None, config: Config) -> Result:
    """The trace the lesson shows for a configuration (on the task's sequence if it has one, see task_data)."""
    data = task_data(lesson, config)
    return run(config) if data is None else run(config, data=data)


class _Relay(QObject):
    """Carries a finished background measurement back to the GUI thread (a queued signal)."""

    done = Signal(object)


class _ListDelegate(QStyledItemDelegate):
    """A row of the lesson list: in the list's own font (a combo box's list otherwise takes the box's,
    the title type while presenting), wrapped only where a name is wider than the screen can show."""

    def initStyleOption(self, option: QStyleOptionViewItem, index) -> None:
        super().initStyleOption(option, index)
        option.font = self.parent().font()
        option.fontMetrics = QFontMetrics(option.font)

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        view = self.parent()
        opt = QStyleOptionViewItem(option)
        screen = view.screen() or QGuiApplication.primaryScreen()
        widest = screen.availableGeometry().width() if screen is not None else 1920
        scrollbar = view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        opt.rect = QRect(0, 0, max(100, widest - scrollbar - 4 * view.fontMetrics().averageCharWidth()), 100_000)
        opt.features |= QStyleOptionViewItem.ViewItemFeature.WrapText
        return super().sizeHint(opt, index)


class LessonBox(QComboBox):
    """The lesson picker. Presenting, it shows the open lesson's whole name, over as many lines as the
    panel's width needs (at presentation type a name is wider than the panel); otherwise one line,
    elided with "…" (the title below it says the whole name). Its tooltip and its list give every
    full name, the list as wide as the longest one."""

    _WRAP = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # the panel's width decides, not the longest name (which would widen the dock past the plots)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(10)
        policy = self.sizePolicy()
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        view = self.view()
        view.setTextElideMode(Qt.TextElideMode.ElideNone)  # the list: full names
        view.setWordWrap(True)  # ... over two lines only if a name is wider than the screen
        self.setItemDelegate(_ListDelegate(view))
        self.wrap = False  # True: the whole name over several lines; False: one line, elided with "…"
        self.smallest_point_size = 0.0  # wrapping, a word wider than the box shrinks the type down to this
        self.currentIndexChanged.connect(self._on_current_changed)

    def set_wrap(self, on: bool, smallest_point_size: float = 0.0) -> None:
        """Show the whole name over as many lines as it needs (presenting) or one line with "…".

        Wrapping, a word too long for the box's width (Backpropagation, in a narrow panel) takes
        smaller type, down to smallest_point_size, rather than being cut.
        """
        self.wrap = bool(on)
        self.smallest_point_size = float(smallest_point_size)
        self.updateGeometry()
        self.update()

    def _on_current_changed(self, index: int) -> None:
        name = self.itemText(index) if index >= 0 else ""
        self.setToolTip(f"{name}\n(every lesson, in order)" if name else "Every lesson, in order")
        self.updateGeometry()  # a longer name may need another line
        self.update()

    def _field(self, width: int, height: int | None = None) -> QRect:
        """Where the name goes in a box this size (the style's edit field, as its own label uses it)."""
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        opt.rect = QRect(0, 0, width, super().sizeHint().height() if height is None else height)
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, self
        )
        return field.adjusted(1, 0, -1, 0)

    MAX_LINES = 3  # wrapping, a longer name takes smaller type (lesson 11's took five lines at 1280x720)

    def name_font(self, field_width: int | None = None) -> QFont:
        """The font the name is drawn in: the box's, or smaller until the name's longest word fits
        the field and the name takes at most MAX_LINES lines (wrapping only)."""
        if field_width is None:
            field_width = self._field(self.width(), self.height()).width()
        font = QFont(self.font())
        name = self.currentText()
        words = name.split()
        if not self.wrap or not words or font.pointSizeF() <= 0:
            return font
        box = QRect(0, 0, max(1, field_width), 100_000)
        while True:
            fm = QFontMetrics(font)
            wide = max(fm.horizontalAdvance(w) for w in words) > field_width
            long = round(fm.boundingRect(box, self._WRAP, name).height() / max(1, fm.lineSpacing())) > self.MAX_LINES
            smaller = font.pointSizeF() * 0.95  # never under the body size (a title smaller than its text)
            if not (wide or long) or smaller < self.smallest_point_size:
                break
            font.setPointSizeF(smaller)
        return font

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        """One line's height, plus a line for each line more the name wraps to at this width."""
        one_line = super().sizeHint().height()
        if not self.wrap:
            return one_line
        field = self._field(width)
        fm = QFontMetrics(self.name_font(field.width()))
        text = fm.boundingRect(QRect(0, 0, max(1, field.width()), 100_000), self._WRAP, self.currentText())
        more = text.height() - fm.height()
        return one_line + (more + fm.height() // 3 if more > 0 else 0)  # a little air above and below the lines

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width(), self.heightForWidth(self.width() if self.width() > 0 else hint.width()))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()  # the number of lines follows the width

    def paintEvent(self, _event) -> None:
        """The style's box and arrow, then the name word-wrapped in its field."""
        painter = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        name, opt.currentText = opt.currentText, ""
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        group = QPalette.ColorGroup.Active if self.isEnabled() else QPalette.ColorGroup.Disabled
        painter.setPen(self.palette().color(group, QPalette.ColorRole.ButtonText))
        field = self._field(self.width(), self.height())
        painter.setFont(self.name_font(field.width()))
        if not self.wrap:  # the title below says the whole name; the tooltip and the list do too
            name = self.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, field.width())
        painter.drawText(field, self._WRAP if self.wrap else self._WRAP & ~Qt.TextFlag.TextWordWrap, name)

    def showPopup(self) -> None:
        """The list as wide as its longest name (wider than the box if need be), kept on the screen."""
        super().showPopup()
        view = self.view()
        popup = view.window()
        fm = view.fontMetrics()
        widest = max((fm.horizontalAdvance(self.itemText(i)) for i in range(self.count())), default=0)
        scrollbar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        chrome = popup.width() - view.viewport().width() + 2 * fm.averageCharWidth() + scrollbar
        screen = (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()
        width = min(max(widest + chrome, self.width()), screen.width())
        if width != popup.width():
            left = self.mapToGlobal(QPoint(0, 0)).x()  # under the box; leftwards where the screen ends
            x = max(screen.left(), min(left, screen.right() + 1 - width))
            popup.setGeometry(x, popup.y(), width, popup.height())
            view.doItemsLayout()


class LessonFooter(QWidget):
    """◀ Back, where the lesson is, Next ▶: one row under the lesson, as wide as the panel.

    The progress and the Next button each have forms from long to short ("4 steps to try",
    "4 steps", "0/4"; "Next lesson ▶", "Next ▶"). The row says the longest that fit its width,
    the buttons keeping theirs before the progress does; never a word cut off. A shortened
    progress says its whole text in its tooltip (the Next button's tooltip always says what it does).
    """

    SPARE = 4  # px beside a label's text, so a glyph's overhang is not clipped

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lesson_footer")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.back_button = QPushButton("◀ Back")
        self.progress = QLabel()
        self.progress.setObjectName("lesson_progress")
        self.progress.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.progress.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # the row decides
        self.next_button = QPushButton("Next ▶")
        row.addWidget(self.back_button)
        row.addWidget(self.progress, 1)
        row.addWidget(self.next_button)
        self.progress_forms: tuple[str, ...] = ("",)
        self.next_forms: tuple[str, ...] = ("Next ▶",)

    @property
    def progress_text(self) -> str:
        """The whole progress text (the label may show a shorter form of it)."""
        return self.progress_forms[0]

    def set_progress(self, *forms: str) -> None:
        """The progress, longest form first; the row shows the longest that fits."""
        self.progress_forms = tuple(forms) or ("",)
        self.updateGeometry()
        self._fit()

    def set_next(self, *forms: str) -> None:
        """The Next button's text, longest form first."""
        self.next_forms = tuple(forms) or ("Next ▶",)
        self.updateGeometry()
        self._fit()

    def _button_width(self, button: QPushButton, text: str) -> int:
        """The width a push button wants for this text (as QPushButton.sizeHint computes it)."""
        opt = QStyleOptionButton()
        button.initStyleOption(opt)
        opt.text = text
        size = button.fontMetrics().size(Qt.TextFlag.TextShowMnemonic, text)
        hint = button.style().sizeFromContents(QStyle.ContentsType.CT_PushButton, opt, size, button)
        return max(hint.width(), button.minimumWidth())

    def _label_width(self, text: str) -> int:
        return self.progress.fontMetrics().horizontalAdvance(text) + self.SPARE if text else 0

    def _row_width(self, next_text: str, progress: str) -> int:
        spacing = max(0, self.layout().spacing())
        back = self._button_width(self.back_button, self.back_button.text())
        return back + self._button_width(self.next_button, next_text) + self._label_width(progress) + 2 * spacing

    def choose(self, width: int) -> tuple[str, str]:
        """(Next button text, progress text) for a row this wide: the buttons' long forms first."""
        for next_text in self.next_forms:
            for progress in self.progress_forms:
                if self._row_width(next_text, progress) <= width:
                    return next_text, progress
        return self.next_forms[-1], self.progress_forms[-1]

    def _fit(self) -> None:
        next_text, progress = self.choose(self.width())
        if self.next_button.text() != next_text:
            self.next_button.setText(next_text)
        if self.progress.text() != progress:
            self.progress.setText(progress)
        self.progress.setToolTip(self.progress_text if progress != self.progress_text else "")

    def sizeHint(self) -> QSize:
        return QSize(self._row_width(self.next_forms[0], self.progress_forms[0]), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self._row_width(self.next_forms[-1], self.progress_forms[-1]), super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.updateGeometry()
            self._fit()


class StepCard(QFrame):
    """One 'try this' step: its number, the instruction, a button, and what to observe once taken."""

    def __init__(self, index: int, step: Step, parent: QWidget | None = None):
        super().__init__(parent)
        self.index, self.step = index, step
        self.setObjectName("step_card")
        grid = QVBoxLayout(self)
        grid.setContentsMargins(10, 8, 10, 8)
        grid.setSpacing(6)
        top = QHBoxLayout()
        top.setSpacing(10)
        self.number = QLabel(str(index + 1))
        self.number.setObjectName("step_number")
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        top.addWidget(self.number, 0, Qt.AlignmentFlag.AlignTop)
        self.instruction = QLabel()
        self.instruction.setWordWrap(True)
        self.instruction.setTextFormat(Qt.TextFormat.RichText)
        self.instruction.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        top.addWidget(self.instruction, 1)
        grid.addLayout(top)
        row = QHBoxLayout()
        row.addStretch(1)
        self.button = QPushButton()
        self.button.setObjectName(f"step_button_{index + 1}")
        self.button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        row.addWidget(self.button)
        grid.addLayout(row)
        self.observe = QLabel()
        self.observe.setObjectName("step_observe")
        self.observe.setWordWrap(True)
        self.observe.setTextFormat(Qt.TextFormat.RichText)
        self.observe.hide()
        grid.addWidget(self.observe)
        changes = ", ".join(f"{k} = {v}" for k, v in step.set.items())
        if changes:
            self.button.setToolTip(f"Sets {changes} (Undo takes it back)")

    def set_state(self, taken: bool, current: bool) -> None:
        """Taken steps show what to observe; the current one (Page Down's next) is highlighted."""
        if self.step.set:
            self.button.setText("Again" if taken else "Try it")
        else:
            self.button.setText("Done ✓" if taken else ("Show me" if self.step.view else "Done"))
        self.setProperty("current", current)
        self.setProperty("taken", taken)
        self.style().unpolish(self)
        self.style().polish(self)


class LessonPanel(QWidget):
    """Pick a lesson, read it with live measured numbers, take its 'try this' steps."""

    lesson_changed = Signal(object)  # the Lesson opened, or None when it was left
    step_changed = Signal(int)  # the position: steps taken, 0 .. len(steps)
    view_requested = Signal(dict)  # view options of the lesson or a step (fold, focus, play)

    train_in_background = True  # training claims (lessons 10, 11) measure in a worker thread

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("lesson_panel")
        self.lesson: Lesson | None = None
        self.position = 0
        self._configs: dict[int, Config] = {}  # the configuration each position had
        # each taken step's own configuration and trace, as they were when it was taken: once a
        # later step is taken, its card keeps quoting these (the latest taken card stays live)
        self._taken: dict[int, tuple[Config, Result]] = {}
        self._frozen_html: dict[int, str] = {}  # a frozen card's text, once every number in it is there
        self._presenting = False
        self._pending = False
        self._relays: list[_Relay] = []
        self._worker: threading.Thread | None = None
        self.error = ""
        self._missing: set[str] = set()  # why some claims could not be measured in the last render
        try:
            self.lessons: list[Lesson] = list_lessons()
        except ValueError as exc:  # a broken lesson file: say so, keep the simulator usable
            self.lessons, self.error = [], str(exc)

        self.render_timer = QTimer(self)
        self.render_timer.setSingleShot(True)
        self.render_timer.setInterval(RENDER_INTERVAL_MS)
        self.render_timer.timeout.connect(self._on_render_timer)
        # after a change of the configuration from elsewhere (a control, Undo), once the Session has
        # published its trace: the task's sequence again (see show_task_data)
        self.task_timer = QTimer(self)
        self.task_timer.setSingleShot(True)
        self.task_timer.setInterval(0)
        self.task_timer.timeout.connect(self.show_task_data)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack)
        self.stack.addWidget(self._build_contents())
        self.stack.addWidget(self._build_lesson_page())

        session.trace_measured.connect(self._on_trace_changed)  # its claims quote the verdict and the norms
        session.config_changed.connect(self._on_config_changed)
        theme_mod.current().changed.connect(self._on_theme_changed)
        self._on_theme_changed()

    def sizeHint(self) -> QSize:
        """About 40 characters wide: the text wraps; the dock must not crowd the diagram and plots."""
        return QSize(round(theme_mod.current().point_size() * 34), 600)

    def minimumSizeHint(self) -> QSize:
        """Narrow enough for a small screen."""
        return QSize(round(theme_mod.current().point_size() * 20), 200)

    # ---- building ---------------------------------------------------------------------
    def _build_contents(self) -> QWidget:
        page = QScrollArea()
        page.setObjectName("lesson_contents")
        page.setWidgetResizable(True)
        page.setFrameShape(QFrame.Shape.NoFrame)
        page.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        v = QVBoxLayout(body)
        v.setContentsMargins(12, 10, 12, 10)
        v.setSpacing(4)
        self.contents_title = QLabel("Lessons")
        v.addWidget(self.contents_title)
        intro = QLabel(
            "Guided tours, in order. Each one sets up the network, shows only the controls it needs, "
            "and quotes numbers measured live on the network you see. Page Down takes the next step."
        )
        intro.setWordWrap(True)
        self.contents_intro = intro
        v.addWidget(intro)
        v.addSpacing(6)
        self.contents_links: list[QLabel] = []  # titles as links: they wrap in a narrow panel, buttons do not
        self.contents_summaries: list[QLabel] = []
        for lesson in self.lessons:
            link = QLabel()
            link.setObjectName(f"open_{lesson.id}")
            link.setWordWrap(True)
            link.setTextFormat(Qt.TextFormat.RichText)
            link.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
            link.setCursor(Qt.CursorShape.PointingHandCursor)
            link.setToolTip(f"Open lesson {lesson.number}")
            link.linkActivated.connect(self.open_lesson)
            link.setContentsMargins(0, 6, 0, 0)
            summary = QLabel(_subscripts(html.escape(lesson.summary, quote=False)))
            summary.setTextFormat(Qt.TextFormat.RichText)
            summary.setWordWrap(True)
            summary.setContentsMargins(22, 0, 0, 4)
            v.addWidget(link)
            v.addWidget(summary)
            self.contents_links.append(link)
            self.contents_summaries.append(summary)
        if self.error:
            broken = QLabel(f"The lessons could not be loaded: {self.error}")
            broken.setWordWrap(True)
            v.addWidget(broken)
        v.addStretch(1)
        page.setWidget(body)
        return page

    def _build_lesson_page(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        v.setContentsMargins(8, 6, 8, 6)
        v.setSpacing(6)
        head = QHBoxLayout()
        self.lesson_box = LessonBox()
        self.lesson_box.setObjectName("lesson_box")
        for lesson in self.lessons:
            self.lesson_box.addItem(f"{lesson.number}. {lesson.title}", lesson.id)
        self.lesson_box.activated.connect(lambda i: self.open_lesson(self.lesson_box.itemData(i)))
        head.addWidget(self.lesson_box, 1)
        self.leave_button = QPushButton("Leave lesson")
        self.leave_button.setObjectName("leave_lesson")
        self.leave_button.setToolTip(LEAVE_TIP)
        self.leave_button.clicked.connect(self.leave)
        head.addWidget(self.leave_button, 0, Qt.AlignmentFlag.AlignTop)
        v.addLayout(head)

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        body.setObjectName("lesson_body")
        b = QVBoxLayout(body)
        b.setContentsMargins(4, 4, 10, 4)
        b.setSpacing(10)
        self.title = QLabel()
        self.title.setObjectName("lesson_title")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)  # the text is escaped HTML
        b.addWidget(self.title)
        self.summary = QLabel()
        self.summary.setObjectName("lesson_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        b.addWidget(self.summary)
        self.text = QLabel()
        self.text.setObjectName("lesson_text")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        b.addWidget(self.text)
        self.live = QLabel()
        self.live.setObjectName("lesson_live")
        self.live.setWordWrap(True)
        self.live.setTextFormat(Qt.TextFormat.RichText)
        self.live.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        b.addWidget(self.live)
        self.note = QLabel()  # why some numbers are not there yet (a training run), said once
        self.note.setObjectName("lesson_note")
        self.note.setTextFormat(Qt.TextFormat.RichText)
        self.note.setWordWrap(True)
        self.note.hide()
        b.addWidget(self.note)
        self.try_title = QLabel("Try this")
        self.try_title.setObjectName("try_title")
        b.addWidget(self.try_title)
        self.steps_box = QVBoxLayout()
        self.steps_box.setSpacing(8)
        b.addLayout(self.steps_box)
        self.references = QLabel()
        self.references.setObjectName("lesson_references")
        self.references.setWordWrap(True)
        self.references.setTextFormat(Qt.TextFormat.RichText)
        self.references.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        b.addWidget(self.references)
        b.addStretch(1)
        self.scroll.setWidget(body)
        v.addWidget(self.scroll, 1)

        self.footer = LessonFooter()
        self.back_button, self.progress, self.next_button = (
            self.footer.back_button,
            self.footer.progress,
            self.footer.next_button,
        )
        self.back_button.setObjectName("previous_step")
        self.back_button.setToolTip("The previous step (Page Up)")
        self.back_button.clicked.connect(self.previous_step)
        self.next_button.setObjectName("next_step")
        self.next_button.setToolTip("Take the next step; after the last, the next lesson (Page Down)")
        self.next_button.clicked.connect(self.next_step)
        v.addWidget(self.footer)
        self.cards: list[StepCard] = []
        for w in (self.leave_button, self.back_button, self.next_button, self.lesson_box):
            w.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # Page Up/Down stay with the window
        return page

    def add_to_menu(self, menu: QMenu) -> None:
        """List every lesson at the top of a menu (the window's Lesson menu)."""
        first = menu.actions()[0] if menu.actions() else None
        for lesson in self.lessons:
            action = menu.addAction(f"{lesson.number}. {lesson.title}")
            action.setObjectName(f"action_lesson_{lesson.id}")
            action.setStatusTip(lesson.summary)
            action.triggered.connect(lambda _=False, lid=lesson.id: self.open_lesson(lid))
            if first is not None:
                menu.insertAction(first, action)
        if first is not None and self.lessons:
            menu.insertSeparator(first)

    # ---- opening, leaving, stepping -----------------------------------------------------
    def lesson_by_id(self, lesson_id: str) -> Lesson:
        """A loaded lesson by id; ValueError naming the ones there are."""
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        raise ValueError(f"unknown lesson {lesson_id!r}; lessons: {', '.join(le.id for le in self.lessons)}")

    def open_lesson(self, lesson: Lesson | str, position: int = 0, preset: bool = True, view: bool = True) -> None:
        """Open a lesson at a position; with preset=True put the Session in the configuration of that position.

        preset=False keeps the Session's configuration and view=False the view (a scenario file brings its own).
        """
        if isinstance(lesson, str):
            lesson = self.lesson_by_id(lesson)
        position = max(0, min(int(position), len(lesson.steps)))
        self.lesson, self.position, self._configs = lesson, position, {}
        self._forget_taken(0)
        self._build_cards()
        if preset:
            with applying_preset(self.session):  # not the user's change: no "before" curve from the last screen
                self._set_config(self._config_at(position))
        else:
            with applying_preset(self.session):
                self.show_task_data()  # the configuration given, on the lesson's task if it has one
        self._configs[position] = self.session.config
        index = self.lesson_box.findData(lesson.id)
        self.lesson_box.setCurrentIndex(index)
        self.stack.setCurrentIndex(1)
        self.scroll.verticalScrollBar().setValue(0)
        self._render_now()
        self.lesson_changed.emit(lesson)
        self.step_changed.emit(position)
        options = dict(lesson.view)
        for step in lesson.steps[:position]:
            options.update(step.view)
        if options and view:
            self.view_requested.emit(options)

    def leave(self) -> None:
        """Close the lesson (the configuration stays); back to the list of lessons."""
        if self.lesson is None:
            return
        self.lesson, self.position, self._configs = None, 0, {}
        self._forget_taken(0)
        self._build_cards()
        self.stack.setCurrentIndex(0)
        self.lesson_changed.emit(None)
        self.step_changed.emit(0)

    def apply_step(self, index: int) -> bool:
        """Take step `index` (0-based): apply its change to the current configuration; False if refused."""
        if self.lesson is None or not 0 <= index < len(self.lesson.steps):
            return False
        step = self.lesson.steps[index]
        self._configs.setdefault(index, self.session.config)
        try:
            config = step.apply(self.session.config)
        except ValueError as exc:
            self._show_refusal(str(exc))
            return False
        if not self._set_config(config):
            return False
        self.position = index + 1
        self._configs[self.position] = self.session.config
        self._forget_taken(index)  # a step taken again: it and the steps after it are measured anew
        self._taken[index] = (self.session.config, self.session.trace)
        self._update_cards()
        self._render_now()
        self.step_changed.emit(self.position)
        if step.view:
            self.view_requested.emit(dict(step.view))
        soon(self._scroll_to_current)
        return True

    def next_step(self) -> bool:
        """Page Down: take the next step; after the last one open the next lesson. False at the very end."""
        if self.lesson is None:
            return False
        if self.position < len(self.lesson.steps):
            return self.apply_step(self.position)
        i = self.lessons.index(self.lesson)
        if i + 1 < len(self.lessons):
            self.open_lesson(self.lessons[i + 1])
            return True
        return False

    def previous_step(self) -> bool:
        """Page Up: back to the previous position's configuration; before the first step, the previous lesson's end."""
        if self.lesson is None:
            return False
        if self.position > 0:
            target = self.position - 1
            if not self._set_config(self._config_at(target)):
                return False
            self._move_back_to(target)
            return True
        i = self.lessons.index(self.lesson)
        if i > 0:
            previous = self.lessons[i - 1]
            self.open_lesson(previous, len(previous.steps))
            return True
        return False

    def _config_at(self, position: int) -> Config:
        """The configuration a position had, or else the preset with the steps up to it applied in turn."""
        if position in self._configs:
            return self._configs[position]
        config = self.lesson.config
        for step in self.lesson.steps[:position]:
            config = step.apply(config)
        return config

    def _forget_taken(self, first: int) -> None:
        """Forget what steps `first` and later were measured on (they are no longer taken, or taken anew)."""
        for index in [i for i in self._taken if i >= first]:
            del self._taken[index]
        for index in [i for i in self._frozen_html if i >= first]:
            del self._frozen_html[index]

    def _taken_at(self, index: int) -> tuple[Config, Result]:
        """The configuration and trace step `index` was taken with (a lesson opened at a later position
        never took it here: its configuration from the preset, run now, once)."""
        if index not in self._taken:
            config = self._config_at(index + 1)
            self._taken[index] = (config, run_in_lesson(self.lesson, config))
        return self._taken[index]

    def _is_frozen(self, index: int) -> bool:
        """A taken step with a later step taken after it: its card quotes the numbers of its own network."""
        return index < self.position - 1

    def _set_config(self, config: Config) -> bool:
        self._setting = True  # the panel's own change: its position is set by the caller
        try:
            self.session.set_config(config)
        except ValueError as exc:
            self._show_refusal(str(exc))
            return False
        finally:
            self._setting = False
        self.show_task_data()
        return True

    def _follow_undo(self, config: Config) -> None:
        """A change from outside the panel that brings back the configuration of the position before or
        after this one (Edit > Undo or Redo of a step) moves the lesson there: after an Undo of the
        tanh step, card 1 still said tanh over the sigmoid's numbers."""
        if self.lesson is None or getattr(self, "_setting", False):
            return
        for target in (self.position - 1, self.position + 1):
            if 0 <= target <= len(self.lesson.steps) and self._configs.get(target) == config:
                if target < self.position:
                    self._move_back_to(target)
                else:
                    self._move_to(target)
                return

    def _move_back_to(self, target: int) -> None:
        """Back to an earlier position, whose configuration the Session has: its later steps measured anew."""
        self._forget_taken(target)
        self._move_to(target)

    def _move_to(self, target: int) -> None:
        """The lesson at this position (the Session has its configuration already): cards, text, signal."""
        self.position = target
        self._update_cards()
        self._render_now()
        self.step_changed.emit(target)
        soon(self._scroll_to_current)

    def show_task_data(self) -> None:
        """Run the Session's network on the lesson's task sequence, if the lesson has one (see task_data).

        Not over weights of their own (a training run's, a file's): those come with their sequence.
        """
        s = self.session
        data = task_data(self.lesson, s.config) if s.network is None else None
        if data is None:
            return
        trace = s.trace
        if trace.loss_name == data[2] and np.array_equal(trace.x, data[0]):
            return  # already shown
        try:
            s.set_network(None, data)
        except ValueError as exc:
            self._show_refusal(str(exc))

    def _on_config_changed(self, config) -> None:
        self._follow_undo(config)
        if self.lesson is not None and self.lesson.training:
            self.task_timer.start()  # the Session publishes its own trace first

    def _show_refusal(self, message: str) -> None:
        self.footer.set_progress(f"Refused: {message}", "Refused")  # the tooltip says why

    # ---- the step cards ----------------------------------------------------------------------
    def _build_cards(self) -> None:
        for card in self.cards:
            self.steps_box.removeWidget(card)
            card.hide()  # gone now, not when the event loop gets to the deletion
            card.setParent(None)
            card.deleteLater()
        self.cards = []
        if self.lesson is None:
            return
        for i, step in enumerate(self.lesson.steps):
            card = StepCard(i, step)
            card.button.clicked.connect(lambda _=False, i=i: self.apply_step(i))
            self.steps_box.addWidget(card)
            self.cards.append(card)
        self._style_cards()
        self._update_cards()

    def _update_cards(self) -> None:
        n = len(self.cards)
        for card in self.cards:
            card.set_state(taken=card.index < self.position, current=card.index == self.position)
            # presenting: only the step just taken (with what to see) and the next one
            card.setVisible(not self._presenting or self.position - 1 <= card.index <= self.position)
        if self.lesson is None:
            return
        k = self.position
        if k == 0:  # long to short: the footer says the longest its width allows, the whole in a tooltip
            self.footer.set_progress(f"{n} steps to try", f"{n} steps", f"0/{n}")
        elif k < n:
            self.footer.set_progress(f"step {k} of {n}", f"{k} of {n}", f"{k}/{n}")
        else:
            self.footer.set_progress(f"all {n} steps taken", f"all {n} taken", f"{n}/{n} ✓")
        self.back_button.setEnabled(k > 0 or self.lessons.index(self.lesson) > 0)
        self.footer.set_next(*(("Next lesson ▶", "Next ▶") if k >= n else ("Next ▶",)))

    def _scroll_to_current(self) -> None:
        """Show the step to take next (presenting: the page from the top, it holds only what matters now)."""
        if not self.cards:
            return
        if self._presenting:  # from the top, as far down as the next step needs
            self.scroll.verticalScrollBar().setValue(0)
        card = self.cards[min(self.position, len(self.cards) - 1)]
        self.scroll.ensureWidgetVisible(card, 0, 20)
        if self._presenting:
            self._snap_to_a_top()

    def _snap_to_a_top(self) -> None:
        """Presenting, the page scrolled down: it starts at the top of a line (of a card's text, its
        button, what to see), never halfway through one (at 1280x720 the card just taken showed the
        lower half of its first line): up to one, if the step to take next still shows whole, else
        down to one."""
        bar = self.scroll.verticalScrollBar()
        value = bar.value()
        if value <= 0:
            return
        contents = self.scroll.widget()
        tops = set()
        for card in self.cards:
            if not card.isVisible():
                continue
            for part in (card, *card.findChildren(QWidget)):
                if not part.isVisible():
                    continue
                y = part.mapTo(contents, QPoint(0, 0)).y()
                tops.add(y)
                if isinstance(part, QLabel) and part.wordWrap():
                    doc = QTextDocument()
                    doc.setDocumentMargin(0)
                    doc.setDefaultFont(part.font())
                    doc.setHtml(part.text())
                    doc.setTextWidth(part.contentsRect().width())
                    y += part.contentsRect().top() + round((part.contentsRect().height() - doc.size().height()) / 2)
                    block = doc.begin()
                    while block.isValid():
                        layout = block.layout()
                        for i in range(layout.lineCount()):
                            tops.add(y + round(layout.position().y() + layout.lineAt(i).y()))
                        block = block.next()
        card = self.cards[min(self.position, len(self.cards) - 1)]
        bottom = card.mapTo(contents, QPoint(0, card.height())).y()
        least = bottom - self.scroll.viewport().height()  # the next step still whole from here
        up = [y for y in tops if least <= y <= value]
        down = [y for y in tops if value <= y <= bar.maximum()]
        top = max(up) if up else (min(down) if down else None)
        if top is not None and top != value:
            bar.setValue(top)

    # ---- rendering the live text -----------------------------------------------------------
    def _on_trace_changed(self, _trace) -> None:
        if self.lesson is None:
            return
        if self.render_timer.isActive():  # a storm: render the latest trace when it calms down
            self._pending = True
        else:
            self._render_now()
            self.render_timer.start()

    def _on_render_timer(self) -> None:
        if self._pending:
            self._pending = False
            self._render_now()
            self.render_timer.start()

    def _render_now(self) -> None:
        if self.lesson is not None and self.lesson.needs_training and self.train_in_background:
            self._measure_in_background()
        self.render()

    def render(self) -> None:
        """Fill the lesson's text and its taken steps' observations from the Session's current trace."""
        lesson = self.lesson
        if lesson is None:
            return
        self._missing = set()
        self.title.setText(html.escape(lesson.title, quote=False))
        self.summary.setText(_subscripts(html.escape(lesson.summary, quote=False)))  # W_hh as in the text below
        paragraphs = lesson.text.split("\n\n")
        prose = [p for p in paragraphs if not p.startswith("Live")]
        live = [p for p in paragraphs if p.startswith("Live")]
        self.text.setText(self._html("\n\n".join(prose)) if prose else "")
        if live:  # "Live: ..." or "Live (after a training run): ..."
            heads = [_LIVE.match(p) for p in live]
            when = next((m.group(1) for m in heads if m and m.group(1)), "")
            body = "\n\n".join(p[m.end() :] if m else p for p, m in zip(live, heads))
            # "Live (on a model trained in the background ...)": the lesson says what it measures on
            head = "<b>Measured now</b> " + (html.escape(when, quote=False) if when else "on the network on screen")
            self.live.setText(f"<p>{head}:</p>{self._html(body)}")
        # presenting, once a step is taken its own observation replaces the introduction's numbers
        taken_observes = self.position > 0 and bool(self.lesson.steps[self.position - 1].observe)
        self.live.setVisible(bool(live) and not (self._presenting and taken_observes))
        for card in self.cards:
            card.instruction.setText(self._html(card.step.text, measured=False))
            taken = card.index < self.position and bool(card.step.observe)
            card.observe.setVisible(taken)
            if taken and self._is_frozen(card.index):
                card.observe.setText(self._frozen_observe(card.index))
            elif taken:  # the step just taken: live, like the text above
                card.observe.setText(self._html(card.step.observe, prefix="→ "))
        if self._missing:
            waiting = self.train_in_background and self._worker is not None and self._worker.is_alive()
            reasons = "; ".join(sorted(self._missing))
            note = "measuring: a small network is training in the background…" if waiting else reasons
            self.note.setText(f"… {note}")  # the reasons come from the escaped text already
        self.note.setVisible(bool(self._missing))
        refs = "<br>".join(html.escape(r, quote=False) for r in lesson.references)
        self.references.setText(f"<b>Sources</b><br>{refs}" if refs else "")
        self.references.setVisible(bool(refs) and not self._presenting)

    def _frozen_observe(self, index: int) -> str:
        """What to observe after an earlier step, measured on the configuration and trace it was taken with."""
        if index in self._frozen_html:
            return self._frozen_html[index]
        config, trace = self._taken_at(index)
        missing = set(self._missing)
        self._missing = set()
        text = self._html(self.lesson.steps[index].observe, prefix="→ ", trace=trace, config=config)
        if not self._missing:  # every number is there: it will not change any more
            self._frozen_html[index] = text
        self._missing |= missing
        return text

    def _html(
        self,
        template: str,
        measured: bool = True,
        prefix: str = "",
        trace: Result | None = None,
        config: Config | None = None,
    ) -> str:
        """A template rendered on the current trace (or the one given), as HTML with the measured values marked."""
        lesson = self.lesson
        marked = _PLACEHOLDER.sub(lambda m: f"{_OPEN}{m.group(1)}{_CLOSE}", template)
        s = self.session
        trace = s.trace if trace is None else trace
        config = s.config if config is None else config
        try:
            text = render_text(lesson, trace, config, text=marked, allow_training=False)
        except Exception as exc:  # a claim that fails must not take the lesson down with it
            text = f"{template}\n\n(could not measure: {type(exc).__name__}: {exc})"
        c = theme_mod.current().colours
        style = f"color:{c.backward}; font-weight:600;" if measured else "font-weight:600;"

        def value(match: re.Match) -> str:  # a measured value, or why there is none (muted: not a measurement)
            shown = match.group(1)
            if shown.startswith("n/a (") and "training run" in shown:  # said once, below, not at every number
                self._missing.add(shown[5:].rstrip(")"))
                return f"<span style='color:{c.muted};'>…</span>"
            if shown.startswith("n/a ("):
                return f"<span style='color:{c.muted};'>{shown}</span>"
            if measured and len(_WORDS.findall(shown)) >= 3:  # a sentence: normal weight (kept whole, unsplit)
                return f"<span style='color:{c.backward};'>{shown}</span>"
            return f"<span style='{style}'>{shown}</span>"

        out = _subscripts(html.escape(text, quote=False))
        out = re.sub(f"{_OPEN}(.*?){_CLOSE}", value, out, flags=re.DOTALL)
        paragraphs = [p.strip().replace("\n", "<br>") for p in out.split("\n\n") if p.strip()]
        if paragraphs and prefix:
            paragraphs[0] = html.escape(prefix, quote=False) + paragraphs[0]
        return "".join(f"<p>{p}</p>" for p in paragraphs)

    # ---- training claims, measured off the GUI thread ---------------------------------------
    def _measure_in_background(self) -> None:
        """Lessons 10-11 quote a short training run: train it in a worker, then render again."""
        lesson, config, trace = self.lesson, self.session.config, self.session.trace
        if self._worker is not None and self._worker.is_alive():
            return  # the running job ends with a render, which asks again if still needed
        relay = _Relay()
        relay.done.connect(self._on_measured)
        self._relays = [*self._relays[-3:], relay]  # the running job's relay stays referenced
        # the text and the live card on the network now; the earlier cards on the ones they were taken with
        jobs = [(lesson.text, trace, config)]
        for i, step in enumerate(lesson.steps):
            if step.observe and i < self.position:
                on_config, on_trace = self._taken_at(i) if self._is_frozen(i) else (config, trace)
                jobs.append((step.observe, on_trace, on_config))

        def work():
            for t, on_trace, on_config in jobs:
                try:
                    render_text(lesson, on_trace, on_config, text=t, allow_training=True)
                except Exception:
                    pass  # the claim says what is missing in its own text
            try:
                relay.done.emit((lesson.id, config))
            except RuntimeError:
                pass  # the panel is gone

        self._worker = threading.Thread(target=work, name="lesson-claims", daemon=True)
        self._worker.start()

    def _on_measured(self, key) -> None:
        if self.lesson is None:
            return
        self.render()  # finished runs are remembered: rendering now is instant
        if key != (self.lesson.id, self.session.config) and self.lesson.needs_training:
            self._measure_in_background()  # the configuration moved on while it trained

    def wait_for_background(self, timeout: float = 60.0) -> None:
        """Block until the background measurement finished (scripts and tests)."""
        if self._worker is not None:
            self._worker.join(timeout)

    # ---- presentation -------------------------------------------------------------------------
    def set_presenting(self, on: bool) -> None:
        """Presentation: the title, the live numbers and the steps; the long prose and sources fold away.

        The leave button shrinks to a cross so the lesson picker has the width for the lesson's name.
        """
        self._presenting = bool(on)
        self.text.setVisible(not on)
        self.summary.setVisible(not on)
        self.title.setVisible(not on)  # the picker above says the lesson's whole name, in the title's type
        self.leave_button.setText("✕" if on else "Leave lesson")
        self.leave_button.setToolTip(("Leave the lesson: " if on else "") + LEAVE_TIP)
        self._on_theme_changed()
        self._update_cards()
        self.render()

    @property
    def presenting(self) -> bool:
        """Whether the panel is in its presentation layout."""
        return self._presenting

    # ---- look -----------------------------------------------------------------------------------
    def _style_cards(self) -> None:
        t = theme_mod.current()
        c = t.colours
        for card in self.cards:
            card.setStyleSheet(
                f"#step_card {{ background: {c.background}; border: 1px solid {c.grid}; border-radius: 6px; }}"
                f"#step_card[current='true'] {{ border: 2px solid {c.backward}; }}"
                f"#step_number {{ background: {c.muted}; color: {c.background}; border-radius: 4px;"
                f" font-weight: bold; min-width: {round(t.point_size() * 2)}px; padding: 2px; }}"
                f"#step_card[current='true'] #step_number {{ background: {c.backward}; }}"
                f"#step_card[taken='true'] #step_number {{ background: {c.stable}; }}"
                f"#step_observe {{ color: {c.foreground}; }}"
            )

    def _on_theme_changed(self) -> None:
        t = theme_mod.current()
        c = t.colours
        big = 1.25 if self._presenting else 1.0
        # presenting, room below the last card for the page to scroll down to the next line's top
        # (see _snap_to_a_top): else at the page's end the card just taken showed half a line
        below = round(1.5 * QFontMetrics(t.font(big)).lineSpacing()) if self._presenting else 4
        self.scroll.widget().layout().setContentsMargins(4, 4, 10, below)
        self.title.setFont(t.font(1.45 if not self._presenting else 1.3, bold=True))
        # presenting, the picker is the lesson's title (the title label folds away); its list keeps body type
        self.lesson_box.setFont(t.font(1.3, bold=True) if self._presenting else t.font())
        self.lesson_box.set_wrap(self._presenting, t.point_size())  # never smaller than the body text
        self.lesson_box.view().setFont(t.font())
        self.leave_button.setMaximumWidth(round(t.point_size() * 3) if self._presenting else QWIDGETSIZE_MAX)
        self.contents_title.setFont(t.font(1.45, bold=True))
        self.try_title.setFont(t.font(1.15 * big, bold=True))
        self.summary.setStyleSheet(f"color: {c.muted}; font-style: italic;")
        for label in (self.contents_intro, *self.contents_summaries):
            label.setStyleSheet(f"color: {c.muted};")
        for link, lesson in zip(self.contents_links, self.lessons):
            link.setFont(t.font(1.1, bold=True))
            link.setText(
                f"<a href='{lesson.id}' style='color:{c.foreground}; text-decoration:none'>"
                f"<span style='color:{c.backward}'>{lesson.number}</span>&nbsp;&nbsp;"
                f"{html.escape(lesson.title, quote=False)}</a>"
            )
        self.references.setStyleSheet(f"color: {c.muted};")
        self.note.setStyleSheet(f"color: {c.muted}; font-style: italic;")
        self.references.setFont(t.font(0.85))
        self.progress.setStyleSheet(f"color: {c.muted};")
        self.live.setStyleSheet(
            f"#lesson_live {{ background: {c.background}; border-left: 4px solid {c.backward}; padding: 6px 10px; }}"
        )
        self._style_cards()
        self._frozen_html.clear()  # their colours are the old theme's
        if self.lesson is not None:
            self.render()
