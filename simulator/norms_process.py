"""The Jacobian-product norms measured in a process of their own, beside the window's.

Why a process: the window's GUI thread holds Python's GIL while it draws (Qt's painting runs
inside a call that does not release it), and the engine's pool thread needs the GIL between
its LAPACK calls. Measured during a Wrec step (LSTM, T = 100, hidden 32): a chunk of 32 norms
took 0.8 ms of the pool thread's CPU and 2.2-2.8 ms of wall time, 1.3-1.9 ms of it asleep
waiting for the GIL, so the window waited for its last norms. A process has a GIL of its own.

How: the products are made on the caller's thread as before; each chunk is copied into a slot of
memory shared with the process (an anonymous memory file), and a 40-byte request goes down a
pipe. The process takes the norms with the same function as the pool thread (exact_norms: the
same numbers, bit for bit), writes them into the slot and answers with the request's number.
A thread of this process reads the answers (asleep in os.read, without the GIL) and completes
each request's Future. If the process is not running, has no free slot, or dies, the caller
gets None from submit() (it then uses the pool thread), and requests in flight are measured
by the reading thread from the slot they were copied into: no answer is ever lost.

Only plain chunks come here (finite, no rescaling: see spectral.plain), of at most CHUNK
matrices of at most MAX_SIDE x MAX_SIDE.
"""

from __future__ import annotations

import atexit
import mmap
import os
import struct
import subprocess
import sys
import threading
from concurrent.futures import Future

import numpy as np

from .spectral import exact_norms

CHUNK = 32  # matrices per request at most (the engine's PRODUCT_CHUNK)
MAX_SIDE = 47  # rows and columns per matrix at most (the engine sends hidden sizes below POWER_FROM)
SLOTS = 16  # requests in flight at most
SLOT_BYTES = CHUNK * MAX_SIDE * MAX_SIDE * 8 + CHUNK * 8  # the matrices, then their norms
REQUEST = struct.Struct("<qqqq")  # request number, slot, matrices, side (4 x 8 bytes)
ANSWER = struct.Struct("<qq")  # request number, 0 = measured (1 = failed: measure it here)


def _read_exactly(fd: int, n: int) -> bytes | None:
    """n bytes from a pipe, or None at its end."""
    parts, got = [], 0
    while got < n:
        part = os.read(fd, n - got)
        if not part:
            return None
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _slot_arrays(memory: mmap.mmap, slot: int, count: int, side: int) -> tuple[np.ndarray, np.ndarray]:
    """(count, side, side) matrices and (count,) norms of a slot, as views of the shared memory."""
    base = slot * SLOT_BYTES
    matrices = np.ndarray((count, side, side), dtype=np.float64, buffer=memory, offset=base)
    norms = np.ndarray((count,), dtype=np.float64, buffer=memory, offset=base + CHUNK * MAX_SIDE * MAX_SIDE * 8)
    return matrices, norms


def serve(memory_fd: int, requests_fd: int = 0, answers_fd: int = 1) -> None:
    """The process's loop: measure every request, answer, until the pipe closes."""
    memory = mmap.mmap(memory_fd, SLOTS * SLOT_BYTES)
    while True:
        raw = _read_exactly(requests_fd, REQUEST.size)
        if raw is None:
            return
        number, slot, count, side = REQUEST.unpack(raw)
        status = 0
        try:
            matrices, norms = _slot_arrays(memory, slot, count, side)
            with np.errstate(all="ignore"):
                norms[:] = exact_norms(matrices)
        except Exception:  # the asking process measures it itself
            status = 1
        os.write(answers_fd, ANSWER.pack(number, status))


