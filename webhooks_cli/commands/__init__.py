"""The `webhooks` commands, one module per family; webhooks_cli/__init__.py registers them."""
