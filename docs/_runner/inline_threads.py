"""asyncio and asgiref for a Python with no threads and no sockets (Pyodide).

Python in the browser cannot start a thread ("can't start new thread") or
open a socket, and Django's ASGI handler wants both: asgiref's SyncToAsync
runs synchronous code in a worker thread, ThreadSensitiveContext ends each
request by stopping one, and asyncio's usual event loop wakes itself through
a socket pair. ``install()`` replaces, for this process only:

* Pyodide's own event loop (which runs on the browser's) at the top level,
  and the event loop that ``asyncio.run()`` makes, with ``InlineEventLoop``,
  which runs callbacks and timers, sleeps (``time.sleep``) until the next
  timer, has no selector, and calls ``run_in_executor``'s function inline;
* ``SyncToAsync.__call__`` with a call of the function inline, as a worker
  thread would make it: no event loop runs while it runs, so Django's
  async-unsafe check and ``asyncio.get_running_loop()`` see what they see in
  a thread;
* ``AsyncToSync.__call__`` (from such a function) with a loop of its own,
  run to the end in the same thread;
* ``ThreadSensitiveContext`` with a context that starts nothing.

What differs from a real server: synchronous code runs one call at a time,
blocking the loop while it runs (a server runs it beside the loop).
"""

import asyncio
import time
from asyncio import events, tasks

from asgiref import sync


class _Sleeper:
    """The one method of a selector that BaseEventLoop calls: wait."""

    def select(self, timeout):
        if timeout is None:
            raise RuntimeError("the event loop waits for an event that nothing can send "
                               "(no threads and no sockets in this Python)")
        if timeout > 0:
            time.sleep(timeout)
        return []


class InlineEventLoop(asyncio.BaseEventLoop):
    """An asyncio event loop without a selector: callbacks, tasks and timers."""

    def __init__(self):
        super().__init__()
        self._selector = _Sleeper()

    def _process_events(self, event_list):
        pass

    def _write_to_self(self):
        pass

    def run_in_executor(self, executor, func, *args):
        """Call ``func`` now, as a thread of ``executor`` would, and return
        a future that holds its result."""
        future = self.create_future()
        try:
            future.set_result(call_without_loop(func, *args))
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as error:
            future.set_exception(error)
        return future


def call_without_loop(func, *args, **kwargs):
    """``func(*args, **kwargs)`` as in a thread of its own: no running event
    loop and no current task (a loop that ``func`` starts may run tasks)."""
    loop = events._get_running_loop()
    task = tasks.current_task(loop) if loop is not None else None
    if task is not None:
        tasks._leave_task(loop, task)
    events._set_running_loop(None)
    try:
        return func(*args, **kwargs)
    finally:
        events._set_running_loop(loop)
        if task is not None:
            tasks._enter_task(loop, task)


async def _sync_to_async(self, *args, **kwargs):
    return call_without_loop(self.func, *args, **kwargs)


def _async_to_sync(self, *args, **kwargs):
    if events._get_running_loop() is not None:
        raise RuntimeError("You cannot use AsyncToSync in the same thread as an async event "
                           "loop - just await the async function directly.")
    return asyncio.run(self.awaitable(*args, **kwargs))


async def _enter(self):
    return self


async def _exit(self, *exc_info):
    return None


def install():
    """Patch asyncio and asgiref as the module's docstring says; idempotent."""
    # Pyodide marks its own loop (on the browser's event loop) as running at
    # the top level, and replaces asyncio.run() with a call into it: both
    # undone, so that code at the top level runs as in a script.
    events._set_running_loop(None)
    asyncio.run = asyncio.runners.run
    # asyncio.run() and asyncio.new_event_loop() call events.new_event_loop().
    events.new_event_loop = asyncio.new_event_loop = InlineEventLoop
    sync.SyncToAsync.__call__ = _sync_to_async
    sync.AsyncToSync.__call__ = _async_to_sync
    sync.ThreadSensitiveContext.__aenter__ = _enter
    sync.ThreadSensitiveContext.__aexit__ = _exit
