"""``python -m copbot`` is the ``copbot`` command."""

from copbot.cli import main

main()
