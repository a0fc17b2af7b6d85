"""Run in separate processes by test_concurrency: pledges over HTTP with plain urllib, no Django."""

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def pledge_many(url: str, token: str, promoter: int, amounts: list[int], threads: int = 4) -> list[int]:
    def one(amount: int) -> int:
        body = json.dumps({"amount_minor": amount, "currency": "EUR", "promoter": promoter}).encode()
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - the test's live server
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, amounts))
