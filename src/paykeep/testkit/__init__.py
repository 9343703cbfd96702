"""The merchant's test kit (API.md §11): what a merchant's own tests and tools use against paykeep."""
