"""Model drafter benchmark: time to the first streamed token and to the whole draft.

Run:  python bench/bench_first_token.py [--runs 30] [--tokens 60] [--token-ms 5] [--first-ms 20]
The endpoint is a real HTTP server in this process speaking the chat-completions protocol
(server-sent events over HTTP/1.1 keep-alive), answering after a fixed "thinking" delay with a
fixed delay per token, so the figures are DeskPilot's overhead on top of a known model speed.
Baseline, measured in the same run, interleaved: httpx streaming the very same request body and
reading the events itself, with no prompt rendering, redaction, SDK or restoring.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).parent))

from _harness import Figure, median_seconds, report
from deskpilot.config import LlmSettings
from deskpilot.copilot.context import DraftContext, Fact, KnowledgeItem
from deskpilot.copilot.model_drafter import ModelDrafter
from deskpilot.models import Author, Customer, Message, Sentiment, Source, Ticket, TriageRecord

WARM_UP = 2


def serve(tokens: int, token_seconds: float, first_seconds: float) -> ThreadingHTTPServer:
    """A fake model: ``tokens`` chunks, the first after ``first_seconds``, then one every
    ``token_seconds``."""

    def event(delta: dict[str, str], finish: str | None = None) -> bytes:
        chunk = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "bench",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(chunk)}\n\n".encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.write(event({"role": "assistant", "content": ""}))
            time.sleep(first_seconds)
            for number in range(tokens):
                if number:
                    time.sleep(token_seconds)
                self.write(event({"content": f" word{number}"}))
            self.write(event({}, "stop"))
            self.write(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def write(self, data: bytes) -> None:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def bench_context() -> DraftContext:
    """A realistic context: a billing question with facts, articles, a similar ticket, an
    example reply and personal data in the customer's message."""
    customer = Customer(id="C-1", email="ann@example.com", name="Ann Lee", plan="Pro")
    body = (
        "Hi, I upgraded from Starter to Pro on the 12th and now my invoice INV-2026-0042 shows "
        "two charges and a credit I don't understand. My card 4111 1111 1111 1111 was charged "
        "$28.33 and then $49.00. Please call me on +44 20 7946 0958 or write to "
        "ann.lee@example.com. Can you explain or refund the difference?"
    )
    ticket = Ticket(
        id="T-1",
        subject="Charged twice after upgrading",
        customer=customer,
        messages=[Message(author=Author.CUSTOMER, body=body, author_name="Ann Lee")],
    )
    article = (
        "When you change plans in the middle of a billing cycle, we credit the unused days of "
        "the old plan and charge the remaining days of the new plan on the same invoice. "
    ) * 6
    return DraftContext(
        ticket=ticket,
        triage=TriageRecord(
            ticket_id="T-1",
            intent="billing_proration",
            confidence=0.88,
            sentiment=Sentiment.NEUTRAL,
        ),
        facts=[
            Fact(
                label="proration",
                text="On October 12, 2026 the plan changed from Starter ($19.00/month) to Pro "
                "($49.00/month) with 17 of 30 days left: a credit of -$10.77 and a charge of "
                "$27.77, $17.00 extra; invoice INV-2026-0042 carries these lines",
                source=Source(kind="billing", ref="in_42"),
            )
        ],
        knowledge=[
            KnowledgeItem(
                source=Source(kind="article", ref=f"proration-{n}"),
                title=f"How proration works ({n})",
                snippet=article[:160],
                body=article,
            )
            for n in range(3)
        ],
        similar=[
            KnowledgeItem(
                source=Source(kind="ticket", ref="T-0999"),
                title="Upgrade charge looks doubled",
                snippet="I upgraded and see two charges",
                body="Hi Sam, the two lines are the credit for Starter and the charge for Pro.",
            )
        ],
        examples=["Hi Sam, thanks for checking. The two lines on your invoice are ..."] * 2,
    )


