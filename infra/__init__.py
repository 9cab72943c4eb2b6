"""Local stand-ins for AWS and the scripts that start them."""

from pathlib import Path

# The demo sources: one per signature scheme, with public test secrets. `make run`, `sam local`,
# the events, the CLI's default and the pytest kit all read this one file.
DEMO_SOURCES = Path(__file__).with_name("demo-sources.toml")

# One source per catalogue sender (handler/receive/senders), with public sample secrets in each
# sender's own form: `WEBHOOK_SOURCES_FILE=infra/senders-sample.toml`, and the senders' tests.
SENDERS_SAMPLE = Path(__file__).with_name("senders-sample.toml")
