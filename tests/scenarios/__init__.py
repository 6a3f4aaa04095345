"""The scenario catalogue: small declarative schema changes the oracle runs on every backend."""
