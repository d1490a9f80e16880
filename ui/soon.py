"""Deferred calls that do not keep their object alive."""

import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer


def soon(method: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Call a QObject's bound method once control is back in the event loop, unless the object is gone by then.

    QTimer.singleShot(0, obj, callable) with a callable that refers to obj (obj.method, or a lambda
    using self) keeps it, and so obj, for good if obj is deleted before the timer fires (PySide6
    6.12). Here the timer holds only a weak reference to the method; the object is its context,
    so nothing is called on a deleted object."""
    owner = method.__self__
    assert isinstance(owner, QObject), "soon() takes a bound method of a QObject"
    weak = weakref.WeakMethod(method)

    def call() -> None:
        bound = weak()
        if bound is not None:
            bound(*args, **kwargs)

    QTimer.singleShot(0, owner, call)
