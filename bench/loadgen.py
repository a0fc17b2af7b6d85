"""A small HTTP load generator: threads with keep-alive `http.client` connections.

It runs in its own process, so its CPU time and its GIL are not shared with the harness, and it
talks to 127.0.0.1 only. The harness starts it once per server and drives it over stdin/stdout
with one JSON object a line, so that connections stay open from one round to the next:

    -> {"path": "/reference/rows/", "seconds": 2.0, "max_requests": 20000, "expect": "Reference"}
    <- {"path": ..., "requests": 1234, "elapsed": 2.01, "latencies_ms": [...], "statuses": {...}, ...}

Each round is bounded twice, by time and by count, so a surprisingly fast page cannot run away.
"""

import http.client
import itertools
import json
import os
import sys
import threading
import time
from collections import Counter

# What a browser sends, minus cookies: a first-time anonymous visitor, the common case for a
# public page. "identity" because the pages are not compressed in the app (a proxy would do it).
HEADERS = {
    "Accept": "text/html,application/xhtml+xml",
    "Accept-Language": "en",
    "Accept-Encoding": "identity",
    "User-Agent": "samen-bench/1",
}
# Errors that mean "the server closed an idle keep-alive connection": reconnect and carry on.
RECONNECT_ERRORS = (http.client.RemoteDisconnected, http.client.BadStatusLine, ConnectionError)


class LoadGenerator:
    def __init__(self, host: str, port: int, connections: int):
        if host not in {"127.0.0.1", "localhost", "::1"}:
            raise SystemExit("loadgen only loads the loopback interface")
        self.connections = [http.client.HTTPConnection(host, port, timeout=30) for _ in range(connections)]

    def round(self, path: str, seconds: float, max_requests: int, expect: str = "") -> dict:
        expect_bytes = expect.encode()
        budget = itertools.count()  # next() on a count is atomic under the GIL: a shared ticket roll
        outcomes: list[dict] = []
        start = time.perf_counter()
        deadline = start + seconds
        cpu_before = os.times()

        def work(conn: http.client.HTTPConnection) -> None:
            latencies: list[float] = []
            statuses: Counter[int] = Counter()
            body_bytes = reconnects = 0
            error = ""
            checked = not expect_bytes
            while time.perf_counter() < deadline and next(budget) < max_requests:
                for attempt in range(3):
                    t0 = time.perf_counter()
                    try:
                        conn.request("GET", path, headers=HEADERS)
                        response = conn.getresponse()
                        body = response.read()
                        break
                    except RECONNECT_ERRORS as exc:
                        conn.close()  # http.client reopens on the next request
                        reconnects += 1
                        if attempt == 2:
                            error = f"{type(exc).__name__}: {exc}"
                else:
                    break
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[response.status] += 1
                body_bytes += len(body)
                if response.status != 200 and not error:
                    error = f"HTTP {response.status}: {body[:200]!r}"
                if not checked:
                    # Once per connection and round: proof that we load the page we think we load.
                    checked = True
                    if expect_bytes not in body:
                        error = error or f"response to {path} does not contain {expect!r}"
            outcomes.append(
                {
                    "latencies": latencies,
                    "statuses": statuses,
                    "bytes": body_bytes,
                    "reconnects": reconnects,
                    "error": error,
                }
            )

        threads = [threading.Thread(target=work, args=(conn,)) for conn in self.connections]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        cpu_after = os.times()

        latencies = [ms for outcome in outcomes for ms in outcome["latencies"]]
        statuses: Counter[int] = sum((outcome["statuses"] for outcome in outcomes), Counter())
        errors = [outcome["error"] for outcome in outcomes if outcome["error"]]
        return {
            "path": path,
            "requests": len(latencies),
            "elapsed": elapsed,
            "latencies_ms": [round(ms, 3) for ms in latencies],
            "statuses": {str(code): n for code, n in statuses.items()},
            "bytes": sum(outcome["bytes"] for outcome in outcomes),
            "reconnects": sum(outcome["reconnects"] for outcome in outcomes),
            "errors": errors,
            "client_cpu_s": (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system),
        }


def main() -> None:
    host, port, connections = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    generator = LoadGenerator(host, port, connections)
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        result = generator.round(
            command["path"],
            float(command["seconds"]),
            int(command["max_requests"]),
            command.get("expect", ""),
        )
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C reaches us too; the harness reports it
        sys.exit(130)
