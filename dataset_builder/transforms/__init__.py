"""Transforms from typed source records to rows of the `agent-flan` schema."""
