"""``deskpilot plugins new``: a new connector plugin that installs and passes its contract tests
as generated, so a plugin author starts from something that works and changes it step by step.

Renaming a copy of the example by hand leaves traps (the wheel's ``packages`` still naming the
old package installs silently and loads as broken); generating every name from one connector
name removes them. The plugin speaks to a made-up REST API (``/v1/...``) recorded in
``tests/recordings/api.json``: the author replaces the paths, the translation functions and the
recording with their system's, and the contract tests say when something no longer holds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from deskpilot.connectors.capabilities import CAPABILITIES
from deskpilot.errors import DeskPilotError

NAME = re.compile(r"^[a-z][a-z0-9_]{1,19}$")  # short enough for readable class names


class ScaffoldError(DeskPilotError):
    """The plugin cannot be generated as asked (a bad name, a folder already there)."""


@dataclass(frozen=True)
class PluginNames:
    """Every name of one plugin, derived from the connector's name (``acme_crm``)."""

    connector: str  # the entry point's name: [connectors.acme_crm]
    distribution: str  # deskpilot-acme-crm
    package: str  # deskpilot_acme_crm
    prefix: str  # AcmeCrm: AcmeCrmConnector, AcmeCrmConfig
    service: str  # "Acme Crm", in messages

    @classmethod
    def of(cls, name: str) -> PluginNames:
        if not NAME.match(name):
            raise ScaffoldError(
                f"'{name}' cannot be a connector name: use 2-20 lower-case letters, digits and "
                "underscores, starting with a letter (it becomes [connectors.<name>] and "
                "DESKPILOT_CONNECTORS__<NAME>__<FIELD>)"
            )
        words = [word for word in name.split("_") if word]
        return cls(
            connector=name,
            distribution="deskpilot-" + "-".join(words),
            package="deskpilot_" + "_".join(words),
            prefix="".join(word.capitalize() for word in words),
            service=" ".join(word.capitalize() for word in words),
        )


def scaffold_plugin(name: str, capabilities: list[str], directory: Path) -> Path:
    """Write the plugin ``deskpilot-<name>`` into ``directory``; returns its folder."""
    names = PluginNames.of(name)
    chosen = [c for c in CAPABILITIES if c in set(capabilities)]
    unknown = sorted(set(capabilities) - set(CAPABILITIES))
    if unknown or not chosen:
        raise ScaffoldError(
            f"unknown capability {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(CAPABILITIES)}"
        )
    root = directory / names.distribution
    if root.exists():
        raise ScaffoldError(f"{root} already exists; choose another name or folder")
    files = plugin_files(names, chosen)
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def plugin_files(names: PluginNames, capabilities: list[str]) -> dict[str, str]:
    """The plugin's files, by path relative to its folder."""
    values = {
        "name": names.connector,
        "NAME": names.connector.upper(),
        "distribution": names.distribution,
        "package": names.package,
        "Prefix": names.prefix,
        "service": names.service,
        "capabilities": ", ".join(capabilities),
        "capability_list": json.dumps(capabilities),
    }
    package = f"src/{names.package}"
    return {
        "pyproject.toml": Template(PYPROJECT).substitute(values),
        "README.md": Template(README).substitute(values),
        f"{package}/__init__.py": Template(INIT).substitute(values),
        f"{package}/py.typed": "",
        f"{package}/connector.py": _connector(values, capabilities),
        "tests/conftest.py": CONFTEST,
        f"tests/test_{names.connector}.py": _tests(values, capabilities),
        "tests/recordings/api.json": _recording(names, capabilities),
    }


# --- the connector ---------------------------------------------------------------------------


