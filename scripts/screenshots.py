"""Screenshots for the docs: docs/dashboard-{desktop,phone}.png and docs/explore-{desktop,phone}.png.

Starts a real `loglens serve` on a free port with a temporary data dir, fills it through the HTTP API (half an hour of
traffic, the simulate endpoints, a firing CRITICAL and WARNING alert and a resolved one), then drives Debian's Chromium
with Playwright. Run with `make screenshots` or `.venv/bin/python scripts/screenshots.py [--dark] [--out-dir DIR]`.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import requests
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.browser import CHROMIUM_ARGS  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

CONFIG: dict[str, Any] = {
    "dashboard": {"refresh_seconds": 2},
    "alerting": {
        "high_volume_threshold": 60,
        "min_events": 30,
        "cooldown_seconds": 0,
        "check_interval_seconds": 3600,  # alert state changes only when this script ingests
    },
}
SERVICES = ("auth-service", "api-gateway", "payment-service", "user-service", "notification-service")
SHOTS = {"desktop": (1366, 900), "phone": (390, 844)}


def post(session: requests.Session, url: str, body: Any) -> Any:
    response = session.post(url, json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def populate(base: str) -> None:
    rng = random.Random(7)
    now = time.time()
    with requests.Session() as session:
        # Half an hour of background traffic, a few entries per minute, so the charts have a shape.
        for minute in range(30, 5, -1):
            for _ in range(rng.randint(4, 12)):
                ts = datetime.fromtimestamp(now - minute * 60 + rng.uniform(0, 59), tz=UTC)
                level = rng.choices(("DEBUG", "INFO", "WARNING", "ERROR"), weights=(15, 70, 10, 5))[0]
                entry = {
                    "timestamp": ts.isoformat(timespec="milliseconds"),
                    "level": level,
                    "service": rng.choice(SERVICES),
                    "message": "Request completed" if level in ("DEBUG", "INFO") else "Upstream returned 502",
                    "user_id": f"user-{rng.randint(1, 25)}",
                    "metadata": {"request_id": f"req-{rng.randint(1000, 99999)}", "processing_time_ms": 42.0},
                }
                post(session, base + "/api/logs", entry)
        # A resolved alert: an error burst on notification-service, then plenty of healthy traffic.
        post(
            session, base + "/api/simulate-errors", {"count": 40, "error_rate": 1.0, "service": "notification-service"}
        )
        post(
            session, base + "/api/simulate-errors", {"count": 500, "error_rate": 0.0, "service": "notification-service"}
        )
        # The last five minutes of normal traffic, in one batch (alerts are evaluated once per request).
        post(session, base + "/api/simulate-logs", {"count": 1000})
        # Firing: CRITICAL error rate on payment-service ...
        post(session, base + "/api/simulate-errors", {"count": 60, "error_rate": 0.85, "service": "payment-service"})
        # ... and WARNING high volume on api-gateway: 2 x 61 entries stamped now, so that one minute has over 60
        # even if a minute boundary passes while they are sent.
        for i in range(122):
            entry = {
                "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "level": "INFO" if i % 10 else "WARNING",
                "service": "api-gateway",
                "message": "Request completed" if i % 10 else "Slow response from upstream",
                "user_id": f"user-{rng.randint(1, 25)}",
                "metadata": {"request_id": f"req-{rng.randint(1000, 99999)}", "processing_time_ms": 35.5},
            }
            post(session, base + "/api/logs", entry)
        alerts = session.get(base + "/api/alerts", timeout=10).json()
        firing = sorted({(a["rule"], a["service"]) for a in alerts if a["state"] == "firing"})
        resolved = sorted({(a["rule"], a["service"]) for a in alerts if a["state"] == "resolved"})
        print(f"alerts firing: {firing}; resolved: {resolved}")


def wait_for_dashboard(page: Page) -> None:
    page.wait_for_function("() => document.getElementById('card-total-logs').dataset.value !== undefined")
    page.wait_for_function("() => !!(window.Chart && Chart.getChart(document.getElementById('volume-chart')))")
    page.wait_for_timeout(300)


EXPLORE_QUERY = "/explore?q=service%3Apayment-service+level%3E%3DERROR&from=1h"


def wait_for_explore(page: Page) -> None:
    page.wait_for_selector("#results-body tr.result-row")
    page.wait_for_function("() => !document.body.hasAttribute('aria-busy')")
    page.locator("#results-body tr.result-row .toggle").first.click()  # one entry opened to its JSON
    page.wait_for_timeout(300)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=str(ROOT / "docs"), help="where to write the PNGs (default docs/)")
    parser.add_argument("--dark", action="store_true", help="dark colour scheme (files get a -dark suffix)")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    scheme: Literal["dark", "light"] = "dark" if args.dark else "light"
    suffix = "-dark" if args.dark else ""

    with tempfile.TemporaryDirectory(prefix="loglens-shots-") as tmp, LiveServer(Path(tmp), CONFIG) as server:
        populate(server.url)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, chromium_sandbox=False, args=CHROMIUM_ARGS)
            try:
                for name, (width, height) in SHOTS.items():
                    context = browser.new_context(
                        viewport={"width": width, "height": height},
                        color_scheme=scheme,
                        locale="en-US",
                        is_mobile=name == "phone",
                        has_touch=name == "phone",
                    )
                    page = context.new_page()
                    page.goto(server.url + "/?range=30m")
                    wait_for_dashboard(page)
                    path = out_dir / f"dashboard-{name}{suffix}.png"
                    page.screenshot(path=str(path))
                    print(f"wrote {path} ({width}x{height}, {scheme})")
                    page.locator("#pause-btn").click()  # no dashboard request is cut off by leaving
                    page.wait_for_function("() => !document.body.hasAttribute('aria-busy')")
                    page.goto(server.url + EXPLORE_QUERY)
                    wait_for_explore(page)
                    path = out_dir / f"explore-{name}{suffix}.png"
                    page.screenshot(path=str(path))
                    print(f"wrote {path} ({width}x{height}, {scheme})")
                    context.close()
            finally:
                browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
