"""Shared by the report tests: a fault injector for the write phase of a report."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import wdtheory.report.files

#: the file operations a report's write phase is made of (``open`` goes through ``_write``)
OPERATIONS = ("link", "mkdir", "rename", "unlink", "rmdir", "chmod", "symlink")


@dataclass
class Faults:
    """Counts the file operations and raises ``KeyboardInterrupt`` at operation number ``at``:
    before it, or just after it took effect (``after``), as a Ctrl-C could. Never while SIGINT is
    held back (a real Ctrl-C would arrive after, as it does here: at the next operation)."""

    at: int | None = None
    after: bool = False
    count: int = 0
    fired: bool = False

    def reset(self, at: int | None, after: bool = False) -> None:
        self.at, self.after, self.count, self.fired = at, after, 0, False

    def wrap(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def operation(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            fire = (
                not self.fired
                and self.at is not None
                and self.count >= self.at
                and signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
            )
            self.fired |= fire
            if fire and not self.after:
                raise KeyboardInterrupt
            result = real(*args, **kwargs)
            if fire:
                raise KeyboardInterrupt
            return result

        return operation


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Faults:
    """Every file operation of :mod:`wdtheory.report.files` counted (and interrupted when asked)
    while the test runs."""
    injector = Faults()
    for name in OPERATIONS:
        monkeypatch.setattr(os, name, injector.wrap(getattr(os, name)))
    for name in ("_write", "_renameat2"):
        real = getattr(wdtheory.report.files, name)
        monkeypatch.setattr(wdtheory.report.files, name, injector.wrap(real))
    return injector
