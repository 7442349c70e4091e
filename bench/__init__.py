"""The benchmark: pyjang against Django, a hand-written Starlette app and bare ASGI.

``python bench/run.py`` runs it; see ``bench/README.md``.
"""
