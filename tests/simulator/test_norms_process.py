"""The Jacobian-product norms measured in a process of their own (simulator.norms_process): the same
numbers, bit for bit, as the pool thread's; and nothing lost when the process is busy or dies."""

import os
import signal
import time

import numpy as np
import pytest

from simulator import norms_process
from simulator.config import Config, run
from simulator.spectral import exact_norms

pytestmark = pytest.mark.skipif(not hasattr(os, "memfd_create"), reason="no memory files (not Linux)")


@pytest.fixture
def process():
    """A fresh norms process for one test, stopped after it."""
    norms_process.stop()
    started = norms_process.start()
    assert started is not None and started.alive
    yield started
    norms_process.stop()


def _deferred_norms(config: Config) -> np.ndarray:
    trace = run(config).diagnose(wait=False)
    return trace.jacobian_norms


@pytest.mark.parametrize(
    "config",
    [
        Config(cell="rnn", steps=100, hidden=32, wrec=0.8),
        Config(cell="lstm", steps=100, hidden=32, wrec=1.0),
        Config(cell="gru", steps=70, hidden=16, wrec=1.3),
        Config(cell="esn", steps=50, hidden=20, wrec=0.95),
        Config(cell="lstm", variant="fgr", steps=40, hidden=8),  # the generic products
        Config(cell="rnn", steps=200, hidden=32, wrec=3.0),  # exploding: chunks rescaled on the pool thread
        Config(cell="rnn", steps=200, hidden=32, wrec=0.1),  # vanishing to underflow
    ],
    ids=["rnn", "lstm", "gru", "esn", "lstm-fgr", "exploding", "vanishing"],
)
def test_the_process_gives_the_pool_threads_norms_bit_for_bit(process, config):
    from_process = _deferred_norms(config)
    assert process._next > 0  # it measured chunks of them
    norms_process.stop()  # now the pool thread measures them
    from_pool = _deferred_norms(config)
    np.testing.assert_array_equal(from_process, from_pool)
    # the synchronous path measures the whole stack at once (rescaled as a whole where any matrix needs
    # it, where the chunks are rescaled one by one): the same to rounding
    np.testing.assert_allclose(from_process, run(config).diagnose().jacobian_norms, rtol=1e-13, atol=0)


def test_the_process_measures_the_chunks(process):
    rng = np.random.default_rng(3)
    P = rng.standard_normal((32, 24, 24))
    future = process.submit(P)
    assert future is not None
    np.testing.assert_array_equal(future.result(timeout=10), exact_norms(P))
    assert process.submit(rng.standard_normal((33, 24, 24))) is None  # more matrices than a slot holds
    assert process.submit(rng.standard_normal((4, 48, 48))) is None  # larger than a slot's matrices
    assert process.submit(rng.standard_normal((4, 10, 12))) is None  # not square


def test_requests_in_flight_are_measured_here_when_the_process_dies(process):
    rng = np.random.default_rng(4)
    os.kill(process._process.pid, signal.SIGSTOP)  # it takes the requests and answers none
    stacks, futures = [], []
    while True:
        P = rng.standard_normal((8, 16, 16)) * rng.uniform(0.1, 10)
        future = process.submit(P)
        if future is None:  # every slot taken
            break
        stacks.append(P)
        futures.append(future)
    assert len(futures) == norms_process.SLOTS
    assert not any(f.done() for f in futures)
    os.kill(process._process.pid, signal.SIGKILL)
    for P, future in zip(stacks, futures, strict=True):
        np.testing.assert_array_equal(future.result(timeout=10), exact_norms(P))
    deadline = time.monotonic() + 10
    while norms_process.running() is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert norms_process.running() is None
    assert process.submit(stacks[0]) is None  # the pool thread takes over
    config = Config(cell="lstm", steps=60, hidden=16)
    np.testing.assert_allclose(_deferred_norms(config), run(config).diagnose().jacobian_norms, rtol=1e-13, atol=0)


def test_a_process_that_cannot_start_its_python_leaves_the_pool_thread(monkeypatch):
    norms_process.stop()
    monkeypatch.setattr(norms_process.sys, "executable", "/bin/false")  # exits at once, answering nothing
    started = norms_process.start()
    try:
        deadline = time.monotonic() + 10
        while started is not None and started.alive and time.monotonic() < deadline:
            time.sleep(0.01)
        assert norms_process.running() is None
        config = Config(cell="rnn", steps=50, hidden=12)
        np.testing.assert_allclose(_deferred_norms(config), run(config).diagnose().jacobian_norms, rtol=1e-13, atol=0)
    finally:
        norms_process.stop()


def test_stop_and_start_again(process):
    norms_process.stop()
    assert norms_process.running() is None
    assert process._process.poll() is not None  # the process has exited
    again = norms_process.start()
    try:
        assert again is not process and again.alive
        config = Config(cell="gru", steps=30, hidden=10)
        np.testing.assert_allclose(_deferred_norms(config), run(config).diagnose().jacobian_norms, rtol=1e-13, atol=0)
    finally:
        norms_process.stop()
