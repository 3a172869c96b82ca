"""The demo workspace: generated, deterministic data covering every case the desk is for."""

from deskpilot.demo.build import DemoSummary, build_demo, remove_demo_workspace
from deskpilot.store.demo_flag import demo_description

__all__ = ["DemoSummary", "build_demo", "demo_description", "remove_demo_workspace"]
