"""Lessons: every file loads, every preset runs, every claim is measured and holds where it says."""

import importlib.util
import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from simulator.config import KEYS, Config, run
from simulator.lessons import (
    CLAIMS,
    CONFIG_CONTROLS,
    CONTROLS,
    LESSONS_DIR,
    PLOTS,
    Expect,
    TrainingRun,
    check_claim,
    evaluate,
    fmt,
    get_lesson,
    list_lessons,
    load_lesson,
    measure,
    percent,
    render_step,
    render_text,
    signed,
)

LESSONS = list_lessons()
HAS_TRAINING = importlib.util.find_spec("simulator.train") is not None


def needs(lesson):
    if lesson.needs_training and not HAS_TRAINING:
        pytest.skip("the training engine (simulator/train.py) is not there")


def ids(lesson):
    return lesson.id


STEPS = [(lesson, i) for lesson in LESSONS for i in range(len(lesson.steps))]


# ---- the files --------------------------------------------------------------------------------------


def test_the_eleven_lessons_of_the_course_are_there_in_order():
    assert [le.number for le in LESSONS] == list(range(1, len(LESSONS) + 1))
    names = " ".join(le.id for le in LESSONS)
    for topic in ("loop", "types", "bptt", "vanishing", "exploding", "remedies-exploding", "remedies-vanishing"):
        assert topic in names
    for topic in ("lstm", "gru", "char", "stacked"):
        assert topic in names
    assert len(LESSONS) >= 11


@pytest.mark.parametrize("lesson", LESSONS, ids=ids)
def test_lesson_is_complete(lesson):
    assert lesson.path.name == f"{lesson.id}.json"
    assert lesson.title and lesson.summary and len(lesson.text) > 200
    assert 2 <= len(lesson.steps) <= 4
    assert all(c in CONTROLS for c in lesson.controls)
    assert all(p in PLOTS for p in lesson.plots)
    assert set(lesson.preset) <= set(KEYS)
    assert any(s.expect is not None for s in lesson.claims)
    assert lesson.references
    # a claim the text never shows is dead weight (a step may be where it shows)
    texts = lesson.text + " ".join(s.observe for s in lesson.steps)
    for spec in lesson.claims:
        assert "{{" + spec.name + "}}" in texts, f"claim {spec.name} is never shown"


def test_control_vocabulary_covers_every_config_key():
    assert set(CONFIG_CONTROLS) == set(KEYS)
    for name in ("fold", "train", "compare", "transport"):
        assert name in CONTROLS


def test_every_registered_claim_says_what_it_measures():
    for name, c in CLAIMS.items():
        assert c.doc and c.doc != name, name


# ---- presets and claims -------------------------------------------------------------------------------


@pytest.mark.parametrize("lesson", LESSONS, ids=ids)
def test_preset_runs(lesson):
    result = run(lesson.config)
    assert result.T == lesson.config.steps
    assert result.nonfinite is None


@pytest.mark.parametrize("lesson", LESSONS, ids=ids)
def test_claims_hold_in_the_preset(lesson):
    needs(lesson)
    _, measured = evaluate(lesson)
    assert measured
    failed = [m.report() for m in measured if not m.holds]
    assert not failed, failed
    assert check_claim(lesson)


@pytest.mark.parametrize(("lesson", "index"), STEPS, ids=[f"{le.id}-step{i + 1}" for le, i in STEPS])
def test_try_this_step_applies_and_holds(lesson, index):
    step = lesson.steps[index]
    config = lesson.step_config(index)  # valid: Config refuses bad values
    assert isinstance(config, Config)
    for key, value in step.set.items():
        assert getattr(config, key) == value
    if not step.expect:
        return
    needs(lesson)
    _, measured = evaluate(lesson, step=index)
    assert {m.name for m in measured} == set(step.expect)
    failed = [m.report() for m in measured if not m.holds]
    assert not failed, failed


