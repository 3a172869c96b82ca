"""A desk without a model endpoint drafts without loading the OpenAI client (about a second of
the first draft of a session); one with an endpoint gets its model drafter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from deskpilot.desk import Desk
from deskpilot.workspace import Workspace

# Run in a fresh interpreter: this test process has long imported everything.
CHILD = """
import asyncio, json, sys
from pathlib import Path
from deskpilot.desk import Desk
from deskpilot.workspace import Workspace

with Desk.open(Workspace.existing(Path(sys.argv[1]))) as desk:
    if sys.argv[2] == "draft":
        outcome = asyncio.run(desk.draft_reply("T-1"))
        drafter = outcome.draft.drafter
    else:
        model = desk.model_drafter()
        drafter = model.name if model is not None else ""
print(json.dumps({"drafter": drafter, "openai": "openai" in sys.modules}))
"""


def run_child(workspace: Path, what: str, **env: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(workspace), what],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    found: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_the_openai_client_loads_only_for_a_configured_endpoint(
    workspace: Workspace, tmp_path: Path
) -> None:
    tickets = tmp_path / "tickets.jsonl"
    row = {
        "id": "T-1",
        "subject": "Locked out",
        "body": "I cannot log in since this morning.",
        "customer": {"id": "C-1", "email": "ann@example.com", "name": "Ann Lee"},
    }
    tickets.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with Desk.open(workspace) as desk:
        desk.import_tickets(tickets)
    local = run_child(workspace.root, "draft")
    assert local == {"drafter": "local", "openai": False}
    # An endpoint (never asked here): its drafter, and with it the client.
    hosted = run_child(workspace.root, "endpoint", DESKPILOT_LLM__BASE_URL="http://127.0.0.1:9/v1")
    assert hosted == {"drafter": "model", "openai": True}
