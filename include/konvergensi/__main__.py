"""Entry point for `python -m konvergensi`."""

from konvergensi.cli import main

main()
