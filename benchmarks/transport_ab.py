"""The upstream client, measured alone: the bare pass-through proxy on one shared aiohttp
session against the same proxy on the gateway's own HTTP/1.1 client, side by side.

Both proxies run behind one sandbox; short wrk runs alternate between them so both meet
the same noise; it prints the medians of requests/s, each proxy's CPU time per request and
p50, at 32 and at 1 connection.

    python -m benchmarks.transport_ab [--rounds 6] [--seconds 3]
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack

import psutil

from benchmarks.gateway_ab import PATH, compare
from benchmarks.gateway_overhead import BODY, CONNECTIONS
from benchmarks.harness import UVICORN, sandbox_server, server, wrk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=3)
    args = parser.parse_args()

    with ExitStack() as stack:
        sandbox, _ = stack.enter_context(sandbox_server())
        env = {"UPSTREAM": f"{sandbox}/openai"}
        proxies = {}
        for name, app in (("aiohttp", "app"), ("http1", "http1_app")):
            command = [*UVICORN, f"benchmarks.bare_proxy:{app}"]
            url, process = stack.enter_context(server(command, env=env, ready_path="/"))
            proxies[name] = (url + PATH, psutil.Process(process.pid))
            wrk(url + PATH, BODY, "sk-bench", connections=32, seconds=2)  # warm up
        for connections in reversed(CONNECTIONS):
            compare(proxies, "sk-bench", connections, args.rounds, args.seconds)


if __name__ == "__main__":
    main()
