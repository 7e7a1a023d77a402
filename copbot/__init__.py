"""The composition root: reads settings once, builds the database and adapters, runs them."""
