"""A small HTTP load generator (asyncio + httpx, keep-alive): peak rate with N concurrent clients
(closed loop), and latency at a fixed arrival rate (open loop, measured from when each request was
due, so a stalled server cannot hide its queue).

A request is described by a function `make(client_no) -> (path, json body, headers)`.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

Make = Callable[[int], tuple[str, dict, dict]]


@dataclass
class Load:
    ok: int = 0
    failed: int = 0
    elapsed_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def per_s(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(p) - 1]

    def count(self, status: int, started: float, expected: int) -> None:
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == expected:
            self.ok += 1
        else:
            self.failed += 1


def _client(base: str, connections: int) -> httpx.AsyncClient:
    # An idle connection is dropped by the client before the server's keep-alive timeout (uvicorn: 5 s) can
    # close it under a request on its way: with both at 5 s, one run in a few lost a request to that race.
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2)
    return httpx.AsyncClient(base_url=base, limits=limits, timeout=60)


async def _closed(base: str, make: Make, clients: int, seconds: float, expected: int) -> Load:
    load = Load()
    async with _client(base, clients) as http:
        # one untimed request per client opens its keep-alive connection
        await asyncio.gather(*(_send(http, make(i)) for i in range(clients)))
        deadline = time.perf_counter() + seconds

        async def one(i: int) -> None:
            while time.perf_counter() < deadline:
                request = make(i)
                started = time.perf_counter()
                load.count(await _status(http, request), started, expected)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(clients)))
        load.elapsed_s = time.perf_counter() - started
    return load


async def _open(base: str, make: Make, rate: float, seconds: float, clients: int, expected: int) -> Load:
    load = Load()
    async with _client(base, clients) as http:
        await asyncio.gather(*(_send(http, make(i)) for i in range(clients)))
        t0 = time.perf_counter()
        total = max(1, int(rate * seconds))

        async def one(n: int) -> None:
            due = t0 + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            status = await _status(http, make(n % clients))
            load.count(status, due, expected)  # from when it was due, not when it got a connection

        await asyncio.gather(*(one(n) for n in range(total)))
        load.elapsed_s = time.perf_counter() - t0
    return load


async def _send(http: httpx.AsyncClient, request: tuple[str, dict, dict]) -> httpx.Response:
    path, body, headers = request
    return await http.post(path, json=body, headers=headers)


async def _status(http: httpx.AsyncClient, request: tuple[str, dict, dict]) -> int:
    """The response's status, or 0 when the connection broke: a benchmark counts that as a failed request
    (in its JSON's `errors`) instead of dying on one reset connection, as one run did."""
    try:
        return (await _send(http, request)).status_code
    except httpx.TransportError:
        return 0


def peak(base: str, make: Make, *, clients: int, seconds: float, expected: int = 201) -> Load:
    """Requests per second with `clients` connections each sending the next request as soon as one returns."""
    return asyncio.run(_closed(base, make, clients, seconds, expected))


def at_rate(base: str, make: Make, *, rate: float, seconds: float, clients: int, expected: int = 201) -> Load:
    """Latencies when requests arrive at a steady `rate` per second."""
    return asyncio.run(_open(base, make, rate, seconds, clients, expected))
