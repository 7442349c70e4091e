"""Allow ``python -m pyjang``."""

from pyjang.cli import main

main()
