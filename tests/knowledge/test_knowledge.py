"""The knowledge layer on real tantivy indexes: analysis, ranking, typos, incremental updates,
ticket and fact sources, the kb commands and retrieval evaluation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tantivy import Occur, Query

from conftest import Cli
from deskpilot.cli import main
from deskpilot.cli.kb import kb
from deskpilot.demo import build_demo
from deskpilot.desk import Desk
from deskpilot.knowledge import (
    ARTICLE,
    FACT,
    TICKET,
    EvalFileError,
    Hit,
    KnowledgeDoc,
    KnowledgeError,
    KnowledgeIndex,
    build_workspace_index,
    evaluate,
    index_articles,
    read_eval_file,
    ticket_document,
    upsert_ticket,
)
from deskpilot.knowledge.analysis import analyze_query
from deskpilot.knowledge.index import FORMAT_FILE, KIND_WEIGHTS, _TermStats
from deskpilot.knowledge.tickets import ANSWERED_STATUSES, answered_ticket_documents
from deskpilot.models import Author, Message, Status, Ticket
from deskpilot.store import QueueFilter
from deskpilot.workspace import Workspace

DATA = Path(__file__).parents[1] / "data" / "knowledge"

REFUND = """---
title: Refund policy
slug: refund-policy
category: Billing
tags: [billing, money]
url: https://help.example.com/refund-policy
---

# Refund policy

Money back within 30 days of payment. Annual plans are **prorated**.
"""
EXPORT = """---
title: Export your data
slug: export-data
category: Data
---

# Export your data

Download a CSV export of every project from Settings → Data.
"""
PASSWORD = """# Reset your password

Use the reset link in the email to choose a new password.
"""


def write_articles(folder: Path, **files: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name.replace("__", ".")
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def three_articles(folder: Path) -> Path:
    return write_articles(
        folder / "articles",
        refund_policy__md=REFUND,
        export_data__md=EXPORT,
        **{"reset-password__md": PASSWORD},
    )


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    return three_articles(tmp_path)


@pytest.fixture
def index(tmp_path: Path) -> KnowledgeIndex:
    return KnowledgeIndex.open(tmp_path / "index")


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeIndex:
    """The three fixture articles, indexed once for the tests that only search."""
    folder = tmp_path_factory.mktemp("shared")
    index = KnowledgeIndex.open(folder / "index")
    index_articles(index, three_articles(folder))
    return index


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The 300-ticket demo with its index, built once for the tests that only read it."""
    workspace = Workspace.create(tmp_path_factory.mktemp("demo"))
    with Desk.open(workspace) as desk:
        build_demo(desk)
        build_workspace_index(workspace, desk.store)
    return workspace


@pytest.fixture(scope="module")
def demo_index(demo_workspace: Workspace) -> KnowledgeIndex:
    return KnowledgeIndex.open(demo_workspace.index_dir, create=False)


@pytest.fixture(autouse=True, scope="module")
def _kb_registered() -> Iterator[None]:
    """Until cli/app.py registers the group itself."""
    added = "kb" not in main.commands
    if added:
        main.add_command(kb)
    yield
    if added:
        del main.commands["kb"]


def ids(hits: list[Hit]) -> list[str]:
    return [hit.id for hit in hits]


# --- analysis and ranking -------------------------------------------------------------------


def test_english_stemming_matches_other_word_forms(indexed: KnowledgeIndex) -> None:
    assert ids(indexed.search("refunds"))[0] == "refund-policy"
    assert ids(indexed.search("exporting projects"))[0] == "export-data"


def test_a_title_match_outranks_a_body_mention(index: KnowledgeIndex) -> None:
    index.upsert(
        [
            KnowledgeDoc("body", ARTICLE, "Getting started", "Invite people, then talk billing."),
            KnowledgeDoc("title", ARTICLE, "Billing", "Where the money goes, month by month."),
        ]
    )
    assert ids(index.search("billing")) == ["title", "body"]


def test_snippets_highlight_matched_words_without_markdown(indexed: KnowledgeIndex) -> None:
    hit = indexed.search("prorated annual plans")[0]
    assert hit.id == "refund-policy"
    assert "**Annual** **plans** are **prorated**" in hit.snippet
    assert "#" not in hit.snippet
    assert hit.url == "https://help.example.com/refund-policy"
    assert hit.title == "Refund policy" and hit.kind == ARTICLE