@pytest.mark.parametrize("lesson", LESSONS, ids=ids)
def test_rendered_text_has_every_placeholder_filled(lesson):
    needs(lesson)
    result = run(lesson.config)
    texts = [render_text(lesson, result, lesson.config)]
    for i, step in enumerate(lesson.steps):
        config = lesson.step_config(i)
        assert step.applied(config)
        observed = render_step(lesson, i, run(config), config)
        assert bool(observed) == bool(step.observe)
        texts.append(observed)
    for text in texts:
        assert "{{" not in text and "}}" not in text
        assert not re.search(r"(many|one)_to_(many|one)", text), "a topology as its config key, not in words"
    for m in measure(lesson, result, lesson.config).values():
        assert m.text and "None" not in m.text and "nan" not in m.text, m.report()


# ---- the claims are measured, not written ------------------------------------------------------------------


def test_vanishing_ratio_is_the_trace_s_own_ratio():
    lesson = get_lesson("vanishing")
    for wrec in (1.0, 0.6):
        config = lesson.config.replace(wrec=wrec)
        result = run(config)
        m = measure(lesson, result, config)
        g = result.grad_norms
        assert m["ratio"].value == g[0] / g[-1]
        assert fmt(g[0] / g[-1]) in render_text(lesson, result, config)
    assert m["ratio"].value < 1e-20  # sigmoid with a smaller Wrec: smaller still
    c, a = lesson.config.replace(activation="tanh"), lesson.config
    assert render_text(lesson, run(c), c) != render_text(lesson, run(a), a)


def test_exploding_ratio_is_huge_and_the_sigmoid_peak_is_a_quarter():
    e = get_lesson("exploding")
    assert measure(e, run(e.config))["ratio"].value > 1e3
    v = get_lesson("vanishing")
    peak = measure(v, run(v.config))["phi_max"].value
    assert 0.24 < peak <= 0.25


def test_clipping_lesson_norm_is_at_the_threshold():
    lesson = get_lesson("remedies-exploding")
    for clip in (1.0, 0.3):
        config = lesson.config.replace(clip=clip)
        result = run(config)
        m = measure(lesson, result, config)
        assert result.grad_norm > clip
        assert m["clipped_norm"].value == result.grad_norm_clipped
        assert math.isclose(result.grad_norm_clipped, clip, rel_tol=1e-12)
        assert m["raw_norm"].value == result.grad_norm


def test_lstm_claim_compares_with_a_real_rnn():
    lesson = get_lesson("lstm")
    result = run(lesson.config)
    m = measure(lesson, result)
    rnn = run(lesson.config.replace(cell="rnn", variant="vanilla"))
    assert m["rnn_h0"].value == rnn.grad_norms[0]
    assert m["cell_vs_rnn"].value == result.cell_grad_norms[-1][0] / rnn.grad_norms[0]


def test_claims_that_do_not_apply_say_so_instead_of_failing():
    lesson = get_lesson("lstm")
    config = lesson.config.replace(cell="rnn", variant="vanilla")
    text = render_text(lesson, run(config), config)
    assert "n/a (the cell state c_t belongs to an LSTM)" in text
    assert not check_claim(lesson, config=config)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "esn"])
def test_every_trace_claim_renders_for_every_cell(cell):
    config = Config(cell=cell, hidden=4, steps=6, batch=2, layers=2, topology="many_to_many")
    result = run(config)
    for lesson in LESSONS:
        if lesson.needs_training:
            continue
        text = render_text(lesson, result, config)
        assert "{{" not in text


# ---- training claims read the UI's run when it has one -------------------------------------------------------------


class FakeSnapshot:
    def __init__(self, test_loss, net=None):
        self.test_loss = test_loss
        self.train_loss = tuple(loss for _, loss in test_loss)
        self.net = net
        self.iteration = test_loss[-1][0]


