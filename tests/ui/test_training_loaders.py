"""The training lab: a diverged run's weights and remedies, the file loaders, Fit readout."""

import html
import re

import numpy as np
import pytest

from simulator.tasks import SeriesTooShortError, make_task, read_csv_column, read_text
from ui.training_view import TrainingPanel


def finish(qtbot, panel: TrainingPanel, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: panel.threads_alive == 0 and not panel._active(), timeout=timeout)


def listed(panel: TrainingPanel) -> list[str]:
    """The remedies the message lists."""
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", panel.message.text())]


def test_a_diverged_sgd_run_offers_the_usual_learning_rate_first_and_keeps_sane_weights(qtbot, make_panel):
    """The reviewer's run: sine, LSTM, SGD + momentum at lr 10, no remedies."""
    panel = make_panel()
    panel.set_task("sine")
    panel.session.update(cell="lstm", clip=0.0, clip_value=0.0, truncate=0, hidden=8)
    panel.optimizer_box.setCurrentIndex(panel.optimizer_box.findData("sgd"))
    panel.lr.setValue(10.0)
    panel.iterations.setValue(400)
    assert panel.start()
    finish(qtbot, panel)
    last = panel.last_updates[""]
    assert last.state == "diverged"
    snap = last.snapshot
    best = int(np.argmin(snap.train_loss))
    assert f"Kept the {'initial weights' if best == 0 else f'weights after iteration {best}'}" in snap.message
    assert snap.train_loss[-1] > 1e6 * snap.train_loss[best]  # the last finite weights had exploded ...
    held_out = panel.runs[""].trainer.evaluate(snap.net)
    assert held_out < 10 * panel.task.baseline_loss  # ... the kept ones have not
    texts = [b.text() for b in panel.fix_buttons]
    assert texts[0] == "Retry: lr = 0.1" and "Retry: clip at 1" in texts
    assert len(listed(panel)) == len(texts)  # every remedy listed has its button
    # a retry that ends without learning (5 iterations) still offers the remedies left
    panel.iterations.setValue(5)
    panel.fix_buttons[0].click()
    assert panel.lr.value() == pytest.approx(0.1) and panel.runs[""].settings.learning_rate == pytest.approx(0.1)
    finish(qtbot, panel)
    assert panel.last_updates[""].state == "done"
    texts = [b.text() for b in panel.fix_buttons]
    assert "did not help" in panel.message.text()
    assert texts and texts[0] == "Retry: clip at 1" and "Retry: lr = 0.01" in texts
    assert len(listed(panel)) == len(texts)


def test_fit_readout_is_enabled_when_the_main_window_switches_to_an_esn(make_panel):
    panel = make_panel()
    panel.set_task("sine")
    assert panel.train_button.isEnabled() and not panel.fit_button.isEnabled()  # an LSTM: nothing to fit
    panel.session.update(cell="esn")
    assert panel.fit_button.isEnabled() and panel.fit_button.isVisibleTo(panel)
    panel.session.update(cell="rnn")
    assert not panel.fit_button.isEnabled()


def test_the_text_loader_refuses_a_binary_file_as_the_csv_loader_does(make_panel, tmp_path):
    data = np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    path = tmp_path / "bin.txt"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="looks like a binary file"):
        read_text(path)
    panel = make_panel()
    panel.set_task("chars")
    before = panel.task
    assert not panel.load_text(str(path))
    assert "looks like a binary file" in panel.message.text() and panel.task is before
    assert not panel.load_csv(str(path)) and "looks like a binary file" in panel.message.text()
    # text in Latin-1 (a few bytes that are not UTF-8) is still text, with a warning
    latin = tmp_path / "latin.txt"
    latin.write_bytes(("Les élèves ont étudié la forêt près du château. " * 40).encode("latin-1"))
    with pytest.warns(UnicodeWarning):
        text, notes = read_text(latin)
    assert notes and "forêt" not in text and "for" in text


def _write_csv(path, header, rows):
    path.write_text("\n".join([header] + [",".join(str(v) for v in r) for r in rows]) + "\n")
    return str(path)


def test_a_too_short_csv_names_the_window_control_in_the_window_and_the_flag_on_the_command_line(make_panel, tmp_path):
    path = _write_csv(tmp_path / "short.csv", "value", [[v] for v in range(10)])
    with pytest.raises(SeriesTooShortError, match="use a shorter --seq-len"):
        make_task("series", 20, 0, csv_path=path)
    panel = make_panel()
    panel.set_task("series")
    assert not panel.load_csv(path)
    text = html.unescape(panel.message.text())
    assert "too short" in text and "sequence length T" in text and "--seq-len" not in text


def test_the_default_column_skips_a_row_index(tmp_path):
    rng = np.random.default_rng(0)
    rows = [[k, f"{v:.4f}"] for k, v in enumerate(rng.normal(size=50))]
    assert read_csv_column(_write_csv(tmp_path / "a.csv", "t,x", rows))[1] == "x"  # named t and 0..n-1
    counted = [[k + 1, r[1]] for k, r in enumerate(rows)]
    assert read_csv_column(_write_csv(tmp_path / "b.csv", "n,x", counted))[1] == "x"  # 1..n
    _, name = read_csv_column(_write_csv(tmp_path / "c.csv", "step,x", [[r[1], r[1]] for r in rows]))
    assert name == "x"  # named step
    data = [[f"{1.5 * k:.1f}", r[1]] for k, r in enumerate(rows)]
    assert read_csv_column(_write_csv(tmp_path / "d.csv", "a,x", data))[1] == "a"  # data, not an index
    only = read_csv_column(_write_csv(tmp_path / "e.csv", "t", [[k] for k in range(50)]))
    assert only[1] == "t" and only[0][-1] == 49  # nothing else: the index it is


def test_a_column_that_cannot_be_used_leaves_the_box_on_the_task_s_column(make_panel, tmp_path):
    rng = np.random.default_rng(1)
    rows = [[k, f"{v:.4f}", "abc" if k == 3 else f"{v:.2f}"] for k, v in enumerate(rng.normal(size=200))]
    path = _write_csv(tmp_path / "bad.csv", "t,x,label", rows)
    panel = make_panel()
    panel.set_task("series")
    assert panel.load_csv(path)
    assert "column 'x'" in panel.task.description  # the default skipped the index t
    panel.column_box.setCurrentIndex(panel.column_box.findData("x"))
    assert "column 'x'" in panel.task.description
    panel.column_box.setCurrentIndex(panel.column_box.findData("label"))
    text = html.unescape(panel.message.text())
    assert "'abc' is not a number" in text and "keeps x" in text
    assert panel.column_box.currentData() == "x" and "column 'x'" in panel.task.description
    panel.column_box.setCurrentIndex(panel.column_box.findData("t"))  # a good column is taken
    assert "column 't'" in panel.task.description and panel.column_box.currentData() == "t"
