"""Generators: ``pyjang new``, ``pyjang addmodel`` and ``pyjang addpage``.

Each writes code that reads like the rest of a project: ruff-formatted,
type-checked, in the layout ``pyjang new`` starts. Each decides every file
before writing one, and a refused command leaves the project as it was.
"""
