"""Workers that never take the desk down: every worker of the TUI is declared with ``desk_work``.

Textual's ``@work`` exits the app when a worker raises (``exit_on_error=True``), and its
``Worker.StateChanged`` does not bubble, so no single handler could hear every failure. A
``desk_work`` worker runs with ``exit_on_error=False`` and, on an exception it did not
expect, posts ``WorkerFailed`` to the app: the one place that tells the agent (a
notification) and keeps the desk up. Errors a worker expects (DeskPilot errors) it catches
and reports itself, in its own words.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from textual import work
from textual.dom import DOMNode

from deskpilot.tui.messages import WorkerFailed


def desk_work(
    *, thread: bool = False, exclusive: bool = False, group: str = "default"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@work(thread=..., exclusive=..., group=...)`` whose failures reach the app's handler."""

    def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(method):

            @functools.wraps(method)
            async def guarded_async(node: DOMNode, *args: Any, **kwargs: Any) -> Any:
                try:
                    return await method(node, *args, **kwargs)
                except Exception as error:
                    _report(node, method.__name__, error)
                    raise  # the worker ends in the ERROR state, as Textual records it

            guarded: Callable[..., Any] = guarded_async
        else:

            @functools.wraps(method)
            def guarded_sync(node: DOMNode, *args: Any, **kwargs: Any) -> Any:
                try:
                    return method(node, *args, **kwargs)
                except Exception as error:
                    _report(node, method.__name__, error)
                    raise

            guarded = guarded_sync
        return work(guarded, thread=thread, exclusive=exclusive, group=group, exit_on_error=False)

    return decorate


def _report(node: DOMNode, name: str, error: Exception) -> None:
    # post_message is thread-safe: thread workers report the same way.
    node.app.post_message(WorkerFailed(name.strip("_"), f"{type(error).__name__}: {error}"))
