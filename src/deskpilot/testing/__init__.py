"""A kit for connector authors: contract tests and a real local HTTP server with recorded
responses. Nothing here is used by DeskPilot at run time; it needs pytest.

* ``CrmContract``, ``BillingContract``, ``IssuesContract``, ``IdentityContract``,
  ``NotifyContract``, ``TicketSourceContract``, ``OrdersContract``: inherit the ones your
  connector serves in a ``Test*`` class and override the ``connector`` (and
  ``contract_samples``) fixtures; each adds its capability's tests to ``ConnectorContract``'s
  (what every connector passes), so the run holds exactly what the connector serves.
* ``OpenApiSpec`` / ``use_openapi_spec``: spec-checked tests; every request a connector sends
  to the local server and every answer it gets, checked against the vendor's published OpenAPI
  document (``deskpilot.testing.spec``).
* ``GraphQLSchemaCheck`` / ``use_graphql_schema``: the same for a GraphQL API, against the
  vendor's schema with graphql-core (``deskpilot.testing.graphql_spec``).
* ``RecordedServer``: an ``http.server`` on 127.0.0.1 answering with recorded responses and
  keeping the requests it received (``handle``, ``IdempotentEndpoint`` and ``GraphQLEndpoint``
  for answers that depend on the request); the ``http_server`` fixture in
  ``deskpilot.testing.pytest_plugin`` starts and stops one per test.
* Mail channels: ``deskpilot.testing.mail`` has fixtures for a real IMAP account (Dovecot,
  started by ``deskpilot.testing.dovecot`` or exported in ``DESKPILOT_TEST_IMAP_URL``) and a real
  SMTP server (aiosmtpd with STARTTLS and AUTH); ``deskpilot.testing.tcp_proxy`` cuts a
  connection part-way. Import them from there (they need the test extra's aiosmtpd and trustme).
"""

from deskpilot.testing.contract import (
    CONTRACTS,
    BillingContract,
    ConnectorContract,
    ContractSamples,
    CrmContract,
    IdentityContract,
    IssuesContract,
    NotifyContract,
    OrdersContract,
    TicketSourceContract,
    run,
)
from deskpilot.testing.graphql_spec import GraphQLSchemaCheck, use_graphql_schema
from deskpilot.testing.http import (
    GraphQLEndpoint,
    IdempotentEndpoint,
    ReceivedRequest,
    RecordedResponse,
    RecordedServer,
    Route,
)
from deskpilot.testing.spec import OpenApiSpec, SpecViolation, use_openapi_spec

__all__ = [
    "CONTRACTS",
    "BillingContract",
    "ConnectorContract",
    "ContractSamples",
    "CrmContract",
    "GraphQLEndpoint",
    "GraphQLSchemaCheck",
    "IdempotentEndpoint",
    "IdentityContract",
    "IssuesContract",
    "NotifyContract",
    "OpenApiSpec",
    "OrdersContract",
    "ReceivedRequest",
    "RecordedResponse",
    "RecordedServer",
    "Route",
    "SpecViolation",
    "TicketSourceContract",
    "run",
    "use_graphql_schema",
    "use_openapi_spec",
]
