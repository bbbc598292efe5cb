"""One module per ``python -m geo`` command: ``add_parser(subparsers)`` and ``run(args)``."""
