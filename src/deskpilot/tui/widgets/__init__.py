"""The TUI's widgets, one a module, each holding its own state."""
