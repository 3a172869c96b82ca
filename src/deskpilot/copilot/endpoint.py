"""Which model endpoint, if any, the settings and the environment name.

Decided here, apart from the model drafter, because importing the drafter loads the OpenAI
client (about a second of start-up on the development machine): a desk that drafts locally
asks this module and never imports it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from pydantic import SecretStr

from deskpilot.config import LlmSettings

DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"


def configured_endpoint(
    settings: LlmSettings, environ: Mapping[str, str] | None = None
) -> LlmSettings | None:
    """The settings with the endpoint's URL and key resolved, or None when no endpoint is
    configured (use the local drafter).

    ``llm.base_url`` wins; otherwise ``OPENAI_BASE_URL``, or ``OPENAI_API_KEY`` alone for
    OpenAI itself. ``OPENAI_API_KEY`` is only sent where it belongs: to an endpoint that also
    came from the environment, or to api.openai.com; an endpoint set in DeskPilot's settings
    gets ``llm.api_key``.
    """
    env = os.environ if environ is None else environ
    env_url = env.get("OPENAI_BASE_URL", "").strip()
    env_key = env.get("OPENAI_API_KEY", "").strip()
    if settings.base_url:
        base_url, from_env = settings.base_url, False
    elif env_url:
        base_url, from_env = env_url, True
    elif env_key:
        base_url, from_env = DEFAULT_OPENAI_BASE_URL, True
    else:
        return None
    key = settings.api_key
    if key is None and env_key and (from_env or urlsplit(base_url).hostname == "api.openai.com"):
        key = SecretStr(env_key)
    return settings.model_copy(update={"base_url": base_url, "api_key": key})
