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
from deskpilot.testing import BillingContract, ContractSamples, CrmContract


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


class TestMemoryCrm(CrmContract):
    @pytest.fixture
    def connector(self) -> MemoryCrm:
        return MemoryCrm(MemoryConfig(name_by_id=NAME_BY_ID), ConnectorContext(name="memory"))

    @pytest.fixture
    def contract_samples(self) -> ContractSamples:
        return ContractSamples(customer_email="ann@example.com")
"""


def _run(
    pytester: pytest.Pytester,
    name_by_id: str,
    *,
    only: str = "crm_finds_customer_by_email_and_id",
    bases: str = "CrmContract",
) -> pytest.RunResult:
    source = "from deskpilot.connectors import ConnectorContext\n" + PLUGIN
    source = source.replace("class TestMemoryCrm(CrmContract):", f"class TestMemoryCrm({bases}):")
    pytester.makepyfile(test_memory=source.replace("NAME_BY_ID", repr(name_by_id)))
    return pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:textual-snapshot", *(["-k", only] if only else [])
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


def test_a_crm_connectors_run_holds_its_contract_and_skips_nothing(
    pytester: pytest.Pytester,
) -> None:
    """Only the CRM's tests and every connector's run: none collected, then skipped, for the
    capabilities it does not serve."""
    result = _run(pytester, "Ann Lee", only="")
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped", 0) == 0 and outcomes.get("failed", 0) == 0
    assert outcomes["passed"] >= 6  # the CRM's four and every connector's three
    assert "test_billing" not in result.stdout.str()


def test_a_contract_for_a_capability_not_served_fails_saying_what_to_change(
    pytester: pytest.Pytester,
) -> None:
    result = _run(pytester, "Ann Lee", only="every_capability_it_serves", bases="BillingContract")
    result.assert_outcomes(failed=1)
    assert "MemoryCrm serves ['crm']: let TestMemoryCrm inherit CrmContract too" in (
        result.stdout.str()
    )


def test_a_billing_test_on_a_crm_fails_rather_than_skips(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester, "Ann Lee", only="billing_knows_the_desks_customer", bases="BillingContract"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*MemoryCrm does not serve 'billing': drop BillingContract from the test class's bases*"]
    )