def _connector(values: dict[str, str], capabilities: list[str]) -> str:
    bases = ", ".join(CAPABILITIES[c].__name__ for c in capabilities)
    models = sorted({m for c in capabilities for m in CONNECTOR_PARTS[c].models})
    connector_models = sorted(
        {m for c in capabilities for m in CONNECTOR_PARTS[c].connector_models}
    )
    helper_code = "".join(
        CONNECTOR_PARTS[c].methods + CONNECTOR_PARTS[c].helpers for c in capabilities
    )
    imports = ["Connector", "ConnectorConfig", "ConnectorContext"]
    imports += ["ConnectorError"] if "ConnectorError" in helper_code else []
    imports += [*connector_models, *(CAPABILITIES[c].__name__ for c in capabilities)]
    # isort's order: classes, then functions.
    ordered = sorted(set(imports), key=lambda name: (name[0].islower(), name))
    config_fields = "".join(CONNECTOR_PARTS[c].config for c in capabilities)
    methods = "".join(CONNECTOR_PARTS[c].methods for c in capabilities)
    helpers = "".join(CONNECTOR_PARTS[c].helpers for c in capabilities)
    source = methods + helpers
    pydantic = ["Field", "SecretStr", *(["ValidationError"] if "ValidationError" in source else [])]
    times = ["UTC", *(["date"] if "date." in source else []), "datetime"]
    heading = f"class {values['Prefix']}Connector(Connector[{values['Prefix']}Config], {bases}):"
    if len(heading) > 100:
        heading = (
            f"class {values['Prefix']}Connector(\n    Connector[{values['Prefix']}Config], "
            f"{bases}\n):"
        )
    return Template(CONNECTOR).substitute(
        values,
        class_heading=heading,
        datetime_import=f"from datetime import {', '.join(times)}",
        pydantic_import=f"from pydantic import {', '.join(pydantic)}",
        bases=bases,
        connector_imports="".join(f"    {name},\n" for name in ordered),
        model_imports=(
            "from deskpilot.models import (\n" + "".join(f"    {m},\n" for m in models) + ")\n"
            if models
            else ""
        ),
        config_fields=config_fields,
        methods=methods,
        helpers=helpers,
    )


# The contract class in deskpilot.testing of each capability (the test kit needs pytest, so the
# names are written here rather than imported).
CONTRACT_NAMES = {
    "crm": "CrmContract",
    "billing": "BillingContract",
    "issues": "IssuesContract",
    "identity": "IdentityContract",
    "notify": "NotifyContract",
    "tickets": "TicketSourceContract",
    "orders": "OrdersContract",
}


def _tests(values: dict[str, str], capabilities: list[str]) -> str:
    samples = {k: v for c in capabilities for k, v in CONNECTOR_PARTS[c].samples.items()}
    listed = "".join(f"            {key}={value},\n" for key, value in samples.items())
    call = f"ContractSamples(\n{listed}        )" if listed else "ContractSamples()"
    needs_query = "issues" in capabilities
    contracts = [CONTRACT_NAMES[c] for c in capabilities]
    return Template(TESTS).substitute(
        values,
        samples=call,
        contract_imports="".join(
            f"    {name},\n"
            for name in sorted([*contracts, "ContractSamples", "RecordedServer", "run"])
        ),
        contract_bases=", ".join(contracts),
        context_import=(
            "from deskpilot.connectors import BugQuery, ConnectorContext"
            if needs_query
            else "from deskpilot.connectors import ConnectorContext"
        ),
    )


def _recording(names: PluginNames, capabilities: list[str]) -> str:
    routes: list[dict[str, Any]] = [_route("GET", "/v1/ping", {"ok": True})]
    for capability in capabilities:
        routes += CONNECTOR_PARTS[capability].routes
    seen: set[str] = set()
    unique = []
    for route in routes:  # crm and billing both know the customer
        key = json.dumps([route["method"], route["path"], route.get("query")])
        if key not in seen:
            seen.add(key)
            unique.append(route)
    data = {
        "_comment": (
            f"Answers of {names.service}'s API as the generated connector expects them. "
            "Replace them with your system's real answers (ids and people made up)."
        ),
        "routes": unique,
    }
    return json.dumps(data, indent=2) + "\n"


