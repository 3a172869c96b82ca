"""Reading one mail: encodings, bodies, quoted history, attachments, and what is not a
customer's message. Pure functions on bytes written as real clients write them."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from deskpilot.connectors.builtin.email.html_text import html_to_text
from deskpilot.connectors.builtin.email.mime import read_mail
from deskpilot.connectors.builtin.email.quotes import new_text

TEAM = "help@acme.test"


def mail(body: str = "Hello", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Ann Lee <ann@example.com>")
    message["To"] = TEAM
    message["Subject"] = headers.pop("Subject", "Export fails")
    message["Message-ID"] = headers.pop("Message_ID", "<m1@example.com>")
    message["Date"] = "Mon, 30 Nov 2026 10:12:00 +0100"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def test_a_plain_mail_becomes_a_message_with_its_ids_and_sender() -> None:
    sent = mail(
        "The export fails with error 500.",
        In_Reply_To="<r2@acme.test>",
        References="<c1@example.com> <r1@acme.test>  <r2@acme.test>",
    )
    read = read_mail(sent.as_bytes(), TEAM)
    assert read.message is not None and not read.skipped and not read.malformed
    message = read.message
    assert message.external_id == "<m1@example.com>"
    assert message.in_reply_to == ["<r2@acme.test>", "<r1@acme.test>", "<c1@example.com>"]
    assert (message.from_email, message.from_name) == ("ann@example.com", "Ann Lee")
    assert message.subject == "Export fails"
    assert message.body == "The export fails with error 500."
    assert message.at == datetime(2026, 11, 30, 9, 12, tzinfo=UTC)
    assert message.attachments == []


def test_encoded_headers_and_latin1_quoted_printable_body() -> None:
    raw = (
        b"From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <JUERGEN@example.de>\r\n"
        b"To: help@acme.test\r\n"
        b"Subject: =?ISO-8859-1?Q?Rechnung_f=FCr_M=E4rz?= =?UTF-8?B?IOKAkyBmYWxzY2g=?=\r\n"
        b"Message-ID: <de1@example.de>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=ISO-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"Gr=FC=DFe, die Rechnung f=FCr M=E4rz ist falsch.\r\n"
    )
    message = read_mail(raw, TEAM).message
    assert message is not None
    assert message.from_name == "Jürgen Müller" and message.from_email == "juergen@example.de"
    assert message.subject == "Rechnung für März – falsch"
    assert message.body == "Grüße, die Rechnung für März ist falsch."


def test_utf8_base64_body() -> None:
    text = "Привет! 注文番号 4411 がまだ届きません。"
    raw = (
        b"From: yuki@example.jp\r\nTo: help@acme.test\r\nSubject: =?UTF-8?B?"
        + base64.b64encode("注文".encode())
        + b"?=\r\nMessage-ID: <jp1@example.jp>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(text.encode())
    )
    message = read_mail(raw, TEAM).message
    assert message is not None and message.subject == "注文" and message.body == text


def test_an_unknown_charset_is_read_as_well_as_can_be_not_lost() -> None:
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nMessage-ID: <u@example.com>\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nplain words\r\n"
    )
    message = read_mail(raw, TEAM).message
    assert message is not None and message.body == "plain words"


def test_text_plain_is_preferred_over_html() -> None:
    sent = mail("the plain words")
    sent.add_alternative("<p>the <b>html</b> words</p>", subtype="html")
    message = read_mail(sent.as_bytes(), TEAM).message
    assert message is not None and message.body == "the plain words"


def test_html_only_mail_becomes_readable_text() -> None:
    sent = mail()
    sent.set_content(
        "<html><head><style>p {color: red}</style></head><body>"
        "<p>Hi,</p><p>the <b>export</b> fails, see <a href='https://app.test/x'>this page</a>."
        "<br>Steps:</p><ul><li>open</li><li>click&nbsp;export</li></ul>"
        "<script>alert(1)</script></body></html>",
        subtype="html",
    )
    message = read_mail(sent.as_bytes(), TEAM).message
    assert message is not None
    assert message.body == (
        "Hi,\n\nthe export fails, see this page (https://app.test/x).\nSteps:\n\n"
        "- open\n- click export"
    )
    assert "alert" not in message.body and "color" not in message.body


def test_attachments_keep_name_type_size_and_bytes() -> None:
    sent = mail("See the screenshot.")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    sent.add_attachment(png, maintype="image", subtype="png", filename="screen shot.png")
    sent.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="../../etc/x.csv")
    message = read_mail(sent.as_bytes(), TEAM).message
    assert message is not None and message.body == "See the screenshot."
    first, second = message.attachments
    assert (first.name, first.content_type, first.size, first.data) == (
        "screen shot.png",
        "image/png",
        len(png),
        png,
    )
    assert second.name == "etc_x.csv" and second.data == b"a,b\n1,2\n", "no folders in a name"


def test_a_mail_without_message_id_gets_a_stable_stand_in() -> None:
    raw = b"From: a@example.com\r\nSubject: x\r\n\r\nhello\r\n"
    first, again = read_mail(raw, TEAM).message, read_mail(raw, TEAM).message
    assert first is not None and again is not None
    assert first.external_id == again.external_id and first.external_id.startswith("<")


# --- quoted history and signatures, as clients write them ------------------------------------

QUOTED = {
    "gmail, English": (
        "Thanks, that worked!\n\nOne more thing: the CSV export.\n\n"
        "On Mon, Nov 30, 2026 at 10:12 AM ACME Support <help@acme.test> wrote:\n"
        "> Hi Ann,\n> please try again.\n",
        "Thanks, that worked!\n\nOne more thing: the CSV export.",
    ),
    "gmail, German": (
        "Danke, es geht wieder.\n\n"
        "Am Mo., 30. Nov. 2026 um 10:12 Uhr schrieb ACME Support <help@acme.test>:\n"
        "> Hallo Ann,\n",
        "Danke, es geht wieder.",
    ),
    "gmail, French": (
        "Merci, ça marche.\n\n"
        "Le lun. 30 nov. 2026 à 10:12, ACME Support <help@acme.test> a écrit :\n> Bonjour\n",
        "Merci, ça marche.",
    ),
    "gmail, Spanish": (
        "Gracias, ya funciona.\n\n"
        "El lun, 30 nov 2026 a las 10:12, ACME Support (<help@acme.test>) escribió:\n> Hola\n",
        "Gracias, ya funciona.",
    ),
    "gmail, Portuguese": (
        "Obrigado!\n\nEm seg., 30 de nov. de 2026 às 10:12, ACME <help@acme.test> escreveu:\n\n"
        "> Olá\n",
        "Obrigado!",
    ),
    "outlook, English": (
        "It still fails.\n\n"
        "________________________________\nFrom: ACME Support <help@acme.test>\n"
        "Sent: Monday, November 30, 2026 10:12 AM\nTo: Ann Lee <ann@example.com>\n"
        "Subject: Re: Export fails [T-000123]\n\nHi Ann,\nplease try again.\n",
        "It still fails.",
    ),
    "outlook, German": (
        "Geht immer noch nicht.\n\nVon: ACME Support <help@acme.test>\n"
        "Gesendet: Montag, 30. November 2026 10:12\nAn: Ann\nBetreff: Re: Export\n\nHallo\n",
        "Geht immer noch nicht.",
    ),
    "apple mail, with its signature": (
        "Still broken.\n\nSent from my iPhone\n\n"
        "> On 30 Nov 2026, at 10:12, ACME Support <help@acme.test> wrote:\n>\n> Hi Ann\n",
        "Still broken.",
    ),
    "a '-- ' signature": ("Works now.\n\n-- \nAnn Lee\nCTO, Example Ltd\n", "Works now."),
}


@pytest.mark.parametrize("client", sorted(QUOTED))
def test_quoted_history_and_signatures_are_stripped(client: str) -> None:
    body, expected = QUOTED[client]
    assert new_text(body) == expected


def test_a_list_the_customer_wrote_is_not_taken_for_a_signature() -> None:
    body = "Steps:\n- open the app\n- click export\n\nThanks\nAnn"
    assert new_text(body) == body


def test_an_answer_written_between_quotes_is_kept_whole() -> None:
    body = "> Which browser?\nFirefox 120\n> Which system?\nDebian 12"
    assert new_text(body) == body


def test_quote_stripping_never_leaves_nothing() -> None:
    assert new_text("> only a quote\n") == "> only a quote"


def test_a_reply_in_html_loses_its_blockquote() -> None:
    sent = mail()
    sent.set_content(
        "<div>Still failing, sorry.</div><br><div class='gmail_quote'>"
        "<div>On Mon, Nov 30, 2026 at 10:12 AM ACME &lt;help@acme.test&gt; wrote:<br></div>"
        "<blockquote>Hi Ann,<br>try again</blockquote></div>",
        subtype="html",
    )
    message = read_mail(sent.as_bytes(), TEAM).message
    assert message is not None and message.body == "Still failing, sorry."


def test_html_to_text_never_shows_markup_or_scripts() -> None:
    text = html_to_text("<p>a &lt;b&gt; <img src=x onerror=alert(1)>b</p><style>x{}</style>")
    assert text == "a <b> b"


# --- not a customer's message --------------------------------------------------------------------

AUTOMATIC = {
    "auto-submitted": {"Auto_Submitted": "auto-replied"},
    "x-autoreply": {"X_Autoreply": "yes"},
    "x-autorespond": {"X_Autorespond": "vacation"},
    "precedence bulk": {"Precedence": "bulk"},
    "precedence junk": {"Precedence": "junk"},
    "a mailing list": {"List_Id": "<news.shop.example>"},
    "mailer-daemon": {"From": "Mail Delivery System <MAILER-DAEMON@mx.example.com>"},
    "postmaster": {"From": "postmaster@example.com"},
}


@pytest.mark.parametrize("kind", sorted(AUTOMATIC))
def test_machines_mail_is_skipped_with_a_reason(kind: str) -> None:
    read = read_mail(mail("I am out of office", **AUTOMATIC[kind]).as_bytes(), TEAM)
    assert read.message is None and read.skipped and not read.malformed


def test_auto_submitted_no_is_a_person() -> None:
    read = read_mail(mail(Auto_Submitted="no").as_bytes(), TEAM)
    assert read.message is not None


def test_a_delivery_report_is_skipped() -> None:
    raw = (
        b"From: Mail Delivery Subsystem <bounces@mx.example.com>\r\nTo: help@acme.test\r\n"
        b"Subject: Undelivered Mail\r\nMessage-ID: <b1@mx.example.com>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n\r\n--b--\r\n"
    )
    read = read_mail(raw, TEAM)
    assert read.message is None and "delivery-status" in read.skipped


def test_mail_from_the_team_itself_is_skipped() -> None:
    read = read_mail(mail(From="ACME Support <HELP@acme.test>").as_bytes(), TEAM)
    assert read.message is None and "own address" in read.skipped


def test_the_teams_own_list_header_does_not_hide_customers() -> None:
    # support@ as a Google Group: every customer's mail carries the group's List-Id.
    sent = mail(List_Id="ACME help <help.acme.test>", Precedence="list")
    assert read_mail(sent.as_bytes(), TEAM).message is not None


@pytest.mark.parametrize(
    "raw",
    [
        b"Content-Type: multipart/mixed; boundary=zzz\r\nFrom: a@example.com\r\n\r\nno parts\r\n",
        b"Subject: no sender at all\r\n\r\nwho wrote this?\r\n",
    ],
    ids=["multipart without its boundary", "no From address"],
)
def test_malformed_mail_is_reported_not_returned(raw: bytes) -> None:
    read = read_mail(raw, TEAM)
    assert read.message is None and read.malformed and not read.skipped


def test_an_outlook_html_reply_loses_the_quoted_message() -> None:
    sent = mail()
    sent.set_content(
        "<html><body><div>Still fails on Safari.</div><hr>"
        '<div id="divRplyFwdMsg"><b>From:</b> ACME Support &lt;help@acme.test&gt;<br>'
        "<b>Sent:</b> Monday, November 30, 2026 10:12 AM<br><b>To:</b> Ann Lee<br>"
        "<b>Subject:</b> Re: Export fails [T-000123]</div><div>Hi Ann, try again.</div>"
        "</body></html>",
        subtype="html",
    )
    message = read_mail(sent.as_bytes(), TEAM).message
    assert message is not None and message.body == "Still fails on Safari."
