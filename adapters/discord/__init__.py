"""The Discord adapter: discord.py's app commands, views and modals over copbot's core.

``client`` runs the connection and wires events, ``commands`` generates ``/cop`` from the
registry, ``respond`` answers interactions within Discord's 3 seconds, ``translate`` is the pure
mapping both ways, ``views`` holds the persistent buttons and modals, ``port`` is the ChatPort,
``capture`` drafts lessons for "Capture as lesson", ``setup`` makes the invite link and syncs.
"""
