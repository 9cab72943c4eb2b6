"""4. The apps uvicorn serves: a trivial ASGI app (the baseline) and ours with AWS stubbed."""

from typing import Any

import handler.main as main
from bench.common import stub_io

stub_io(main.receiver)
ours = main.app

BODY = b'{"id":"bench-delivery-1","source":"github","status":"accepted"}'


async def trivial(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:  # read the request body, as any real receiver must
        message = await receive()
        more = message.get("more_body", False)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY))]
    await send({"type": "http.response.start", "status": 202, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})
