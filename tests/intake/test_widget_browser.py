"""The web widget in a real browser (headless Chromium from the distribution, selenium): the
demo page served by the real server, a failing button, a message sent through the panel, the
ticket's page context, an agent's answer appearing in the page, another origin refused, and
the panel worked with the keyboard alone."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import chromium, missing_browser
from deskpilot.config import SiteKeySettings
from deskpilot.desk import Desk
from deskpilot.intake.server import IntakeServer
from deskpilot.models import Author, Channel, Status
from deskpilot.workspace import Workspace

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(missing_browser()), reason=missing_browser() or "browser present"),
]

SECRET_TYPED = "hunter2-typed-into-the-page"
WAIT = 30  # seconds: a busy machine triages slowly


@pytest.fixture
def served(demo_desk: Desk) -> Iterator[tuple[str, Desk]]:
    """The demo workspace served as ``deskpilot serve`` serves it; the panel polls each second.
    Yields the base URL and a second desk on the same workspace: the agent's own."""
    demo_desk.settings.widget.poll_seconds = 1
    demo_desk.triage()
    server = IntakeServer(demo_desk, demo_desk.settings.intake, port=0)
    agent_workspace = Workspace.existing(demo_desk.workspace.root)
    with server.running() as base, Desk.open(agent_workspace) as agent_desk:
        yield base, agent_desk


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path / "profile") as driver:
        yield driver


def wait_for(driver: Any, condition: Any, message: str = "") -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition, message)


