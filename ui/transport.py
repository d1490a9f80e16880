"""The transport toolbar's two per-frame widgets: the playhead slider and the playhead in words.

Both change on every animation frame, so both paint themselves in a few calls: a QLabel with
rich text lays its document out again on every paint, and the Fusion style's slider draws
gradients, about half a millisecond each per frame.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QSlider, QStyle, QStyleOptionSlider, QWidget

PHASE_NAMES = {"forward": "▶ forward", "backward": "◀ BPTT"}


class PhaseLabel(QWidget):
    """'▶ forward t = 12 (0…29)' (or '◀ BPTT ...'): the phase in its colour and bold, then the step and its range.

    Its size fits the longest text for the sequence's length and changes only with the number of
    digits of T: a new step then repaints the label alone, not the toolbar's layout.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._phase, self._t, self._T = "forward", 0, 1
        self._colours = {"forward": QColor("#000000"), "backward": QColor("#000000")}
        self._bold = QFont()
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._measure()

    def set_colours(self, forward: str, backward: str) -> None:
        """The colours of the two phases' names."""
        self._colours = {"forward": QColor(forward), "backward": QColor(backward)}
        self.update()

    def set_step(self, phase: str, t: int, T: int) -> None:
        """Show a step of a phase ('forward' or 'backward') of a sequence of T steps."""
        if (phase, t, T) != (self._phase, self._t, self._T):
            digits = len(str(T - 1)) != len(str(self._T - 1))
            self._phase, self._t, self._T = phase, t, T
            if digits:
                self._measure()
            self.update()

    def parts(self) -> tuple[str, str]:
        """The phase (bold, coloured) and the step."""
        return PHASE_NAMES[self._phase], f" t = {self._t} (0…{self._T - 1})"

    def text(self) -> str:
        """What the label says, as plain text."""
        return "".join(self.parts())

    def _measure(self) -> None:
        self._bold = QFont(self.font())
        self._bold.setBold(True)
        bold, plain = QFontMetricsF(self._bold), QFontMetricsF(self.font())
        n = "0" * len(str(self._T - 1))
        width = max(bold.horizontalAdvance(name) for name in PHASE_NAMES.values())
        width += plain.horizontalAdvance(f" t = {n} (0…{n})")
        self._size = QSize(round(width) + 10, round(max(bold.height(), plain.height())) + 6)
        self.setFixedSize(self._size)

    def sizeHint(self) -> QSize:
        return self._size

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._measure()
            self.update()
        super().changeEvent(event)

    def paintEvent(self, event) -> None:
        name, rest = self.parts()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        rect = QRectF(self.rect()).adjusted(4, 0, 0, 0)
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        p.setFont(self._bold)
        p.setPen(self._colours[self._phase])
        used = p.drawText(rect, flags, name)
        p.setFont(self.font())
        p.setPen(self.palette().color(self.foregroundRole()))
        p.drawText(rect.adjusted(used.width(), 0, 0, 0), flags, rest)
        p.end()


class Timeline(QSlider):
    """The playhead slider over all frames: the forward pass, then BPTT, each part in its phase's colour.

    A QSlider (keyboard, mouse, value and signals as usual) that paints itself: a track as thick
    as the font is large, the forward half and the BPTT half in their colours up to the playhead
    (the BPTT half still to come in a pale tint, with a tick where it starts), and a round handle
    where the style would put its own (so that dragging grabs where it is drawn).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._split = 0  # the first BPTT frame
        self._forward, self._backward = QColor("#0072B2"), QColor("#D55E00")
        self._track, self._ring = QColor("#cccccc"), QColor("#ffffff")

    def sizeHint(self) -> QSize:
        """Tall enough for the handle, which grows with the font."""
        hint = super().sizeHint()
        return QSize(hint.width(), max(hint.height(), round(1.2 * self.fontMetrics().height())))

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(hint.width(), max(hint.height(), round(1.2 * self.fontMetrics().height())))

    def set_split(self, first_backward_frame: int) -> None:
        """Where BPTT starts (the frame number)."""
        if first_backward_frame != self._split:
            self._split = first_backward_frame
            self.update()

    def set_colours(self, forward: str, backward: str, track: str, background: str) -> None:
        """The phases' colours, the track's, and the background (a ring around the handle)."""
        self._forward, self._backward = QColor(forward), QColor(backward)
        self._track, self._ring = QColor(track), QColor(background)
        self.update()

    def _x_of(self, value: int, groove: QRectF) -> float:
        lo, hi = self.minimum(), self.maximum()
        if hi <= lo:
            return groove.left()
        return groove.left() + (value - lo) / (hi - lo) * groove.width()

    def _handle(self) -> QRectF:
        """The style's handle rectangle at the current value (the mouse grabs there)."""
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        handle = QStyle.SubControl.SC_SliderHandle
        return QRectF(self.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt, handle, self))

    def paintEvent(self, event) -> None:
        handle = self._handle()
        em = self.fontMetrics().height()  # the track and the handle grow with the font scale
        r = max(handle.height() * 0.42, 0.42 * em)
        thick = max(4.0, round(0.25 * em))
        groove = QRectF(handle.width() / 2, 0, self.width() - handle.width(), self.height())
        y = handle.center().y()
        x = handle.center().x()
        split = self._x_of(self._split, groove) if self._split > self.minimum() else groove.left()
        p = QPainter(self)
        # the track and the played parts are filled rectangles (a wide antialiased line would be
        # outlined and filled by Qt on every frame); only the handle is antialiased
        track = QRectF(groove.left(), y - thick / 2, groove.width(), thick)
        p.fillRect(track.adjusted(0, 0, -(track.right() - split), 0), self._track)
        ahead = QColor(self._backward)  # BPTT still to come: a pale tint of its colour
        ahead.setAlphaF(0.3)
        p.fillRect(QRectF(split, track.top(), track.right() - split, thick), self._track)
        p.fillRect(QRectF(split, track.top(), track.right() - split, thick), ahead)
        p.fillRect(QRectF(track.left(), track.top(), max(0.0, min(x, split) - track.left()), thick), self._forward)
        if x > split:
            p.fillRect(QRectF(split, track.top(), x - split, thick), self._backward)
        p.fillRect(QRectF(split - 1, track.top() - thick, 2, 3 * thick), self._backward)  # where BPTT starts
        colour = self._forward if self.value() < self._split else self._backward
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(self._ring, 2))
        p.setBrush(colour)
        p.drawEllipse(QPointF(x, y), r, r)
        if self.hasFocus():
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(colour, 1.5))
            p.drawEllipse(QPointF(x, y), r + 3, r + 3)
        p.end()
