"""`python -m papercast` runs the CLI."""

from papercast.cli import main

main()