def test_a_title_only_match_gets_the_opening_of_the_body(indexed: KnowledgeIndex) -> None:
    hit = indexed.search("policy")[0]
    assert hit.snippet.startswith("Money back within 30 days")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pasword reset", "reset-password"),  # a letter missing
        ("refnud", "refund-policy"),  # two letters swapped
        ("xport data", "export-data"),  # the first letter missing: edit-distance fallback
    ],
)
def test_typos_still_find_the_article(indexed: KnowledgeIndex, query: str, expected: str) -> None:
    assert ids(indexed.search(query))[0] == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pasword reset", "reset-your-password"),
        ("invocie", "understanding-your-invoice"),
        ("salesforse", "connect-salesforce-or-hubspot"),
    ],
)
def test_typos_find_the_demo_articles(
    demo_index: KnowledgeIndex, query: str, expected: str
) -> None:
    assert expected in ids(demo_index.search(query, limit=3))


@pytest.mark.parametrize(
    "query",
    ['"unterminated', "title: refund", "(refund", "refund AND", "AND", "NOT", "-", "+ -",
     "a:b:c", "\\", "*", "refund~2", "[1 TO 5]", "", "   ",
     pytest.param("é" * 300, id="long-word"), pytest.param("refund " * 500, id="long-query")],
)  # fmt: skip
def test_query_syntax_characters_never_raise(indexed: KnowledgeIndex, query: str) -> None:
    hits = indexed.search(query)
    assert isinstance(hits, list)


def test_query_syntax_is_searched_as_words(indexed: KnowledgeIndex) -> None:
    assert ids(indexed.search('"refund policy" AND (money)'))[0] == "refund-policy"


def test_kinds_limit_and_empty_index(index: KnowledgeIndex) -> None:
    assert index.search("anything") == []
    index.upsert(
        [
            KnowledgeDoc("T-1", TICKET, "Refund please", "I want a refund."),
            KnowledgeDoc("refund", ARTICLE, "Refunds", "How refunds work."),
        ]
    )
    assert ids(index.search("refund", kinds=[TICKET])) == ["T-1"]
    assert len(index.search("refund", limit=1)) == 1
    assert index.search("refund", limit=0) == []


def _filtered_query_hits(
    index: KnowledgeIndex, query: str, limit: int, kinds: list[str] | None
) -> list[tuple[str, str, float]]:
    """What the whole query (every kind's weighted branch, then the kind filter) ranks first:
    what a kind-filtered search must give, however it gets there."""
    searcher = index._index.searcher()
    text = index._text_query(analyze_query(query, _TermStats(searcher)))
    weighted = list(KIND_WEIGHTS)
    kind_of = [(Occur.Must, Query.term_set_query(index._schema, "kind", weighted))]
    branches = [
        (
            Occur.Should,
            Query.boost_query(
                Query.boolean_query([(Occur.Must, text), (Occur.Must, index._term("kind", kind))]),
                weight,
            ),
        )
        for kind, weight in KIND_WEIGHTS.items()
    ]
    others = Query.boolean_query([(Occur.Must, text), (Occur.MustNot, kind_of[0][1])])
    ranked = Query.boolean_query([*branches, (Occur.Should, others)])
    if kinds:
        wanted = Query.term_set_query(index._schema, "kind", kinds)
        ranked = Query.boolean_query([(Occur.Must, ranked), (Occur.Must, wanted)])
    found = []
    for score, address in searcher.search(ranked, limit).hits:
        document = searcher.doc(address)
        found.append((document.get_first("kind"), document.get_first("id"), round(score, 4)))
    return found


