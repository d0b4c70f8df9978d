"""Running work in real threads, each with its own database connection, for race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def in_threads(*work: Callable[[], object], timeout: float = 120) -> list[BaseException]:
    """Run each callable in its own thread (own database connection), all released at once;
    the errors they raised."""
    start = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(fn: Callable[[], object]) -> None:
        try:
            start.wait()
            fn()
        except BaseException as error:  # noqa: BLE001 - collected and asserted on by the caller
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return errors
