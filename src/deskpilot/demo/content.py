"""The demo product's content, read from the data files beside this module.

Acme Cloud is a fictional B2B work-management SaaS. Its help-center articles live in
``data/articles/`` (Markdown with TOML front matter between ``+++`` lines, named
``NN-slug.md``; the number keeps the knowledge base's order), its known bugs in
``data/bugs.toml`` and the CRM notes in ``data/crm_notes.toml``. The facts in them (prices, seat
allowances, proration rule, retry schedule, refund window) are the ones the generator uses for
invoices and agent replies, so the demo knowledge base and the demo billing data agree.

Read through ``importlib.resources``, so they are found in an installed wheel as in a checkout.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

FRONT_MATTER = "+++\n"


def data_file(*parts: str) -> Traversable:
    """A file (or folder) under ``deskpilot/demo/data``."""
    return files("deskpilot.demo").joinpath("data", *parts)


@cache
def read_toml(name: str) -> dict[str, Any]:
    """One of the TOML data files, parsed once per process."""
    return tomllib.loads(data_file(name).read_text(encoding="utf-8"))


def _article(name: str, text: str) -> tuple[str, str, str]:
    """(slug, category, Markdown body) of one ``NN-slug.md`` file."""
    if not text.startswith(FRONT_MATTER) or f"\n{FRONT_MATTER}" not in text:
        raise ValueError(f"demo article {name}: no +++ front matter at the top")
    front, body = text.removeprefix(FRONT_MATTER).split(f"\n{FRONT_MATTER}", 1)
    meta = tomllib.loads(front)
    slug = name.removesuffix(".md").split("-", 1)[1]
    return slug, str(meta["category"]), body


def _articles() -> tuple[tuple[str, str, str], ...]:
    folder = data_file("articles")
    entries = sorted(
        (entry.name, entry) for entry in folder.iterdir() if entry.name.endswith(".md")
    )
    return tuple(_article(name, entry.read_text(encoding="utf-8")) for name, entry in entries)


# (slug, category, Markdown body). The body's first line is "# {title}".
ARTICLES: tuple[tuple[str, str, str], ...] = _articles()

APP_URL: str = read_toml("bugs.toml")["app_url"]

# Known bugs: (id, title, status, page path, console error signature, workaround, days ago filed).
BUGS: tuple[tuple[str, str, str, str, str, str, int], ...] = tuple(
    (
        bug["id"],
        bug["title"],
        bug["status"],
        bug["page_path"],
        bug["error_signature"],
        bug["workaround"],
        bug["filed_days_ago"],
    )
    for bug in read_toml("bugs.toml")["bugs"]
)
