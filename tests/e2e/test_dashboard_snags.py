"""Issue 26's dashboard snags: resolved alerts say they resolved, a down service shows no fake 0.0% error rate,
one 24-hour time format on both pages, dated chart axes over days, and a legend that fits a phone.
Real server, real Chromium; console errors fail every test (conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api
from tests.support.live import LiveServer
from tests.support.pages import goto_quietly, open_dashboard
from tests.support.wait import eventually

pytestmark = pytest.mark.e2e

TICKS_JS = """(id) => {
  const chart = Chart.getChart(document.getElementById(id));
  return chart.scales.x.ticks.map((t) => String(chart.scales.x.getLabelForValue(t.value)));
}"""
TIME_24H = re.compile(r"^(?:[A-Z][a-z]{2} \d{1,2}, )?(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{3})?)?$")
MONTH_DAY = re.compile(r"\b[A-Z][a-z]{2} \d{1,2}\b")


def test_a_resolved_alert_says_it_resolved_not_its_firing_text(
    page: Page, make_server: Callable[..., LiveServer], request: pytest.FixtureRequest
) -> None:
    server = make_server({"alerting": {"service_down_minutes": 0.02, "check_interval_seconds": 1}})
    api = Api(server.url)
    request.addfinalizer(api.session.close)
    api.log("INFO", "napper", "hello")
    api.wait_for_alert("service_down", "napper")
    api.log("INFO", "napper", "back again")  # the next check resolves it
    api.wait_for_alert("service_down", "napper", "resolved")
    open_dashboard(page, server)
    card = page.locator("#alerts-resolved li.alert[data-service='napper']").first
    expect(card.locator(".sev-badge")).to_have_text("RESOLVED")
    reason = card.locator(".alert-reason")
    expect(reason).to_contain_text(re.compile(r"^resolved: napper is sending logs again"))
    # the firing text may follow, but only as the past, after the resolution
    expect(card.locator(".alert-message")).to_contain_text(re.compile(r"^When it fired: "))
    order = card.evaluate("(li) => [...li.querySelectorAll('p')].map((p) => p.className)")
    assert order[0] == "alert-reason", order

    def logged() -> None:  # the server's log says so too
        lines = [line for line in server.log_path.read_text().splitlines() if "ALERT RESOLVED" in line]
        assert lines and "service_down napper: resolved: napper is sending logs again" in lines[-1], lines

    eventually(logged)


def test_a_down_service_shows_no_recent_entries_instead_of_a_zero_error_rate(
    page: Page, make_server: Callable[..., LiveServer], request: pytest.FixtureRequest
) -> None:
    server = make_server({"alerting": {"service_down_minutes": 0.02, "check_interval_seconds": 1}})
    api = Api(server.url)
    request.addfinalizer(api.session.close)
    old = (datetime.now(UTC) - timedelta(minutes=20)).isoformat()  # nothing in the recent (event-time) window
    entry = {"timestamp": old, "level": "ERROR", "service": "silent-svc", "message": "last words"}
    assert api.session.post(server.url + "/api/logs", json=entry, timeout=10).status_code == 201
    api.wait_for_alert("service_down", "silent-svc")
    api.log("INFO", "busy-svc", "still here")
    open_dashboard(page, server)
    down = page.locator("#service-grid li[data-service='silent-svc']")
    expect(down).to_have_attribute("data-status", "down")
    expect(down.locator(".service-recent")).to_have_text(re.compile(r"^no entries in the last \d+ min$"))
    expect(down).not_to_contain_text("0.0%")
    alive = page.locator("#service-grid li[data-service='busy-svc'] .service-recent")
    expect(alive).to_have_text("recent error rate 0.0% (of 1)")


def test_times_share_one_24_hour_format_on_the_dashboard_and_in_explore(
    page: Page, live_server: LiveServer, api: Api
) -> None:
    api.simulate_logs(30)
    open_dashboard(page, live_server)
    shown = page.locator("#logs-body time").all_text_contents()
    shown += page.evaluate(TICKS_JS, "volume-chart")
    assert shown
    wrong = [text for text in shown if not TIME_24H.match(text.strip())]
    assert not wrong, wrong
    goto_quietly(page, live_server.url + "/explore")
    expect(page.locator("#results-body time").first).to_be_visible()
    stamps = page.locator("#results-body time").all_text_contents()
    wrong = [text for text in stamps if not TIME_24H.match(text.strip())]
    assert not wrong, wrong


@pytest.mark.parametrize("preset", ["24h", "7d"])
def test_chart_axes_over_days_label_their_ticks_with_dates(
    page: Page, live_server: LiveServer, api: Api, preset: str
) -> None:
    api.simulate_logs(10)
    open_dashboard(page, live_server, f"?range={preset}")

    def dated() -> None:
        for canvas in ("volume-chart", "error-chart"):
            ticks = page.evaluate(TICKS_JS, canvas)
            assert ticks and all(MONTH_DAY.search(t) for t in ticks), ticks

    eventually(dated)
    open_dashboard(page, live_server, "?range=30m")  # within a day the time alone is enough
    ticks = page.evaluate(TICKS_JS, "volume-chart")
    assert ticks and not any(MONTH_DAY.search(t) for t in ticks), ticks


def test_the_error_rate_legend_is_whole_at_phone_width(
    new_page: Callable[..., Page], live_server: LiveServer, api: Api, tmp_path: Path
) -> None:
    api.simulate_logs(40)
    page = new_page(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    open_dashboard(page, live_server)
    legend = page.locator("#error-legend .legend-item")
    expect(legend).to_have_count(2)
    expect(legend.first).to_contain_text("entries left out")
    panel = page.locator("#error-chart").locator("xpath=ancestor::section").bounding_box()
    assert panel
    for item in legend.all():
        box = item.bounding_box()
        assert box and box["x"] >= panel["x"] and box["x"] + box["width"] <= panel["x"] + panel["width"] + 0.5
        assert item.evaluate("(b) => b.scrollWidth <= b.clientWidth + 1"), item.text_content()
    page.locator("#error-chart").locator("xpath=ancestor::section").screenshot(path=str(tmp_path / "legend.png"))