@pytest.mark.skipif(not HAS_TRAINING, reason="the training engine is not there")
def test_training_claims_read_a_given_snapshot():
    from simulator.tasks import make_task

    lesson = get_lesson("char-rnn")
    task = make_task("chars", 25, 0)
    snap = FakeSnapshot(((0, 4.0), (1000, 1.5)))
    m = measure(lesson, run(lesson.config), lesson.config, TrainingRun(task, snap), ["start", "trained", "sample"])
    assert m["start"].value == 4.0 / math.log(len(task.vocab))
    assert m["trained"].value == 1.5 / task.baseline_loss
    assert "after 1000 iterations" in m["trained"].text
    assert m["sample"].text.startswith("n/a")  # no weights in this snapshot to sample from
    bare = measure(lesson, run(lesson.config), lesson.config, snap, ["trained"])  # read against the lesson's task
    assert bare["trained"].value == 1.5 / task.baseline_loss
    record = {"train_loss": [4.0, 1.5], "test_loss": [[0, 4.0], [1000, 1.5]], "iteration": 1000}  # from a scenario
    from_file = measure(lesson, run(lesson.config), lesson.config, record, ["trained"])
    assert from_file["trained"].value == bare["trained"].value


@pytest.mark.skipif(not HAS_TRAINING, reason="the training engine is not there")
def test_short_training_is_deterministic_and_can_be_held_back(monkeypatch):
    import simulator.lessons as lessons_mod

    lesson = get_lesson("char-rnn")
    config = lesson.config.replace(hidden=8)
    result = run(config)
    monkeypatch.setattr(lessons_mod, "_QUICK_RUNS", {})
    held = measure(lesson, result, config, names=["vocab", "trained"], allow_training=False)
    assert held["vocab"].value > 10  # needs the task only, not a run
    assert held["trained"].text.startswith("n/a (needs a short training run")
    assert lessons_mod._QUICK_RUNS == {}
    first = measure(lesson, result, config, names=["trained"])["trained"]
    run_a = next(iter(lessons_mod._QUICK_RUNS.values())).snapshot
    monkeypatch.setattr(lessons_mod, "_QUICK_RUNS", {})
    second = measure(lesson, result, config, names=["trained"])["trained"]
    run_b = next(iter(lessons_mod._QUICK_RUNS.values())).snapshot
    assert first.value == second.value
    assert run_a.train_loss == run_b.train_loss  # bit for bit
    # once made, the run is used even where training is held back
    again = measure(lesson, result, config, names=["trained"], allow_training=False)["trained"]
    assert again.value == first.value


# ---- bad files get a message naming the file and the field ------------------------------------------------


def lesson_doc():
    return json.loads((LESSONS_DIR / "04-vanishing.json").read_text())


def write(tmp_path, doc, name="04-vanishing.json"):
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def edit(**changes):
    def apply(doc):
        for path, value in changes.items():
            target = doc
            keys = path.split("__")
            for k in keys[:-1]:
                target = target[int(k)] if k.isdigit() else target[k]
            last = keys[-1]
            if value is KeyError:
                del target[last]
            elif last.isdigit():
                target[int(last)] = value
            else:
                target[last] = value
        return doc

    return apply


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (edit(format="unrolled-scenario"), "format", "must be 'unrolled-lesson'"),
        (edit(version=2), "version", "newer"),
        (edit(id="4-vanishing"), "id", "NN-name"),
        (edit(id="05-vanishing"), "id", "file name"),
        (edit(title=""), "title", "non-empty"),
        (edit(colour="red"), "colour", "unknown field"),
        (edit(preset__wrek=1.0), "preset", "unknown key 'wrek'"),
        (edit(preset__wrec=-1.0), "preset", "wrec must be between"),
        (edit(controls=["wrec", "volume"]), "controls", "unknown control 'volume'"),
        (edit(plots=["gradient"]), "plots", "plot names"),
        (edit(view={"fold": "yes"}), "view.fold", "must be one of"),
        (edit(claims__ratio__claim="gradient_ratio"), "claims.ratio.claim", "unknown claim 'gradient_ratio'"),
        (edit(claims__ratio__expect={"bellow": 1}), "claims.ratio.expect", "exactly one of"),
        (edit(claims__ratio__expect={"between": [2, 1]}), "claims.ratio.expect", "between"),
        (edit(claims__ratio__args=[]), "claims.ratio.args", "must be an object"),
        (edit(steps=[{"text": "only one"}]), "steps", "2 to 4"),
        (edit(steps__0__set={"activation": "softmax"}), "steps[0].set", "activation must be one of"),
        (edit(steps__0__expect={"nothing": {"below": 1}}), "steps[0].expect", "not one of this lesson's claims"),
        (edit(steps__0__text="Look at {{ratio}}"), "steps[0].text", "cannot quote"),
        (edit(steps__0__observe="Look at {{nothing}}"), "steps[0].observe", "names no claim"),
        (edit(text="The ratio is {{config.colour}}"), "text", "not a configuration key"),
        (edit(text="The ratio is {{ratio}"), "text", "malformed"),
        (edit(references=[""]), "references", "non-empty"),
        (edit(training={"seq_len": 3}), "training", "task"),
    ],
)
def test_bad_lesson_is_refused_naming_file_and_field(tmp_path, change, field, message):
    path = write(tmp_path, change(lesson_doc()))
    with pytest.raises(ValueError) as info:
        load_lesson(path)
    text = str(info.value)
    assert text.startswith("04-vanishing.json: ")
    assert f"'{field}'" in text
    assert re.search(message, text), text


