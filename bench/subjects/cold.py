"""One cold start: import a subject, answer one delivery, exit. `python -m bench.subjects.cold X`.

Run in a fresh process per measurement; the parent times spawn → exit and reads peak RSS.
"""

import sys

from bench.common import CONTEXT, stub_io, webhook_event


def main(kind: str) -> int:
    event = webhook_event()
    if kind == "ours":
        import handler.main as subject

        stub_io(subject.receiver)
        response = subject.lambda_handler(event, CONTEXT)
    elif kind == "bare":
        from bench.subjects import bare

        response = bare.handler(event, CONTEXT)
    elif kind == "fastapi-floor":
        from bench.subjects import fastapi_floor

        response = fastapi_floor.handler(event, CONTEXT)
    elif kind == "powertools":
        from bench.subjects import powertools

        response = powertools.handler(event, CONTEXT)
    else:
        raise SystemExit(f"unknown subject {kind}")
    return 0 if response["statusCode"] == 202 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