def by_id(driver: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def active_id(driver: Any) -> str:
    return str(driver.execute_script("return document.activeElement && document.activeElement.id"))


def sent_reference(driver: Any) -> str:
    status = wait_for(
        driver,
        lambda d: (
            "reference is" in by_id(d, "deskpilot-status").text
            or "Not sent" in by_id(d, "deskpilot-status").text
        ),
        "the panel never said whether the message went",
    )
    assert status
    text = by_id(driver, "deskpilot-status").text
    assert "reference is" in text, text
    return text.split("reference is ")[1].split(";")[0]


def test_a_failing_page_a_message_its_context_and_the_answer_in_the_page(
    served: tuple[str, Desk], browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    base, agent_desk = served
    tickets_before = agent_desk.store.count_tickets()
    browser.get(f"{base}/widget/demo")
    # The customer types something into the product (it must never be captured)...
    by_id(browser, "search").send_keys(SECRET_TYPED)
    browser.find_element(By.CSS_SELECTOR, "#filters button").click()
    # ...moves around the single-page app...
    browser.find_element(By.LINK_TEXT, "Billing").click()
    browser.find_element(By.LINK_TEXT, "Reports").click()
    # ...and the export fails: a console error, a banner, an uncaught error.
    by_id(browser, "export").click()
    wait_for(browser, lambda d: by_id(d, "banner").is_displayed(), "no error banner")
    browser.execute_script("return new Promise(function (r) { setTimeout(r, 50); })")

    by_id(browser, "deskpilot-launcher").click()
    assert by_id(browser, "deskpilot-panel").is_displayed()
    assert active_id(browser) == "deskpilot-email"
    by_id(browser, "deskpilot-email").send_keys("sam.taylor@example.org")
    by_id(browser, "deskpilot-message").send_keys(
        "Export CSV shows an error and nothing downloads."
    )
    by_id(browser, "deskpilot-send").click()
    reference = sent_reference(browser)

    ticket = agent_desk.ticket(reference)
    assert agent_desk.store.count_tickets() == tickets_before + 1
    assert ticket.channel is Channel.WEB
    assert ticket.first_customer_message == "Export CSV shows an error and nothing downloads."
    page = ticket.page_context
    assert page is not None
    assert page.url == f"{base}/widget/demo"
    assert page.title == "Reports · Acme Cloud"
    console = [e for e in page.errors if e.startswith("console.error: Export failed:")]
    assert len(console) == 1, page.errors
    assert "TypeError: Cannot read properties of undefined (reading 'map')" in console[0]
    assert f"(at {base}/widget/demo:" in console[0]  # where it was raised
    assert any(e.startswith("Uncaught: TypeError") for e in page.errors), page.errors
    assert page.steps_attempted == [
        "clicked button “Filter”",
        "submitted form “Report filters”",
        "clicked link “Billing”",
        "went to /widget/demo (Billing · Acme Cloud)",
        "clicked link “Reports”",
        "went to /widget/demo (Reports · Acme Cloud)",
        "clicked button “Export CSV”",
    ]
    assert "Something went wrong while exporting your report" in page.visible_state
    assert "Chrome" in page.environment["browser"] and page.environment["os"] == "Linux"
    assert page.environment["viewport"].startswith("1280×")
    assert page.product_context == {"account": "ACME-4411", "plan": "pro", "new_exports": "true"}
    assert page.unverified_identity == "sam.taylor@example.org"
    assert ticket.customer is None  # nobody signed who they are
    # Nothing typed into the page left it; the email typed into the panel is the customer's.
    assert SECRET_TYPED not in json.dumps(page.model_dump())
    assert SECRET_TYPED not in ticket.first_customer_message

    # The agent answers from the desk; the open panel shows it.
    agent_desk.send_reply(reference, "Sorry about that, Sam: the export is fixed now.")
    wait_for(
        browser,
        lambda d: "the export is fixed now" in by_id(d, "deskpilot-log").text,
        "the agent's reply never appeared in the panel",
    )
    log = by_id(browser, "deskpilot-log")
    assert log.get_attribute("role") == "log"
    assert "You" in log.text

    # The customer comes back to the page later: the conversation is there, and a follow-up
    # joins the same ticket.
    browser.get(f"{base}/widget/demo")
    by_id(browser, "deskpilot-launcher").click()
    wait_for(browser, lambda d: "the export is fixed now" in by_id(d, "deskpilot-log").text)
    assert not by_id(browser, "deskpilot-email").is_displayed()  # they are known by now
    reply_count = len(agent_desk.ticket(reference).messages)
    by_id(browser, "deskpilot-message").send_keys("Works now, thanks!")
    by_id(browser, "deskpilot-send").click()
    assert sent_reference(browser) == reference
    after = agent_desk.ticket(reference)
    assert len(after.messages) == reply_count + 1
    assert (after.messages[-1].author, after.messages[-1].body) == (
        Author.CUSTOMER,
        "Works now, thanks!",
    )
    assert after.status is Status.OPEN
    assert agent_desk.store.count_tickets() == tickets_before + 1

    # DeskPilot.messages() gives products the same conversation.
    thread = browser.execute_async_script(
        "var done = arguments[0];"
        "DeskPilot.messages().then(done, function (e) { done(String(e)); });"
    )
    assert [m["author"] for m in thread] == ["customer", "agent", "customer"]
    assert {"author", "body", "at"} <= set(thread[0])


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def other_site(tmp_path: Path) -> Iterator[str]:
    """A page on another origin (another port), served by a plain static server."""
    folder = tmp_path / "site"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_partner_page(site_folder: Path, desk_url: str, site_key: str) -> str:
    """A page using ``site_key``; its name, so each page is loaded afresh (no cache)."""
    name = f"page-{site_key}.html"
    (site_folder / name).write_text(
        "<!doctype html><html><head><title>Partner</title></head><body>"
        f'<script src="{desk_url}/widget.js"></script>'
        f'<script>DeskPilot.init({{siteKey: "{site_key}", endpoint: "{desk_url}"}});</script>'
        "</body></html>"
    )
    return name


SUBMIT = """
var done = arguments[0];
DeskPilot.submit({email: "pat@example.com", message: "Hello from another site"})
  .then(function (reference) { done("sent " + reference); },
        function (error) { done("refused: " + error.message); });
"""


def test_a_page_on_an_origin_the_key_does_not_allow_is_refused(
    demo_desk: Desk, other_site: str, browser: Any, tmp_path: Path
) -> None:
    # pk_demo serves only pages on the desk's own origin; pk_partner allows the other site.
    demo_desk.settings.widget.site_keys = {
        "pk_partner": SiteKeySettings(allowed_origins=[other_site])
    }
    demo_desk.triage()
    before = demo_desk.store.count_tickets()
    with IntakeServer(demo_desk, demo_desk.settings.intake, port=0).running() as base:
        page = write_partner_page(tmp_path / "site", base, "pk_demo")
        browser.get(f"{other_site}/{page}")
        refused = browser.execute_async_script(SUBMIT)
        assert refused.startswith("refused"), refused
        assert demo_desk.store.count_tickets() == before

        page = write_partner_page(tmp_path / "site", base, "pk_partner")
        browser.get(f"{other_site}/{page}")
        sent = browser.execute_async_script(SUBMIT)
        assert sent.startswith("sent T-"), sent
        ticket = demo_desk.ticket(sent.removeprefix("sent "))
        assert ticket.page_context is not None
        assert ticket.page_context.url == f"{other_site}/{page}"


def test_the_panel_works_with_the_keyboard_alone(served: tuple[str, Desk], browser: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    base, agent_desk = served
    browser.get(f"{base}/widget/demo")
    keys = ActionChains(browser)

    def press(*pressed: str) -> None:
        chain = ActionChains(browser)
        for key in pressed:
            chain.send_keys(key)
        chain.perform()

    for _ in range(20):  # Tab through the page until the launcher has focus
        if active_id(browser) == "deskpilot-launcher":
            break
        press(Keys.TAB)
    assert active_id(browser) == "deskpilot-launcher"
    press(Keys.ENTER)
    panel = by_id(browser, "deskpilot-panel")
    assert panel.is_displayed()
    assert panel.get_attribute("role") == "dialog" and panel.get_attribute("aria-modal") == "true"
    assert by_id(browser, panel.get_attribute("aria-labelledby")).text == "Contact support"
    assert active_id(browser) == "deskpilot-email"

    # Focus never leaves the open dialog, forwards or backwards.
    inside = "return document.getElementById('deskpilot-panel').contains(document.activeElement)"
    visited = []
    for _ in range(12):
        press(Keys.TAB)
        assert browser.execute_script(inside), active_id(browser)
        visited.append(active_id(browser))
    assert "deskpilot-close" in visited and "deskpilot-send" in visited
    while active_id(browser) != "deskpilot-close":  # the first control
        press(Keys.TAB)
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    assert active_id(browser) == "deskpilot-send"  # Shift+Tab from the first: the last

    # Escape closes it and gives focus back to the launcher.
    press(Keys.ESCAPE)
    assert not panel.is_displayed()
    assert active_id(browser) == "deskpilot-launcher"

    # Write and send with keys only.
    press(Keys.ENTER)
    assert active_id(browser) == "deskpilot-email"
    keys.send_keys("kim@example.com").send_keys(Keys.TAB).perform()
    assert active_id(browser) == "deskpilot-message"
    press("Sent with the keyboard only.")
    while active_id(browser) != "deskpilot-send":
        press(Keys.TAB)
    press(Keys.ENTER)
    reference = sent_reference(browser)
    assert agent_desk.ticket(reference).first_customer_message == "Sent with the keyboard only."


def test_the_panel_fits_a_320_pixel_screen(served: tuple[str, Desk], tmp_path: Path) -> None:
    base, _agent_desk = served
    with chromium(tmp_path / "narrow", width=320, height=640) as driver:
        driver.get(f"{base}/widget/demo")
        width = driver.execute_script("return window.innerWidth")
        by_id(driver, "deskpilot-launcher").click()
        box = driver.execute_script(
            "var r = document.getElementById('deskpilot-panel').getBoundingClientRect();"
            "return [r.left, r.right, document.documentElement.scrollWidth];"
        )
        left, right, scroll_width = box
        assert left >= 0 and right <= width, (box, width)
        assert scroll_width <= width  # nothing sticks out sideways
        send = by_id(driver, "deskpilot-send")
        assert send.is_displayed()
        assert driver.execute_script(
            "var r = arguments[0].getBoundingClientRect(); return r.right <= window.innerWidth;",
            send,
        )


CAPTURE = """
var done = arguments[0];
for (var i = 0; i < 25; i++) console.error("failure number " + i);
console.error("twice"); console.error("twice");
// From the page's own code (a script element), as a product's would be.
var code = document.createElement("script");
code.textContent = 'Promise.reject(new RangeError("quota exceeded"));';
document.body.appendChild(code);
var banner = document.getElementById("banner");
banner.textContent = "Card 4000 0566 5566 5556 declined for sam@example.org";
banner.hidden = false;
var hidden = document.createElement("div");
hidden.setAttribute("role", "alert");
hidden.style.display = "none";
hidden.textContent = "an alert nobody can see";
document.body.appendChild(hidden);
var field = document.getElementById("search");
field.value = "typed-secret-4111111111111111";
field.setAttribute("aria-label", "Search reports");
field.click();
setTimeout(function () { done(DeskPilot.pageContext()); }, 100);
"""


def test_what_the_script_keeps_and_masks(served: tuple[str, Desk], browser: Any) -> None:
    base, _agent_desk = served
    browser.get(f"{base}/widget/demo")
    context = browser.execute_async_script(CAPTURE)

    errors = context["errors"]
    assert len(errors) == 20, errors  # the last 20, oldest dropped
    assert not any("failure number 6 " in e or e.endswith("number 6") for e in errors), errors
    assert any(e.startswith("console.error: twice") and e.endswith("(×2)") for e in errors)
    assert any(e.startswith("Unhandled rejection: RangeError: quota exceeded") for e in errors)
    assert context["visible_state"] == "Card [number] declined for [email]"
    assert "typed-secret" not in json.dumps(context)
    assert context["steps_attempted"] == []  # a click in a text field is not a step
    assert context["product"] == {"account": "ACME-4411", "plan": "pro", "new_exports": True}
