"""The TUI's screens, one a module: each gets the desk and calls its methods."""
