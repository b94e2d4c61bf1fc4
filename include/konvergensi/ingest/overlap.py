"""Read the next chunk while the current one is standardised: Arrow parses without holding the
GIL, so a reader thread runs beside the Python-heavy standardisation at the cost of one more
chunk in memory."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """The items of `items`, produced in a background thread at most `depth` ahead.

    An error in the producer is raised here, at the item where it happened; when the consumer
    stops early the producer is told to stop and is waited for.
    """
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            offer(_Failed(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # release the file now, not when the generator is collected

    thread = threading.Thread(target=produce, name="konvergensi-read-ahead", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not _DONE:
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()
