"""Knowledge: the team's help-center articles, resolved tickets and product facts, searchable.

``KnowledgeIndex`` is the tantivy index (open, upsert, delete, sync, search); the ``index_*``
functions read each source into it, and ``build_workspace_index`` brings a whole workspace's
index up to date. Everything here is blocking: run it in a thread worker from the TUI.
"""

from deskpilot.knowledge.articles import index_articles, read_article
from deskpilot.knowledge.build import WorkspaceIndexReport, build_workspace_index
from deskpilot.knowledge.documents import (
    ARTICLE,
    FACT,
    KINDS,
    TICKET,
    IndexReport,
    KnowledgeDoc,
    Progress,
    Skipped,
)
from deskpilot.knowledge.errors import EvalFileError, KnowledgeError
from deskpilot.knowledge.evaluate import EvalCase, EvalResult, evaluate, read_eval_file
from deskpilot.knowledge.facts import index_facts
from deskpilot.knowledge.index import Hit, KnowledgeIndex, WriteResult
from deskpilot.knowledge.tickets import (
    index_answered_tickets,
    ticket_document,
    upsert_ticket,
)

__all__ = [
    "ARTICLE",
    "FACT",
    "KINDS",
    "TICKET",
    "EvalCase",
    "EvalFileError",
    "EvalResult",
    "Hit",
    "IndexReport",
    "KnowledgeDoc",
    "KnowledgeError",
    "KnowledgeIndex",
    "Progress",
    "Skipped",
    "WorkspaceIndexReport",
    "WriteResult",
    "build_workspace_index",
    "evaluate",
    "index_answered_tickets",
    "index_articles",
    "index_facts",
    "read_article",
    "read_eval_file",
    "ticket_document",
    "upsert_ticket",
]
