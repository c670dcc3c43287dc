"""The metric engine: interval arithmetic in Python, aggregates in the database."""
