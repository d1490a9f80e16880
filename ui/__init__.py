"""The Qt shell: widgets over one Session (see ../shared/DESIGN.md).

Importing this package first works around a PySide6 6.12 defect on CPython 3.11: every wrapped
C++ call that returns None drops one reference to None without taking it (`label.setText(...)`,
`item.setData(...)`, ...), and some paths do the same to True. CPython 3.12+ makes these
singletons immortal, so nothing happens there; on 3.11 the count reaches zero after a few
thousand calls and the interpreter aborts with "Fatal Python error: none_dealloc" (or
bool_dealloc); an animation gets there in seconds. We give None, True and False reference
counts so large that they cannot run out, as 3.12 does.

It also gives numpy's OpenBLAS one thread. The window's matrices are small (hidden x hidden), a
second BLAS thread only spins, and while Qt paints on the other core it makes each engine call
several times slower. The engine uses the second core itself where that pays (LAPACK stacks
and W_hh's spectra on its pool thread; see simulator/spectral.py).

And it turns off Qt's own pool of painting threads (QT_NO_GUI_THREADPOOL, unless already set).
Qt hands a translucent fill or line of more than about a hundred rows to that pool and waits
for it: on this two-core machine, with the engine's pool thread on the other core, a shade
over a plot's strip took 68 µs that way against 13 µs drawn where it is, and an animation frame
7.1 ms of wall time against 5.3 (a Wrec step at a mid frame 22.2 against 19.6; see the README).
The variable is read when Qt first paints, so it is set here, before any window exists.
"""

import ctypes
import os
import sys

os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")

NONE_RESERVE = 1 << 48  # references; at a million leaked per second they last about nine years


def _keep_alive(obj) -> bool:
    """Raise a singleton's reference count by NONE_RESERVE on CPython < 3.12; True if it was done."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    refcnt = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is PyObject's first field
    if abs(refcnt.value - (sys.getrefcount(obj) - 1)) > 16:  # an unusual build: leave it alone
        return False
    if refcnt.value < NONE_RESERVE:
        refcnt.value += NONE_RESERVE
    return True


NONE_KEPT_ALIVE = all([_keep_alive(None), _keep_alive(True), _keep_alive(False)])


def _one_blas_thread() -> None:
    from simulator.train import blas_threads

    blas_threads(1)


_one_blas_thread()
