"""The model drafter: a grounded draft streamed from any OpenAI-compatible endpoint.

OpenAI, Azure-style proxies, vLLM, llama.cpp and Ollama all speak the chat-completions protocol;
``llm.base_url``, ``llm.model`` and ``llm.api_key`` (or the standard ``OPENAI_BASE_URL`` and
``OPENAI_API_KEY``) pick one. The drafter only ever returns text: no tools or functions are
offered to the model, so nothing a customer writes can make it act.

Failure is fast and explicit. A hanging endpoint fails after the first-token timeout, a refused
connection at once; 429 and 5xx answers are retried with exponential backoff (honouring
``Retry-After``) a bounded number of times, and only before the first chunk, so text already
shown is never repeated. Everything else raises ``DraftError`` naming the endpoint (never the
key) and what happened.

A draft is only complete when the endpoint says so: a stream that ends without a
``finish_reason`` was cut short (a proxy or server gave up mid-sentence), and one that ends on
``length`` or ``content_filter`` was cut off by the model's limits; both fail, as does a stream
that falls silent for ``llm.stall_timeout_seconds`` after it started, so the caller's local
draft stands instead of half a sentence.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openai import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AsyncOpenAI,
    AsyncStream,
    OpenAIError,
    Timeout,
)
from openai.types.chat import (
    ChatCompletionChunk,
    ChatCompletionMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionUserMessageParam,
)
from pydantic import SecretStr

from deskpilot.config import LlmSettings
from deskpilot.connectors.http import display_url, retry_after_seconds
from deskpilot.copilot.context import DraftContext
from deskpilot.copilot.endpoint import configured_endpoint
from deskpilot.copilot.prompting import ChatMessage, PromptTemplates, render_messages
from deskpilot.copilot.redaction import Redactor, own_texts, redaction_enabled
from deskpilot.errors import DeskPilotError
from deskpilot.url_secrets import mask_url_secrets

NO_KEY = "no-key"  # local endpoints (Ollama, llama.cpp) need none, but the client wants one

FIRST_TOKEN_TIMEOUT = 5.0  # seconds until the first text arrives, per attempt
MAX_ATTEMPTS = 3  # requests per draft, the first one included
MAX_RETRY_WAIT = 10.0  # never wait longer than this between attempts
BACKOFF = 0.5  # first wait without Retry-After; doubles each attempt
DETAIL_CHARS = 200  # of the endpoint's own error message, in ours


class DraftError(DeskPilotError):
    """A draft could not be written: names the endpoint and what happened, never the key."""


@dataclass(frozen=True)
class PreparedPrompt:
    """What is sent for one draft, and the redactor that restores the answer."""

    messages: list[ChatMessage]
    redactor: Redactor


class ModelDrafter:
    """Streams a draft reply for a ticket's context from an OpenAI-compatible endpoint."""

    name = "model"

    def __init__(
        self,
        settings: LlmSettings,
        *,
        templates_dir: Path | None = None,
        first_token_timeout: float = FIRST_TOKEN_TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
        max_retry_wait: float = MAX_RETRY_WAIT,
        backoff: float = BACKOFF,
    ) -> None:
        if not settings.base_url:
            raise DraftError(
                "no model endpoint configured: set llm.base_url (DESKPILOT_LLM__BASE_URL) "
                "or OPENAI_BASE_URL"
            )
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = settings.base_url
        self.endpoint = display_url(settings.base_url)
        self.model = settings.model
        self.redact = redaction_enabled(settings.redact, settings.base_url)
        self.timeout_seconds = settings.timeout_seconds
        self.first_token_timeout = min(first_token_timeout, settings.timeout_seconds)
        self.stall_timeout = min(settings.stall_timeout_seconds, settings.timeout_seconds)
        self.max_attempts = max_attempts
        self.max_retry_wait = max_retry_wait
        self.backoff = backoff
        self.templates = PromptTemplates.load(templates_dir)
        self.prompt_version = self.templates.version
        self._api_key: SecretStr | None = settings.api_key
        # Replaceable in tests, to see the waits without waiting.
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._client: AsyncOpenAI | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"ModelDrafter(endpoint={self.endpoint!r}, model={self.model!r})"

    # --- the prompt ---------------------------------------------------------------------------

    def prepare(self, context: DraftContext) -> PreparedPrompt:
        """The messages this drafter would send for ``context``: rendered, redacted when
        redaction is on, and never containing the endpoint's key."""
        redactor = Redactor(
            known_secrets=[self._key()] if self._api_key else [],
            own_texts=own_texts(context) if self.redact else None,
        )
        protect = redactor.redact if self.redact else redactor.scrub_known_secrets
        messages = [
            ChatMessage(role=m["role"], content=protect(m["content"]))
            for m in render_messages(context, self.templates)
        ]
        return PreparedPrompt(messages, redactor)

    # --- streaming ------------------------------------------------------------------------------

    async def stream(self, context: DraftContext) -> AsyncIterator[str]:
        """The draft's text in chunks as they arrive, placeholders restored."""
        prompt = self.prepare(context)
        restorer = prompt.redactor.restorer()
        deadline = asyncio.get_running_loop().time() + self.timeout_seconds
        opened = await self._open_with_retries(prompt.messages, deadline)
        shown = 0
        try:
            piece: str | None = opened.first
            while piece is not None:
                text = restorer.feed(piece)
                if text:
                    shown += len(text)
                    yield text
                piece = await self._next_piece(opened, deadline, shown)
            rest = restorer.flush()
            if rest:
                yield rest
        finally:
            await opened.close()

    async def _next_piece(self, opened: _Opened, deadline: float, shown: int) -> str | None:
        stalled_at = asyncio.get_running_loop().time() + self.stall_timeout
        try:
            async with asyncio.timeout_at(min(stalled_at, deadline)):
                return await anext(opened.pieces, None)
        except TimeoutError:
            if stalled_at < deadline:
                problem = f"the answer stalled: nothing more for {self.stall_timeout:g} s"
            else:
                problem = f"the answer did not finish within {self.timeout_seconds:g} s"
        except _Unfinished as error:
            problem = str(error)
        except DraftError:
            raise
        except Exception as error:
            problem = self._describe(error)
        # Never retried: the agent has already seen the start of this draft.
        raise self._error(f"{problem}, after {shown} characters; the draft is incomplete")

    async def _open_with_retries(self, messages: list[ChatMessage], deadline: float) -> _Opened:
        client = self._openai()
        loop = asyncio.get_running_loop()
        for attempt in range(1, self.max_attempts + 1):
            try:
                return await self._open(client, messages, deadline)
            except DraftError:
                raise
            except Exception as error:
                problem = self._describe(error)
                wait = self._retry_wait(error, attempt)
            if wait is None:
                raise self._error(problem)
            if attempt == self.max_attempts:
                raise self._error(f"{problem}; gave up after {attempt} attempts")
            if loop.time() + wait >= deadline:
                raise self._error(
                    f"{problem}; no time left to retry within {self.timeout_seconds:g} s"
                )
            await self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _open(
        self, client: AsyncOpenAI, messages: list[ChatMessage], deadline: float
    ) -> _Opened:
        """One request, up to its first piece of text."""
        loop = asyncio.get_running_loop()
        first_token_at = loop.time() + self.first_token_timeout
        stream: AsyncStream[ChatCompletionChunk] | None = None
        pieces: AsyncGenerator[str, None] | None = None
        try:
            async with asyncio.timeout_at(min(first_token_at, deadline)):
                stream = await client.chat.completions.create(
                    model=self.model, messages=_openai_messages(messages), stream=True
                )
                pieces = self._pieces(stream)
                first = await anext(pieces, None)
        except BaseException as error:
            if stream is not None:
                await _close(stream, pieces)
            if isinstance(error, TimeoutError):
                if first_token_at <= deadline:
                    raise self._error(
                        f"no answer within the first-token timeout of "
                        f"{self.first_token_timeout:g} s"
                    ) from None
                raise self._error(f"no answer within {self.timeout_seconds:g} s") from None
            raise
        if first is None:
            await _close(stream, pieces)
            raise self._error("returned an empty answer")
        return _Opened(stream, pieces, first)

    async def _pieces(self, stream: AsyncStream[ChatCompletionChunk]) -> AsyncGenerator[str, None]:
        """The non-empty text deltas of a stream; leading whitespace dropped."""
        content_type = stream.response.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            # The endpoint ignored stream=true and answered in one piece.
            text, whole_finish = _whole_answer(await stream.response.aread())
            _check_finished(whole_finish, whole=True)
            if text.strip():
                yield text.lstrip()
            return
        started = False
        events = 0
        finish: str | None = None
        async for chunk in stream:
            events += 1
            finish = _chunk_finish(chunk) or finish
            for text in _chunk_texts(chunk):
                if not started:
                    text = text.lstrip()
                    started = bool(text)
                if text:
                    yield text
            if finish is not None:
                break  # the answer is whole: a stall before [DONE] cannot cost it
        if events == 0:
            raise self._error(
                f"answered with {content_type or 'no content type'} but sent no chat-completion "
                "events; is this an OpenAI-compatible endpoint?"
            )
        _check_finished(finish, whole=False)

    # --- errors and retries ------------------------------------------------------------------

    def _error(self, problem: str) -> DraftError:
        return DraftError(f"model endpoint {self.endpoint}: {self._scrub(problem)}")

    def _scrub(self, text: str) -> str:
        """No key in a message: ours, nor one in any URL the client's error quoted."""
        key = self._key()
        return mask_url_secrets(text.replace(key, "********") if key else text)

    def _describe(self, error: BaseException) -> str:
        if isinstance(error, _Unfinished):
            return str(error)
        if isinstance(error, APIStatusError):
            return self._status_problem(error)
        if isinstance(error, APITimeoutError):
            return f"no answer within {self.timeout_seconds:g} s"
        if isinstance(error, APIConnectionError):
            cause = _root_cause(error)
            reason = f" ({cause})" if cause else ""
            if _could_not_connect(error):
                return f"cannot connect{reason}"
            return f"the connection broke{reason}"
        if isinstance(error, ValueError):  # json.JSONDecodeError: not a chat-completion event
            return f"sent a stream that is not valid chat-completion data ({error})"
        if isinstance(error, APIError):  # an error event inside the stream
            return f"reported an error: {_clip(error.message)}"
        if isinstance(error, OpenAIError):
            return f"client error: {_clip(str(error))}"
        return f"unexpected {type(error).__name__}: {_clip(str(error))}"

    def _status_problem(self, error: APIStatusError) -> str:
        status = error.status_code
        detail = _error_detail(error.body)
        said = f": {detail}" if detail else ""
        if status == 401:
            if self._api_key is None:
                return (
                    f"needs an API key (HTTP 401{said}); set DESKPILOT_LLM__API_KEY "
                    "in the environment or the workspace's secrets.env"
                )
            return f"refused the API key (HTTP 401{said}); check DESKPILOT_LLM__API_KEY"
        if status == 403:
            return f"denied access (HTTP 403{said})"
        if status == 404:
            return (
                f"has no model '{self.model}' or no chat completions at this URL (HTTP 404{said}); "
                "check llm.model, and that llm.base_url ends where /chat/completions can be "
                "appended (often /v1)"
            )
        if status == 429:
            return f"is rate limiting us (HTTP 429{said})"
        if status >= 500:
            return f"failed (HTTP {status}{said})"
        return f"rejected the request (HTTP {status}{said})"

    def _retry_wait(self, error: BaseException, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None when retrying cannot help."""
        if isinstance(error, APIStatusError):
            if error.status_code != 429 and error.status_code < 500:
                return None
            asked = retry_after_seconds(error.response.headers)
            if asked is not None:
                if asked > self.max_retry_wait:
                    # Waiting less than asked would only be refused again.
                    raise self._error(
                        f"{self._status_problem(error)}; it asks to wait {asked:.0f} s, "
                        "try again later"
                    )
                return asked
            return self._backoff_wait(attempt)
        if isinstance(error, APIConnectionError) and not isinstance(error, APITimeoutError):
            # A kept-alive connection the server dropped is worth one more try; a refused
            # connection or an unknown host is not, and fails at once.
            return None if _could_not_connect(error) else self._backoff_wait(attempt)
        return None

    def _backoff_wait(self, attempt: int) -> float:
        wait: float = self.backoff * 2.0 ** (attempt - 1) * random.uniform(0.8, 1.2)
        return min(wait, self.max_retry_wait)

    # --- the client -----------------------------------------------------------------------------

    def _key(self) -> str:
        return self._api_key.get_secret_value() if self._api_key else ""

    def _openai(self) -> AsyncOpenAI:
        """One client per event loop: pooled connections belong to the loop that opened them."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = AsyncOpenAI(
                base_url=self.base_url,
                api_key=self._key() or NO_KEY,
                max_retries=0,  # ours: only before the first chunk, Retry-After capped
                timeout=Timeout(self.timeout_seconds, connect=self.first_token_timeout),
            )
            self._client_loop = loop
        return self._client

    async def aclose(self) -> None:
        client, self._client, self._client_loop = self._client, None, None
        if client is not None:
            await client.close()