def test_a_lesson_without_expectations_is_refused(tmp_path):
    doc = lesson_doc()
    for spec in doc["claims"].values():
        spec.pop("expect", None)
    with pytest.raises(ValueError, match="at least one claim needs an 'expect'"):
        load_lesson(write(tmp_path, doc))


def test_broken_json_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"04-vanishing.json: broken JSON: .* at line 1, column"):
        load_lesson(write(tmp_path, '{"format": '))
    with pytest.raises(ValueError, match="no such lesson file"):
        load_lesson(tmp_path / "99-none.json")


def test_duplicate_numbers_are_refused(tmp_path):
    shutil.copy(LESSONS_DIR / "04-vanishing.json", tmp_path)
    doc = lesson_doc()
    doc["id"] = "04-other"
    write(tmp_path, doc, "04-other.json")
    with pytest.raises(ValueError, match="number 04 is also used"):
        list_lessons(tmp_path)


def test_get_lesson_by_id_name_or_number():
    assert get_lesson("04-vanishing").id == "04-vanishing"
    assert get_lesson("vanishing").id == "04-vanishing"
    assert get_lesson("4").id == "04-vanishing"
    with pytest.raises(ValueError, match="unknown lesson 'vanish'; lessons: 01-"):
        get_lesson("vanish")


# ---- small pieces ----------------------------------------------------------------------------------------------


def test_expect():
    assert Expect.parse({"below": 1}, "x").holds(0.5)
    assert not Expect.parse({"below": 1}, "x").holds(float("nan"))
    assert not Expect.parse({"above": 1}, "x").holds(None)
    assert Expect.parse({"near": 2.0, "rtol": 1e-3}, "x").holds(2.001)
    assert Expect.parse({"equals": "stable"}, "x").holds("stable")
    assert Expect.parse({"exists": False}, "x").holds(None)
    assert Expect.parse({"between": [0, 1]}, "x").holds(np.float64(1.0))
    with pytest.raises(ValueError, match="rtol"):
        Expect.parse({"below": 1, "rtol": 0.1}, "x")


def test_fmt():
    assert fmt(0.25) == "0.25"
    assert fmt(1.5667e-19) == "1.57 × 10⁻¹⁹"
    assert fmt(18600.0) == "1.86 × 10⁴"
    assert fmt(0) == "0" and fmt(22) == "22"
    assert fmt(float("inf")) == "infinite" and fmt(float("nan")) == "not a number"
    assert fmt(None) == "—"


def test_negative_numbers_take_the_minus_sign():
    """Lesson texts write −0.25 with U+2212, as every other view does, not the hyphen-minus."""
    assert fmt(-0.25) == "−0.25" and fmt(-3) == "−3" and fmt(-12345) == "−12 345"
    assert fmt(-1.5667e-19) == "−1.57 × 10⁻¹⁹" and fmt(-18600.0) == "−1.86 × 10⁴"
    assert fmt(-0.0) == "0" and fmt(float("-inf")) == "minus infinite"
    assert percent(-0.5) == "−50 %" and percent(-0.001) == "−0.1 %" and percent(0.001) == "0.1 %"
    assert signed("-0.02") == "−0.02" and signed("-0.00") == "0.00" and signed("0.5") == "0.5"


