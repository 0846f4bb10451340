"""The `izana` command: the composition root that starts the API, the worker, the embedded
Redis and Postgres of `izana dev`, and the knowledge-base commands (docs/architecture.md)."""
