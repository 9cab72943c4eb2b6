"""One cold start: import a subject, answer one delivery, exit. `python -m bench.subjects.cold X`.

Run in a fresh process per measurement; the parent times spawn → exit and reads peak RSS.
"""

import sys
from typing import Any

from bench.common import CONTEXT, stub_io, webhook_event


def main(kind: str) -> int:
    event = webhook_event()
    handle: Any
    if kind == "ours":
        import handler.main as subject

        stub_io(subject.receiver)
        handle = subject.lambda_handler
    elif kind == "bare":
        from bench.subjects import bare

        handle = bare.handler
    elif kind == "fastapi-floor":
        from bench.subjects import fastapi_floor

        handle = fastapi_floor.handler
    elif kind == "powertools":
        from bench.subjects import powertools

        handle = powertools.handler
    else:
        raise SystemExit(f"unknown subject {kind}")
    response = handle(event, CONTEXT)
    return 0 if response["statusCode"] == 202 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