def test_a_kind_filtered_search_ranks_and_scores_as_the_whole_filtered_query(
    index: KnowledgeIndex,
) -> None:
    """A search of tickets alone skips the kind filter's conjunction (10-15 ms a draft on the
    100k demo) and one of articles alone the other kinds' branch: the hits, their order and
    their scores stay the whole filtered query's, even when a dozen articles outrank every
    ticket, documents of a kind nobody asked for match, and deleted articles remain."""
    articles = [
        KnowledgeDoc(f"a{n}", ARTICLE, "Refund an invoice", "Refund invoice refund " * (n + 1))
        for n in range(12)
    ]
    facts = [KnowledgeDoc(f"f{n}", FACT, "Invoice", f"invoice fact {n}") for n in range(3)]
    tickets = [
        KnowledgeDoc(f"T-{n}", TICKET, f"Ticket {n}", "refund " * (n % 5 + 1) + "invoice " * n)
        for n in range(25)
    ]
    replies = [KnowledgeDoc(f"R-{n}", "reply", "Refund sent", "refund invoice") for n in range(4)]
    index.upsert([*articles, *facts, *tickets, *replies])
    index.delete(["a0", "a1"], kind=ARTICLE)
    for query in ("refund invoice", "invoice", "a refund for my invoice please", "ticket 7"):
        for kinds in ([TICKET], [TICKET, "reply"], [ARTICLE, FACT], [ARTICLE], [FACT], None):
            for limit in (1, 5, 30):
                found = [
                    (kind, hit.id, hit.score)
                    for hit in index.search(query, limit=limit, kinds=kinds)
                    for kind in [hit.kind]
                ]
                assert found == _filtered_query_hits(index, query, limit, kinds)
    first_tickets = index.search("refund invoice", limit=5, kinds=[TICKET])
    assert len(first_tickets) == 5 and {hit.kind for hit in first_tickets} == {TICKET}


# --- incremental indexing -------------------------------------------------------------------


def test_reindexing_skips_unchanged_and_picks_up_a_change(
    index: KnowledgeIndex, articles: Path
) -> None:
    first = index_articles(index, articles)
    assert (first.indexed, first.unchanged, first.removed, first.skipped) == (3, 0, 0, [])

    assert index_articles(index, articles).unchanged == 3

    (articles / "export_data.md").write_text(EXPORT.replace("CSV", "spreadsheet"))
    changed = index_articles(index, articles)
    assert (changed.indexed, changed.unchanged) == (1, 2)
    assert ids(index.search("spreadsheet")) == ["export-data"]
    assert "export-data" not in ids(index.search("csv"))
    assert index.count(ARTICLE) == 3


def test_a_deleted_article_file_leaves_the_index(index: KnowledgeIndex, articles: Path) -> None:
    index_articles(index, articles)
    (articles / "export_data.md").unlink()
    report = index_articles(index, articles)
    assert report.removed == 1
    assert "export-data" not in ids(index.search("csv export"))
    assert index.count(ARTICLE) == 2


def test_upsert_and_delete_by_id(index: KnowledgeIndex) -> None:
    doc = KnowledgeDoc("a", ARTICLE, "Alpha", "first version")
    assert index.upsert([doc]).indexed == 1
    assert index.upsert([doc]).unchanged == 1
    newer = KnowledgeDoc("a", ARTICLE, "Alpha", "second version")
    index.upsert([newer, KnowledgeDoc("a", ARTICLE, "Alpha", "third version")])
    assert index.count() == 1
    assert ids(index.search("third")) == ["a"] and index.search("second") == []
    index.delete(["a"], kind=TICKET)
    assert index.count() == 1  # another kind's id is left alone
    index.delete(["a"])
    assert index.count() == 0


def test_the_same_id_in_two_kinds_is_two_documents(index: KnowledgeIndex) -> None:
    index.upsert([KnowledgeDoc("x", ARTICLE, "One", "alpha"), KnowledgeDoc("x", FACT, "Two", "b")])
    assert index.count() == 2


# --- articles: front matter and broken files -----------------------------------------------


def test_an_article_without_front_matter_uses_its_file_name_and_heading(
    indexed: KnowledgeIndex,
) -> None:
    hit = indexed.search("reset link")[0]
    assert (hit.id, hit.title, hit.url) == ("reset-password", "Reset your password", "")


def test_broken_articles_are_skipped_by_name_and_the_rest_indexed(
    index: KnowledgeIndex, articles: Path
) -> None:
    write_articles(
        articles,
        latin1__md="# Cafe\n\nCrème brûlée".encode("latin-1"),
        unterminated__md="---\ntitle: Never closed\n\n# Heading\n\nBody",
        empty__md="  \n\n",
        bad_front__md="---\njust words\n---\n# T\n\nBody",
        title_only__md="---\ntitle: Nothing else\n---\n",
    )
    report = index_articles(index, articles)
    reasons = {s.name: s.reason for s in report.skipped}
    assert set(reasons) == {
        "latin1.md",
        "unterminated.md",
        "empty.md",
        "bad_front.md",
        "title_only.md",
    }
    assert "not UTF-8" in reasons["latin1.md"] and "line 3" in reasons["latin1.md"]
    assert "never closed" in reasons["unterminated.md"]
    assert reasons["empty.md"] == "empty file"
    assert "line 2" in reasons["bad_front.md"]
    assert report.indexed == 3


