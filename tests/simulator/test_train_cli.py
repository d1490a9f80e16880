"""`python main.py train`: the JSON it writes, its exit codes and its messages."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.tasks import TASKS, make_task
from simulator.train_cli import main

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"task", "cell", "seq_len", "iterations", "seconds", "final_train_loss", "final_test_loss", "baseline_loss",
        "loss_history"}  # fmt: skip


def test_headless_command_writes_the_json(tmp_path):
    out = tmp_path / "out.json"
    args = ["train", "--task", "adding", "--cell", "lstm", "--seq-len", "8", "--hidden", "8", "--iterations", "30",
            "--seed", "4", "--json", str(out), "--save", str(tmp_path / "w.npz")]  # fmt: skip
    proc = subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert KEYS <= set(data)
    assert (data["task"], data["cell"], data["seq_len"], data["iterations"]) == ("adding", "lstm", 8, 30)
    assert len(data["loss_history"]) == 30 and all(isinstance(v, float) for v in data["loss_history"])
    assert data["baseline_loss"] == pytest.approx(1 / 6, abs=0.02)
    assert data["seconds"] > 0 and data["final_test_loss"] > 0
    assert "30/30" in proc.stderr and "it/s" in proc.stderr  # the progress bar
    assert (tmp_path / "w.npz").exists()


@pytest.mark.parametrize("name", TASKS)
def test_help_documents_the_defaults_the_tasks_use(name):
    from simulator.train_cli import DEFAULTS_TEXT

    task = make_task(name)
    row = next(line for line in DEFAULTS_TEXT.splitlines() if line.split()[:1] == [name])
    d = task.defaults
    assert f"T={task.seq_len} " in row
    assert f"{d['iterations']} iterations" in row and f"lr {d['lr']:g}" in row and f"batch {d['batch']}" in row
    assert f"{d['cell']} " in row and str(d["hidden"]) in row
    for key in ("clip", "dropout", "forget_bias", "clip_value"):
        if key in d:
            assert f"{key.replace('_', '-')} {d[key]:g}" in row


def test_same_seed_same_json_history(tmp_path):
    runs = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.json"
        args = ["--task", "sine", "--seq-len", "10", "--hidden", "4", "--iterations", "15", "--quiet"]
        assert main([*args, "--json", str(path)]) == 0
        runs.append(json.loads(path.read_text()))
    assert runs[0]["loss_history"] == runs[1]["loss_history"]


OTHER_TASKS = [("series", []), ("classify", ["--distance", "4"]), ("generate", []), ("chars", ["--sample", "20"]),
               ("keras-stock", ["--layers", "1"])]  # fmt: skip


@pytest.mark.parametrize("task, extra", OTHER_TASKS)
def test_other_tasks_run_headless(tmp_path, task, extra, capsys):
    path = tmp_path / "o.json"
    seq = [] if task == "classify" else ["--seq-len", "12"]
    args = ["--task", task, *seq, "--hidden", "6", "--iterations", "3", "--quiet", "--json", str(path), *extra]
    assert main(args) == 0
    assert json.loads(path.read_text())["task"] == task
    if task == "chars":
        assert len(capsys.readouterr().out) == 21  # 20 sampled characters and a newline


def test_threads_are_set_for_the_run_and_restored(tmp_path):
    from simulator.train import blas_threads

    before = blas_threads()
    if before is None:
        pytest.skip("numpy's BLAS thread count is not reachable here")
    path = tmp_path / "t.json"
    assert main(["--task", "sine", "--seq-len", "5", "--hidden", "3", "--iterations", "2", "--quiet", "--threads",
                 "1", "--json", str(path)]) == 0  # fmt: skip
    assert json.loads(path.read_text())["blas_threads"] == 1
    assert blas_threads() == before


def test_esn_fits_its_readout(tmp_path):
    path = tmp_path / "e.json"
    assert main(["--task", "sine", "--cell", "esn", "--hidden", "40", "--wrec", "0.9", "--quiet", "--json",
                 str(path)]) == 0  # fmt: skip
    data = json.loads(path.read_text())
    assert data["iterations"] == 0 and data["final_test_loss"] < data["baseline_loss"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--task", "stocks"], "invalid choice: 'stocks'"),
        (["--hidden", "0"], "must be at least 1"),
        (["--lr", "-1"], "must be > 0"),
        (["--lr", "fast"], "expected a number"),
        (["--optimizer", "lbfgs"], "invalid choice"),
        (["--dropout", "1.5"], "dropout"),
        (["--cell", "lstm", "--penalty", "1"], "penalty"),
        (["--task", "series", "--seq-len", "400"], "too short"),
        (["--task", "sine", "--text", "x.txt"], "--text applies to task chars"),
        (["--task", "chars", "--text", "/no/such/file.txt"], "no such file"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args, message, capsys):
    with pytest.raises(SystemExit) as info:
        code = main(args)
        raise SystemExit(code)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_csv_exits_2_naming_the_row(tmp_path, capsys):
    path = tmp_path / "p.csv"
    path.write_text("day,price\n1,10\n2,11\n3,n/a\n")
    assert main(["--task", "series", "--csv", str(path), "--column", "price"]) == 2
    err = capsys.readouterr().err
    assert "row 4, column 'price': 'n/a' is not a number" in err


def test_non_utf8_text_trains_with_one_warning(tmp_path, capsys):
    path = tmp_path / "old.txt"
    path.write_bytes("na\xefve caf\xe9 (au lait) ".encode("latin-1") * 20)
    assert main(["--task", "chars", "--text", str(path), "--iterations", "3", "--hidden", "8", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err.count("not valid UTF-8") == 1 and err.startswith("warning:")


def test_diverging_run_exits_1_with_the_message_and_still_writes_json(tmp_path, capsys):
    path = tmp_path / "d.json"
    args = ["--task", "sine", "--cell", "rnn", "--activation", "relu", "--wrec", "3", "--optimizer", "sgd",
            "--lr", "10", "--hidden", "16", "--seq-len", "30", "--iterations", "50", "--quiet",
            "--json", str(path)]  # fmt: skip
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "diverged" in err and "clipping" in err
    data = json.loads(path.read_text())
    assert data["status"] == "diverged" and "diverged" in data["message"]


@pytest.mark.slow
def test_documented_defaults_learn_the_adding_problem_in_under_3_minutes(tmp_path):
    path = tmp_path / "adding.json"
    args = ["train", "--task", "adding", "--cell", "lstm", "--seq-len", "50", "--json", str(path)]
    proc = subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(path.read_text())
    assert data["final_test_loss"] < 0.01
    assert data["seconds"] < 180