class _Unfinished(Exception):
    """The stream ended, but the answer did not: what was received is not a whole draft."""


# finish_reason values that mean the text was cut off rather than finished.
_CUT_OFF = {
    "length": 'the answer was cut off at the model\'s length limit (finish_reason "length")',
    "content_filter": "the endpoint's content filter stopped the answer "
    '(finish_reason "content_filter")',
}


def _check_finished(finish: str | None, *, whole: bool) -> None:
    """Raise ``_Unfinished`` unless the answer ended the way a finished answer ends. A whole
    JSON answer arrived in full, so only a cut-off reason counts against it; a stream must
    also say it finished, since a dropped proxy or server ends it just as cleanly."""
    if finish in _CUT_OFF:
        raise _Unfinished(_CUT_OFF[finish])
    if finish is None and not whole:
        raise _Unfinished("the stream ended without a finish_reason: the answer was cut short")


def _chunk_finish(chunk: object) -> str | None:
    """The finish_reason of a streamed chunk's choices, if one says it is done."""
    for choice in getattr(chunk, "choices", None) or []:
        reason = getattr(choice, "finish_reason", None)
        if isinstance(reason, str) and reason:
            return reason
    return None


@dataclass
class _Opened:
    stream: AsyncStream[ChatCompletionChunk]
    pieces: AsyncGenerator[str, None]
    first: str

    async def close(self) -> None:
        await _close(self.stream, self.pieces)


