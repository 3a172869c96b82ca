"""The demo connector, served from a demo workspace's ``records/`` folder."""

from deskpilot.connectors.demo.connector import DemoConfig, DemoConnector
from deskpilot.connectors.demo.records import DemoRecords

__all__ = ["DemoConfig", "DemoConnector", "DemoRecords"]
