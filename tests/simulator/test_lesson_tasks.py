"""Lessons that are about a training task: the network they set up is the task's, and the numbers they
quote about "this network" are measured on the one the window draws."""

import importlib.util
import math

import numpy as np
import pytest

from simulator.config import build_network
from simulator.lessons import get_lesson, measure
from simulator.tasks import make_task

HAS_TRAINING = importlib.util.find_spec("simulator.train") is not None


def configs_of(lesson):
    """The preset, then the configuration after each step taken in order."""
    configs, config = [lesson.config], lesson.config
    for step in lesson.steps:
        config = step.apply(config)
        configs.append(config)
    return configs


def task_of(lesson, config):
    spec = lesson.training
    return make_task(spec["task"], spec.get("seq_len"), config.seed, **spec.get("task_args", {}))


def test_the_character_lesson_sets_up_a_character_model():
    """One-hot characters in, a score per character out, a loss at every step: the task's own sizes (the
    preset was a one-input, one-output network, which the window drew on random numbers under an MSE)."""
    lesson = get_lesson("10-char-rnn")
    assert lesson.training["task"] == "chars"
    for config in configs_of(lesson):
        task = task_of(lesson, config)
        assert task.loss == "cross_entropy"
        V = len(task.vocab)
        assert (config.inputs, config.outputs) == (V, V)
        assert (config.steps, config.topology) == (task.seq_len, task.topology) == (25, "many_to_many")


def test_the_character_lesson_says_what_its_nodes_show():
    """The diagram and the Cell panel show entry 1 of x_t and y_t: the text says which character that is,
    and that the window on screen never has it (so the x row is 0)."""
    lesson = get_lesson("10-char-rnn")
    task = task_of(lesson, lesson.config)
    x, _ = task.held_out()
    window = task.decode(x[:, 0].argmax(axis=-1))
    assert task.vocab[0] == "\n" and "\n" not in window
    assert np.all(x[:, 0, 0] == 0)
    for words in ("one-hot", "cross-entropy", "softmax", "entry 1", "newline", "x row stays at 0"):
        assert words in lesson.text, words
    assert "{{config.inputs}} inputs" in lesson.text and "{{config.outputs}} outputs" in lesson.text


@pytest.mark.skipif(not HAS_TRAINING, reason="the training engine is not there")
def test_the_untrained_number_is_the_drawn_network_s():
    """'Untrained, it scores ...': the background run starts from the very weights the window draws
    (the config's, W_hh at spectral radius Wrec), so its held-out loss at iteration 0 is theirs."""
    from simulator.train import task_loss

    lesson = get_lesson("10-char-rnn")
    for config in configs_of(lesson)[:2]:
        task = task_of(lesson, config)
        m = measure(lesson, None, config, names=["start"])["start"]
        quoted = m.value * math.log(len(task.vocab))
        drawn = task_loss(build_network(config), task, *task.held_out())
        assert quoted == pytest.approx(drawn, rel=1e-9), config.cell


def test_the_gru_lesson_prepares_the_adding_problem_its_last_step_asks_for():
    """Step 4 asks for the adding problem at the lesson's T: the lesson names it as its training run (the
    window loads it into the Training panel), and the step brings that panel forward and says what it sees."""
    lesson = get_lesson("09-gru-variants")
    assert lesson.training is not None and lesson.training["task"] == "adding"
    seq_len = lesson.training["seq_len"]
    assert seq_len == lesson.config.steps
    step = lesson.steps[3]
    assert "adding problem" in step.text and f"T = {seq_len} steps" in step.text
    assert "Compare" in step.text and "“LSTM vs GRU”" in step.text and "Train" in step.text
    assert step.view.get("focus") == "loss"  # the window shows the Training panel
    assert step.observe and "{{" in step.observe