def test_a_broken_edit_keeps_the_last_good_version_searchable(
    index: KnowledgeIndex, articles: Path
) -> None:
    index_articles(index, articles)
    (articles / "refund_policy.md").write_bytes(b"---\ntitle: \xff\n")
    report = index_articles(index, articles)
    assert [s.name for s in report.skipped] == ["refund_policy.md"]
    assert report.removed == 0
    assert ids(index.search("refund"))[0] == "refund-policy"


def test_two_files_with_one_slug_keep_the_first(index: KnowledgeIndex, articles: Path) -> None:
    write_articles(articles, zz_copy__md=REFUND.replace("Money back", "Cash back"))
    report = index_articles(index, articles)
    assert [s.name for s in report.skipped] == ["zz_copy.md"]
    assert "already used by refund_policy.md" in report.skipped[0].reason


def test_a_missing_folder_is_a_knowledge_error(index: KnowledgeIndex, tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="not a folder"):
        index_articles(index, tmp_path / "nope")


# --- the index folder -----------------------------------------------------------------------


def test_an_index_from_another_format_is_refused_until_rebuilt(
    index: KnowledgeIndex, articles: Path, tmp_path: Path
) -> None:
    index_articles(index, articles)
    (tmp_path / "index" / FORMAT_FILE).write_text('{"format": 0}')
    with pytest.raises(KnowledgeError, match="--rebuild"):
        KnowledgeIndex.open(tmp_path / "index")
    assert KnowledgeIndex.open(tmp_path / "index", rebuild=True).count() == 0


def test_open_without_create_and_a_foreign_folder(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="kb index"):
        KnowledgeIndex.open(tmp_path / "missing", create=False)
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"x")
    with pytest.raises(KnowledgeError, match="not a DeskPilot search index"):
        KnowledgeIndex.open(tmp_path / "photos")
    with pytest.raises(KnowledgeError, match="refusing"):
        KnowledgeIndex.open(tmp_path / "photos", rebuild=True)
    assert (tmp_path / "photos" / "cat.jpg").exists()


# --- resolved tickets and facts -------------------------------------------------------------


def test_the_demo_index_holds_answered_resolved_tickets_articles_and_facts(
    demo_workspace: Workspace, demo_index: KnowledgeIndex
) -> None:
    with demo_workspace.open_store() as store:
        resolved = store.list_queue(QueueFilter(statuses=ANSWERED_STATUSES), limit=None)
        answered = [t for s in resolved if (t := store.get_ticket(s.id)) and ticket_document(t)]
    assert demo_index.count(TICKET) == len(answered) > 100
    assert demo_index.count(ARTICLE) == len(list(demo_workspace.articles_dir.glob("*.md")))
    assert demo_index.count(FACT) > 10
    ticket = answered[0]
    assert ticket.id in ids(demo_index.search(ticket.subject, limit=50, kinds=[TICKET]))


def test_the_bulk_ticket_reader_matches_the_per_ticket_one(demo_workspace: Workspace) -> None:
    with demo_workspace.open_store() as store:
        bulk = sorted(answered_ticket_documents(store), key=lambda d: d.id)
        resolved = store.list_queue(QueueFilter(statuses=ANSWERED_STATUSES), limit=None)
        one_by_one = sorted(
            (doc for s in resolved if (doc := ticket_document(store.get_ticket(s.id)))),
            key=lambda d: d.id,
        )
    assert bulk == one_by_one and len(bulk) > 100


def test_facts_answer_price_and_known_bug_questions(demo_index: KnowledgeIndex) -> None:
    assert ids(demo_index.search("pro plan price per month", kinds=[FACT]))[0] == "plan:pro"
    hit = demo_index.search("Export job timed out after 120000ms", kinds=[FACT])[0]
    assert hit.id == "BUG-102" and "**120000ms**" in hit.snippet


