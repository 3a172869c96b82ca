"""The command line: ``app`` holds the root group and the workspace commands; each other module
adds one command group (``kb``, ``intents``, ...) over the headless core."""

from deskpilot.cli.app import main

__all__ = ["main"]
