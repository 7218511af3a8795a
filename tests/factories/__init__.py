"""Test factories, one module per domain: rows straight in the database (or through the
domain service where the row needs its side effects), with keyword arguments for what a
test cares about and plain defaults for the rest."""