async def _close(
    stream: AsyncStream[ChatCompletionChunk], pieces: AsyncGenerator[str, None] | None
) -> None:
    if pieces is not None:
        await pieces.aclose()
    await stream.close()


def _openai_messages(messages: list[ChatMessage]) -> list[ChatCompletionMessageParam]:
    converted: list[ChatCompletionMessageParam] = []
    for message in messages:
        if message["role"] == "system":
            converted.append(
                ChatCompletionSystemMessageParam(role="system", content=message["content"])
            )
        else:
            converted.append(
                ChatCompletionUserMessageParam(role="user", content=message["content"])
            )
    return converted


def _chunk_texts(chunk: object) -> list[str]:
    """The text deltas in one streamed chunk. The client does not validate chunks, so a
    malformed one is read defensively and rejected as not chat-completion data."""
    choices = getattr(chunk, "choices", None)
    if not isinstance(choices, list):
        raise ValueError(f"a chunk without choices: {_clip(repr(chunk), 80)}")
    texts = []
    for choice in choices:
        content = getattr(getattr(choice, "delta", None), "content", None)
        if isinstance(content, str) and content:
            texts.append(content)
    return texts


def _whole_answer(body: bytes) -> tuple[str, str | None]:
    """The text of a whole (non-streamed) answer and its finish_reason, if any."""
    try:
        data = json.loads(body)
        choice = data["choices"][0]
        content = choice["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise ValueError(f"a JSON answer without choices[0].message.content: {error}") from None
    if not isinstance(content, str):
        raise ValueError("a JSON answer whose message content is not text")
    finish = choice.get("finish_reason") if isinstance(choice, Mapping) else None
    return content, finish if isinstance(finish, str) and finish else None


def _error_detail(body: object) -> str:
    """The endpoint's own words about an error, from the usual shapes of error bodies."""
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping):
            message = inner.get("message") or inner.get("detail")
            return _clip(str(message)) if message else ""
        if isinstance(inner, str):
            return _clip(inner)
        message = body.get("message") or body.get("detail")
        return _clip(str(message)) if message else ""
    if isinstance(body, str):
        return _clip(body)
    return ""


def _clip(text: str, limit: int = DETAIL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _root_cause(error: BaseException) -> str:
    """The innermost exception's words (e.g. "[Errno 111] Connection refused")."""
    innermost = error
    for _ in range(10):
        inner = innermost.__cause__ or innermost.__context__
        if inner is None:
            break
        innermost = inner
    if innermost is error:
        return ""
    return _clip(str(innermost) or type(innermost).__name__, 120)


def _could_not_connect(error: BaseException) -> bool:
    """The connection was never made: refused, unreachable, or the host is unknown."""
    current: BaseException | None = error
    for _ in range(10):
        if current is None:
            break
        if isinstance(current, OSError) or type(current).__name__ == "ConnectError":
            return True
        current = current.__cause__ or current.__context__
    return False


def model_drafter_from_env_and_settings(
    settings: LlmSettings,
    *,
    templates_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **options: Any,
) -> ModelDrafter | None:
    """The model drafter if an endpoint is configured, else None (use the local drafter); see
    ``copilot.endpoint.configured_endpoint`` for which endpoint and key."""
    resolved = configured_endpoint(settings, environ)
    if resolved is None:
        return None
    return ModelDrafter(resolved, templates_dir=templates_dir, **options)
