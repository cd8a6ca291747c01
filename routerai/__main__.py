"""`python -m routerai` runs the command line."""

from routerai.cli import main

main()
