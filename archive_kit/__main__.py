"""``python -m archive_kit`` runs the command line."""
from cli.main import main

main()