def test_lesson_8_quotes_a_negative_gate_mean_with_the_minus_sign():
    lesson = get_lesson("lstm")
    result = run(lesson.config)
    g = float(result.gates()["g"].mean())
    assert g <= -0.005  # the preset's candidate gate averages below zero: the case to check
    text = render_text(lesson, result, lesson.config)
    assert f"g = −{abs(g):.2f}" in text and "-" + f"{abs(g):.2f}" not in text


HYPHEN_NUMBER = re.compile(r"(?<![\w])-\s?\d")  # '-0.02', '- 3': a number written with the hyphen-minus


@pytest.mark.parametrize("lesson", LESSONS, ids=[le.id for le in LESSONS])
def test_no_lesson_text_writes_a_number_with_a_hyphen(lesson):
    configs = [lesson.config]
    for step in lesson.steps:
        configs.append(step.apply(configs[-1]))
    texts = [lesson.text] + [s.text for s in lesson.steps] + [s.observe for s in lesson.steps if s.observe]
    for config in configs:
        with np.errstate(all="ignore"):
            result = run(config)
            for text in texts:
                shown = render_text(lesson, result, config, text=text, allow_training=False)
                assert not HYPHEN_NUMBER.search(shown), (config, HYPHEN_NUMBER.search(shown), shown)


def test_lessons_dir_is_in_assets():
    assert LESSONS_DIR == Path(__file__).resolve().parents[2] / "assets" / "lessons"


def test_the_overflow_claim_names_the_first_unit_that_overflowed():
    """relu, Wrec 3: h grows by 3 per step and overflows at one step; the message names the unit (1-based)."""
    config = Config(activation="relu", wrec=3.0, steps=1000)
    result = run(config)
    nf = result.nonfinite
    h = result.caches[0]["h"][1:, 0]  # (T, H) after the initial state
    assert np.isfinite(h[: nf.step]).all() and not np.isfinite(h[nf.step]).all()
    unit = int(np.flatnonzero(~np.isfinite(h[nf.step]))[0])  # the first non-finite unit, from the trace
    assert np.isfinite(h[nf.step, 0])  # not unit 1: the one the equations show stays finite here
    step, message = CLAIMS["nonfinite"].function(result, config)
    assert step == nf.step
    assert message == (
        f"h_t (unit {unit + 1} of 16) became infinite or NaN at step t = {nf.step} during the forward pass"
    )  # one layer: no 'of layer 1', as the banner says it


def test_an_overflow_in_the_backward_pass_names_its_unit_too():
    from simulator.engine import _find_nonfinite
    from simulator.result import NonFinite

    result = run(Config(steps=6, hidden=3))
    dh = np.array(result.dh[0])  # (T, B, H)
    dh[2, 0, 1] = np.inf
    nf = _find_nonfinite(result.net, result.caches, result.outputs, [dh], result.grads)
    assert (nf.unit, nf.units) == (1, 3)
    assert (
        nf.message() == "dL/dh_t of layer 1 (unit 2 of 3) became infinite or NaN at step t = 2 during the backward pass"
    )
    grads = {**result.grads, "weight_hh_l0": np.full_like(result.grads["weight_hh_l0"], np.inf)}
    clean = [np.array(result.dh[0])]
    assert _find_nonfinite(result.net, result.caches, result.outputs, clean, grads).unit is None  # a matrix: no unit
    assert (
        "unit" not in NonFinite(4, "forward", "h_t of layer 1", unit=0, units=1).message()
    )  # one unit: nothing to say


# ---- review 6: steps do what their words say; no plot that is not there; "1 step", not "1 steps" ----------------

