# The http_server fixture (a real local HTTP server with recorded responses) comes from
# DeskPilot's test kit.
pytest_plugins = ["deskpilot.testing.pytest_plugin"]
