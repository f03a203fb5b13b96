"""The least a client can do for case (a): the floor any client reaches against this emulator here.

Usage: python minimal_client.py TOKENS_FILE CONCURRENCY  (PLAID_BASE_URL, PLAID_CLIENT_ID, PLAID_SECRET)

Bare asyncio streams, one keep-alive connection per worker, a hand-built POST and the answer read by its
Content-Length: no HTTP library, no parsing of the answer, no output but a count. Not a usable client
(no TLS, no retries, no errors): it measures what the emulator and the machine cost on their own, so
that the CLI's share of the latency bound can be read against what is reachable at all.
"""

import asyncio
import json
import os
import sys
from urllib.parse import urlsplit


async def main(tokens: list[str], concurrency: int) -> int:
    url = urlsplit(os.environ["PLAID_BASE_URL"])
    credentials = {"client_id": os.environ["PLAID_CLIENT_ID"], "secret": os.environ["PLAID_SECRET"]}
    queue: asyncio.Queue[str] = asyncio.Queue()
    for token in tokens:
        queue.put_nowait(token)
    answered = 0

    async def worker() -> None:
        nonlocal answered
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        while not queue.empty():
            body = json.dumps({**credentials, "access_token": queue.get_nowait()}).encode()
            writer.write(
                b"POST /accounts/balance/get HTTP/1.1\r\nHost: emulator\r\nContent-Type: application/json\r\n"
                b"Plaid-Version: 2020-09-14\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise SystemExit(f"the emulator answered {head.splitlines()[0]!r}")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            answered += 1
        writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return answered


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        tokens = handle.read().split()
    answered = asyncio.run(main(tokens, int(sys.argv[2])))
    if answered != len(tokens):
        raise SystemExit(f"{answered} answers for {len(tokens)} tokens")
    print(answered)
