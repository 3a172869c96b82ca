"""Whether a store holds the demo: one meta entry the demo build writes in its own transaction.

Kept with the store (not in ``deskpilot.demo``) because the layers below the desk ask it too:
the connector registry serves the demo connector by default on a demo workspace, and reading a
flag must not import the demo generator (which builds through the desk).
"""

from __future__ import annotations

from deskpilot.store.sql import Store

DEMO_KEY = "demo"  # in the store's meta table


def demo_description(store: Store) -> str | None:
    """How the demo in this store was built, or None if it holds no (complete) demo."""
    return store.get_meta(DEMO_KEY)
