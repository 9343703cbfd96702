"""Repositories with queries beyond the generic TableRepository; module name = table name."""
