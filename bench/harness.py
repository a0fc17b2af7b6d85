"""What every benchmark shares: results, a throwaway database, the real server and a load generator.

A benchmark module gets a `Context` and uses as much of it as it needs:

    url = ctx.django("bench_thing:seed")["url"]      # run a function inside Django, in a subprocess
    comparison = ctx.compare({"reference": "/reference/rows/", "thing": url})
    return [Result.vs_baseline("thing", comparison.rps("thing"), comparison.rps("reference"), ...)]

The database, the migrations and the server are set up once per run, on first use, and shared by the
benchmarks that follow. This module is imported by run.py and, through in_django.py, inside Django;
it must not import Django at module level.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
LOOPBACK = "127.0.0.1"
REFERENCE_PATH = "/reference/rows/"


class BenchError(Exception):
    """Something went wrong that makes a benchmark's numbers meaningless (not a missed target)."""


# --- Results ---------------------------------------------------------------------------------------


@dataclass
class Result:
    """One line of latest.json. `ratio` is value / baseline; `passed` compares it with `target`."""

    name: str
    value: float | None
    unit: str
    baseline: float | None
    ratio: float | None
    target: float | None
    passed: bool
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def vs_baseline(
        cls,
        name: str,
        value: float,
        baseline: float,
        *,
        unit: str,
        target: float,
        higher_is_better: bool = True,
        details: dict | None = None,
    ) -> Result:
        """A figure measured against a baseline from the same run: the ratio is what is judged."""
        if baseline <= 0:
            raise BenchError(f"{name}: baseline is {baseline}, so there is no ratio")
        ratio = value / baseline
        passed = ratio >= target if higher_is_better else ratio <= target
        return cls(name, value, unit, baseline, ratio, target, passed, details or {})

    @classmethod
    def absolute(
        cls,
        name: str,
        value: float,
        *,
        unit: str,
        target: float,
        higher_is_better: bool = True,
        details: dict | None = None,
    ) -> Result:
        """A figure with a fixed target and no baseline (for example, seconds for an import)."""
        passed = value >= target if higher_is_better else value <= target
        return cls(name, value, unit, None, None, target, passed, details or {})

    @classmethod
    def error(cls, name: str, message: str) -> Result:
        """Stands in for a benchmark that could not run, so latest.json still names it."""
        return cls(name, None, "", None, None, None, False, {"error": message})

    def as_json(self) -> dict[str, Any]:
        data = {
            "name": self.name,
            "value": _round(self.value),
            "unit": self.unit,
            "baseline": _round(self.baseline),
            "ratio": _round(self.ratio, 4),
            "target": self.target,
            "passed": self.passed,
        }
        if self.details:
            data["details"] = self.details
        return data


def _round(number: float | None, digits: int = 2) -> float | None:
    return None if number is None else round(number, digits)


# --- Progress --------------------------------------------------------------------------------------


