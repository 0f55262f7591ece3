"""Read a large file in a second process while this one applies what has been read.

Parsing and validating a ClinicalTrials.gov record costs about as much as writing it
(bench_import), so for large files a forked child runs the format's `read(path)` and hands
the parsed records over in chunks through a bounded queue: the two halves run on two cores,
and memory stays flat because the child waits when the queue is full. The child only reads
the file; it never touches the database and leaves with `os._exit`, so the parent's
connection is untouched. Errors keep their meaning: a record that cannot be read comes back
as a rejected `ParsedRecord`, a file that turns unreadable half way raises `ImportFileError`
after the records before it, anything else raises here as in a plain read.

Small files, and platforms without `fork`, read in this process as before.
"""

from __future__ import annotations

import multiprocessing
import queue as queues
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from studienav.registry.importers._common import ImportFileError, ParsedRecord

Read = Callable[[Path], Iterator[ParsedRecord]]

LARGE = 4_000_000  # bytes: below this the second process costs more than it saves
CHUNK = 50  # records a message
AHEAD = 8  # messages in flight


def _produce(read: Read, path: Path, out: Any) -> None:
    chunk: list[ParsedRecord] = []
    try:
        for parsed in read(path):
            chunk.append(parsed)
            if len(chunk) >= CHUNK:
                out.put(("records", chunk))
                chunk = []
        out.put(("records", chunk))
        out.put(("done", None))
    except ImportFileError as error:
        out.put(("records", chunk))
        out.put(("file_error", (error.code, error.message)))
    except Exception as error:  # reported to the parent, which raises
        out.put(("failed", f"{type(error).__name__}: {error}"))


class ReadFailed(RuntimeError):
    """The reading process failed for a reason that is not about the file's content."""


def read_ahead(read: Read, path: Path) -> Iterator[ParsedRecord]:
    """The records of `read(path)`, read in a second process when the file is large."""
    if path.stat().st_size < LARGE or "fork" not in multiprocessing.get_all_start_methods():
        yield from read(path)
        return
    context = multiprocessing.get_context("fork")
    inbox = context.Queue(maxsize=AHEAD)
    reader = context.Process(target=_produce, args=(read, path, inbox), daemon=True)
    reader.start()
    try:
        while True:
            try:
                kind, payload = inbox.get(timeout=1)
            except queues.Empty:
                if not reader.is_alive():
                    raise ReadFailed(f"the reading process ended ({reader.exitcode})") from None
                continue
            if kind == "records":
                yield from payload
            elif kind == "done":
                return
            elif kind == "file_error":
                code, message = payload
                raise ImportFileError(code=code, message=message)
            else:
                raise ReadFailed(payload)
    finally:
        if reader.is_alive():
            reader.terminate()
        reader.join()
        inbox.close()
