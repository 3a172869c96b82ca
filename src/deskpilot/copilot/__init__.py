"""The co-pilot: context assembly, drafters, redaction and the hand-off summary."""
