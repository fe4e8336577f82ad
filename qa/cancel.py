"""Cancellation that reaches a running generation without threading a flag through every
call: the caller (the HTTP service, for a client that went away) sets a check for the
current context, and a language model asks it between tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


def _never() -> bool:
    return False


_CHECK: ContextVar[Callable[[], bool]] = ContextVar("qa_cancel_check", default=_never)


@contextmanager
def cancel_when(check: Callable[[], bool]) -> Iterator[None]:
    """Within the block, work that can stop early stops once ``check()`` is true."""
    token = _CHECK.set(check)
    try:
        yield
    finally:
        _CHECK.reset(token)


def current_check() -> Callable[[], bool]:
    """The check in force here (never true when none was set)."""
    return _CHECK.get()
