"""``python -m veille``: the same command line as the ``veille`` script."""

from veille.cli import main

main()
