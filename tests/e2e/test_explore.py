"""The Explore page in a real browser (Debian's Chromium through Playwright) against a real `loglens serve`.

What the page shows is compared with what the search API answers for the same query. Every test also fails on
console errors, page errors, failed requests, HTTP errors and JavaScript dialogs (the autouse check in
conftest.py); the only exceptions are declared by the test that expects them (a 400 for a query that does not
parse, the live stream the page closes itself).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api, BrowserProblems
from tests.support import slowquery
from tests.support.live import LiveServer
from tests.support.pages import STREAM, bulk, entry, open_explore, query_of, search, settled

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=alert(1)>"

# What the results table shows, row by row (and whether each row's JSON is open).
ROWS_JS = """() => [...document.querySelectorAll('#results-body tr.result-row')].map((tr) => {
  const badge = tr.querySelector('.level');
  const detail = tr.nextElementSibling;
  return {
    id: Number(tr.dataset.id), level: badge.textContent, levelClasses: [...badge.classList],
    badgeBg: getComputedStyle(badge).backgroundColor, time: tr.querySelector('time').getAttribute('datetime'),
    service: tr.querySelector('.r-service').textContent, message: tr.querySelector('.r-message').textContent,
    user: tr.querySelector('.r-user').textContent, open: !detail.hidden,
    toggle: tr.querySelector('.toggle').getAttribute('aria-expanded'),
    focused: tr.classList.contains('focused'),
  };
})"""


# ---------------------------------------------------------------- helpers


def search_all(api: Api, **params: str) -> list[dict[str, Any]]:
    """Every match of a query through the API, following the cursor to the end."""
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        args = {**params, "limit": "1000", **({"cursor": cursor} if cursor else {})}
        response = api.session.get(api.base + "/api/logs", params=args, timeout=10)
        assert response.status_code == 200, response.text
        page = response.json()
        found += page["logs"]
        cursor = page["next_cursor"]
        if not cursor:
            return found
    raise AssertionError("the cursor never ended")


def rows(page: Page) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.evaluate(ROWS_JS)
    return result


def row_ids(page: Page) -> list[int]:
    return [row["id"] for row in rows(page)]


# ---------------------------------------------------------------- tests


def test_query_shows_what_the_api_finds_with_level_badges(page: Page, live_server: LiveServer, api: Api) -> None:
    levels = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
    entries = [
        entry(60 - i, levels[i % 5], "payments" if i % 2 else "search", f"event number {i}", user_id=f"user-{i}")
        for i in range(40)
    ]
    bulk(api, entries)
    open_explore(page, live_server)
    assert len(rows(page)) == 40  # an empty query and no range: everything

    search(page, "service:payments level>=ERROR")
    expected = search_all(api, q="service:payments level>=ERROR")
    assert expected and all(e["service"] == "payments" and e["level"] in ("ERROR", "CRITICAL") for e in expected)
    shown = rows(page)
    assert [row["id"] for row in shown] == [e["id"] for e in expected]  # same entries, same order (newest first)
    for row, match in zip(shown, expected, strict=True):
        assert (row["level"], row["service"], row["message"], row["user"]) == (
            match["level"],
            match["service"],
            match["message"],
            match["user_id"],
        )
        assert f"level-{match['level'].lower()}" in row["levelClasses"]
        assert row["time"] == match["timestamp"]
    assert {row["badgeBg"] for row in shown if row["level"] == "ERROR"} != {
        row["badgeBg"] for row in shown if row["level"] == "CRITICAL"
    }
    expect(page.locator("#results-summary")).to_contain_text(f"{len(expected)} entries")
    expect(page.locator("#load-more")).to_be_hidden()
    assert query_of(page)["q"] == ["service:payments level>=ERROR"]

    # A row opens to the entry's full JSON, and closes again.
    first = page.locator("#results-body tr.result-row").first
    first.locator(".toggle").click()
    detail = page.locator("#results-body tr.json-row").first
    expect(detail).to_be_visible()
    assert json.loads(detail.locator("pre").text_content() or "") == expected[0]
    expect(first.locator(".toggle")).to_have_attribute("aria-expanded", "true")
    first.locator(".r-message").click()
    expect(detail).to_be_hidden()

    search(page, "nothing-matches-this")
    expect(page.locator("#results-body .empty-row")).to_contain_text("No entries match")


def test_load_more_follows_the_cursor_to_the_last_match(page: Page, live_server: LiveServer, api: Api) -> None:
    bulk(api, [entry(300 - i, "WARNING" if i % 3 else "INFO", "pager", f"page entry {i}") for i in range(250)])
    expected = [e["id"] for e in search_all(api, q="level:WARNING")]
    assert len(expected) == 166
    open_explore(page, live_server, "?q=level%3AWARNING")
    assert row_ids(page) == expected[:100]
    more = page.locator("#load-more")
    expect(more).to_be_visible()
    expect(page.locator("#results-end")).to_be_hidden()

    more.click()
    expect(page.locator("#results-body tr.result-row")).to_have_count(166)
    assert row_ids(page) == expected  # every match once, in order
    expect(more).to_be_hidden()
    expect(page.locator("#results-end")).to_be_visible()
    expect(page.locator("#results-summary")).to_contain_text("166 entries")


def test_live_shows_new_matching_entries_as_they_arrive(
    page: Page, live_server: LiveServer, api: Api, browser_problems: BrowserProblems
) -> None:
    browser_problems.allow_aborted(STREAM)  # turning Live off closes the stream: that is the point
    api.log("ERROR", "tail", "already there")
    open_explore(page, live_server, "?q=service%3Atail")
    expect(page.locator("#results-body tr.result-row")).to_have_count(1)

    page.locator("#live-btn").click()
    expect(page.locator("#live-btn")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("body")).to_have_attribute("data-live", "following")
    assert query_of(page).get("live") == ["1"]

    api.log("ERROR", "other", "not for this query")  # committed first: had the filter failed, it would show first
    api.log("WARNING", "tail", "arrived while live", user_id="user-live")
    fresh = page.locator("#results-body tr.result-row").first
    expect(fresh.locator(".r-message")).to_have_text("arrived while live", timeout=5000)
    shown = rows(page)
    assert [row["message"] for row in shown] == ["arrived while live", "already there"]
    assert shown[0]["level"] == "WARNING" and shown[0]["user"] == "user-live"
    expect(page.locator("#live-status")).to_contain_text("1 new entry")

    page.locator("#live-btn").click()
    expect(page.locator("#live-btn")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("body")).not_to_have_attribute("data-live", "following")
    assert "live" not in query_of(page)


def test_live_after_a_reload_resumes_from_the_url(
    page: Page, live_server: LiveServer, api: Api, browser_problems: BrowserProblems
) -> None:
    browser_problems.allow_aborted(STREAM)  # turning Live off closes the stream
    open_explore(page, live_server, "?q=level%3E%3DERROR&live=1")
    expect(page.locator("#live-btn")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("body")).to_have_attribute("data-live", "following")
    api.log("INFO", "quiet", "below the level")
    api.log("CRITICAL", "loud", "above the level")
    expect(page.locator("#results-body tr.result-row .r-message")).to_have_text(["above the level"], timeout=5000)
    page.locator("#live-btn").click()  # close the stream before the server stops at teardown
    expect(page.locator("#live-btn")).to_have_attribute("aria-pressed", "false")


@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
def test_export_downloads_every_match(page: Page, live_server: LiveServer, api: Api, fmt: str, tmp_path: Path) -> None:
    bulk(
        api,
        [entry(200 - i, "ERROR" if i % 2 else "INFO", "exporter", f'row {i}, with "quotes"') for i in range(150)],
    )
    expected = search_all(api, q="level:ERROR", **{"from": "1h"})
    assert len(expected) == 75
    open_explore(page, live_server, "?q=level%3AERROR&from=1h")
    expect(page.locator("#load-more")).to_be_hidden()  # 75 fit in the first page ...

    with page.expect_download() as info:
        page.locator(f"#export-{fmt}").click()
    download = info.value
    assert download.suggested_filename.endswith("." + fmt)
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    text = target.read_text(encoding="utf-8")

    if fmt == "ndjson":
        exported = [json.loads(line) for line in text.splitlines() if line.strip()]
        assert exported == expected
    else:
        table = list(csv.DictReader(io.StringIO(text)))
        assert [int(row["id"]) for row in table] == [e["id"] for e in expected]
        assert [row["message"] for row in table] == [e["message"] for e in expected]
        assert {row["level"] for row in table} == {"ERROR"}


def test_query_and_range_live_in_the_url(page: Page, live_server: LiveServer, api: Api) -> None:
    bulk(api, [entry(7200, "INFO", "old", "two hours ago"), entry(60, "INFO", "new", "a minute ago")])
    open_explore(page, live_server)
    expect(page.locator("#results-body tr.result-row")).to_have_count(2)

    page.locator("#range-select").select_option("1h")
    settled(page)
    expect(page.locator("#results-body tr.result-row .r-message")).to_have_text(["a minute ago"])
    search(page, "service:new minute")
    assert query_of(page) == {"q": ["service:new minute"], "from": ["1h"]}

    page.reload()
    settled(page)
    expect(page.locator("#query-input")).to_have_value("service:new minute")
    expect(page.locator("#range-select")).to_have_value("1h")
    expect(page.locator("#results-body tr.result-row .r-message")).to_have_text(["a minute ago"])

    # A custom range: absolute times in the URL (RFC 3339), shown back in the inputs after a reload.
    page.locator("#query-input").fill("")
    page.locator("#range-select").select_option("custom")
    expect(page.locator("#custom-range")).to_be_visible()
    start = datetime.now(UTC) - timedelta(hours=3)
    end = datetime.now(UTC) - timedelta(hours=1)
    local = page.evaluate(
        "(ms) => ms.map((m) => { const d = new Date(m); d.setMinutes(d.getMinutes() - d.getTimezoneOffset());"
        " return d.toISOString().slice(0, 19); })",
        [start.timestamp() * 1000, end.timestamp() * 1000],
    )
    page.locator("#from-input").fill(local[0])
    page.locator("#to-input").fill(local[1])
    page.locator("#search-btn").click()
    settled(page)
    expect(page.locator("#results-body tr.result-row .r-message")).to_have_text(["two hours ago"])
    params = query_of(page)
    assert set(params) == {"from", "to"}
    assert abs(datetime.fromisoformat(params["from"][0]).timestamp() - int(start.timestamp())) < 1
    assert abs(datetime.fromisoformat(params["to"][0]).timestamp() - int(end.timestamp())) < 1
    page.reload()
    settled(page)
    expect(page.locator("#range-select")).to_have_value("custom")
    shown_from = page.locator("#from-input").input_value()  # the browser may leave out ":00" seconds
    assert datetime.fromisoformat(shown_from) == datetime.fromisoformat(local[0])
    expect(page.locator("#results-body tr.result-row .r-message")).to_have_text(["two hours ago"])

    # Back returns to the previous search.
    page.go_back()
    settled(page)
    expect(page.locator("#query-input")).to_have_value("service:new minute")
    expect(page.locator("#range-select")).to_have_value("1h")
    expect(page.locator("#results-body tr.result-row .r-message")).to_have_text(["a minute ago"])


def test_a_query_that_does_not_parse_shows_the_servers_message(
    page: Page, live_server: LiveServer, api: Api, browser_problems: BrowserProblems
) -> None:
    api.log("INFO", "web", "fine")
    bad = "service:web AND (level:ERROR"
    answer = api.session.get(api.base + "/api/logs", params={"q": bad}, timeout=10)
    assert answer.status_code == 400
    message = answer.json()["error"]
    assert "column" in message
    browser_problems.expect_status("/api/logs?", 400)  # the page asks; the 400 is the expected answer

    open_explore(page, live_server)
    with page.expect_response(lambda r: "/api/logs?" in r.url and r.status == 400):
        search(page, bad)
    error = page.locator("#query-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(message)
    expect(page.locator("#query-input")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#results-body .empty-row")).to_contain_text("Fix the query")
    expect(page.locator("#conn-banner")).to_be_hidden()

    search(page, "service:web AND (level:INFO)")
    expect(error).to_be_hidden()
    expect(page.locator("#query-input")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#results-body tr.result-row .r-message")).to_have_text(["fine"])


def test_log_text_is_never_interpreted_as_html(page: Page, live_server: LiveServer, api: Api) -> None:
    service = "<b>svc</b>"
    user = "<script>alert(2)</script>"
    metadata = {"request_id": "<svg onload=alert(3)>", "note": XSS}
    api.log("CRITICAL", service, XSS, user_id=user, metadata=metadata)
    open_explore(page, live_server)
    [shown] = rows(page)
    assert (shown["message"], shown["service"], shown["user"]) == (XSS, service, user)
    page.locator("#results-body tr.result-row .toggle").click()
    stored = search_all(api)[0]
    assert json.loads(page.locator("#results-body tr.json-row pre").text_content() or "") == stored
    links = page.locator("#results-body tr.json-row a.detail-link")
    expect(links.first).to_contain_text("<svg onload=alert(3)>")
    assert page.evaluate("() => document.querySelectorAll('#results-body img, #results-body script, svg').length") == 0
    assert page.evaluate("() => document.querySelectorAll('#results-body b').length") == 0

    # The request link quotes the value so that the query finds this entry again.
    links.first.click()
    settled(page)
    expect(page.locator("#results-body tr.result-row")).to_have_count(1)
    expect(page.locator("#query-input")).to_have_value('metadata.request_id:"<svg onload=alert(3)>"')


def test_autocompletion_offers_fields_services_and_levels(page: Page, live_server: LiveServer, api: Api) -> None:
    api.log("INFO", "payments", "a", metadata={"request_id": "req-1", "region": "eu-west"})
    api.log("ERROR", "passwords", "b")
    open_explore(page, live_server)
    box = page.locator("#query-input")
    options = page.locator("#suggestions [role=option]")

    box.press_sequentially("ser")
    expect(options).to_have_text(["service:"])
    box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value("service:")
    expect(options).to_have_text(["service:passwords", "service:payments"], ignore_case=False)
    box.press_sequentially("pay")
    expect(options).to_have_text(["service:payments"])
    box.press("Tab")  # nothing highlighted: Tab leaves the box alone
    box.focus()
    box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value("service:payments ")

    box.press_sequentially("level>=e")
    expect(options).to_have_text(["level>=ERROR"])
    page.locator("#suggestions [role=option]").first.click()
    expect(box).to_have_value("service:payments level>=ERROR ")
    box.press_sequentially("metadata.reg")
    expect(options).to_have_text(["metadata.region:"])
    box.press("Escape")
    expect(page.locator("#suggestions")).to_be_hidden()
    box.press("Enter")  # no suggestion open: Enter searches
    settled(page)
    assert query_of(page)["q"] == ["service:payments level>=ERROR metadata.reg"]


def test_dashboard_links_open_explore_already_filtered(
    page: Page, make_server: Callable[..., LiveServer], request: pytest.FixtureRequest
) -> None:
    server = make_server({"alerting": {"min_events": 5}})
    api = Api(server.url)
    request.addfinalizer(api.session.close)
    api.simulate_errors(20, 1.0, "checkout")
    api.wait_for_alert("error_rate", "checkout")
    api.log("INFO", "catalog", "browsing", metadata={"request_id": "req-4242"})
    api.log("INFO", "catalog", "same request, later", metadata={"request_id": "req-4242"})
    api.log("WARNING", "catalog", "Quota nearly used: 93% on /var (node-7)")

    def dashboard() -> None:
        page.goto(server.url + "/")
        expect(page.locator("#service-grid li[data-service='catalog']")).to_be_visible()

    def pause() -> None:
        """Pause the dashboard and let its request in flight finish, so that leaving it aborts nothing."""
        page.locator("#pause-btn[aria-pressed='false']").click()
        expect(page.locator("body")).not_to_have_attribute("aria-busy", "true")

    def leave(link: Any) -> None:
        if page.locator("#pause-btn[aria-pressed='false']").count():
            pause()
        link.click()
        page.wait_for_url(re.compile(r"/explore"))
        settled(page)

    # A service card: that service's entries over the dashboard's range.
    dashboard()
    leave(page.locator("#service-grid li[data-service='catalog'] a.explore-link"))
    assert query_of(page) == {"q": ["service:catalog"], "from": ["30m"]}
    assert {row["service"] for row in rows(page)} == {"catalog"} and len(rows(page)) == 3

    # The service filter chip.
    page.goto(server.url + "/?service=checkout&range=1h")
    expect(page.locator("#filter-chip")).to_be_visible()
    leave(page.locator("#filter-explore"))
    assert query_of(page) == {"q": ["service:checkout"], "from": ["1h"]}
    assert len(rows(page)) == 20

    # An alert: the service's errors around the time it fired.
    dashboard()
    leave(page.locator("#alerts-firing li[data-rule='error_rate'] a.explore-link"))
    assert query_of(page)["q"] == ["service:checkout level>=ERROR"]
    assert "from" in query_of(page)
    assert len(rows(page)) == 20 and {row["level"] for row in rows(page)} <= {"ERROR", "CRITICAL"}

    # A recent entry with a request id: every entry of that request, the entry itself opened.
    dashboard()
    pause()
    page.locator("#logs-body tr.log-row", has_text="browsing").click()
    leave(page.locator("#details-explore"))
    assert query_of(page)["q"] == ["metadata.request_id:req-4242"]
    shown = rows(page)
    assert [row["message"] for row in shown] == ["same request, later", "browsing"]
    assert [row["focused"] for row in shown] == [False, True] and shown[1]["open"]

    # Without a request id: a query that finds that very entry.
    dashboard()
    pause()
    page.locator("#logs-body tr.log-row", has_text="Quota nearly used").click()
    leave(page.locator("#details-explore"))
    shown = rows(page)
    assert [row["message"] for row in shown] == ["Quota nearly used: 93% on /var (node-7)"]
    assert shown[0]["focused"] and shown[0]["open"]


@pytest.mark.parametrize(("width", "scheme"), [(1366, "dark"), (390, "light")])
def test_usable_on_a_phone_and_in_dark_mode(
    new_page: Callable[..., Page], live_server: LiveServer, api: Api, width: int, scheme: str
) -> None:
    bulk(api, [entry(100 - i, "ERROR", "a-service-with-a-rather-long-name", "x" * 300) for i in range(30)])
    phone = width < 600
    page = new_page(viewport={"width": width, "height": 844}, color_scheme=scheme, is_mobile=phone, has_touch=phone)
    open_explore(page, live_server)
    expect(page.locator("#results-body tr.result-row")).to_have_count(30)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width  # no sideways scrolling
    for control in ("#query-input", "#search-btn", "#live-btn", "#export-csv", "#range-select"):
        box = page.locator(control).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, control
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    dark = sum(int(c) for c in re.findall(r"\d+", background)[:3]) < 150
    assert dark == (scheme == "dark")
    message = page.locator("#results-body tr.result-row .r-message").first.bounding_box()
    assert message and message["width"] > (250 if phone else 400)  # the message gets the room


def test_links_quote_any_value_so_the_query_finds_it_again(page: Page, live_server: LiveServer, api: Api) -> None:
    """The query text the dashboard links build (js/explore/links.js) for awkward values, read by the real parser."""
    names = ["plain-name", "with space", 'say "hi"', "back\\slash", "OR", "-leading", "colon:inside", "naïve-ünï"]
    for i, name in enumerate(names):
        api.log("INFO", name, f"entry {i}", metadata={"request_id": name})
    open_explore(page, live_server)
    queries: list[str] = page.evaluate(
        """async (names) => {
          const links = await import('/static/js/explore/links.js');
          return names.flatMap((n) => [links.fieldQuery('service', n), links.fieldQuery('metadata.request_id', n)]);
        }""",
        names,
    )
    for i, name in enumerate(names):
        for query in queries[2 * i : 2 * i + 2]:
            found = search_all(api, q=query)
            assert [(e["service"], e["message"]) for e in found] == [(name, f"entry {i}")], query


def test_live_says_so_when_the_server_refuses_the_stream(
    page: Page, make_server: Callable[..., LiveServer], browser_problems: BrowserProblems
) -> None:
    server = make_server({"search": {"max_streams": 0}})  # every live tail is refused with a 503
    browser_problems.expect_status(STREAM, 503)
    browser_problems.allow_aborted(STREAM)  # EventSource drops a non-200 answer by aborting its request
    with page.expect_response(lambda r: STREAM in r.url and r.status == 503):
        open_explore(page, server, "?live=1")
    expect(page.locator("#live-status")).to_have_text(re.compile(r"^Live stopped: the server refused"))
    expect(page.locator("#live-btn")).to_have_attribute("aria-pressed", "false")


def test_live_stops_for_a_query_that_does_not_parse(
    page: Page, live_server: LiveServer, browser_problems: BrowserProblems
) -> None:
    browser_problems.expect_status("/api/logs?", 400)  # the search; a stream for the bad query would fail the test
    browser_problems.allow_aborted(STREAM)  # the stream of the previous query is closed
    open_explore(page, live_server, "?q=level%3AERROR&live=1")
    expect(page.locator("body")).to_have_attribute("data-live", "following")
    search(page, "level:ERROR )")
    expect(page.locator("#query-error")).to_be_visible()
    expect(page.locator("#live-btn")).to_have_attribute("aria-pressed", "false")
    assert query_of(page) == {"q": ["level:ERROR )"]}
    page.go_back()  # one history entry for the bad query, none for switching Live off
    settled(page)
    expect(page.locator("#query-input")).to_have_value("level:ERROR")
    expect(page.locator("body")).to_have_attribute("data-live", "following")
    page.locator("#live-btn").click()
    expect(page.locator("#live-btn")).to_have_attribute("aria-pressed", "false")


def test_live_stops_and_says_why_when_its_query_runs_past_the_deadline(
    page: Page, make_server: Callable[..., LiveServer], browser_problems: BrowserProblems
) -> None:
    browser_problems.allow_aborted(STREAM)  # the page closes the stream on the server's error event
    server = make_server({"search": {"query_timeout_seconds": 1}})
    query = slowquery.slow_query()
    open_explore(page, server, "?" + urlencode({"q": query}))
    page.locator("#live-btn").click()
    expect(page.locator("body")).to_have_attribute("data-live", "following")
    # entries none of which match, each checked against every phrase: the tail's next query runs past 1 s
    stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for start in range(0, 10_000, 2_500):  # in requests under server.max_body_bytes
        body = b"\n".join(
            json.dumps(
                {"timestamp": stamp, "level": "INFO", "service": "slow", "message": slowquery.entry(i, False).message}
            ).encode()
            for i in range(start, start + 2_500)
        )
        answer = requests.post(
            server.url + "/api/logs/bulk", data=body, headers={"Content-Type": "application/x-ndjson"}, timeout=60
        )
        assert answer.status_code == 200, answer.text[:300]
    status = page.locator("#live-status")
    expect(status).to_contain_text("Live stopped: the query ran past 1 s", timeout=30_000)
    expect(status).to_contain_text("narrow the time range or the query")
    expect(page.locator("#live-btn")).to_have_attribute("aria-pressed", "false")
    assert "Traceback" not in server.output()
