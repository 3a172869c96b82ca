"""DeskPilot: the agent desk in the terminal with an AI co-pilot."""

__version__ = "0.1.0"
