"""Local stand-ins for AWS and the scripts that start them."""

from pathlib import Path

# The demo sources: one per signature scheme, with public test secrets. `make run`, `sam local`,
# the events, the CLI's default and the pytest kit all read this one file.
DEMO_SOURCES = Path(__file__).with_name("demo-sources.toml")
