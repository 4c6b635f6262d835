"""``python -m unfoldnmf`` works like the ``unfoldnmf`` command."""

from .cli import main

main()