class Progress:
    """One updating status line on a terminal; plain lines in CI logs, where \\r would be noise."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.tty = stream.isatty()
        self.prefix = ""
        self._dirty = False

    def __call__(self, message: str) -> None:
        line = f"{self.prefix}{message}"
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r\033[K" + line[:width])
            self._dirty = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def done(self, message: str = "") -> None:
        if self.tty and self._dirty:
            self.stream.write("\r\033[K")
            self._dirty = False
        if message:
            self.stream.write(f"{self.prefix}{message}\n")
        self.stream.flush()


# --- Measurements ----------------------------------------------------------------------------------


@dataclass
class Sample:
    """One round of load on one path."""

    label: str
    requests: int
    elapsed: float
    latencies_ms: list[float]
    server_cpu_s: float | None
    client_cpu_s: float
    bytes: int

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0


@dataclass
class Comparison:
    """Interleaved rounds over several paths; every summary is a median over rounds."""

    paths: dict[str, str]
    samples: list[Sample]

    def of(self, label: str) -> list[Sample]:
        return [sample for sample in self.samples if sample.label == label]

    def rps(self, label: str) -> float:
        return statistics.median(sample.rps for sample in self.of(label))

    def pair_ratio(self, label: str, baseline: str) -> float:
        """Median of round-by-round ratios: a second view that is robust against slow drift."""
        pairs = zip(self.of(label), self.of(baseline), strict=True)
        return statistics.median(mine.rps / theirs.rps for mine, theirs in pairs)

    def summary(self, label: str) -> dict[str, Any]:
        samples = self.of(label)
        latencies = sorted(ms for sample in samples for ms in sample.latencies_ms)
        requests = sum(sample.requests for sample in samples)
        server_cpu = [s.server_cpu_s / s.requests * 1000 for s in samples if s.server_cpu_s is not None]
        return {
            "path": self.paths[label],
            "rps_median": round(self.rps(label), 1),
            "rps_rounds": [round(sample.rps, 1) for sample in samples],
            "requests": requests,
            "latency_ms": {f"p{q}": round(_percentile(latencies, q), 2) for q in (50, 90, 99)},
            # CPU per request is steadier than throughput on a shared machine: a cross-check.
            "server_cpu_ms_per_request": round(statistics.median(server_cpu), 3) if server_cpu else None,
            "client_cpu_ms_per_request": round(
                statistics.median(s.client_cpu_s / s.requests * 1000 for s in samples), 3
            ),
            "response_bytes": round(sum(sample.bytes for sample in samples) / requests) if requests else 0,
        }


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


# --- The server ------------------------------------------------------------------------------------


class Server:
    """The production WSGI server (gunicorn, as `make run` starts it) on a free loopback port."""

    def __init__(self, env: dict[str, str], log_path: Path, *, workers: int, threads: int):
        self.workers, self.threads = workers, threads
        self.log_path = log_path
        # We bind the socket ourselves and hand gunicorn the descriptor: no race for a "free" port.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, 0))
        listener.listen(2048)
        self.port = listener.getsockname()[1]
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
        command += [
            "samen.wsgi",
            "--bind", f"fd://{listener.fileno()}",
            "--workers", str(workers),
            "--threads", str(threads),
            "--log-level", "warning",
            "--graceful-timeout", "5",
        ]  # fmt: skip
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=[listener.fileno()],
                start_new_session=True,
            )
        listener.close()

    @property
    def description(self) -> str:
        return f"gunicorn, {self.workers} workers x {self.threads} threads"

    def wait_until_ready(self, path: str, timeout: float = 60) -> None:
        """Ready means "answers HTTP": whether the answer is right is checked under load."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=5)
            try:
                conn.request("GET", path)
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.1)
            finally:
                conn.close()
        raise BenchError(f"gunicorn did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def worker_cpu_seconds(self) -> float | None:
        """CPU time used so far by the workers, from /proc (Linux); None where that is unavailable."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            ticks = 0
            for pid in children:
                # Fields after the ")" that ends the command name: utime and stime are 14 and 15.
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            return None
        return ticks / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                # Our own session: its process group holds gunicorn's workers and nothing else.
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class LoadClient:
    """Drives loadgen.py, a separate process, one round at a time."""

    def __init__(self, port: int, connections: int, env: dict[str, str]):
        self.connections = connections
        self.process = subprocess.Popen(
            [sys.executable, str(BENCH_DIR / "loadgen.py"), LOOPBACK, str(port), str(connections)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def round(self, path: str, seconds: float, max_requests: int, expect: str = "") -> dict:
        assert self.process.stdin and self.process.stdout
        command = {"path": path, "seconds": seconds, "max_requests": max_requests, "expect": expect}
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise BenchError(f"the load generator exited with {self.process.wait()}")
        return json.loads(line)

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- The context -----------------------------------------------------------------------------------


@dataclass
class Options:
    # 7 interleaved rounds of 2 s per path: about 35 s for a two-path benchmark, and an odd count
    # so that the median is a measured round rather than the mean of two.
    rounds: int = 7
    seconds: float = 2.0
    warmup: float = 1.5
    # One keep-alive connection per server thread: enough to keep every thread busy, few enough
    # that latency is mostly service time rather than queueing.
    connections: int = 8
    # The count bound per round; far above what 2 s can reach, it only stops a runaway.
    max_requests: int = 50_000
    # The server exactly as `make run` starts it, because that is what we ship.
    workers: int = 2
    threads: int = 4


class Context:
    """Everything a benchmark needs, created lazily and torn down once at the end of the run."""

    def __init__(self, options: Options | None = None, progress: Progress | None = None):
        self.options = options or Options()
        self.progress = progress or Progress()
        self.tmp = Path(tempfile.mkdtemp(prefix="samen-bench-"))
        given = os.environ.get("DATABASE_URL", "")
        self.database_url = given or f"sqlite:///{self.tmp / 'db.sqlite3'}"
        self.database_is_throwaway = not given
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "DJANGO_SETTINGS_MODULE": "samen.settings",
            # Production settings: DEBUG off (DEBUG also records every query, which would skew).
            "SAMEN_DEBUG": "0",
            "SAMEN_SECRET_KEY": secrets.token_urlsafe(40),
            "SAMEN_ALLOWED_HOSTS": f"{LOOPBACK},localhost,testserver",
            "SAMEN_MEDIA_ROOT": str(self.tmp / "media"),
            "SAMEN_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "SAMEN_LOG_LEVEL": "WARNING",
            # The load comes from one address: throttles would answer most of it with 429.
            "SAMEN_DISABLE_RATE_LIMITS": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        self._migrated = False
        self._server: Server | None = None
        self._load: LoadClient | None = None

    # Database ---------------------------------------------------------------------------------

    @property
    def database_vendor(self) -> str:
        scheme = urlsplit(self.database_url).scheme
        return "postgresql" if scheme.startswith("postgres") else scheme or "sqlite"

    def migrate(self) -> None:
        if self._migrated:
            return
        where = "a throwaway SQLite database" if self.database_is_throwaway else self._safe_database_url()
        self.progress(f"migrating {where}")
        self._run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], "migrate")
        self._migrated = True

    def _safe_database_url(self) -> str:
        parts = urlsplit(self.database_url)
        host = parts.hostname or ""
        return f"{parts.scheme}://{host}{':' if parts.port else ''}{parts.port or ''}{parts.path}"

    def django(self, target: str, **kwargs: Any) -> Any:
        """Call `module:function(**kwargs)` inside Django in a subprocess; return its JSON result.

        A subprocess keeps Django (and its settings, read once from the environment) out of the
        harness, and lets each benchmark seed through the ORM exactly as the app would.
        """
        self.migrate()
        out = self.tmp / f"django-{secrets.token_hex(4)}.json"
        self._run(
            [sys.executable, str(BENCH_DIR / "in_django.py"), target, str(out)],
            target,
            stdin=json.dumps(kwargs),
        )
        return json.loads(out.read_text())

    def _run(self, command: list[str], what: str, stdin: str | None = None) -> None:
        done = subprocess.run(command, cwd=REPO, env=self.env, input=stdin, capture_output=True, text=True)
        if done.returncode:
            raise BenchError(f"{what} failed with exit code {done.returncode}:\n{done.stdout}{done.stderr}")

    # Server and load -------------------------------------------------------------------------

    def server(self) -> Server:
        if self._server is None:
            self.migrate()
            self.progress("starting gunicorn")
            options = self.options
            server = Server(
                self.env, self.tmp / "gunicorn.log", workers=options.workers, threads=options.threads
            )
            try:
                server.wait_until_ready(REFERENCE_PATH)
            except BaseException:
                server.stop()  # the next benchmark tries afresh rather than loading a dead server
                raise
            self._server = server
            self._load = LoadClient(server.port, options.connections, self.env)
        return self._server

    def compare(self, paths: dict[str, str], *, expect: dict[str, str] | None = None) -> Comparison:
        """Load each path in turn, round after round, and keep every round as a sample.

        Rounds are interleaved (A B, B A, A B, ...) rather than run as one block per path, so that
        whatever else the shared machine is doing lands on every path alike; alternating the order
        cancels any advantage of going first or second. A warm-up round per path, not recorded,
        lets each worker import Django, compile templates and open its database connection.
        """
        server = self.server()
        assert self._load is not None
        options = self.options
        expect = expect or {}
        labels = list(paths)
        for label in labels:
            self.progress(f"warming up {paths[label]}")
            outcome = self._load.round(
                paths[label], options.warmup, options.max_requests, expect.get(label, "")
            )
            self._check(label, paths[label], outcome, server)

        samples: list[Sample] = []
        for n in range(options.rounds):
            order = labels if n % 2 == 0 else labels[::-1]
            for label in order:
                cpu_before = server.worker_cpu_seconds()
                outcome = self._load.round(
                    paths[label], options.seconds, options.max_requests, expect.get(label, "")
                )
                cpu_after = server.worker_cpu_seconds()
                self._check(label, paths[label], outcome, server)
                sample = Sample(
                    label=label,
                    requests=outcome["requests"],
                    elapsed=outcome["elapsed"],
                    latencies_ms=outcome["latencies_ms"],
                    server_cpu_s=None if cpu_before is None or cpu_after is None else cpu_after - cpu_before,
                    client_cpu_s=outcome["client_cpu_s"],
                    bytes=outcome["bytes"],
                )
                samples.append(sample)
                self.progress(f"round {n + 1}/{options.rounds}  {label}: {sample.rps:,.0f} req/s")
        return Comparison(paths, samples)

    @staticmethod
    def _check(label: str, path: str, outcome: dict, server: Server) -> None:
        if outcome["errors"]:
            statuses = ", ".join(f"{n} x HTTP {code}" for code, n in sorted(outcome["statuses"].items()))
            raise BenchError(
                f"{label} ({path}): {outcome['errors'][0]}\n"
                f"responses this round: {statuses or 'none'}\nserver log:\n{server.log_tail()}"
            )
        if not outcome["requests"]:
            raise BenchError(f"{label} ({path}): no request completed\n{server.log_tail()}")

    def describe(self) -> dict[str, Any]:
        """What the numbers were measured on, for the details of a result."""
        return {
            "database": self.database_vendor,
            "server": self._server.description if self._server else None,
            "connections": self.options.connections,
            "rounds": self.options.rounds,
            "seconds_per_round": self.options.seconds,
            "cpus": os.cpu_count(),
        }

    def close(self) -> None:
        if self._load:
            self._load.stop()
        if self._server:
            self._server.stop()
        with contextlib.suppress(OSError):
            shutil.rmtree(self.tmp)


# --- Helpers that run inside Django (through ctx.django("harness:…")) ------------------------------


def count_queries(paths: list[str]) -> dict[str, int]:
    """Database queries for one anonymous GET of each path, after a first request warmed caches."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=LOOPBACK)
    counts = {}
    for path in paths:
        client.get(path)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if response.status_code != 200:
            raise BenchError(f"GET {path} answered {response.status_code}")
        counts[path] = len(queries)
    return counts