async def through_drafter(drafter: ModelDrafter, context: DraftContext) -> tuple[float, float]:
    start = time.perf_counter()
    first = 0.0
    async for _chunk in drafter.stream(context):
        if not first:
            first = time.perf_counter() - start
    return first, time.perf_counter() - start


async def through_httpx(client: httpx.AsyncClient, url: str, body: bytes) -> tuple[float, float]:
    start = time.perf_counter()
    first = 0.0
    headers = {"Content-Type": "application/json", "Authorization": "Bearer bench"}
    async with client.stream("POST", url, content=body, headers=headers) as response:
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            choices = json.loads(line[6:])["choices"]
            if not first and choices and choices[0]["delta"].get("content"):
                first = time.perf_counter() - start
    return first, time.perf_counter() - start


async def measure(args: argparse.Namespace, base_url: str) -> dict[str, list[tuple[float, float]]]:
    context = bench_context()
    plain = ModelDrafter(
        LlmSettings(base_url=base_url, model="bench", api_key=SecretStr("bench"), redact=False)
    )
    redacting = ModelDrafter(
        LlmSettings(base_url=base_url, model="bench", api_key=SecretStr("bench"), redact=True)
    )
    request = {
        "model": "bench",
        "messages": plain.prepare(context).messages,
        "stream": True,
    }
    body = json.dumps(request).encode()
    runs: dict[str, list[tuple[float, float]]] = {"httpx": [], "drafter": [], "redacting": []}
    async with httpx.AsyncClient(timeout=30) as client:
        for number in range(WARM_UP + args.runs):
            timings = {
                "httpx": await through_httpx(client, f"{base_url}/chat/completions", body),
                "drafter": await through_drafter(plain, context),
                "redacting": await through_drafter(redacting, context),
            }
            if number >= WARM_UP:
                for name, timing in timings.items():
                    runs[name].append(timing)
    await plain.aclose()
    await redacting.aclose()
    return runs


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--tokens", type=int, default=60)
    parser.add_argument("--token-ms", type=float, default=5.0)
    parser.add_argument("--first-ms", type=float, default=20.0, help="the model's thinking time")
    args = parser.parse_args()
    server = serve(args.tokens, args.token_ms / 1000, args.first_ms / 1000)
    host, port = server.server_address[:2]
    base_url = f"http://{host!s}:{port}/v1"
    model_time = (args.first_ms + args.token_ms * (args.tokens - 1)) / 1000
    print(
        f"{args.runs} runs after {WARM_UP} warm-up runs; fake model: first token after "
        f"{args.first_ms:g} ms, then {args.tokens - 1} more every {args.token_ms:g} ms "
        f"({model_time * 1000:.0f} ms in all)"
    )
    runs = asyncio.run(measure(args, base_url))
    server.shutdown()

    figures = []
    for phase, index in (("first token", 0), ("whole draft", 1)):
        baseline = [timing[index] for timing in runs["httpx"]]
        for label, name in (("drafter", "drafter"), ("drafter, redaction on", "redacting")):
            ours = [timing[index] for timing in runs[name]]
            for stat, share in (("p50", 0.5), ("p95", 0.95)):
                figures.append(
                    Figure(
                        f"{label}: {phase}, {stat}",
                        percentile(ours, share),
                        "raw httpx",
                        percentile(baseline, share),
                    )
                )
    report("model drafter over a local OpenAI-compatible endpoint", figures)

    context = bench_context()
    plain = ModelDrafter(LlmSettings(base_url=base_url, redact=False))
    redacting = ModelDrafter(LlmSettings(base_url=base_url, redact=True))

    def prepare(drafter: ModelDrafter) -> Callable[[], object]:
        return lambda: drafter.prepare(context)

    report(
        "preparing the prompt (median of 200)",
        [
            Figure("render the prompt", median_seconds(prepare(plain), repeat=200)),
            Figure("render and redact the prompt", median_seconds(prepare(redacting), repeat=200)),
        ],
    )


if __name__ == "__main__":
    main()
