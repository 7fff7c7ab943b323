"""The `agent-flan` command line: one entry point for build, validate and detect."""
