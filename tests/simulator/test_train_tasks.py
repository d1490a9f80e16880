"""The training tasks: shapes, determinism, baselines, the bundled series, and the messages for bad files."""

import math

import numpy as np
import pytest

from simulator.tasks import (
    TASKS,
    AddingTask,
    CharTask,
    ClassifyTask,
    bracket_corpus,
    csv_columns,
    make_task,
    read_csv_column,
    sunspots,
)


@pytest.mark.parametrize("name", TASKS)
def test_every_task_gives_batches_of_the_declared_shapes(name):
    task = make_task(name, seq_len=30 if name != "keras-stock" else 60, seed=3)
    x, y = task.sample(np.random.default_rng(0), 5)
    assert x.shape == (task.seq_len, 5, task.inputs)
    assert x.dtype == np.float64 and np.all(np.isfinite(x))
    if task.loss == "mse":
        assert y.shape == (task.seq_len, 5, task.outputs)
    else:
        assert y.shape == (task.seq_len, 5) and y.dtype.kind == "i"
        assert 0 <= y.min() and y.max() < task.outputs
    assert task.score in ("all", "last")
    assert math.isfinite(task.baseline_loss) and task.baseline_loss > 0


@pytest.mark.parametrize("name", TASKS)
def test_same_seed_same_data(name):
    a, b = make_task(name, seed=5), make_task(name, seed=5)
    for (xa, ya), (xb, yb) in [
        (a.sample(np.random.default_rng(1), 4), b.sample(np.random.default_rng(1), 4)),
        (a.held_out(), b.held_out()),
    ]:
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert a.held_out()[0] is a.held_out()[0]  # computed once
    assert not a.held_out()[0].flags.writeable


def test_adding_problem_data_and_baseline():
    task = AddingTask(50, seed=0)
    x, y = task.sample(np.random.default_rng(0), 200)
    marks = x[:, :, 1]
    assert np.all(marks.sum(axis=0) == 2)
    assert np.all(marks[:25].sum(axis=0) == 1) and np.all(marks[25:].sum(axis=0) == 1)
    np.testing.assert_allclose(y[-1, :, 0], (x[:, :, 0] * marks).sum(axis=0))
    assert np.all(y[:-1] == 0) and task.score == "last"
    # predicting the constant 1 scores Var(u1 + u2) = 1/6 ≈ 0.167
    assert task.baseline_loss == pytest.approx(1 / 6, abs=0.015)


def test_classify_clue_sits_at_the_distance():
    task = ClassifyTask(distance=12, classes=3)
    x, y = task.sample(np.random.default_rng(0), 50)
    codes = x.argmax(axis=-1)
    clue_pos = task.seq_len - 1 - 12
    assert np.all(codes[clue_pos] - (len(task.tokens) - 4) == y[-1])
    assert np.all(codes[-1] == len(task.tokens) - 1)  # 'it'
    assert task.baseline_loss == pytest.approx(math.log(3))
    assert task.decode(x).split()[-1] == "it"


def test_generate_is_one_to_many():
    task = make_task("generate", seq_len=15)
    x, y = task.sample(np.random.default_rng(0), 8)
    assert np.all(x[1:] == 0) and np.any(x[0] != 0)
    assert task.score == "all" and y.shape == (15, 8, 1)


@pytest.mark.parametrize("topology, score", [("many_to_many", "all"), ("many_to_one", "last")])
def test_sine_topologies(topology, score):
    task = make_task("sine", seq_len=20, topology=topology, period=10, noise=0.0)
    x, y = task.sample(np.random.default_rng(0), 3)
    assert task.score == score
    if score == "all":
        np.testing.assert_allclose(y[:-1, :, 0], x[1:, :, 0])  # noise 0: target is the next input
    assert task.baseline_loss < 0.5


def test_bundled_sunspots():
    years, values = sunspots()
    assert len(values) == 309 and years[0] == 1700 and years[-1] == 2008
    by_year = dict(zip(years.astype(int), values))
    assert by_year[1700] == 5 and by_year[1778] == 154.4 and by_year[1957] == 190.2 and by_year[2008] == 2.9
    task = make_task("series")
    assert "sunspot" in task.description
    x, _ = task.held_out()
    assert x.min() >= -0.5 and task.values[: task.n_train].min() == 0 and task.values[: task.n_train].max() == 1


def test_series_windows_predict_the_next_value():
    task = make_task("series", seq_len=10, topology="many_to_many")
    x, y = task.windows(np.array([0, 7]))
    np.testing.assert_array_equal(y[:-1], x[1:])
    np.testing.assert_allclose(task.denormalise(x[:, 0, 0]), task.raw[:10])


