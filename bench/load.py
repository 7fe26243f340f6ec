"""The load generator: simulated phones posting to the USSD webhook exactly as
Africa's Talking does (form-encoded ``sessionId``, ``phoneNumber``,
``networkCode``, ``serviceCode`` and the cumulative ``*``-joined ``text``).

Each phone walks the default script to the end with varied, valid inputs
(language, category, county, sub-county, when, a free-text description that
sometimes contains ``*``, contact yes/no, send) and checks every answer:
HTTP 200, ``CON `` on every screen but the last, ``END `` with a reference on
the last.  Anything else counts as an error.  Loops are bounded: a phone walks
a fixed number of dialogues, then stops.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from dataclasses import dataclass, field

import aiohttp

USSD_PATH = "/webhooks/africastalking/ussd"
REFERENCE = re.compile(r"R-[23456789A-HJ-NP-Z]{6}")
DESCRIPTIONS = [
    "Watu wenye silaha karibu na kisima",
    "Gari tatu bila nambari zimevuka mpaka usiku",
    "Armed men near the water point at Lokichoggio",
    "Boys taken across * at night by strangers",
    "Ragga hubeysan ayaa soo gudbay xadka",
    "Lorry with hidden goods at the market",
    "Vijana wanasajiliwa na watu wageni",
]
NETWORKS = ("63902", "63903", "63907")


def dialogue_inputs(rng: random.Random, *, category: str | None = None,
                    county: str | None = None) -> list[str]:
    """One realistic walk of the default script: the inputs after the first screen."""
    return [
        rng.choice("123"),  # English, Kiswahili, Somali
        # on the first USSD page in every language (only shown numbers choose)
        category or rng.choice("123"),
        county or rng.choice("12345"),
        rng.choice("1234"),  # sub-county (every county has at least four)
        rng.choice("1234"),  # when
        rng.choice(DESCRIPTIONS),
        rng.choice("12"),  # contact: yes / anonymous
        "1",  # send
    ]


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in 0..100."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class LoadResult:
    phones: int
    latencies: list[float] = field(default_factory=list)
    requests: int = 0
    errors: int = 0
    dialogues: int = 0
    elapsed: float = 0.0
    ended: dict[str, float] = field(default_factory=dict)  # reference -> epoch of the END
    error_samples: list[str] = field(default_factory=list)

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(what[:200])

    def summary(self) -> dict:
        ms = [x * 1000 for x in self.latencies]
        return {
            "phones": self.phones,
            "requests": self.requests,
            "dialogues": self.dialogues,
            "errors": self.errors,
            "elapsed_s": round(self.elapsed, 3),
            "requests_per_s": round(self.requests / self.elapsed, 1) if self.elapsed else 0.0,
            "dialogues_per_s": round(self.dialogues / self.elapsed, 2) if self.elapsed else 0.0,
            "p50_ms": round(percentile(ms, 50), 2),
            "p95_ms": round(percentile(ms, 95), 2),
            "p99_ms": round(percentile(ms, 99), 2),
            "max_ms": round(max(ms), 2) if ms else float("nan"),
            "error_samples": self.error_samples,
        }


class Phone:
    def __init__(self, http: aiohttp.ClientSession, base_url: str, number: str,
                 result: LoadResult, *, baseline: bool, think: float, rng: random.Random):
        self.http = http
        self.url = base_url.rstrip("/") + USSD_PATH
        self.number = number
        self.result = result
        self.baseline = baseline
        self.think = think
        self.rng = rng

    async def post(self, session_id: str, text: str) -> str | None:
        form = {
            "sessionId": session_id, "phoneNumber": self.number,
            "networkCode": self.rng.choice(NETWORKS), "serviceCode": "*384*44135#", "text": text,
        }
        start = time.perf_counter()
        try:
            async with self.http.post(self.url, data=form) as response:
                body = await response.text()
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            self.result.requests += 1
            self.result.error(f"{type(exc).__name__}: {exc}")
            return None
        self.result.latencies.append(time.perf_counter() - start)
        self.result.requests += 1
        if status != 200:
            self.result.error(f"HTTP {status}: {body}")
            return None
        return body

    async def dialogue(self, inputs: list[str], stop_after: int | None = None) -> str | None:
        """Walk one dialogue; the reference, or ``None`` on any error.

        ``stop_after``: abandon after that many inputs (a dropped session).
        """
        session_id = f"ATUid_{self.rng.getrandbits(128):032x}"
        steps = inputs if stop_after is None else inputs[:stop_after]
        texts = [""]
        for value in steps:
            texts.append(value if not texts[-1] else f"{texts[-1]}*{value}")
        for i, text in enumerate(texts):
            if i and self.think:
                await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.think)
            body = await self.post(session_id, text)
            if body is None:
                return None
            last = i == len(texts) - 1 and stop_after is None
            if self.baseline:
                if not body.startswith("CON "):
                    self.result.error(f"baseline answered {body!r}")
                    return None
                continue
            if not last and not body.startswith("CON "):
                self.result.error(f"screen {i}: expected CON, got {body!r}")
                return None
            if last:
                match = REFERENCE.search(body)
                if not body.startswith("END ") or match is None:
                    self.result.error(f"last screen: expected END with a reference, got {body!r}")
                    return None
                self.result.ended[match.group(0)] = time.time()
                self.result.dialogues += 1
                return match.group(0)
        if stop_after is not None or self.baseline:
            self.result.dialogues += 1
        return "baseline" if self.baseline else "abandoned"


def _number(index: int, offset: int) -> str:
    return f"+2547{(offset + index) % 10**8:08d}"


def _client(phones: int, timeout: float) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=phones + 10, force_close=False)
    return aiohttp.ClientSession(connector=connector,
                                 timeout=aiohttp.ClientTimeout(total=timeout))


async def _run_phones(base_url: str, phones: int, dialogues_per_phone: int, *, baseline: bool,
                      think: float, seed: int, number_offset: int, timeout: float,
                      stop_after: int | None, inputs_kwargs: dict) -> LoadResult:
    result = LoadResult(phones=phones)
    async with _client(phones, timeout) as http:
        async def one(index: int) -> None:
            rng = random.Random(seed * 1_000_003 + index)
            phone = Phone(http, base_url, _number(index, number_offset), result,
                          baseline=baseline, think=think, rng=rng)
            if think:  # spread the phones' starts over one think time
                await asyncio.sleep(rng.uniform(0, think))
            for _ in range(dialogues_per_phone):
                await phone.dialogue(dialogue_inputs(rng, **inputs_kwargs), stop_after)

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(phones)))
        result.elapsed = time.perf_counter() - start
    return result


def run_phones(base_url: str, phones: int, dialogues_per_phone: int = 1, *,
               baseline: bool = False, think: float = 0.0, seed: int = 1,
               number_offset: int = 0, timeout: float = 15.0, stop_after: int | None = None,
               **inputs_kwargs) -> LoadResult:
    """``phones`` concurrent phones, each walking ``dialogues_per_phone`` dialogues.

    ``think``: mean seconds a person takes between screens (0: as fast as the
    server answers, a saturation test).  ``timeout`` is Africa's Talking's 15 s.
    """
    return asyncio.run(_run_phones(
        base_url, phones, dialogues_per_phone, baseline=baseline, think=think, seed=seed,
        number_offset=number_offset, timeout=timeout, stop_after=stop_after,
        inputs_kwargs=inputs_kwargs,
    ))


async def _run_paced(base_url: str, rate: float, total: int, seed: int, number_offset: int,
                     inputs_kwargs: dict) -> LoadResult:
    result = LoadResult(phones=total)
    async with _client(total, 15.0) as http:
        tasks = []
        start = time.perf_counter()
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            rng = random.Random(seed * 1_000_003 + i)
            phone = Phone(http, base_url, _number(i, number_offset), result, baseline=False,
                          think=0.0, rng=rng)
            tasks.append(asyncio.create_task(phone.dialogue(dialogue_inputs(rng, **inputs_kwargs))))
        await asyncio.gather(*tasks)
        result.elapsed = time.perf_counter() - start
    return result


def run_paced(base_url: str, rate: float, total: int, *, seed: int = 7, number_offset: int = 0,
              **inputs_kwargs) -> LoadResult:
    """Start one dialogue every ``1/rate`` seconds (each walked without pauses), ``total`` in all."""
    return asyncio.run(_run_paced(base_url, rate, total, seed, number_offset, inputs_kwargs))
