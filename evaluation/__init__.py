"""Evaluation tools for the Agent-FLAN release kit (tool-call detection, hallucination metrics)."""
