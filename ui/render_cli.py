"""Headless rendering for slide preparation: `python main.py render ...` and `python main.py lessons`.

    python main.py render --lesson vanishing --plot gradients --out vanishing.png
    python main.py render --set cell=lstm --set steps=30 --plot gates --out gates.svg
    python main.py render --scenario lecture3.json --plot unrolled --out bptt.gif
    python main.py lessons

main(argv) returns the exit code: 0 when the file was written, 2 for anything we refuse (an
unknown plot, lesson, key or suffix, a bad value, a scenario file we cannot read) with a
message naming it, 1 when the file could not be written.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys

import numpy as np

from simulator.config import KEYS, Config, run
from simulator.lessons import PLOTS

from .app import UsageError, _Parser

SUFFIXES = {
    ".png": "a PNG image",
    ".svg": "an SVG drawing (text stays text)",
    ".csv": "the plot's numbers with a header row",
    ".gif": "the animation: the forward pass, then BPTT, one frame per step (2T frames)",
    ".mp4": "the same animation as H.264 video (needs the optional package imageio-ffmpeg)",
}
LESSON_TRAINING_TIMEOUT_S = 120  # the most a window render waits for a lesson's training claims
STATES = ("h", "c", "i", "f", "g", "o", "r", "z", "n", "dh")

PLOT_HELP = {
    "gradients": "‖∂L/∂h_t‖ against t on a log axis with Pascanu's bound (CSV: t, grad_norm)",
    "jacobian": "‖∂h_{T−1}/∂h_t‖, the Jacobian product, with its bound and the verdict fitted on it "
    "(CSV: t, jacobian_norm, bound)",
    "eigenvalues": "eigenvalues of W_hh (each gate block of LSTM/GRU), unit circle (CSV: block, k, real, imag, abs)",
    "hidden": "the hidden state as a t × unit heatmap; --state picks c, a gate or dh instead (CSV: t, h_1 ... h_H)",
    "gates": "every gate of an LSTM (i f g o and the cell state c) or GRU (r z n) as heatmaps (CSV: t, i_1 ...)",
    "loss": (
        "the per-step loss terms L_t as bars: the total error is their sum over the steps, and BPTT adds up "
        "their gradients (CSV: t, loss_term). When --scenario names a file that carries a training history, "
        "the training loss per iteration and the held-out loss instead (CSV: iteration, train_loss, test_loss)"
    ),
    "unrolled": "the network unrolled through time (or folded, with --folded); CSV: t, x, h, y, loss_term, grad_norm",
    "window": "the whole window at 1920x1080 (PNG, SVG or GIF; no CSV)",
}


def build_parser() -> argparse.ArgumentParser:
    """The command line of `python main.py render`."""
    from .figures import EXPORT_FONT_SCALE, EXPORT_SIZE, WINDOW_FONT_SCALE

    plots = "\n".join(f"  {name:<12} {PLOT_HELP.get(name, text)}" for name, text in PLOTS.items())
    suffixes = "\n".join(f"  {s:<5} {text}" for s, text in SUFFIXES.items())
    p = _Parser(
        prog="python main.py render",
        description="Render one plot of the simulator to a file, without a window (for slides).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            f"plots:\n{plots}\n\nthe suffix of --out picks the format:\n{suffixes}\n\n"
            "examples:\n"
            "  python main.py render --lesson vanishing --plot gradients --out vanishing.png\n"
            "  python main.py render --set cell=lstm --set steps=30 --plot gates --out gates.svg\n"
            "  python main.py render --scenario lecture.json --plot unrolled --out bptt.gif\n"
            "  python main.py lessons          (the lesson names)"
        ),
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument("--lesson", metavar="NAME", help="start from a lesson's preset (see `python main.py lessons`)")
    source.add_argument("--scenario", metavar="FILE", help="start from a scenario file (its weights and view too)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"set a configuration key ({', '.join(KEYS)}); repeat for more",
    )
    p.add_argument("--plot", metavar="NAME", required=True, help=f"what to render: {', '.join(PLOTS)}")
    p.add_argument("--out", metavar="PATH", required=True, help="the file to write: .png, .svg, .csv, .gif (or .mp4)")
    p.add_argument(
        "--frame",
        type=int,
        default=None,
        help="the playhead: 0 .. 2T-1 (forward, then BPTT); negative counts from the end (default: the end of BPTT)",
    )
    w, h = EXPORT_SIZE
    p.add_argument("--size", metavar="WxH", default=None, help=f"pixels (default {w}x{h}; the window 1920x1080)")
    p.add_argument("--theme", default="light", help="colour scheme: light (default), dark or contrast")
    p.add_argument(
        "--font-scale",
        type=float,
        default=None,
        help=f"scale every font (default {EXPORT_FONT_SCALE:g}, the presentation scale; window {WINDOW_FONT_SCALE:g})",
    )
    p.add_argument("--fps", type=float, default=None, help="animation steps per second (default 4)")
    p.add_argument("--state", choices=STATES, default="h", help="what the hidden plot shows (default h)")
    p.add_argument("--folded", action="store_true", help="draw the unrolled diagram folded (one cell with its loop)")
    return p


def _size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    w, sep, h = text.lower().partition("x")
    try:
        size = (int(w), int(h)) if sep else None
    except ValueError:
        size = None
    if size is None or not (64 <= size[0] <= 8000 and 64 <= size[1] <= 8000):
        raise UsageError(f"--size must be WIDTHxHEIGHT in pixels, each 64 .. 8000; got {text!r}")
    return size


def _configure(args) -> tuple[Config, object, dict]:
    """The configuration, its trace and the view options (folded, frame, training) from the arguments."""
    from simulator.lessons import get_lesson
    from simulator.scenario import load_scenario, run_network

    config, network, view, lesson = Config(), None, {}, None
    if args.lesson:
        lesson = get_lesson(args.lesson)  # ValueError listing the lessons
        config = lesson.config
        view = {"fold": bool(lesson.view.get("fold", False)), "lesson": lesson.id, "lesson_step": 0}
    elif args.scenario:
        scenario = load_scenario(args.scenario)  # ValueError with the reason
        config, network = scenario.config, scenario.network
        view = {
            "fold": bool(scenario.view.get("fold", False)),
            "frame": scenario.view.get("frame"),
            "training": scenario.training,
            "lesson": scenario.lesson,
            "lesson_step": scenario.lesson_step,
        }
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set needs key=value; got {item!r}")
        config = config.with_text(key.strip(), value)
    view["own_weights"] = network is not None  # (the figures' footer then says so, not the config's Wrec)
    data = training_data(config, view.get("training")) if network is not None else None
    trace = None
    if data is not None:  # trained weights: on the task's held-out sequence, as the window shows them
        try:
            trace = run(config, network, data)
        except ValueError as exc:  # the task's sequence does not fit the weights: as the window does
            print(f"unrolled: the training task's sequence does not fit ({exc}); the config's own is used",
                  file=sys.stderr)  # fmt: skip
    if trace is None and lesson is not None:  # on the lesson's task sequence if it has one, as the lesson shows it
        from .lesson_panel import run_in_lesson

        trace = run_in_lesson(lesson, config)
    if trace is None:
        trace = run(config) if network is None else run_network(config, network)
    return config, trace, view


def training_data(config: Config, training) -> tuple | None:
    """(x, targets, loss) of the first held-out sequence of the task a scenario's training record
    names (the sequence the window runs trained weights on), or None: no task, or one that cannot
    be made again here (its data file moved) or does not fit the configuration."""
    from simulator.tasks import TASKS, make_task

    if not isinstance(training, dict) or training.get("task") not in TASKS:
        return None
    try:
        args = dict(training.get("task_args") or {})
        task = make_task(training["task"], args.pop("seq_len", None), int(config.seed), **args)
        x, _ = task.held_out()
    except (TypeError, ValueError, OSError) as exc:
        print(f"unrolled: the training task could not be made again ({exc}); the config's own sequence is used",
              file=sys.stderr)  # fmt: skip
        return None
    if x.shape[0] != config.steps or x.shape[2] != config.inputs:
        return None
    from .training_worker import probe_of

    return probe_of(task)  # the sequence the training view shows trained weights on


def _open_lesson(figure, lesson_id: str, step: int) -> None:
    """The window as the app shows it with the lesson open: its panel beside the plots, only its controls.

    The configuration stays the one rendered (the lesson's preset with any --set, or the scenario's),
    and so does the frame: the lesson's focus applies, its 'play' does not (a picture does not play).
    """
    from PySide6.QtCore import QCoreApplication

    window = figure.widget
    panel = window.lesson_panel
    try:
        lesson = panel.lesson_by_id(lesson_id)
    except ValueError:
        return  # a scenario naming a lesson this version lacks: the window without it, as the app opens it
    frame = window.session.frame
    panel.open_lesson(lesson, step, preset=False, view=False)
    panel.wait_for_background(LESSON_TRAINING_TIMEOUT_S)  # lessons 10-11 quote a short training run
    QCoreApplication.sendPostedEvents()  # ... whose numbers then fill the text
    view = dict(lesson.view)
    for taken in lesson.steps[:step]:
        view.update(taken.view)
    view.pop("play", None)
    view.pop("fold", None)  # the render's own --folded and the lesson's fold were applied when it was built
    window.apply_view(view)
    window.session.set_frame(frame)
    figure.settle()


def _quiet_qt_messages() -> None:
    """Drop the offscreen plugin's harmless notice about size hints (every window prints it)."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_mode, _context, message: str) -> None:
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def main(argv: list[str] | None = None) -> int:
    """Render one plot to a file and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"unrolled render: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)

    from .export import GIF_FPS, ExportError, export_figure, format_of

    try:
        if args.plot not in PLOTS:
            raise UsageError(f"unknown plot {args.plot!r}; plots: {', '.join(PLOTS)}")
        fmt = format_of(args.out)
        if fmt == "csv" and args.plot == "window":
            raise UsageError("the window is a picture, not a table: write it as .png, .svg or .gif")
        size = _size(args.size)
        if args.font_scale is not None and not 0.5 <= args.font_scale <= 4:
            raise UsageError(f"--font-scale must be between 0.5 and 4; got {args.font_scale:g}")
        if args.fps is not None and not 0.1 <= args.fps <= 60:
            raise UsageError(f"--fps must be between 0.1 and 60; got {args.fps:g}")
        with np.errstate(all="ignore"):  # an overflow is data: the plots show it, no warning on the terminal
            config, trace, view = _configure(args)
    except (UsageError, ExportError, ValueError) as exc:
        print(f"unrolled render: {exc}", file=sys.stderr)
        return 2

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from . import theme as theme_mod
    from .figures import EXPORT_FONT_SCALE, WINDOW_FONT_SCALE, FigureError, build_figure, export_theme

    schemes = [s for s in theme_mod.SCHEMES if s != "system"]
    if args.theme not in schemes:
        print(f"unrolled render: --theme must be one of {', '.join(schemes)}; got {args.theme!r}", file=sys.stderr)
        return 2
    app = QApplication.instance()
    if app is None:
        _quiet_qt_messages()
        app = QApplication(sys.argv[:1])
        app.setOrganizationName("Unrolled")
        app.setApplicationName("Unrolled")
    pg.setConfigOptions(antialias=True)
    default_scale = WINDOW_FONT_SCALE if args.plot == "window" else EXPORT_FONT_SCALE
    scale = args.font_scale if args.font_scale is not None else default_scale
    saved = theme_mod._current
    if args.plot == "window":  # Qt widgets take their fonts and colours from the application
        theme = theme_mod.install(args.theme, scale)
    else:
        theme = export_theme(args.theme, scale)
    frame = args.frame if args.frame is not None else view.get("frame")
    figure = None
    try:
        with np.errstate(all="ignore"):
            figure = build_figure(
                args.plot,
                config,
                trace,
                frame=-1 if frame is None else int(frame),
                theme=theme,
                size=size,
                folded=args.folded or view.get("fold", False),
                quantity=args.state,
                training=view.get("training"),
                own_weights=view.get("own_weights", False),
            )
            if args.plot == "window" and view.get("lesson"):
                _open_lesson(figure, view["lesson"], view.get("lesson_step", 0))
            what = export_figure(figure, args.out, fps=args.fps or GIF_FPS)
    except (FigureError, ExportError) as exc:
        print(f"unrolled render: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"unrolled render: could not write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        if figure is not None:
            figure.close()  # delete the widgets now: PySide6 >= 6.10 can crash collecting them at exit
        app.processEvents()
        gc.collect()
        if args.plot == "window" and saved is not None:
            theme_mod._current = saved
            saved.apply()
    print(f"wrote {args.out} ({what})")
    return 0


def lessons_main(argv: list[str] | None = None) -> int:
    """`python main.py lessons`: the lesson names, one a line, with their titles."""
    argv = list(sys.argv[1:] if argv is None else argv)
    p = _Parser(prog="python main.py lessons", description="List the lessons (names for --lesson).")
    try:
        p.parse_args(argv)
    except UsageError as exc:
        print(f"unrolled lessons: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:
        return int(exc.code or 0)
    from simulator.lessons import list_lessons

    try:
        lessons = list_lessons()
    except ValueError as exc:
        print(f"unrolled lessons: {exc}", file=sys.stderr)
        return 1
    width = max((len(le.id) for le in lessons), default=0)
    for lesson in lessons:
        print(f"{lesson.id:<{width}}  {lesson.title}")
    return 0
