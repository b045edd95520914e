"""Run one render in a child process under a time and a memory limit.

A PDF render lays out content from outside (images, very long articles), and
WeasyPrint can take minutes or gigabytes on hostile input. So the channel never
renders in its own process: :func:`run_limited` hands a picklable job to a
child that first caps its own address space (``RLIMIT_AS``, from
``pdf.memory_mb``) and CPU time, and the parent stops it when the wall-clock
limit (``pdf.timeout``) passes. Either way the caller gets a
:class:`PdfRenderError` that names the limit, and :func:`atomic_output` makes
sure no partial file is left where the PDF was meant to be.

Children come from a ``forkserver`` that has already imported WeasyPrint
and laid out a page (``channels.pdf.server``, about a second): only the
first render in a process pays for that, and no child is forked from a
parent that runs threads (the web app, the scheduler), which plain ``fork``
would risk. As with any ``multiprocessing`` code, a script that renders
PDFs must keep its top-level code under ``if __name__ == "__main__":``,
since the server imports the main module.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import resource
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import spawn
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from publisher.errors import PublisherError

__all__ = ["MAIN_ENV", "Limits", "PdfRenderError", "atomic_output", "run_limited"]

_J = TypeVar("_J")
_R = TypeVar("_R")
_MIB = 1024 * 1024
# Address space a render needs beyond what its process holds at the start.
_HEADROOM = 64 * _MIB
# channels.pdf.server imports WeasyPrint, the main script and warms up (see there).
_PRELOAD = ["channels.pdf.server"]
# How the render server learns which main script to import (see channels.pdf.server).
MAIN_ENV = "PUBLISHER_PDF_MAIN"


class PdfRenderError(PublisherError, RuntimeError):
    """A render failed or was stopped at a limit; nothing was written."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Wall-clock seconds and address space (MiB) one render may use."""

    seconds: float
    memory_mb: int


def _lower_limit(kind: int, value: int) -> None:
    """Cap *kind* at *value*, never above a hard limit set by the operator."""
    _soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, value if kind != resource.RLIMIT_CPU else hard))


def _address_space() -> int:
    """Bytes of address space this process holds now (0 where /proc cannot tell)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _child(task: Callable[[_J], _R], job: _J, limits: Limits, sender: Connection) -> None:
    """Runs in the child: limit ourselves, do the task, send back what happened."""
    held = _address_space()
    outcome: tuple[str, Any]
    if limits.memory_mb * _MIB < held + _HEADROOM:
        # Below this the child fails at its first allocation, in whatever
        # way the library that asked takes it (a crash, a hang): say so now.
        outcome = ("small", held // _MIB)
    else:
        outcome = _run_task(task, job, limits)
    try:
        sender.send(outcome)
    finally:
        sender.close()


def _run_task(task: Callable[[_J], _R], job: _J, limits: Limits) -> tuple[str, Any]:
    _lower_limit(resource.RLIMIT_AS, limits.memory_mb * _MIB)
    # A backstop should the parent die: the kernel stops a spinning child too.
    _lower_limit(resource.RLIMIT_CPU, math.ceil(limits.seconds) + 2)
    try:
        return ("ok", task(job))
    except MemoryError:
        return ("memory", "")
    except Exception as exc:  # every failure goes back to the parent as text
        return ("error", f"{type(exc).__name__}: {exc}")


def _context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    # Both only take effect before the server starts; later calls change nothing.
    main = spawn.get_preparation_data("publisher-pdf").get("init_main_from_path")
    if main:
        os.environ[MAIN_ENV] = main
    else:
        os.environ.pop(MAIN_ENV, None)  # inherited from a parent process: not ours
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def run_limited(task: Callable[[_J], _R], job: _J, limits: Limits, *, what: str) -> _R:
    """``task(job)`` in a child process under *limits*; *what* names it in errors.

    *task* must be a module-level function and *job* picklable.
    """
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(task, job, limits, sender),
                          name="publisher-pdf-render", daemon=True)
    process.start()
    sender.close()
    try:
        result: _R = _outcome(process, receiver, limits, what)
        return result
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()


def _outcome(process: Any, receiver: Connection, limits: Limits, what: str) -> Any:
    if not receiver.poll(limits.seconds):
        process.kill()
        raise PdfRenderError(f"{what} stopped: it ran past the time limit of "
                             f"{limits.seconds:g} s (pdf.timeout)")
    memory = f"the memory limit of {limits.memory_mb} MiB (pdf.memory_mb)"
    try:
        status, payload = receiver.recv()
    except EOFError:
        process.join()
        raise PdfRenderError(f"{what} failed: the render process died ({_exit(process)}); "
                             f"it may have passed {memory}") from None
    if status == "memory":
        raise PdfRenderError(f"{what} stopped: it passed {memory}")
    if status == "small":
        raise PdfRenderError(f"{what} cannot start: {memory} is below the {payload} MiB of "
                             f"address space the render process holds before it begins")
    if status == "error":
        raise PdfRenderError(f"{what} failed: {payload}")
    return payload


def _exit(process: Any) -> str:
    code = process.exitcode
    return f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """A temporary path beside *target*, renamed onto it only if the block succeeds.

    The path is absolute: a render subprocess may not share our working directory.
    """
    target = target.absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    temp = Path(name)
    # mkstemp makes the file private; a PDF is a download, readable like any output.
    temp.chmod(0o644)
    try:
        yield temp
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
