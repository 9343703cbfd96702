"""`paykeep demo` (runner.py): a client of the API, not part of the server. Only the CLI's `demo` command
imports it, when it runs; nothing the server loads (bootstrap, web, services, workers) does."""
