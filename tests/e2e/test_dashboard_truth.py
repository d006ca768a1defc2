"""The dashboard tells the truth (issue 11): partial buckets, thin error rates, one health definition on screen,
grouped and acknowledgeable alerts, retired services, cards that say what they cover, 7 d and custom ranges, and
a details dialog with readable times. Real server, real Chromium; console errors fail every test (conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DATA_API, Api, now_iso
from tests.support.live import LiveServer
from tests.support.pages import goto_quietly, open_dashboard, query_of
from tests.support.wait import eventually

pytestmark = pytest.mark.e2e

CHART_JS = """(id) => {
  const chart = Chart.getChart(document.getElementById(id));
  const data = chart.data.datasets[0].data;
  const dash = (i) => chart.data.datasets[0].segment.borderDash({p1DataIndex: i}) || null;
  return {
    legend: chart.legend.legendItems.map((item) => item.text),
    data, last: dash(data.length - 1), before: dash(data.length - 2), yMax: chart.scales.y.max,
  };
}"""


def chart(page: Page, canvas: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(CHART_JS, canvas)
    return result


def test_current_bucket_is_drawn_dashed_and_the_legend_says_so(page: Page, live_server: LiveServer, api: Api) -> None:
    api.simulate_logs(40)
    open_dashboard(page, live_server)
    last = api.dashboard()["time_series"][-1]
    assert last["partial"] is True
    volume = page.locator("#volume-chart")

    def partial_is_last() -> None:  # both read at once: a refresh as the minute turns moves both together
        partial, last_bucket = volume.evaluate("(el) => [el.dataset.partialBucket, el.dataset.lastBucket]")
        assert partial and partial == last_bucket, (partial, last_bucket)

    eventually(partial_is_last)
    shown = chart(page, "volume-chart")
    assert shown["last"] == [5, 4] and shown["before"] is None  # only the segment into the current minute
    assert any("still filling" in text for text in shown["legend"]), shown["legend"]
    assert any("still filling" in text for text in chart(page, "error-chart")["legend"])


def test_error_rate_leaves_out_empty_and_thin_buckets_instead_of_spiking(
    page: Page, make_server: Callable[..., LiveServer], request: pytest.FixtureRequest
) -> None:
    server = make_server({"analytics": {"error_rate_min_entries": 10}})
    api = Api(server.url)
    request.addfinalizer(api.session.close)
    # one event time for all 20 entries: they share one minute's bucket even if the clock turns a minute meanwhile
    at = now_iso()
    api.log("ERROR", "web", "one of two", timestamp=at)
    api.log("ERROR", "web", "two of two", timestamp=at)  # 2 entries, both errors: 100% from almost nothing
    open_dashboard(page, server)
    error = page.locator("#error-chart")
    expect(error).to_have_attribute("data-uncertain-buckets", "1")
    shown = chart(page, "error-chart")
    assert all(value is None for value in shown["data"]), shown["data"]  # empty minutes are gaps, not 0%
    assert shown["yMax"] < 100  # the axis is not rescaled by a spike
    assert any("fewer than 10 entries" in text for text in shown["legend"])

    for i in range(18):  # 20 entries, 2 errors: 10%, drawn
        api.log("INFO", "web", f"ok {i}", timestamp=at)
    expect(error).to_have_attribute("data-uncertain-buckets", "0")

    def drawn() -> None:  # the entries' bucket, the last one or (once a minute has turned) the one before
        assert [value for value in chart(page, "error-chart")["data"] if value is not None] == [10.0]

    eventually(drawn)


def test_cards_follow_the_selected_service_and_range_and_say_so(page: Page, live_server: LiveServer, api: Api) -> None:
    for i in range(3):
        api.log("ERROR", "alpha", f"alpha {i}")
    for i in range(6):
        api.log("INFO", "beta", f"beta {i}")
    open_dashboard(page, live_server)
    total = page.locator("#card-total-logs")
    expect(total).to_have_attribute("data-value", "9")
    expect(page.locator("#card-total-logs-scope")).to_have_text("last 30 min · all services")
    expect(page.locator("#card-error-rate")).to_have_text("33.3%")

    page.locator("#service-grid li[data-service='alpha'] .service-link").click()
    expect(total).to_have_attribute("data-value", "3")
    expect(page.locator("#card-total-logs-scope")).to_have_text("last 30 min · alpha")
    expect(page.locator("#card-error-rate")).to_have_text("100.0%")
    expect(page.locator("#card-error-rate-scope")).to_have_text("last 30 min · alpha")
    expect(page.locator("#card-alerts-scope")).to_have_text("now · alpha")
    expect(page.locator("#card-services-scope")).to_have_text("now · all services")

    page.locator("#range-select").select_option("7d")
    expect(page.locator("#card-total-logs-scope")).to_have_text("last 7 days · alpha")
    expect(total).to_have_attribute("data-value", "3")


def utc_key(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_seven_day_preset_and_custom_range_live_in_the_url(page: Page, live_server: LiveServer, api: Api) -> None:
    api.simulate_logs(30)
    open_dashboard(page, live_server)
    volume = page.locator("#volume-chart")
    with page.expect_request(re.compile(rf"{DATA_API}\?minutes=10080(&|$)")):
        page.locator("#range-select").select_option("7d")
    expect(page).to_have_url(re.compile(r"[?&]range=7d(&|$)"))
    expect(volume).to_have_attribute("data-bucket-minutes", "168")

    # A custom absolute range: local times in the inputs, UTC minute keys in the URL and the request.
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start, end = now - timedelta(hours=3), now - timedelta(hours=1)
    page.locator("#range-select").select_option("custom")
    expect(page.locator("#custom-range")).to_be_visible()
    local = page.evaluate(
        """([a, b]) => [a, b].map((key) => {
             const d = new Date(key + ':00Z'), p = (n) => String(n).padStart(2, '0');
             const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
             return `${day}T${p(d.getHours())}:${p(d.getMinutes())}`;
           })""",
        [utc_key(start), utc_key(end)],
    )
    page.locator("#range-from").fill(local[0])
    page.locator("#range-to").fill(local[1])
    with page.expect_request(lambda r: DATA_API in r.url and f"from={utc_key(start)}".replace(":", "%3A") in r.url):
        page.locator("#range-apply").click()
    assert query_of(page)["range"] == ["custom"]
    assert query_of(page)["from"] == [utc_key(start)] and query_of(page)["to"] == [utc_key(end)]
    expect(volume).to_have_attribute("data-first-bucket", utc_key(start))
    width = int(volume.get_attribute("data-bucket-minutes") or "0")
    assert width == 3  # 121 minutes in at most 60 buckets; the last one, keyed by its first minute, ends at `to`
    expect(volume).to_have_attribute("data-last-bucket", utc_key(end - timedelta(minutes=width - 1)))
    expect(volume).to_have_attribute("data-partial-bucket", "")  # a range in the past has no bucket still filling
    expect(page.locator("#card-total-logs")).to_have_attribute("data-value", "0")

    # A bad range is refused in the page, with a message, before any request.
    page.locator("#range-from").fill(local[1])
    page.locator("#range-to").fill(local[0])
    page.locator("#range-apply").click()
    expect(page.locator("#range-error")).to_have_text("From must be before To.")
    assert query_of(page)["from"] == [utc_key(start)]

    # The link reproduces the view.
    goto_quietly(page, page.url)
    expect(page.locator("#range-select")).to_have_value("custom")
    expect(page.locator("#range-from")).to_have_value(local[0])
    expect(volume).to_have_attribute("data-first-bucket", utc_key(start))


def test_many_firing_alerts_of_one_rule_are_one_card_that_expands_and_can_be_acknowledged(
    page: Page, make_server: Callable[..., LiveServer], request: pytest.FixtureRequest
) -> None:
    server = make_server({"alerting": {"service_down_minutes": 0.02, "check_interval_seconds": 1}})
    api = Api(server.url)
    request.addfinalizer(api.session.close)
    services = [f"svc-{i}" for i in range(5)]
    for name in services:
        api.log("INFO", name, "hello")
    for name in services:
        api.wait_for_alert("service_down", name)
    open_dashboard(page, server)
    group = page.locator("#alerts-firing li.alert-group[data-rule='service_down']")
    expect(group).to_have_count(1)
    expect(group).to_have_attribute("data-count", "5")
    expect(page.locator("#alerts-firing > li")).to_have_count(1)  # one card, not five
    items = group.locator("li.alert")
    expect(items.first).to_be_hidden()
    group.locator("summary").click()
    expect(items).to_have_count(5)
    expect(items.first).to_be_visible()

    target = group.locator("li.alert[data-service='svc-2']")
    with page.expect_response(lambda r: "/ack" in r.url and r.status == 200):
        target.locator(".ack-btn").click()
    expect(target).to_have_attribute("data-acknowledged", "true")  # still listed, after refreshes too
    expect(target).to_have_class(re.compile(r"\balert-acked\b"))
    assert float(target.evaluate("(e) => getComputedStyle(e).opacity")) < 1  # dimmed
    expect(target.locator(".ack-btn")).to_have_count(0)
    expect(items.first).to_be_visible()  # the group stayed open across the refresh
    expect(page.locator("#card-alerts-note")).to_contain_text("1 acked")
    acked = [a for a in api.dashboard()["active_alerts"] if a["service"] == "svc-2"]
    assert acked and acked[0]["acknowledged_at"]


def test_retired_service_leaves_the_grid_and_its_alert_resolves_with_the_reason(
    page: Page, make_server: Callable[..., LiveServer], request: pytest.FixtureRequest
) -> None:
    # forget after 0.001 h = 3.6 s of silence
    config = {"alerting": {"service_down_minutes": 0.01, "service_forget_hours": 0.001, "check_interval_seconds": 1}}
    server = make_server(config)
    api = Api(server.url)
    request.addfinalizer(api.session.close)
    api.log("INFO", "ghost", "soon silent")
    api.wait_for_alert("service_down", "ghost")
    open_dashboard(page, server)
    api.wait_for_alert("service_down", "ghost", "resolved", timeout=15)
    expect(page.locator("#service-grid li[data-service='ghost']")).to_have_count(0, timeout=10_000)
    expect(page.locator("#card-services")).to_have_attribute("data-value", "0")
    resolved = page.locator("#alerts-resolved li[data-service='ghost']")
    expect(resolved.locator(".alert-reason")).to_contain_text("retired")


def test_details_show_both_times_readably_and_the_raw_json_one_click_away(
    page: Page, live_server: LiveServer, api: Api
) -> None:
    event = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    entry = {"timestamp": event.isoformat(), "level": "WARNING", "service": "web", "message": "late entry"}
    assert api.session.post(live_server.url + "/api/logs", json=entry, timeout=10).status_code == 201
    open_dashboard(page, live_server)
    page.locator("#logs-body tr.log-row", has_text="late entry").click()
    when = page.locator("[data-testid=details-event-time]")
    received = page.locator("[data-testid=details-received]")
    expect(when).to_contain_text(event.strftime("%Y-%m-%dT%H:%M:%S"))
    expect(received).to_contain_text(str(event.year))
    expect(received).to_contain_text(re.compile(r"1\d\d s after the event"))  # ~180 s late
    assert not re.search(r"\d{13}", received.text_content() or "")  # never the raw epoch number
    raw = page.locator("#details-json")
    expect(raw).to_be_hidden()
    page.locator("[data-testid=details-raw-toggle]").click()
    expect(raw).to_be_visible()
    expect(raw).to_contain_text('"received_ms"')


def test_top_users_panel_follows_the_service_and_says_it_is_approximate(
    page: Page, live_server: LiveServer, api: Api
) -> None:
    for i in range(3):
        api.log("INFO", "alpha", f"a {i}", user_id="ann")
    api.log("INFO", "beta", "b", user_id="bob")
    open_dashboard(page, live_server)
    users = page.locator("#user-list li[data-user]")
    expect(users).to_have_count(2)
    assert users.evaluate_all("(ls) => ls.map((l) => [l.dataset.user, l.dataset.count])") == [
        ["ann", "3"],
        ["bob", "1"],
    ]
    expect(page.locator("#users-note")).to_be_visible()
    expect(page.locator("#users-note")).to_contain_text("Approximate")
    page.locator("#service-grid li[data-service='beta'] .service-link").click()
    expect(users).to_have_count(1)
    expect(page.locator("#users-subtitle")).to_contain_text("beta")
