"""The Agent-FLAN hallucination Space: one question, answered with relevant tools, no tools and
irrelevant tools, each reply judged by the kit's tool-call detector.

The folder is both a package (`agent-flan space` imports `agent_flan.space.app`) and a Hugging Face Space
repository (`app.py` is its app file). Heavy libraries (torch, transformers, gradio) are imported
only by the modules that need them, so `import agent_flan.space` stays instant.
"""