def _route(
    method: str, path: str, body: Any, query: dict[str, str] | None = None
) -> dict[str, Any]:
    route: dict[str, Any] = {"method": method, "path": path}
    if query:
        route["query"] = query
    route["responses"] = [{"status": 200, "json": body}]
    return route


@dataclass(frozen=True)
class Part:
    """What one capability adds to the generated plugin."""

    methods: str
    helpers: str
    routes: list[dict[str, Any]]
    samples: dict[str, str]
    models: tuple[str, ...] = ()
    connector_models: tuple[str, ...] = ()
    config: str = ""


CUSTOMER = {
    "id": "1001",
    "email": "ann@example.com",
    "name": "Ann Lee",
    "company": "Lee Analytics",
    "created_at": "2025-03-02T10:00:00Z",
}
INVOICES = [
    {
        "id": "in_2002",
        "customer": "1001",
        "number": "2026-0002",
        "issued": "2026-11-01",
        "status": "paid",
        "currency": "USD",
        "lines": [{"description": "Team plan, 7 seats", "unit_amount": 29.0, "quantity": 7}],
    },
    {
        "id": "in_2001",
        "customer": "1001",
        "number": "2026-0001",
        "issued": "2026-10-01",
        "status": "paid",
        "currency": "USD",
        "lines": [{"description": "Team plan, 5 seats", "unit_amount": 29.0, "quantity": 5}],
    },
]
BUG = {
    "id": "BUG-7",
    "title": "Export to CSV crashes on empty reports",
    "status": "open",
    "page_url": "/reports/export",
    "error": "TypeError: Cannot read properties of undefined (reading 'map')",
    "created": "2026-11-03",
}
ORDERS = [
    {
        "id": "1042",
        "email": "ann@example.com",
        "status": "shipped",
        "placed_at": "2026-11-18T09:30:00Z",
        "currency": "USD",
        "total": 58.0,
    },
    {
        "id": "1017",
        "email": "ann@example.com",
        "status": "delivered",
        "placed_at": "2026-10-02T14:00:00Z",
        "currency": "USD",
        "total": 19.5,
    },
]

