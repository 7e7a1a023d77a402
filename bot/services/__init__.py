"""Domain services: the core's behaviour, free of any chat platform."""