# the words by which a step's instruction names a configuration key
KEY_WORDS = {
    "wrec": ("Wrec",),
    "steps": ("T = ",),
    "cell": ("RNN", "LSTM", "GRU", "echo state"),
    "variant": ("variant", "vanilla", "CIFG", "NOAF", "1997", "forget gate"),
    "activation": ("tanh", "ReLU", "linear", "sigmoid", "Sigmoid", "identity"),
    "init": ("initialisation", "orthogonal", "Orthogonal", "uniform", "identity"),
    "hidden": ("units",),
    "layers": ("layers",),
    "topology": ("one-to-many", "many-to-one", "many-to-many", "One-to-many", "Many-to-many", "Many-to-one"),
    "clip": ("clipping", "Clipping", "clip"),
    "clip_value": ("by value",),
    "truncate": ("truncat",),
    "penalty": ("penalty", "Penalty"),
    "leak": ("leak",),
    "seed": ("seed",),
    "sigma": ("σ",),
}


@pytest.mark.parametrize("lesson", LESSONS, ids=ids)
def test_every_key_a_step_changes_is_named_in_its_instruction(lesson):
    """Taken in order from the preset, a step changes only what its text says (no quiet resets or carry-overs)."""
    config = lesson.config
    for i, step in enumerate(lesson.steps):
        after = step.apply(config)
        for key in KEYS:
            if getattr(after, key) != getattr(config, key):
                words = KEY_WORDS[key]
                assert any(w in step.text for w in words), f"step {i + 1} changes {key} without saying so: {step.text}"
        config = after


def configs_after_steps(lesson_id: str) -> list[Config]:
    lesson = get_lesson(lesson_id)
    configs, config = [], lesson.config
    for step in lesson.steps:
        config = step.apply(config)
        configs.append(config)
    return configs


@pytest.mark.parametrize(
    ("lesson_id", "step", "want"),
    [
        # "Clip by value instead": the penalty of step 3 is off, no other remedy either
        ("06-remedies-exploding", 4, {"clip": 0.0, "clip_value": 0.5, "truncate": 0, "penalty": 0.0}),
        ("06-remedies-exploding", 1, {"clip": 0.0, "clip_value": 0.0, "truncate": 0, "penalty": 0.0}),
        ("06-remedies-exploding", 2, {"clip": 0.0, "clip_value": 0.0, "truncate": 5, "penalty": 0.0}),
        ("06-remedies-exploding", 3, {"clip": 0.0, "clip_value": 0.0, "truncate": 0, "penalty": 1.0}),
        # "a fixed leaky reservoir of tanh units (random uniform weights, Wrec = 0.9, leak 0.3)": not step 3's ReLU
        (
            "07-remedies-vanishing",
            4,
            {
                "cell": "esn",
                "activation": "tanh",
                "init": "uniform",
                "wrec": 0.9,
                "leak": 0.3,
                "topology": "many_to_many",
            },
        ),
        ("07-remedies-vanishing", 1, {"init": "uniform", "activation": "tanh"}),
        # "Give the LSTM twice the units (64)": still the LSTM of step 1
        ("10-char-rnn", 3, {"cell": "lstm", "hidden": 64}),
        # "Close the loop again (Wrec back to 0.9)"
        ("01-temporal-loop", 4, {"wrec": 0.9}),
        ("01-temporal-loop", 3, {"wrec": 0.0}),
    ],
)
def test_a_step_ends_in_the_configuration_its_text_describes(lesson_id, step, want):
    lesson = get_lesson(lesson_id)
    config = configs_after_steps(lesson_id)[step - 1]
    assert {k: getattr(config, k) for k in want} == want, lesson.steps[step - 1].text
    # taken again after a later step (its "Again" button), it lands in the same place for these keys
    last = configs_after_steps(lesson_id)[-1]
    again = lesson.steps[step - 1].apply(last)
    assert {k: getattr(again, k) for k in want} == want


def all_texts(lesson) -> list[str]:
    return [lesson.text] + [s.text for s in lesson.steps] + [s.observe for s in lesson.steps]