CONNECTOR_PARTS: dict[str, Part] = {
    "crm": Part(
        models=("CrmRecord", "Customer"),
        methods="""
    # --- crm -----------------------------------------------------------------------------------

    async def customer_by_email(self, email: str) -> Customer | None:
        address = email.strip().lower()
        if not address:
            return None
        answer = await self.api.get("/v1/customers", {"email": address})
        rows = answer.get("customers") or []
        return _customer(rows[0]) if rows else None

    async def customer_by_id(self, customer_id: str) -> Customer | None:
        row = await self._customer_row(customer_id)
        return _customer(row) if row else None

    async def record(self, customer_id: str) -> CrmRecord | None:
        row = await self._customer_row(customer_id)
        if row is None:
            return None
        return CrmRecord(customer_id=str(row["id"]), company=str(row.get("company") or ""))

    async def _customer_row(self, customer_id: str) -> dict[str, Any] | None:
        answer = await self.api.get(f"/v1/customers/{_part(customer_id)}", not_found=True)
        return dict(answer["customer"]) if answer else None
""",
        helpers="""

def _customer(row: dict[str, Any]) -> Customer:
    try:
        return Customer(
            id=str(row["id"]),
            email=str(row["email"]).strip().lower(),
            name=str(row.get("name") or ""),
            company=str(row.get("company") or ""),
            created_at=_moment(row["created_at"]),
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise ConnectorError(f"{SERVICE} sent a customer DeskPilot cannot read: {error}") from None
""",
        routes=[
            _route("GET", "/v1/customers", {"customers": []}),
            _route("GET", "/v1/customers", {"customers": [CUSTOMER]}, {"email": "ann@example.com"}),
            _route("GET", "/v1/customers/1001", {"customer": CUSTOMER}),
        ],
        samples={"customer_email": '"ann@example.com"'},
    ),
    "billing": Part(
        models=("Invoice", "InvoiceLine", "Subscription"),
        methods="""
    # --- billing -------------------------------------------------------------------------------

    async def subscription(self, customer_id: str) -> Subscription | None:
        path = f"/v1/customers/{_part(customer_id)}/subscription"
        answer = await self.api.get(path, not_found=True)
        if not answer:
            return None
        row = answer["subscription"]
        return Subscription(
            customer_id=customer_id,
            plan_id=str(row["plan"]),
            status=str(row["status"]),
            cycle_start=date.fromisoformat(row["period_start"]),
            cycle_end=date.fromisoformat(row["period_end"]),
            seats=int(row.get("seats") or 1),
        )

    async def invoices(self, customer_id: str, limit: int = 12) -> list[Invoice]:
        path = f"/v1/customers/{_part(customer_id)}/invoices"
        answer = await self.api.get(path, {"limit": limit}, not_found=True)
        found = [_invoice(row) for row in (answer or {}).get("invoices") or []]
        found.sort(key=lambda invoice: invoice.issued, reverse=True)
        return found[:limit]

    async def invoice(self, invoice_id: str) -> Invoice | None:
        answer = await self.api.get(f"/v1/invoices/{_part(invoice_id)}", not_found=True)
        return _invoice(answer["invoice"]) if answer else None
""",
        helpers="""

def _invoice(row: dict[str, Any]) -> Invoice:
    try:
        return Invoice(
            id=str(row["id"]),
            customer_id=str(row["customer"]),
            number=str(row.get("number") or row["id"]),
            issued=date.fromisoformat(row["issued"]),
            status=str(row["status"]),
            currency=str(row.get("currency") or "USD").upper(),
            lines=[
                # amount is the unit price: the invoice's total is amount x quantity.
                InvoiceLine(
                    description=str(line.get("description") or ""),
                    amount=float(line["unit_amount"]),
                    quantity=int(line.get("quantity") or 1),
                )
                for line in row.get("lines") or []
            ],
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise ConnectorError(f"{SERVICE} sent an invoice DeskPilot cannot read: {error}") from None
""",
        routes=[
            _route(
                "GET",
                "/v1/customers/1001/subscription",
                {
                    "subscription": {
                        "plan": "team",
                        "status": "active",
                        "period_start": "2026-11-01",
                        "period_end": "2026-12-01",
                        "seats": 7,
                    }
                },
            ),
            _route("GET", "/v1/customers/1001/invoices", {"invoices": INVOICES}),
            _route("GET", "/v1/invoices/in_2002", {"invoice": INVOICES[0]}),
            _route("GET", "/v1/invoices/in_2001", {"invoice": INVOICES[1]}),
        ],
        samples={"customer_id": '"1001"', "invoice_id": '"in_2002"'},
    ),
    "issues": Part(
        models=("Bug",),
        connector_models=("BugMatch", "BugQuery", "rank_bugs"),
        methods="""
    # --- issues --------------------------------------------------------------------------------

    async def search_bugs(self, query: BugQuery, limit: int = 5) -> list[BugMatch]:
        if query.is_empty() or limit <= 0:
            return []
        # The tracker's own search finds candidates; DeskPilot ranks them against the report.
        words = (query.errors[0] if query.errors else query.text)[:200]
        answer = await self.api.get("/v1/bugs", {"q": words})
        return rank_bugs([_bug(row) for row in answer.get("bugs") or []], query, limit)

    async def bug(self, bug_id: str) -> Bug | None:
        answer = await self.api.get(f"/v1/bugs/{_part(bug_id)}", not_found=True)
        return _bug(answer["bug"]) if answer else None
""",
        helpers="""

def _bug(row: dict[str, Any]) -> Bug:
    try:
        return Bug(
            id=str(row["id"]),
            title=str(row["title"]),
            status=str(row.get("status") or "open"),  # "open", "in_progress", "fixed"
            page_url=str(row.get("page_url") or ""),
            error_signature=str(row.get("error") or ""),
            created=date.fromisoformat(row["created"]) if row.get("created") else None,
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise ConnectorError(f"{SERVICE} sent a bug DeskPilot cannot read: {error}") from None
""",
        routes=[
            _route("GET", "/v1/bugs", {"bugs": [BUG]}),
            _route("GET", "/v1/bugs/BUG-7", {"bug": BUG}),
        ],
        samples={
            "bug_query": (
                "BugQuery(\n"
                '                text="Export to CSV crashes on empty reports",\n'
                '                errors=["TypeError: Cannot read properties of undefined '
                "(reading 'map')\"],\n"
                "            )"
            )
        },
    ),
    "identity": Part(
        connector_models=("PasswordResetResult",),
        methods="""
    # --- identity ------------------------------------------------------------------------------

    async def send_password_reset(self, email: str) -> PasswordResetResult:
        address = email.strip().lower()
        # A POST is never repeated after a 5xx (it could send two emails).
        answer = await self.api.json("POST", "/v1/password-resets", json={"email": address})
        reference = str((answer or {}).get("id") or "")
        return PasswordResetResult(email=address, sent=True, reference=reference)
""",
        helpers="",
        routes=[_route("POST", "/v1/password-resets", {"id": "pr_3001", "status": "sent"})],
        samples={"customer_email": '"ann@example.com"'},
    ),
    "notify": Part(
        connector_models=("Handoff", "HandoffPosted"),
        config="""    channel: str = Field("support", min_length=1)  # where hand-offs are posted
""",
        methods="""
    # --- notify --------------------------------------------------------------------------------

    async def post_handoff(self, handoff: Handoff) -> HandoffPosted:
        channel = handoff.channel or self.config.channel
        text = f"Hand-off: ticket {handoff.ticket_id}\\n{handoff.summary}"
        answer = await self.api.json(
            "POST", "/v1/messages", json={"channel": channel, "text": text}
        )
        return HandoffPosted(channel=channel, reference=str(answer["id"]))
""",
        helpers="",
        routes=[_route("POST", "/v1/messages", {"id": "msg_4001", "channel": "support"})],
        samples={},
    ),
    "tickets": Part(
        models=("Author", "Message", "Ticket"),
        methods="""
    # --- tickets -------------------------------------------------------------------------------

    async def pull_new(self, since: datetime | None = None) -> list[Ticket]:
        params = {"updated_since": since.isoformat()} if since else {}
        answer = await self.api.get("/v1/tickets", params)
        return [self._ticket(row) for row in answer.get("tickets") or []]

    def _ticket(self, row: dict[str, Any]) -> Ticket:
        try:
            created = _moment(row["created_at"])
            return Ticket(
                id=f"{self.context.name.upper()}-{row['id']}",
                subject=str(row.get("subject") or "(no subject)"),
                messages=[Message(author=Author.CUSTOMER, body=str(row["body"]), at=created)],
                source=self.context.name,
                external_id=str(row["id"]),
                created_at=created,
                updated_at=_moment(row.get("updated_at") or row["created_at"]),
            )
        except (KeyError, TypeError, ValueError, ValidationError) as error:
            raise ConnectorError(f"{SERVICE} sent a ticket DeskPilot cannot read: {error}") from (
                None
            )
""",
        helpers="",
        routes=[
            _route(
                "GET",
                "/v1/tickets",
                {
                    "tickets": [
                        {
                            "id": "5001",
                            "subject": "Charged twice",
                            "body": "I was charged twice this month.",
                            "created_at": "2026-11-20T09:12:00Z",
                            "updated_at": "2026-11-20T09:12:00Z",
                        }
                    ]
                },
            )
        ],
        samples={},
    ),
    "orders": Part(
        connector_models=("Order",),
        methods="""
    # --- orders --------------------------------------------------------------------------------

    async def order(self, order_id: str) -> Order | None:
        answer = await self.api.get(f"/v1/orders/{_part(order_id)}", not_found=True)
        return _order(answer["order"]) if answer else None

    async def orders_for_customer(self, email: str, limit: int = 10) -> list[Order]:
        address = email.strip().lower()
        if not address or limit <= 0:
            return []
        answer = await self.api.get("/v1/orders", {"email": address})
        found = [_order(row) for row in answer.get("orders") or []]
        found.sort(key=lambda order: order.placed_at, reverse=True)
        return found[:limit]
""",
        helpers="""

def _order(row: dict[str, Any]) -> Order:
    try:
        return Order(
            id=str(row["id"]),
            customer_email=str(row["email"]).strip().lower(),
            status=str(row["status"]),
            placed_at=_moment(row["placed_at"]),
            currency=str(row.get("currency") or "USD").upper(),
            total=float(row.get("total") or 0),
        )
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        raise ConnectorError(f"{SERVICE} sent an order DeskPilot cannot read: {error}") from None
""",
        routes=[
            _route("GET", "/v1/orders", {"orders": []}),
            _route("GET", "/v1/orders", {"orders": ORDERS}, {"email": "ann@example.com"}),
            _route("GET", "/v1/orders/1042", {"order": ORDERS[0]}),
        ],
        samples={"order_id": '"1042"', "order_email": '"Ann@Example.com"'},
    ),
}


PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[project]
name = "$distribution"
version = "0.1.0"
description = "DeskPilot connector: $capabilities from $service."
readme = "README.md"
requires-python = ">=3.11"
dependencies = [
    "deskpilot>=0.1",
]

[project.optional-dependencies]
# DeskPilot's test kit (contract tests, the local HTTP server, spec checks) and pytest.
test = ["deskpilot[test]"]

# How DeskPilot finds the connector: <connector name> = "<module>:<class>". The name is what
# users write in config.toml as [connectors.$name].
[project.entry-points."deskpilot.connectors"]
$name = "$package:${Prefix}Connector"

# The package the wheel holds: it must name the package folder under src/.
[tool.hatch.build.targets.wheel]
packages = ["src/$package"]

[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = "-ra --strict-markers"

[tool.ruff]
line-length = 100
target-version = "py311"

[tool.mypy]
python_version = "3.11"
strict = true
plugins = ["pydantic.mypy"]
"""

README = """\
# $distribution

A DeskPilot connector serving **$capabilities** from $service, generated by
`deskpilot plugins new $name`.

```bash
pip install -e ".[test]"        # the plugin, DeskPilot and its test kit
pytest                          # DeskPilot's contract tests against a recorded local server
deskpilot plugins list          # "$name" is listed with its capabilities
```

Configure it in the workspace's `config.toml`; the API key comes from the environment (or the
workspace's `secrets.env`) only:

```toml
[connectors.$name]
base_url = "https://api.example.com"
```

```bash
export DESKPILOT_CONNECTORS__${NAME}__API_KEY=...
deskpilot plugins check $name
```

## Make it yours

1. `src/$package/connector.py` speaks to a made-up REST API under `/v1`: change the paths and
   the `_...` translation functions to your system's, keeping DeskPilot's models as the output.
2. Replace `tests/recordings/api.json` with your system's real answers (made-up people), and
   keep the contract samples in `tests/test_$name.py` pointing at records it holds.
3. If your vendor publishes an OpenAPI document, check every request and answer against it
   with one line in the test module: `openapi_spec = use_openapi_spec(PATH)`.
"""

INIT = '''\
"""DeskPilot connector plugin for $service: $capabilities.

DeskPilot finds ``${Prefix}Connector`` through the ``deskpilot.connectors`` entry point in
pyproject.toml; nothing else registers it.
"""

from .connector import ${Prefix}Config, ${Prefix}Connector

__all__ = ["${Prefix}Config", "${Prefix}Connector"]
'''

CONNECTOR = '''\
"""$service for DeskPilot, over its REST API: $capabilities.

Generated by ``deskpilot plugins new``: the paths under ``/v1`` and the JSON shapes (see
``tests/recordings/api.json``) are made up. Replace them with your system's; the contract tests
(``tests/test_$name.py``) say whether the connector still keeps DeskPilot's contract.
"""

from __future__ import annotations

$datetime_import
from typing import Any, ClassVar
from urllib.parse import quote

from deskpilot.connectors import (
$connector_imports)
from deskpilot.connectors.http import ApiClient, HttpConnectorConfig
${model_imports}\
$pydantic_import

SERVICE = "$service"


class ${Prefix}Config(HttpConnectorConfig):
    """The [connectors.$name] table: base_url, timeouts, retries and paging come with
    HttpConnectorConfig; secrets are SecretStr, read from the environment only."""

    base_url: str = Field("https://api.example.com", pattern=r"^https?://")
    # From DESKPILOT_CONNECTORS__${NAME}__API_KEY (environment or secrets.env) only.
    api_key: SecretStr
$config_fields

$class_heading
    config_model: ClassVar[type[ConnectorConfig]] = ${Prefix}Config
    title: ClassVar[str] = "$service: $capabilities"

    def __init__(self, config: ${Prefix}Config, context: ConnectorContext) -> None:
        super().__init__(config, context)
        key = config.api_key.get_secret_value()
        self.api = ApiClient.from_config(
            SERVICE,
            config,
            headers={"Authorization": f"Bearer {key}"},
            secrets=[key],
            credential_hint=f"DESKPILOT_CONNECTORS__{context.name.upper()}__API_KEY",
        )

    async def aclose(self) -> None:
        await self.api.aclose()

    async def check(self) -> str:
        """A cheap call with the real credentials: refused credentials fail here."""
        await self.api.get("/v1/ping")
        return f"{SERVICE} at {self.api.endpoint} accepts the API key"
$methods

def _part(value: str) -> str:
    """An id inside a URL path: never a way to another path."""
    return quote(value, safe="")


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
$helpers'''

CONFTEST = """\
# The http_server fixture (a real local HTTP server with recorded responses) comes from
# DeskPilot's test kit.
pytest_plugins = ["deskpilot.testing.pytest_plugin"]
"""

TESTS = '''\
"""$service against a real local HTTP server replaying ``recordings/api.json``.

``Test${Prefix}Contract`` runs DeskPilot's contract tests for $capabilities (a contract class
per capability served); add tests for what is particular to your API below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
$context_import
from deskpilot.testing import (
$contract_imports)
from pydantic import SecretStr

from $package import ${Prefix}Config, ${Prefix}Connector

RECORDING = Path(__file__).parent / "recordings" / "api.json"
API_KEY = "test-key-not-secret"


def make_connector(server: RecordedServer, **settings: Any) -> ${Prefix}Connector:
    values: dict[str, Any] = {"backoff_seconds": 0.0, **settings}
    config = ${Prefix}Config(base_url=server.url, api_key=SecretStr(API_KEY), **values)
    return ${Prefix}Connector(config, ConnectorContext(name="$name"))


@pytest.fixture
def recorded(http_server: RecordedServer) -> RecordedServer:
    http_server.load(RECORDING)
    return http_server


class Test${Prefix}Contract($contract_bases):
    @pytest.fixture
    def connector(self, recorded: RecordedServer) -> ${Prefix}Connector:
        return make_connector(recorded)

    @pytest.fixture
    def contract_samples(self) -> ContractSamples:
        return $samples


def test_the_api_key_goes_as_a_bearer_token(recorded: RecordedServer) -> None:
    said = run(make_connector(recorded), lambda c: c.check())
    assert "accepts the API key" in said
    [ping] = recorded.received("GET", "/v1/ping")
    assert ping.headers["authorization"] == f"Bearer {API_KEY}"
'''
