"""The prompt library as data files.

Each ``*.yaml`` file here is one prompt set (weekly reflection, retrospective, introductions,
show-and-tell). They live as data rather than code so facilitators can read and propose changes
without touching Python, and they ship as package data so an installed wheel carries them.
``bot.services.prompt_library`` loads and validates them; nothing runs at import time.
"""
