"""Actions carried out through connectors, each written to the audit trail before and after."""
