"""The Session: the one source of truth the views share, and the Player that moves its playhead.

The Session owns the configuration, the trace that simulate() made from it, and the playhead.
Views listen to its signals and call its methods; they keep no copies of its state.

Frames: an animation of a trace with T steps has 2T frames. Frames 0 .. T-1 are the forward
pass at t = frame; frames T .. 2T-1 are BPTT at t = 2T-1-frame (from the last step back to 0).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal

from simulator.config import Config, run
from simulator.network import Network
from simulator.result import Result
from simulator.scenario import run_network

# With defer_measures, how long the GUI thread may wait, idle, for norms that are nearly measured when
# trace_changed's views are done: painting first and then again for trace_measured's views costs a
# second pass over the window (about 2 ms at T = 100, hidden 32), while the norms of a small network
# arrive within about 1 ms once this thread stops drawing (it shares the machine's cores with them).
MEASURE_WAIT = 0.003  # s


class Session(QObject):
    """Configuration + trace + playhead; emits only on real change."""

    config_changed = Signal(object)  # Config
    trace_changed = Signal(object)  # Result
    # right after trace_changed, for the views that read the Jacobian-product norms or the
    # verdict: the engine measures those on its pool thread while the trace_changed views update
    trace_measured = Signal(object)  # Result
    frame_changed = Signal(int)
    _measured_on_pool = Signal(object)  # emitted on the pool thread: a trace's norms are there (queued to us)

    def __init__(
        self,
        config: Config | None = None,
        parent: QObject | None = None,
        trace: Result | None = None,
        network: Network | None = None,
    ):
        super().__init__(parent)
        self._config = config or Config()
        # a given trace (e.g. from a scenario's own weights) is used as it is; else run the config
        # (network: the given trace's weights when they are not the config's own, see `network`)
        self._trace: Result = run(self._config) if trace is None else trace
        self._frame = 0
        self._network: Network | None = network  # own weights (trained, or from a file); None = the config's
        # False: trace_measured follows trace_changed at once (the GUI thread waits for the norms).
        # True (the interactive app): while the pool thread still measures, the event loop first
        # paints what trace_changed's views drew, and trace_measured comes when the norms are there;
        # a trace replaced meanwhile (a Wrec drag) never emits it. Screenshots and tests keep False.
        self.defer_measures = False
        self._awaiting: Result | None = None  # the trace whose trace_measured is still to come
        # whether a short wait for the norms paid off lately (see MEASURE_WAIT): after a change whose
        # norms came later than that, the next ones are not waited for until they come in time again
        self._wait_pays = True
        self._views_done_at = 0.0  # perf_counter() when trace_changed's views were done (a deferred trace)
        self._measured_on_pool.connect(self._on_measured)

    # ---- state ------------------------------------------------------------------------
    @property
    def config(self) -> Config:
        """The current frozen configuration."""
        return self._config

    @property
    def network(self) -> Network | None:
        """The network's own weights when they are not the config's initial ones (trained, from a file); else None."""
        return self._network

    @property
    def trace(self) -> Result:
        """The trace computed from the current configuration."""
        return self._trace

    @property
    def frame(self) -> int:
        """The playhead, 0 .. n_frames - 1."""
        return self._frame

    @property
    def n_frames(self) -> int:
        """2T: the forward pass, then BPTT."""
        return 2 * self._trace.T

    def phase_step(self, frame: int | None = None) -> tuple[str, int]:
        """('forward' | 'backward', t) shown at a frame."""
        f = self._frame if frame is None else frame
        T = self._trace.T
        return ("forward", f) if f < T else ("backward", 2 * T - 1 - f)

    def frame_of(self, phase: str, t: int) -> int:
        """The frame that shows step t of a phase."""
        return t if phase == "forward" else 2 * self._trace.T - 1 - t

    @property
    def stop_frame(self) -> int | None:
        """The frame where the animation must stop because a value became non-finite."""
        nf = self._trace.nonfinite
        return None if nf is None else self.frame_of(nf.phase, nf.step)

    # ---- changes ----------------------------------------------------------------------
    def set_config(self, config: Config, network: Network | None = None) -> None:
        """Replace the configuration (and the weights: None = the config's initial ones) and recompute the trace."""
        if config == self._config and network is self._network:
            return
        # may raise ValueError: the caller shows the message, nothing changes
        trace = run(config) if network is None else run_network(config, network)
        config_changed = config != self._config
        old_T = self._trace.T
        self._config, self._trace, self._network = config, trace, network
        if config_changed:
            self.config_changed.emit(config)
        self._publish(trace, old_T)

    def update(self, **changes) -> None:
        """Change some configuration keys (ValueError with a message if a value is refused)."""
        self.set_config(self._config.replace(**changes))

    def set_network(self, network: Network | None, data: tuple | None = None) -> None:
        """Show these weights (e.g. a training run's current ones) under the current config.

        data = (x, targets, loss) is a sequence to run them on instead of the config's random
        one, e.g. a held-out sequence of the task being learned: x (config.steps, B,
        config.inputs), targets as simulate() takes them for `loss` ('mse' or 'cross_entropy').
        The config still describes the structure (ValueError naming the first key that
        differs). Like the weights, the data last until the next set_config.
        """
        if data is None:
            self.set_config(self._config, network)
            return
        from simulator.config import build_network  # here, not at the top: this file is shared work
        from simulator.scenario import check_network_matches

        config = self._config
        net = build_network(config) if network is None else network
        check_network_matches(config, net)
        x, targets, loss = data
        if x.ndim != 3 or x.shape[0] != config.steps or x.shape[2] != config.inputs:
            raise ValueError(
                f"the sequence has shape {x.shape}; the configuration needs ({config.steps}, B, {config.inputs})"
            )
        trace = run(config, net, (x, targets, loss))
        old_T = self._trace.T
        self._trace, self._network = trace, network
        self._publish(trace, old_T)

    def _publish(self, trace: Result, old_T: int) -> None:
        """Announce a new trace with the playhead already inside it, then the moved playhead.

        The diagnostics the views read are started on the engine's pool thread first
        (Result.diagnose(wait=False)); trace_changed's views draw meanwhile, and trace_measured's
        views, which read the Jacobian-product norms and the verdict, come after them: at once
        (waiting for the norms), or with defer_measures once the norms are there; a small network's
        norms are nearly there by then, and are waited for (MEASURE_WAIT) so the window paints once.

        The playhead keeps its place in the story: at the end of BPTT it stays at the end; otherwise
        it keeps its phase and step t (clamped to the new length), so adding a step during BPTT
        does not jump back into the forward pass.
        """
        trace.diagnose(wait=False)
        old = self._frame
        T = trace.T
        if old >= 2 * old_T - 1:
            new = 2 * T - 1
        elif old < old_T:
            new = min(old, T - 1)
        else:
            new = 2 * T - 1 - min(2 * old_T - 1 - old, T - 1)
        stop = self.stop_frame  # never past an overflow: the animation stops there
        self._frame = new if stop is None else min(new, stop)
        stale, self._awaiting = self._awaiting, None  # (a cancelled job's callback must find nothing awaited)
        if stale is not None and stale is not trace:
            # a drag moved on before its norms were measured: its job need not run at all (the
            # pool thread takes jobs in order, so queued stale ones would delay this trace's)
            stale.cancel_background()
        self.trace_changed.emit(trace)
        job = trace.background
        if self.defer_measures and job is not None and not job.done() and self._wait_pays:
            try:
                job.result(timeout=MEASURE_WAIT)  # idle: the pool thread has the cores to itself
            except TimeoutError:
                self._wait_pays = False  # a larger network: defer, and don't wait for the next ones
            except Exception:  # the reader of the norms gets it (trace_measured's views)
                pass
        if self.defer_measures and job is not None and not job.done():
            self._awaiting = trace
            self._views_done_at = time.perf_counter()
            job.add_done_callback(lambda _job: self._announce_measured(trace))
        else:
            self.trace_measured.emit(trace)
        if self._frame != old:
            self.frame_changed.emit(self._frame)

    def _announce_measured(self, trace: Result) -> None:
        """On the pool thread: hand the measured trace to the GUI thread (a queued signal)."""
        if trace is self._awaiting:  # would a wait have paid off? (for the next change)
            self._wait_pays = time.perf_counter() - self._views_done_at <= MEASURE_WAIT
        try:
            self._measured_on_pool.emit(trace)
        except RuntimeError:  # the Session was deleted meanwhile: nobody is waiting
            pass

    def _on_measured(self, trace: Result) -> None:
        if trace is self._awaiting:  # not replaced by a newer trace meanwhile
            self._awaiting = None
            self.trace_measured.emit(trace)

    @property
    def measuring(self) -> bool:
        """Whether the current trace's trace_measured is still to come (defer_measures only)."""
        return self._awaiting is not None

    def finish_measuring(self) -> None:
        """Emit the current trace's trace_measured now if it is still to come (waits for the norms)."""
        trace = self._awaiting
        if trace is not None:
            self._awaiting = None
            _ = trace.jacobian_norms  # waits for the pool thread (and re-raises what it raised)
            self.trace_measured.emit(trace)

    def set_frame(self, frame: int) -> None:
        """Move the playhead (clamped to the trace)."""
        frame = max(0, min(int(frame), self.n_frames - 1))
        if frame != self._frame:
            self._frame = frame
            self.frame_changed.emit(frame)


class Player(QObject):
    """A QTimer that moves the Session's playhead over the precomputed trace; a tick computes nothing."""

    playing_changed = Signal(bool)

    def __init__(self, session: Session, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.fps = 8.0

    @property
    def playing(self) -> bool:
        """Whether the timer runs."""
        return self.timer.isActive()

    def set_speed(self, fps: float) -> None:
        """Frames per second."""
        self.fps = max(0.25, min(float(fps), 120.0))
        self.timer.setInterval(round(1000 / self.fps))

    def play(self) -> None:
        """Start from the playhead (from the start if at the end or at an overflow stop)."""
        s = self.session
        if s.frame >= s.n_frames - 1 or (s.stop_frame is not None and s.frame >= s.stop_frame):
            s.set_frame(0)
        self.timer.start(round(1000 / self.fps))
        self.playing_changed.emit(True)

    def pause(self) -> None:
        """Stop the timer."""
        if self.timer.isActive():
            self.timer.stop()
            self.playing_changed.emit(False)

    def toggle(self) -> None:
        """Play or pause."""
        self.pause() if self.playing else self.play()

    def step(self, delta: int) -> None:
        """Move the playhead by delta frames (pauses)."""
        self.pause()
        self.session.set_frame(self.session.frame + delta)

    def rewind(self) -> None:
        """Go to the first frame."""
        self.pause()
        self.session.set_frame(0)

    def to_end(self) -> None:
        """Go to the last frame (or the overflow stop)."""
        self.pause()
        s = self.session
        s.set_frame(s.n_frames - 1 if s.stop_frame is None else s.stop_frame)

    def _tick(self) -> None:
        s = self.session
        nxt = s.frame + 1
        stop = s.stop_frame
        if stop is not None and nxt >= stop:
            s.set_frame(stop)
            self.pause()
        elif nxt >= s.n_frames:
            self.pause()
        else:
            s.set_frame(nxt)
            if nxt == s.n_frames - 1:
                self.pause()
