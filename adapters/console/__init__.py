"""The console adapter: copbot in a terminal, with no tokens, for trying it and for tests."""