class NormsProcess:
    """The parent's side: start the process, hand it chunks, complete their Futures."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[Future, int, int, int]] = {}  # number -> future, slot, count, side
        self._free = list(range(SLOTS))
        self._next = 0
        self._alive = False
        fd = os.memfd_create("unrolled-norms", os.MFD_CLOEXEC)
        os.ftruncate(fd, SLOTS * SLOT_BYTES)
        self._memory = mmap.mmap(fd, SLOTS * SLOT_BYTES)
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", f"from simulator.norms_process import serve; serve({fd})"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                pass_fds=(fd,),
                # LAPACK on one thread: a second would take the window's core
                env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
                cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            )
        finally:
            os.close(fd)  # the mapping and the child keep the memory
        self._requests = self._process.stdin.fileno()
        self._answers = self._process.stdout.fileno()
        self._alive = True
        self._reader = threading.Thread(target=self._read_answers, name="unrolled-norms-reader", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return self._alive

    def submit(self, P: np.ndarray) -> Future | None:
        """A Future of exact_norms(P) for a stack (count, side, side) measured by the process; None
        if it cannot take it (not running, too large, no free slot): the caller measures it."""
        count, m, n = P.shape
        if m != n or not (1 <= count <= CHUNK and 2 <= m <= MAX_SIDE):
            return None
        with self._lock:
            if not self._alive or not self._free:
                return None
            slot = self._free.pop()
        matrices, _ = _slot_arrays(self._memory, slot, count, m)
        np.copyto(matrices, P)  # before the request is pending: the reader may measure it from here
        with self._lock:
            if not self._alive:  # gone meanwhile (its pending requests are measured already)
                self._free.append(slot)
                return None
            number = self._next
            self._next += 1
            future: Future = Future()
            future.set_running_or_notify_cancel()  # it runs now: cancel() leaves it be
            self._pending[number] = (future, slot, count, m)
        try:
            os.write(self._requests, REQUEST.pack(number, slot, count, m))
        except OSError:  # the process has gone: the reader measures what is pending
            self._stop_writing()
        return future

    def _stop_writing(self) -> None:
        with self._lock:
            self._alive = False
        try:
            self._process.stdin.close()
        except OSError:
            pass

    def _finish(self, number: int, measured: bool) -> None:
        with self._lock:
            entry = self._pending.pop(number, None)
        if entry is None:
            return
        future, slot, count, side = entry
        matrices, norms = _slot_arrays(self._memory, slot, count, side)
        try:
            if measured:
                result = norms.copy()
            else:
                with np.errstate(all="ignore"):
                    result = exact_norms(matrices.copy())
        except Exception as error:
            result = error
        with self._lock:
            self._free.append(slot)
        if isinstance(result, Exception):
            future.set_exception(result)
        else:
            future.set_result(result)

    def _read_answers(self) -> None:
        while True:
            try:
                raw = _read_exactly(self._answers, ANSWER.size)
            except OSError:
                raw = None
            if raw is None:  # the process has gone: measure here whatever it had not answered
                self._stop_writing()
                with self._lock:
                    left = sorted(self._pending)
                for number in left:
                    self._finish(number, measured=False)
                return
            number, status = ANSWER.unpack(raw)
            self._finish(number, measured=status == 0)

    def close(self) -> None:
        """Stop the process (requests in flight are still answered, here if need be)."""
        self._stop_writing()
        try:
            self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(timeout=2)


_PROCESS: list[NormsProcess] = []
_PROCESS_LOCK = threading.Lock()


def start() -> NormsProcess | None:
    """Start the norms process (once); None where it cannot run (no memory files: not Linux)."""
    with _PROCESS_LOCK:
        if not _PROCESS:
            if not hasattr(os, "memfd_create"):
                return None
            try:
                _PROCESS.append(NormsProcess())
            except OSError:
                return None
            atexit.register(_PROCESS[0].close)
        return _PROCESS[0]


def stop() -> None:
    """Stop the norms process if it was started (a later start() starts a new one)."""
    with _PROCESS_LOCK:
        process = _PROCESS.pop() if _PROCESS else None
    if process is not None:
        atexit.unregister(process.close)
        process.close()


def running() -> NormsProcess | None:
    """The norms process if it was started and still runs, else None."""
    process = _PROCESS[0] if _PROCESS else None
    return process if process is not None and process.alive else None