def test_a_closed_ticket_is_upserted_and_a_reopened_one_removed(desk: Desk) -> None:
    question = Message(author=Author.CUSTOMER, body="The sync keeps failing overnight.")
    desk.store.add_tickets(
        [
            Ticket(id="S-1", subject="Sync fails", messages=[question], status=Status.OPEN),
            Ticket(id="S-2", subject="Old one", messages=[question], status=Status.CLOSED),
        ]
    )
    index = KnowledgeIndex.open(desk.workspace.index_dir)
    unanswered = build_workspace_index(desk.workspace, desk.store).tickets
    assert (unanswered.indexed, index.count(TICKET)) == (0, 0)  # S-2 has no reply to learn from

    reply = Message(author=Author.AGENT, body="Flush the zanzibar cache and retry.")
    desk.store.append_message("S-1", reply)
    desk.set_status("S-1", Status.CLOSED)
    assert upsert_ticket(index, desk.ticket("S-1")) is True
    hit = index.search("zanzibar")[0]
    assert (hit.id, hit.kind, hit.title) == ("S-1", TICKET, "Sync fails")
    assert ids(index.search("sync overnight")) == ["S-1"]  # the customer's question counts too

    desk.set_status("S-1", Status.OPEN)
    assert upsert_ticket(index, desk.ticket("S-1")) is False
    assert index.search("zanzibar") == []

    desk.set_status("S-1", Status.SOLVED)  # the desk indexes a resolved ticket itself
    assert ids(desk.knowledge().search("zanzibar")) == ["S-1"]
    assert build_workspace_index(desk.workspace, desk.store).tickets.unchanged == 1
    desk.set_status("S-1", Status.OPEN)
    assert desk.knowledge().search("zanzibar") == []

    # A ticket resolved behind the desk's back (another tool) is picked up by a rebuild.
    desk.store.update_ticket("S-1", status=Status.SOLVED)
    report = build_workspace_index(desk.workspace, desk.store).tickets
    assert (report.indexed, report.removed) == (1, 0)
    desk.store.update_ticket("S-1", status=Status.OPEN)
    assert build_workspace_index(desk.workspace, desk.store).tickets.removed == 1


# --- the kb commands ------------------------------------------------------------------------


@pytest.fixture
def kb_cli(cli: Cli) -> Cli:
    assert cli("init").exit_code == 0
    return cli


def test_kb_index_reports_broken_files_on_stderr_and_exits_0(kb_cli: Cli, articles: Path) -> None:
    write_articles(articles, broken__md=b"# \xff\xfe")
    result = kb_cli("kb", "index", str(articles))
    assert result.exit_code == 0, result.output
    assert "3 indexed" in result.stdout and "1 skipped" in result.stdout
    assert "broken.md: not UTF-8" in result.stderr


def test_kb_search_json_has_the_documented_fields(kb_cli: Cli, articles: Path) -> None:
    kb_cli("kb", "index", str(articles))
    result = kb_cli("kb", "search", "refunds money", "--json", "--limit", "2")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert 1 <= len(rows) <= 2
    assert set(rows[0]) == {"id", "kind", "title", "score", "snippet", "url"}
    assert rows[0]["id"] == "refund-policy" and "**" in rows[0]["snippet"]
    plain = kb_cli("kb", "search", 'refund" AND (', "-w", str(kb_cli.workspace_dir))
    assert plain.exit_code == 0 and "Refund policy" in plain.stdout


def test_kb_search_without_an_index_is_one_line_exit_2(kb_cli: Cli) -> None:
    result = kb_cli("kb", "search", "anything")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "deskpilot kb index" in result.stderr


def test_kb_index_without_a_folder_indexes_the_whole_workspace(kb_cli: Cli, articles: Path) -> None:
    workspace = Workspace(kb_cli.workspace_dir.resolve())
    write_articles(workspace.articles_dir, refund__md=REFUND)
    result = kb_cli("kb", "index")
    assert result.exit_code == 0, result.output
    assert "1 indexed" in result.stdout.splitlines()[0]
    assert "answered tickets: 0 indexed" in result.stdout


