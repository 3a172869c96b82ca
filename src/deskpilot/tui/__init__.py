"""The agent desk TUI: a thin Textual view over the headless desk."""
