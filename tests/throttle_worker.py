"""One of two processes that hit every throttle at once (tests/test_throttles_across_processes.py).

Run as `python -m tests.throttle_worker` with production settings from the environment (the
database, REDIS_URL, SAMEN_THROTTLE_*) and, on standard input, what the test seeded plus a barrier
folder. It waits until its twin is ready too, sends each scenario's requests through Django's full
request handling, and prints what every request was answered.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

BROWSER = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Mobile"
)
# Each scenario sends this many requests from each process: twice the limit in all (the test's LIMITS).
REQUESTS = 3


def answer(response) -> dict:
    body = response.content.decode(errors="replace")
    return {
        "status": response.status_code,
        "retry_after": response.get("Retry-After"),
        "locked": "Too many failed login attempts" in body,
    }


def scenarios(seed: dict, name: str):
    """(scenario, list of zero-argument callables that each send one request)."""
    from django.test import Client
    from django.urls import reverse

    def client(address: str, **extra) -> Client:
        return Client(REMOTE_ADDR=address, **extra)

    worker = 1 if name == "a" else 2
    donor = client("10.1.0.1")
    reporter = client("10.2.0.1")
    subscriber = client("10.3.0.1")
    signer_up = client("10.4.0.1")
    logger_in = client("10.5.0.1")
    api = client("10.6.0.1", headers={"Authorization": f"Bearer {seed['token']}"})
    gateway = client("10.7.0.1")
    clicker = client("10.8.0.1", HTTP_USER_AGENT=BROWSER)

    def report():
        page = reporter.get(reverse("reports:report", args=[seed["map"]]))
        # What a browser sends back: the hidden submission id of the page it was given.
        submission = re.search(r'name="submission" value="([^"]+)"', page.content.decode()).group(1)
        data = {
            "submission": submission,
            "title": "Dry tap",
            "description": "The tap is dry.",
            "place_name": "Olympic",
        }
        data |= {"event_at": "", "latitude": "", "longitude": "", "location_precision": "place"}
        return reporter.post(reverse("reports:report", args=[seed["map"]]), data)

    def click(link: str, browser: str):
        clicker.cookies.clear()  # a script that never keeps the cookie
        return clicker.get(f"/l/{link}", HTTP_USER_AGENT=browser)

    def numbered(n: int) -> str:
        return f"{worker}.{n}"

    give = reverse("giving:give", args=[seed["initiative"]])
    subscribe = reverse("reports:subscribe", args=[seed["map"]])
    wrong_password = {"login": seed["email"], "password": "not the password"}
    return {
        "donate": [
            lambda: donor.post(
                give, {"amount": "1", "currency": "EUR", "email": "v@example.org", "provider": "pledge"}
            )
        ]
        * REQUESTS,
        "report": [report] * REQUESTS,
        "subscribe": [
            lambda n=n: subscriber.post(
                subscribe, {"channel": "email", "address": f"p{numbered(n)}@example.org"}
            )
            for n in range(REQUESTS)
        ],
        # From a new address each time: only the address subscribed is the same.
        "subscribe_address": [
            lambda n=n: client(f"10.9.{worker}.{n}").post(
                subscribe, {"channel": "email", "address": "amina@example.org"}
            )
            for n in range(REQUESTS)
        ],
        "api_write": [
            lambda: api.post(
                f"/api/initiatives/{seed['initiative']}/updates", "{}", content_type="application/json"
            )
        ]
        * REQUESTS,
        "webhook_sms": [
            lambda: gateway.post(f"/gateways/smssync/{seed['sms_channel']}/", {"secret": "wrong"})
        ]
        * REQUESTS,
        "webhook_email": [lambda: gateway.post(f"/gateways/inbound_email/{seed['email_channel']}/", {})]
        * REQUESTS,
        "webhook_payment": [
            lambda: gateway.post("/give/webhooks/stripe/", "{}", content_type="application/json")
        ]
        * REQUESTS,
        "link_visitor": [lambda: click(seed["visitor_link"], BROWSER)] * REQUESTS,
        # Other browsers behind the same address.
        "link_address": [
            lambda n=n: click(seed["address_link"], f"{BROWSER} {numbered(n)}") for n in range(REQUESTS)
        ],
        "login": [lambda: logger_in.post(reverse("account_login"), {"login": "nobody@example.org"})]
        * REQUESTS,
        # One address tried from many places: allauth counts failures per address.
        "login_failed": [
            lambda n=n: client(f"10.10.{worker}.{n}").post(reverse("account_login"), wrong_password)
            for n in range(REQUESTS)
        ],
        "signup": [
            lambda: signer_up.post(
                reverse("account_signup"), {"email": "x@example.org", "password1": "a", "password2": "b"}
            )
        ]
        * REQUESTS,
        "password_reset": [
            lambda n=n: client(f"10.11.{worker}.{n}").post(
                reverse("account_reset_password"), {"email": seed["email"]}
            )
            for n in range(REQUESTS)
        ],
    }


def wait_for_twin(barrier: Path, name: str) -> None:
    (barrier / name).touch()
    deadline = time.monotonic() + 60
    while len(list(barrier.iterdir())) < 2:
        if time.monotonic() > deadline:
            raise SystemExit("the other process never got ready")
        time.sleep(0.01)


def main() -> None:
    job = json.load(sys.stdin)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samen.settings")
    import django

    django.setup()
    plan = scenarios(job["seed"], job["name"])
    wait_for_twin(Path(job["barrier"]), job["name"])
    results = {scenario: [answer(send()) for send in requests] for scenario, requests in plan.items()}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