def test_kb_index_rebuild_indexes_the_whole_workspace_again(kb_cli: Cli) -> None:
    workspace = Workspace(kb_cli.workspace_dir.resolve())
    write_articles(workspace.articles_dir, refund__md=REFUND)
    assert kb_cli("kb", "index").exit_code == 0
    again = kb_cli("kb", "index")
    assert "0 indexed" in again.stdout.splitlines()[0]  # unchanged: not rewritten
    rebuilt = kb_cli("kb", "index", "--rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "1 indexed" in rebuilt.stdout.splitlines()[0]


# --- retrieval evaluation -------------------------------------------------------------------

# By hand on the three fixture articles: ranks 1, 1, 2 (the password article's title holds both
# words, the refund article's body only "money" and "back") and a miss, so hit@1 = 2/4,
# hit@3 = 3/4 and MRR = (1 + 1 + 1/2 + 0) / 4.
EVAL_JSONL = [
    {"query": "refunds", "expected": "refund-policy"},
    {"query": "export", "expected": ["no-such-article", "export-data"]},
    {"query": "money back for a password reset", "expected": "refund-policy"},
    {"query": "kangaroo", "expected": "refund-policy"},
]
EVAL_CSV = (
    "query,expected\n"
    "refunds,refund-policy\n"
    "export,no-such-article|export-data\n"
    '"money back for a password reset",refund-policy\n'
    "kangaroo,refund-policy\n"
)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_kb_eval_computes_the_metrics(
    kb_cli: Cli, articles: Path, tmp_path: Path, suffix: str
) -> None:
    kb_cli("kb", "index", str(articles))
    path = tmp_path / f"eval{suffix}"
    if suffix == ".csv":
        path.write_text(EVAL_CSV)
    else:
        path.write_text("".join(json.dumps(case) + "\n" for case in EVAL_JSONL))
    result = kb_cli("kb", "eval", str(path), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 4
    assert report["hit_at_1"] == 0.5 and report["hit_at_3"] == 0.75
    assert report["mrr"] == pytest.approx(0.625)
    assert [case["rank"] for case in report["cases"]] == [1, 1, 2, None]
    assert report["unknown_ids"] == ["no-such-article"]
    assert "no-such-article" in result.stderr

    text = kb_cli("kb", "eval", str(path))
    assert text.stdout.split() == ["hit_at_1", "0.5000", "hit_at_3", "0.7500", "mrr", "0.6250",
                                   "n", "4"]  # fmt: skip


def test_the_demo_eval_set_retrieves_well(demo_index: KnowledgeIndex) -> None:
    """A regression guard on ranking quality, not a benchmark: hand-written agent queries."""
    result = evaluate(demo_index, read_eval_file(DATA / "demo_eval.jsonl"))
    assert result.unknown_ids == []
    assert result.hit_at_3 >= 0.9 and result.mrr >= 0.85


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.jsonl", b"", "empty file"),
        ("latin1.jsonl", b'{"query": "a", "expected": "b"}\n{"query": "caf\xe9"}\n', "line 2"),
        ("broken.jsonl", b'{"query": "a", "expected": "b"}\n{"query": \n', "line 2: not valid"),
        ("missing.jsonl", b'{"query": "a"}\n', "line 1: missing field 'expected'"),
        ("extra.jsonl", b'{"query": "a", "expected": "b", "x": 1}\n', "unknown field 'x'"),
        ("number.jsonl", b'{"query": "a", "expected": 3}\n', "'expected' must be"),
        ("empty-list.jsonl", b'{"query": "a", "expected": []}\n', "'expected' must be"),
        ("blank-query.jsonl", b'{"query": " ", "expected": "b"}\n', "'query' must be"),
        ("array.jsonl", b'["a", "b"]\n', "line 1: expected an object"),
        ("columns.csv", b"question,answer\nx,y\n", "line 1: columns must be query,expected"),
        ("header-only.csv", b"query,expected\n", "no evaluation cases"),
        ("ragged.csv", b"query,expected\na,b\nc,d,e\n", "line 3: expected 2 columns"),
    ],
)
def test_bad_eval_files_give_one_line_naming_file_and_line(
    kb_cli: Cli, articles: Path, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    kb_cli("kb", "index", str(articles))
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(EvalFileError, match=message.replace("(", r"\(")):
        read_eval_file(path)
    result = kb_cli("kb", "eval", str(path))
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert str(path) in result.stderr and message in result.stderr
