"""DeskPilot's built-in connectors to real services, one module each, over ``connectors.http``.

They register in the ``deskpilot.connectors`` entry-point group like any third-party plugin
(pyproject.toml), so they are listed without being imported and loaded only when configured.
Each has a config model (its ``[connectors.<name>]`` table; secrets from the environment or
secrets.env only), a ``check()`` against a cheap authenticated endpoint, and tests replaying the
API's documented responses in ``tests/connectors``.
"""
