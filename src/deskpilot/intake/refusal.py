"""A request the endpoint answers with an error status: one kind for every route (tickets,
surveys, the widget), so each answers a refusal the same way."""

from __future__ import annotations


class Refusal(Exception):
    """A request answered with an error status; ``field`` names the field at fault."""

    def __init__(
        self,
        status: int,
        problem: str,
        field: str | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(problem)
        self.status = status
        self.problem = problem
        self.field = field
        self.headers = headers or []
