"""Pure rules of paykeep: standard library only, no I/O."""
