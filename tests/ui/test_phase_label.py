"""The timeline's step label and the overflow message name what a student needs."""

from PySide6.QtGui import QFontMetricsF

from ui.transport import PhaseLabel


def test_the_phase_label_reads_t_then_the_range_of_steps(qtbot):
    label = PhaseLabel()
    qtbot.addWidget(label)
    label.set_step("forward", 0, 20)
    assert label.text() == "▶ forward t = 0 (0…19)"
    label.set_step("backward", 7, 20)
    assert label.text() == "◀ BPTT t = 7 (0…19)"
    name, rest = label.parts()
    bold = QFontMetricsF(label.font())
    bold_font = label.font()
    bold_font.setBold(True)
    needed = QFontMetricsF(bold_font).horizontalAdvance(name) + bold.horizontalAdvance(rest)
    assert label.width() >= needed  # the longest text of this T fits
