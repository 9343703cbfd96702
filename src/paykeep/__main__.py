"""`python -m paykeep` runs the command-line interface."""

from paykeep.cli import main

main()
