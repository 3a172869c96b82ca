"""The demo workspace: generated, deterministic data covering every case the desk is for."""

from deskpilot.demo.build import DemoSummary, build_demo, remove_demo_workspace

__all__ = ["DemoSummary", "build_demo", "remove_demo_workspace"]
