"""Replaying conversations, not single messages: TWCS's tweets read as threads (each brand
reply with the conversation before it), and drafts that answer the latest question and cite
the help page the team uses for it, never a link made for another customer."""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

import pytest

from deskpilot.copilot.adapt import latest_question, links_in
from deskpilot.evaluation.replay import replay
from deskpilot.feedback.replay_cases import ReplayCase, read_replay_file
from deskpilot.models import Author, Message, Ticket
from deskpilot.understand.datasets import DatasetError

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")
TWCS_CSV = SHARED / "twcs" / "twcs_first5000.csv"
needs_twcs = pytest.mark.skipif(not TWCS_CSV.exists(), reason="the shared TWCS data is not here")

HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"


def _customers(case: ReplayCase) -> int:
    return sum(message.author is Author.CUSTOMER for message in case.thread)


def test_tweets_are_read_as_conversations(tmp_path: Path) -> None:
    """Each brand reply is a case with every tweet before it, oldest first: the customer's as
    the customer's, the brand's earlier replies as the team's, another brand's as outside."""
    path = tmp_path / "tweets.csv"
    path.write_text(
        HEADER
        + "1,501,True,Tue Oct 31 10:00:00 +0000 2017,@Acme my bag is broken,2,\n"
        + "2,Acme,False,Tue Oct 31 10:05:00 +0000 2017,@501 Sorry! File a report. ^AB,3,1\n"
        + '3,501,True,Tue Oct 31 10:07:00 +0000 2017,"@Acme can I do it\nonline?",4,2\n'
        + "4,Acme,False,Tue Oct 31 10:09:00 +0000 2017,@501 It must be at the airport. ^AB,,3\n"
        + "5,OtherAir,False,Tue Oct 31 11:00:00 +0000 2017,@Acme @501 we can help too,6,4\n"
        + "6,Acme,False,Tue Oct 31 11:05:00 +0000 2017,@501 Anything else? ^CD,,5\n"
        + "7,777,True,Tue Oct 31 09:00:00 +0000 2017,@Acme nobody answered me,,\n",
        encoding="utf-8",
    )
    cases = {case.id: case for case in read_replay_file(path)}
    # In the order the replies went; the other brand's answer is a case of its own.
    assert list(cases) == ["twcs-2", "twcs-4", "twcs-5", "twcs-6"]
    assert cases["twcs-5"].company == "OtherAir"
    second = cases["twcs-4"]
    assert [m.author for m in second.thread] == [Author.CUSTOMER, Author.AGENT, Author.CUSTOMER]
    assert second.body == "@Acme can I do it\nonline?"  # the latest customer message
    assert second.reply == "@501 It must be at the airport. ^AB"
    assert (second.company, second.customer) == ("Acme", "501@twitter.example")
    assert [m.at.hour if m.at else None for m in second.thread] == [10, 10, 10]
    last = cases["twcs-6"]
    assert [m.author for m in last.thread][-1] is Author.CUSTOMER  # another brand's tweet
    assert _customers(last) == 3 and last.customer == "OtherAir@twitter.example"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2,Acme,maybe,Tue Oct 31 10:05:00 +0000 2017,@501 hi,,1", "line 3: 'inbound' must be"),
        ("2,Acme,False,yesterday,@501 hi,,1", "line 3: 'created_at' 'yesterday'"),
        ("x2,Acme,False,Tue Oct 31 10:05:00 +0000 2017,@501 hi,,1", "line 3: tweet id 'x2'"),
    ],
)
def test_a_bad_tweet_is_named_with_its_line(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "tweets.csv"
    first = "1,501,True,Tue Oct 31 10:00:00 +0000 2017,@Acme my bag is broken,2,\n"
    path.write_text(HEADER + first + row + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=message):
        read_replay_file(path)


def test_the_question_when_the_team_wrote_last_is_the_one_its_reply_answers() -> None:
    """A brand reply split over two tweets: the second answers the customer's question before
    the first part, not the conversation's first message."""
    ticket = Ticket(
        id="T-1",
        subject="x",
        messages=[
            Message(author=Author.CUSTOMER, body="@Acme my bag is broken"),
            Message(author=Author.AGENT, body="@501 Sorry! File a report. ^AB"),
            Message(author=Author.CUSTOMER, body="@Acme can I do it online?"),
            Message(author=Author.AGENT, body="@501 It must be done at the airport, 1/2"),
        ],
    )
    assert latest_question(ticket) == "@Acme can I do it online?"


@needs_twcs
def test_the_shared_tweets_give_every_brand_reply_its_conversation() -> None:
    cases = read_replay_file(TWCS_CSV)
    assert len(cases) > 2100
    assert all(case.company and case.thread for case in cases)
    assert sum(_customers(case) >= 2 for case in cases) > 900
    by_id = {case.id: case for case in cases}
    # Sprint's reply (tweet 1) answers tweet 3, which answered the brand's tweet 4...
    sprint = by_id["twcs-1"]
    assert sprint.company == "sprintcare" and sprint.customer == "115712@twitter.example"
    assert sprint.body.startswith("@sprintcare I have sent several private messages")
    assert sprint.thread[-2].author is Author.AGENT
    assert sprint.thread[-2].body.startswith("@115712 Please send us a Private Message")
    for case in cases:
        times = [m.at or case.created_at for m in case.thread]
        assert times == sorted(times), case.id  # oldest first
    # The tweet with a bare carriage return inside is read whole, as a space.
    assert any("@AskPayPal   I just love the start of email" in c.body for c in cases)


# --- the team's help pages --------------------------------------------------------------------

RESET = "https://help.acme.test/articles/360001-reset-password"
REFUNDS = "https://help.acme.test/articles/360002-refunds"
PASSWORD = [
    "I forgot my password, how do I get back in?",
    "can't log in, my password doesn't work anymore",
    "how do I reset my password?",
    "locked out of my account, the password is not accepted",
    "the password I use isn't working",
]
REFUND = [
    "how do I get a refund for my order?",
    "I want my money back for a broken kettle",
    "can I return this and be refunded?",
    "refund please, the toaster never worked",
    "how long does a refund take?",
    "I'd like to return my purchase for a refund",
    "my order arrived damaged, can I get my money back?",
    "I was charged twice, please refund one",
    "the lamp is faulty, I want a refund",
    "how do refunds work for gifts?",
]
PARCEL = ["where is my parcel {ref}?", "my order {ref} hasn't arrived", "tracking {ref} is stuck"]


def _acme_history() -> list[dict[str, object]]:
    """A team that answers password questions with the reset page, refunds with the refund
    page (twice as often), and parcels with each customer's own tracking link."""
    rows: list[dict[str, object]] = []
    for i in range(max(len(PASSWORD), len(REFUND))):
        if i < len(REFUND):
            rows.append(
                _row(REFUND[i], f"Sorry to hear that! Our refund steps are here: {REFUNDS}")
            )
        if i < len(PASSWORD):
            reset = f"Let's get you back in. You can set a new password here: {RESET}."
            rows.append(_row(PASSWORD[i], reset))
        if i < len(PARCEL):
            ref = f"ORD-{4100 + i}"
            track = f"https://track.acme.test/orders/{ref}?c=3{len(rows)}"
            rows.append(_row(PARCEL[i].format(ref=ref), f"It's on its way: {track}"))
    return rows


def _row(question: str, answer: str, *, before: tuple[str, str] | None = None) -> dict[str, object]:
    """A case in the import format from a customer of its own, addressed and signed as the team
    does; ``before``: an earlier exchange in the same conversation (their tweet, the reply)."""
    handle = f"3{zlib.crc32(question.encode()) % 100000:05d}"
    messages = [{"author": "customer", "body": f"@Acme {question}"}]
    if before:
        messages[:0] = [
            {"author": "customer", "body": f"@Acme {before[0]}"},
            {"author": "agent", "body": f"@{handle} {before[1]} ^AB"},
        ]
    return {
        "messages": messages,
        "reply": f"@{handle} {answer} ^AB",
        "company": "Acme",
        "customer": f"{handle}@twitter.example",
    }


def test_the_draft_cites_the_page_the_team_uses_for_the_latest_question(tmp_path: Path) -> None:
    """Conversations whose latest question is a paraphrase of one the team answers with a
    help page (after an earlier exchange about something else): the draft cites that page and
    not the other question's; a parcel question never gets another customer's tracking link."""
    history = _acme_history()
    probes = [
        _row(
            "one more thing: I can't remember the password for my login, what now?",
            f"You can set a new password here: {RESET}.",
            before=("got my refund for the kettle, thanks!", "Glad to hear it!"),
        ),
        _row(
            "my sign-in keeps failing, wrong password apparently",
            f"You can set a new password here: {RESET}.",
        ),
        _row(
            "the blender I bought is broken, I want a refund",
            f"Our refund steps are here: {REFUNDS}",
            before=("I reset my password, all good now", "Great!"),
        ),
        _row("my parcel ORD-7777 is late", "We're checking ORD-7777 for you."),
    ]
    path = tmp_path / "acme.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in history + probes), encoding="utf-8")
    cases = read_replay_file(path)
    records = replay(cases, window=10).records[-len(probes) :]
    drafts = [record.draft for record in records]
    assert RESET in links_in(drafts[0]) and REFUNDS not in drafts[0], drafts[0]
    assert RESET in links_in(drafts[1]) and REFUNDS not in drafts[1], drafts[1]
    assert REFUNDS in links_in(drafts[2]) and RESET not in drafts[2], drafts[2]
    assert "track.acme.test" not in drafts[3] and "ORD-41" not in drafts[3], drafts[3]
    for case, draft in zip(cases[-len(probes) :], drafts, strict=True):
        handle = (case.customer or "").split("@")[0]
        assert draft.startswith(f"@{handle} "), draft  # addressed to this customer
        assert draft.rstrip().endswith("^AB"), draft  # signed as the team signs


@needs_twcs
def test_on_real_threads_drafts_cite_the_brands_own_pages() -> None:
    """On the first 500 real brand replies, read as threads: a link in a draft is one the same
    brand sent earlier (or one this conversation holds), never another brand's nor one made
    up; and when the real reply cites a page the brand had sent two or more other customers
    (its help page for the question, its DM link), most drafts cite it too."""
    cases = read_replay_file(TWCS_CSV)[:500]
    learned = replay(cases, window=100)
    sent: dict[str, dict[str, set[str]]] = {}  # brand -> link -> customers it went to
    cited = could = 0
    for case, record in zip(cases, learned.records, strict=True):
        brand = sent.setdefault(case.company or "", {})
        conversation = " ".join(m.body for m in case.thread)
        drafted = links_in(record.draft)
        for link in drafted:
            assert link in brand or link in conversation, (record.id, link, record.draft)
        known = {link for link in links_in(case.reply) if len(brand.get(link, set())) >= 2}
        if known:
            could += 1
            cited += bool(known & drafted)
        for link in links_in(case.reply):
            brand.setdefault(link, set()).add(case.customer or "")
    assert could > 20
    assert cited > could / 2, (cited, could)
    for case, record in zip(cases, learned.records, strict=True):
        handle = (case.customer or "").split("@")[0]
        for mentioned in re.findall(r"(?<![\w@/.])@(\d{5,})", record.draft):
            assert mentioned == handle or mentioned in case.body, (record.id, record.draft)
