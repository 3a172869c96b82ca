"""The CRM contract compares who a customer is, not when the object was made: a connector that
leaves ``Customer.created_at`` unset passes, and one whose lookups disagree fails saying how."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

PLUGIN = """
import pytest
from typing import ClassVar
from deskpilot.connectors import Connector, ConnectorConfig, Crm
from deskpilot.models import CrmRecord, Customer
from deskpilot.testing import ConnectorContract, ContractSamples


class MemoryConfig(ConnectorConfig):
    name_by_id: str = "Ann Lee"


class MemoryCrm(Connector[MemoryConfig], Crm):
    config_model: ClassVar[type[ConnectorConfig]] = MemoryConfig

    async def check(self) -> str:
        return "in memory"

    async def customer_by_email(self, email: str) -> Customer | None:
        if email.strip().lower() != "ann@example.com":
            return None
        return Customer(id="1", email="ann@example.com", name="Ann Lee")  # created_at: now

    async def customer_by_id(self, customer_id: str) -> Customer | None:
        if customer_id != "1":
            return None
        return Customer(id="1", email="ann@example.com", name=self.config.name_by_id)

    async def record(self, customer_id: str) -> CrmRecord | None:
        return CrmRecord(customer_id="1") if customer_id == "1" else None


class TestMemoryCrm(ConnectorContract):
    @pytest.fixture
    def connector(self) -> MemoryCrm:
        return MemoryCrm(MemoryConfig(name_by_id=NAME_BY_ID), ConnectorContext(name="memory"))

    @pytest.fixture
    def contract_samples(self) -> ContractSamples:
        return ContractSamples(customer_email="ann@example.com")
"""


def _run(pytester: pytest.Pytester, name_by_id: str) -> pytest.RunResult:
    source = "from deskpilot.connectors import ConnectorContext\n" + PLUGIN
    pytester.makepyfile(test_memory=source.replace("NAME_BY_ID", repr(name_by_id)))
    return pytester.runpytest_inprocess(
        "-p",
        "no:cacheprovider",
        "-p",
        "no:textual-snapshot",
        "-k",
        "crm_finds_customer_by_email_and_id",
    )


def test_customers_without_a_creation_date_compare_by_identity(pytester: pytest.Pytester) -> None:
    _run(pytester, "Ann Lee").assert_outcomes(passed=1)


def test_lookups_that_disagree_fail_with_a_readable_difference(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "Ann Smith")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the same customer looked up two ways differs:*",
            "*name: 'Ann Smith' (customer_by_id(its id)) != 'Ann Lee' (customer_by_email)*",
        ]
    )
    assert "created_at" not in result.stdout.str()
