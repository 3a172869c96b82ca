"""The store: every read and write of DeskPilot's data goes through ``Store``.

``Store`` is composed here of one mixin per persisted concern, each in a module of its own over
``StoreBase`` (``base.py``), which owns the engine and the transaction in progress:

- ``engine.py``: URLs, the engine, opening (schema check, SQLite upgrade) and ``migrate_database``
- ``tickets.py``: tickets and their messages, the queue's pages and counts, the search corpus
- ``triage.py``: triage records
- ``customers.py``: customers
- ``edits.py``: drafts, edit events and revisions, source feedback
- ``claims.py``: team mode's claims
- ``audit.py``: the audit trail of actions
- ``listening.py``: announcing and waiting for queue changes
- ``quality.py``: QA scores and CSAT surveys
- ``snooze.py`` and ``surveys.py``: snoozes and merges; CSAT surveys due and sent
- ``corpus.py`` and ``statistics.py``: reads over many tickets for learning and reports
- ``filters.py`` and ``rows.py``: the queue filter and ordering; rows to models and back
- ``channels.py``: what the channels persist (outbox, sync cursors, unread), beside the store

It is written against SQLAlchemy Core, so the same code serves the embedded SQLite workspace and
a team's PostgreSQL; dialect details stay inside ``engine.py`` and ``listening.py``.
"""

from __future__ import annotations

from deskpilot.store.audit import AuditMixin
from deskpilot.store.base import StoreBase
from deskpilot.store.claims import ClaimsMixin
from deskpilot.store.corpus import CorpusMixin
from deskpilot.store.customers import CustomersMixin
from deskpilot.store.edits import EditsMixin
from deskpilot.store.engine import open_engine
from deskpilot.store.listening import ListeningMixin
from deskpilot.store.quality import QualityMixin
from deskpilot.store.snooze import SnoozeStore
from deskpilot.store.statistics import StatisticsMixin
from deskpilot.store.surveys import SurveyStore
from deskpilot.store.tickets import TicketsMixin
from deskpilot.store.triage import TriageMixin


class Store(
    TicketsMixin,
    TriageMixin,
    CustomersMixin,
    EditsMixin,
    ClaimsMixin,
    AuditMixin,
    QualityMixin,
    CorpusMixin,
    StatisticsMixin,
    SnoozeStore,
    SurveyStore,
    ListeningMixin,
    StoreBase,
):
    """Every read and write of DeskPilot's data, one concern per mixin."""


def open_store(url: str) -> Store:
    """Connect and check the schema version; refuse a newer one.

    An embedded SQLite workspace is upgraded on open. A team's PostgreSQL database is only
    checked: it is upgraded on purpose with ``migrate_database`` (``deskpilot migrate``), so no
    desk changes the schema under the others as a side effect of starting.
    """
    return Store(*open_engine(url))
