"""Read a large file in a second process while this one applies what has been read.

Parsing and validating a ClinicalTrials.gov record costs about as much as writing it
(bench_import), so for large files a forked child runs the format's `read(path)` and hands
the parsed records over in chunks through a bounded queue: the two halves run on two cores,
and memory stays flat because the child waits when the queue is full. The child only reads
the file; it never touches the database and leaves with `os._exit`, so the parent's
connection is untouched. It also ends when the parent dies, however it dies (even killed
with SIGKILL, when no `finally` runs): see `_end_with_parent`. Errors keep their meaning: a
record that cannot be read comes back as a rejected `ParsedRecord`, a file that turns
unreadable half way (or stops at a limit) raises `ImportFileError` after the records before
it, anything else raises here as in a plain read.

The reading process also computes what the writing process would otherwise compute for each
new study without the database (`records.record_prepare`: the version record's content and
the search texts), which moves about a fifth of the writing process's work to the other core.

Small files, and platforms without `fork`, read in this process as before (the writing
process then prepares each record itself).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue as queues
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from studienav.registry.importers._common import ImportFileError, ParsedRecord

Read = Callable[[Path], Iterator[ParsedRecord]]
Prepare = Callable[[ParsedRecord], None]

LARGE = 4_000_000  # bytes: below this the second process costs more than it saves
CHUNK = 50  # records a message
# Messages in flight from the reading process, and taken off the pipe waiting for the writing
# process: together more than two batches of the importer (importers.BATCH), so the reading
# process goes on while a whole batch is written (with 8 and 4 it stopped half way, and the
# writing process then waited for it). At about 30 kB a record that is some 35 MB, whatever
# the file's size; 24 and 12 were no faster and grew the peak by another 10 MB
# (bench_import).
AHEAD = 16
RECEIVED = 8


# prctl(2): the signal the kernel sends this process when the thread that forked it ends.
PR_SET_PDEATHSIG = 1


def _end_with_parent(parent: int) -> None:
    """End this (reading) process when the process that started it ends.

    A reading process left behind would hold its file and memory, or wait on a full queue,
    forever. On Linux the kernel kills it the moment its parent dies (PR_SET_PDEATHSIG);
    elsewhere a thread looks once a second whether it has been handed to another parent.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:  # it died before the request took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):  # no prctl: watch instead
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _produce(
    read: Read, path: Path, out: Any, prepare: Prepare | None, parent: int | None = None
) -> None:
    if parent is not None:
        _end_with_parent(parent)
    chunk: list[ParsedRecord] = []
    try:
        for parsed in read(path):
            if prepare is not None:
                prepare(parsed)
            chunk.append(parsed)
            if len(chunk) >= CHUNK:
                out.put(("records", chunk))
                chunk = []
        out.put(("records", chunk))
        out.put(("done", None))
    except ImportFileError as error:
        out.put(("records", chunk))
        out.put(("file_error", (error.code, error.field, error.message, error.params)))
    except Exception as error:  # reported to the parent, which raises
        out.put(("failed", f"{type(error).__name__}: {error}"))


class ReadFailed(RuntimeError):
    """The reading process failed for a reason that is not about the file's content."""


def _receive(inbox: Any, reader: Any, received: queues.Queue[Any], stop: threading.Event) -> None:
    """In a thread of the writing process: take the messages off the pipe as they come, so the
    reading process goes on while this one writes (its pipe would otherwise fill and stop it)."""
    while not stop.is_set():
        try:
            message = inbox.get(timeout=1)
        except queues.Empty:
            if not reader.is_alive():
                message = ("failed", f"the reading process ended ({reader.exitcode})")
            else:
                continue
        while not stop.is_set():
            try:
                received.put(message, timeout=1)
                break
            except queues.Full:
                continue
        if message[0] != "records":
            return


def read_ahead(
    read: Read, path: Path, prepare: Prepare | None = None
) -> Iterator[ParsedRecord | None]:
    """The records of `read(path)`, read in a second process when the file is large; there
    `prepare` also runs on each (work of the writing process that needs no database). A
    `None` between them says that the next is not read yet: the caller may do other work
    before asking again (the next ask waits)."""
    if path.stat().st_size < LARGE or "fork" not in multiprocessing.get_all_start_methods():
        yield from read(path)
        return
    context = multiprocessing.get_context("fork")
    inbox = context.Queue(maxsize=AHEAD)
    reader = context.Process(
        target=_produce, args=(read, path, inbox, prepare, os.getpid()), daemon=True
    )
    reader.start()
    received: queues.Queue[Any] = queues.Queue(maxsize=RECEIVED)
    stop = threading.Event()
    receiver = threading.Thread(target=_receive, args=(inbox, reader, received, stop), daemon=True)
    receiver.start()
    try:
        while True:
            try:
                kind, payload = received.get_nowait()
            except queues.Empty:
                yield None
                kind, payload = received.get()
            if kind == "records":
                yield from payload
            elif kind == "done":
                return
            elif kind == "file_error":
                code, field, message, params = payload
                raise ImportFileError(code=code, field=field, message=message, **params)
            else:
                raise ReadFailed(payload)
    finally:
        stop.set()
        receiver.join()
        if reader.is_alive():
            reader.terminate()
        reader.join()
        inbox.close()