def test_keras_stock_example():
    task = make_task("keras-stock", seed=1)
    assert task.seq_len == 60 and task.score == "last"
    assert task.defaults["layers"] == 4 and task.defaults["hidden"] == 50 and task.defaults["dropout"] == 0.2
    x, _ = task.sample(np.random.default_rng(0), 4)
    assert 0 <= x.min() and x.max() <= 1  # min-max scaled on the training part


def test_chars_default_corpus_has_brackets_and_quotes():
    text = bracket_corpus(5000)
    assert len(text) == 5000 and text == bracket_corpus(5000)
    for ch in '()[]{}"':
        assert ch in text
    task = CharTask(seq_len=25)
    x, y = task.sample(np.random.default_rng(0), 2)
    assert task.decode(x[:, 0].argmax(-1))[1:] == task.decode(y[:-1, 0])
    assert task.baseline_loss < math.log(len(task.vocab))


# ---- files: CSV ---------------------------------------------------------------------------


def write(tmp_path, name, content, mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def test_csv_column_by_name_and_number(tmp_path):
    content = 'Date,Open,Volume\n2017-01-03,778.81,"1,657,300"\n2017-01-04,788.36,"1,073,000"\n'
    path = write(tmp_path, "prices.csv", content)
    assert csv_columns(path) == ["Date", "Open", "Volume"]
    np.testing.assert_array_equal(read_csv_column(path, "open")[0], [778.81, 788.36])
    np.testing.assert_array_equal(read_csv_column(path, 3)[0], [1657300, 1073000])  # thousands separators
    _, name = read_csv_column(path)  # the first numeric column
    assert name == "Open"


def test_csv_without_header_and_with_semicolons(tmp_path):
    path = write(tmp_path, "a.csv", "1;2\n3;4\n5;6\n")
    np.testing.assert_array_equal(read_csv_column(path, "2")[0], [2, 4, 6])


@pytest.mark.parametrize(
    "content, column, message",
    [
        ("", None, "is empty"),
        ("\n\n  \n", None, "is empty"),
        ("a,b\n", "b", "has a header .* but no rows of data"),
        ("a,b\n1,2\n3,nan\n", "b", r"row 3, column 'b': 'nan' is not a finite number"),
        ("a,b\n1,2\n3,4\n5,hello\n", "b", r"row 4, column 'b': 'hello' is not a number"),
        ("a,b\n1,2\n3,\n", "b", r"row 3, column 'b': the cell is empty"),
        ("a,b\n1,2\n", "price", r"has no column 'price'; columns are: a, b"),
        ("a,b\n1,2\n", "7", r"has 2 column\(s\); column 7 does not exist"),
        ("x,y\nfoo,bar\n", None, "has no column of numbers"),
    ],
)
def test_bad_csv_gives_a_message_naming_row_and_column(tmp_path, content, column, message):
    path = write(tmp_path, "bad.csv", content)
    with pytest.raises(ValueError, match=message):
        read_csv_column(path, column)


def test_missing_and_binary_csv(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        read_csv_column(tmp_path / "nope.csv")
    with pytest.raises(ValueError, match="binary"):
        read_csv_column(write(tmp_path, "b.csv", b"\x00\x01\x02abc", "wb"))


def test_series_task_on_a_users_csv(tmp_path):
    rows = "\n".join(f"{i},{np.sin(i / 3):.6f}" for i in range(80))
    path = write(tmp_path, "mine.csv", "t,level\n" + rows + "\n")
    task = make_task("series", seq_len=10, csv_path=path, column="level")
    assert "mine.csv" in task.description and task.inputs == 1
    with pytest.raises(ValueError, match="too short"):
        make_task("series", seq_len=100, csv_path=path, column="level")


# ---- files: text --------------------------------------------------------------------------


def test_text_file_with_bad_bytes_is_decoded_with_a_warning(tmp_path):
    path = write(tmp_path, "latin1.txt", 'Caf\xe9 (au lait) "noir" '.encode("latin-1") * 10, "wb")
    with pytest.warns(UnicodeWarning, match="not valid UTF-8"):
        task = make_task("chars", seq_len=10, text_path=path)
    assert "\ufffd" in task.vocab
    assert task.warnings and "replaced" in task.warnings[0]


@pytest.mark.parametrize(
    "content, message",
    [(b"", "is empty"), (b"   \n", "is empty"), (b"\x00" * 50 + b"abc", "binary"), (b"abc", "too short")],
)
def test_bad_text_files_give_messages(tmp_path, content, message):
    path = write(tmp_path, "t.txt", content, "wb")
    with pytest.raises(ValueError, match=message):
        make_task("chars", seq_len=10, text_path=path)


def test_unknown_task_and_bad_options():
    with pytest.raises(ValueError, match="task must be one of"):
        make_task("stocks")
    with pytest.raises(ValueError, match="period"):
        make_task("sine", period=0)
    with pytest.raises(ValueError, match="distance"):
        make_task("classify", distance=0)
    with pytest.raises(ValueError, match="topology"):
        make_task("series", topology="one_to_many")
