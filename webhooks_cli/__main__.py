"""`python -m webhooks_cli`: the same as the `webhooks` command."""

from . import main

main()
