"""Takes docs/widget.png (and docs/widget-dark.png): the web widget's panel on the demo page,
after a failed export, a message and an agent's answer, photographed by the distribution's
headless Chromium (apt-get install chromium chromium-driver).

    python docs/make_widget_screenshot.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from browser import chromium, prefer_dark  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

from deskpilot.demo import build_demo  # noqa: E402
from deskpilot.desk import Desk  # noqa: E402
from deskpilot.intake.server import IntakeServer  # noqa: E402
from deskpilot.workspace import Workspace  # noqa: E402


def wait(condition: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the page")
        time.sleep(0.2)


def shoot(base: str, desk: Desk, folder: Path, target: Path, dark: bool) -> None:
    with chromium(folder / f"profile-{dark}", width=1000, height=720) as driver:
        if dark:
            prefer_dark(driver)
        driver.get(f"{base}/widget/demo")
        driver.find_element(By.ID, "export").click()
        driver.find_element(By.ID, "deskpilot-launcher").click()
        driver.find_element(By.ID, "deskpilot-email").send_keys("sam.taylor@example.org")
        driver.find_element(By.ID, "deskpilot-message").send_keys(
            "Export CSV shows an error banner and nothing downloads."
        )
        driver.find_element(By.ID, "deskpilot-send").click()
        status = driver.find_element(By.ID, "deskpilot-status")
        wait(lambda: "reference is" in status.text)
        reference = status.text.split("reference is ")[1].split(";")[0]
        desk.send_reply(
            reference,
            "Sorry about that, Sam! The export broke for reports with partial data; "
            "it is fixed now. Could you try once more?",
        )
        log = driver.find_element(By.ID, "deskpilot-log")
        wait(lambda: "fixed now" in log.text)
        driver.find_element(By.ID, "deskpilot-message").send_keys("Trying now…")
        driver.save_screenshot(str(target))
    print(f"wrote {target}")


def main() -> None:
    os.environ["DESKPILOT_AGENT__NAME"] = "Ada"  # the agent's name the customer sees
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        with Desk.open(Workspace.create(folder / "ws")) as desk:
            build_demo(desk, tickets=40, seed=7)
            desk.settings.widget.poll_seconds = 1
            desk.triage()
            server = IntakeServer(desk, desk.settings.intake, port=0)
            # The agent answers from a desk of their own, as from the TUI or `deskpilot reply`.
            with server.running() as base, Desk.open(desk.workspace) as agent:
                shoot(base, agent, folder, HERE / "widget.png", dark=False)
                shoot(base, agent, folder, HERE / "widget-dark.png", dark=True)


if __name__ == "__main__":
    main()
