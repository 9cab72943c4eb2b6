"""`python -m handler.cli`: the same as the `webhooks` command."""

from . import main

main()
