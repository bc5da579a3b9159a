"""CPU-bound work off the event loop, with a time budget: one request cannot delay the others.

Why threads and not processes: an action call needs the app's loaded knowledge index, database pool and caches,
which a process pool would have to load again per worker. In a thread, pure-Python work gives the event loop
the GIL back every switch interval (5 ms), so other conversations' turns go on while a long parse runs; waits
for the database, the embedding model (torch) and FAISS release the GIL anyway.

What threads cannot do, and so what protects the app first: a thread cannot be killed, and a regular expression
that backtracks holds the GIL inside the C matcher for as long as it runs. That is why every parser of user text
is linear (tests/test_parsers_linear.py, tools/bench_parsers.py); the budget here is the backstop for what is
merely slow: when it runs out, the caller stops waiting and answers (the action webhook with a "that took too
long" message, the upload with a refusal), and the thread finishes its work in the background, its result unused.
A bounded pool keeps a flood of such work from taking more than ``WORKERS`` threads.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
WORKERS = 16

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


class BudgetExceeded(Exception):
    """The work did not finish within its budget; its result, if it ever comes, is dropped."""


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="offload")
        return _pool


async def off_loop(fn: Callable[..., T], *args: object, budget_s: float) -> T:
    """Run ``fn(*args)`` in the offload pool; BudgetExceeded when it takes longer than ``budget_s`` seconds."""
    future = asyncio.get_running_loop().run_in_executor(_executor(), functools.partial(fn, *args))
    try:
        return await asyncio.wait_for(asyncio.shield(future), budget_s)
    except TimeoutError as exc:
        raise BudgetExceeded(f"over the {budget_s:g} s budget") from exc


_local = threading.local()


def run_coroutine_here(factory: Callable[[], object]) -> object:
    """Run a coroutine to completion on this worker thread's own event loop (kept for the thread's life).

    rasa-sdk's executor is async, but actions do blocking and CPU-bound work inside; on a loop of their own, in a
    pool thread, that work never blocks the app's loop.
    """
    loop = getattr(_local, "loop", None)
    if loop is None:
        loop = _local.loop = asyncio.new_event_loop()
    return loop.run_until_complete(factory())  # type: ignore[arg-type]