@pytest.mark.parametrize("lesson", LESSONS, ids=ids)
def test_no_lesson_points_at_a_plot_the_window_does_not_have(lesson):
    """The main window plots the gradient, the Jacobian, the states and the eigenvalues; the loss is a row
    of the diagram (and the training lab's curves), not a plot of its own."""
    for text in all_texts(lesson):
        assert "loss plot" not in text.lower(), text


PLURAL_AFTER_ONE = re.compile(
    r"(?<![\d.,\w])1 (?:loss |per-step |distinct )?(terms|steps|pieces|layers|units|iterations|inputs|outputs)\b"
)


def test_plural_counts_its_noun():
    from simulator.lessons import plural

    assert plural(1, "layer") == "1 layer" and plural(2, "layer") == "2 layers" and plural(0, "unit") == "0 units"
    assert plural(12000, "iteration") == "12 000 iterations"


@pytest.mark.parametrize("lesson", [le for le in LESSONS if not le.needs_training], ids=ids)
def test_no_count_of_one_takes_a_plural(lesson):
    """Lesson 3 after the many-to-one step read 'the 1 loss terms add up'."""
    configs = [lesson.config, *configs_after_steps(lesson.id)]
    configs += [c.replace(steps=1) for c in configs[:1]]
    for config in configs:
        result = run(config)
        text = render_text(lesson, result, config)
        text += " ".join(render_step(lesson, i, result, config) for i in range(len(lesson.steps)))
        assert not PLURAL_AFTER_ONE.search(text), PLURAL_AFTER_ONE.search(text).group(0)


def test_the_cell_lines_factor_per_step_is_measured_not_written():
    """Lesson 8 said the forget gate near 0.5 'halves the gradient at every step' while its own
    ratio, 1.53e−8 over 49 steps, is ×0.69 per step: the step now quotes the measured factor."""
    lesson = get_lesson("08-lstm")
    config = lesson.config.replace(variant="vanilla")
    result = run(config)
    f, text = CLAIMS["cell_step"].function(result, config)
    ratio, _ = CLAIMS["cell_ratio"].function(result, config)
    assert f == pytest.approx(ratio ** (1 / (config.steps - 1)), rel=1e-12) and text == f"×{f:.3f}"
    assert 0.6 < f < 0.8  # not the 0.5 of f alone: the paths round through h add to it
    step = lesson.steps[0]
    assert "{{cell_step}}" in step.observe and "halves" not in step.text


def test_the_noaf_step_quotes_the_measured_ranges():
    """Lesson 9's NOAF step pointed at an effect ('as unbounded as c') that the plots did not show
    (max |h| 0.42 → 0.48): it now quotes the measured ranges, beside the vanilla cell's."""
    lesson = get_lesson("09-gru-variants")
    config = lesson.config.replace(cell="lstm", variant="noaf")
    result = run(config)
    h, text = CLAIMS["state_range"].function(result, config)
    assert h == float(np.abs(result.hidden_states[-1]).max())
    assert np.abs(result.hidden_states[-1]).max() <= np.abs(result.cell_states[-1]).max()  # |h| = |o·c| ≤ |c|
    vanilla = run(config.replace(variant="vanilla"))
    assert f"vanilla LSTM's max |h| = {np.abs(vanilla.hidden_states[-1]).max():.3f}" in text
    step = next(s for s in lesson.steps if s.set.get("variant") == "noaf")
    assert "{{state_range}}" in step.observe and "gate plot" not in step.text


def test_lesson_8_says_which_quantity_the_toolbars_verdict_is_on():
    """At T = 200 without a forget gate the toolbar says EXPLODING ×1.02/step while the lesson's point
    is that the gradient still reaches c_0: the step quotes the verdict and says it is on the h path."""
    lesson = get_lesson("08-lstm")
    i = next(k for k, s in enumerate(lesson.steps) if s.set.get("steps") == 200)
    config = lesson.config.replace(**lesson.steps[i].set)
    result = run(config)
    text = render_step(lesson, i, result, config)
    assert f"{result.verdict} at ×{result.growth_factor:.2f} per step" in text, text
    assert "∂h_{T−1}/∂h_t" in text
