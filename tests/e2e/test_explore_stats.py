"""Explore's histogram and stats answers in a real browser (Chromium through Playwright) against a real server:
what the page shows is compared with what /api/stats answers for the same query."""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api, BrowserProblems
from tests.support.live import LiveServer
from tests.support.pages import bulk, entry, open_explore

pytestmark = pytest.mark.e2e

HISTOGRAM_JS = """() => { const c = document.getElementById('histogram'); const chart = window.Chart.getChart(c);
  return {total: Number(c.dataset.total), times: JSON.parse(c.dataset.times || '[]'),
          levels: chart ? chart.data.datasets.map((d) => [d.label, d.data.reduce((a, b) => a + b, 0)]) : []}; }"""

TABLE_JS = """() => [...document.querySelectorAll('#stats-table tr')].map((tr) =>
  [...tr.children].map((td) => td.textContent))"""


def sample() -> list[dict[str, Any]]:
    out = []
    for i in range(30):
        out.append(
            entry(
                60 * i + 5,
                level="ERROR" if i % 3 == 0 else "INFO",
                service=f"svc-{i % 4}",
                message="card declined" if i % 2 else "ok",
                metadata={"ms": i * 10},
            )
        )
    return out


def stats_api(api: Api, q: str, **params: str) -> dict[str, Any]:
    response = api.session.get(api.base + "/api/stats", params={"q": q, **params}, timeout=10)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_the_histogram_counts_the_matches_by_level_like_the_api(page: Page, live_server: LiveServer) -> None:
    with Api(live_server.url) as api:
        bulk(api, sample())
        open_explore(page, live_server, "?q=card&from=1h")
        expect(page.get_by_test_id("histogram-panel")).to_be_visible()
        expect(page.get_by_test_id("histogram-total")).to_contain_text("15 matches")
        shown = page.evaluate(HISTOGRAM_JS)
        answer = stats_api(api, "card | timechart count() by level", **{"from": "1h"})
        assert dict(shown["levels"]) == {s["group"]: sum(s["values"]) for s in answer["series"]}
        assert shown["total"] == 15 and len(shown["times"]) == len(answer["times"])


def test_dragging_across_the_histogram_narrows_the_range(page: Page, live_server: LiveServer) -> None:
    with Api(live_server.url) as api:
        bulk(api, sample())
    open_explore(page, live_server, "?from=1h")
    canvas = page.get_by_test_id("histogram")
    expect(page.get_by_test_id("histogram-total")).to_contain_text("30 matches")
    box = canvas.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.45, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, y, steps=5)
    page.mouse.up()
    expect(page.get_by_test_id("range-select")).to_have_value("custom")
    params = parse_qs(urlparse(page.url).query)
    assert set(params) >= {"from", "to"} and params["from"][0] < params["to"][0]
    shown_total = page.evaluate(HISTOGRAM_JS)["total"]
    expect(page.get_by_test_id("histogram-total")).not_to_contain_text("30 matches")
    with Api(live_server.url) as api:
        narrowed = stats_api(api, "| stats count()", **{"from": params["from"][0], "to": params["to"][0]})
    expect(page.get_by_test_id("histogram-total")).to_contain_text(f"{narrowed['rows'][0][0]} match")
    assert shown_total >= 0


def test_a_stats_query_shows_a_table_and_bars_instead_of_entries(page: Page, live_server: LiveServer) -> None:
    with Api(live_server.url) as api:
        bulk(api, sample())
        open_explore(page, live_server, "?from=1h")
        page.get_by_test_id("query-input").fill("level:ERROR | stats count(), avg(metadata.ms) by service")
        page.get_by_test_id("query-input").press("Enter")
        expect(page.get_by_test_id("stats-panel")).to_be_visible()
        expect(page.locator("#results-panel")).to_be_hidden()
        expect(page.get_by_test_id("histogram-panel")).to_be_hidden()
        answer = stats_api(api, "level:ERROR | stats count(), avg(metadata.ms) by service", **{"from": "1h"})
        rows = page.evaluate(TABLE_JS)
        assert rows[0] == answer["columns"]
        assert [r[0] for r in rows[1:]] == [r[0] for r in answer["rows"]]
        assert [int(r[1]) for r in rows[1:]] == [r[1] for r in answer["rows"]]
        bars = page.evaluate("() => window.Chart.getChart(document.getElementById('stats-chart')).config.type")
        assert bars == "bar"
        href = page.get_by_test_id("stats-csv").get_attribute("href")
        assert href is not None
        exported = api.session.get(api.base + href, timeout=10)
        assert list(csv.reader(io.StringIO(exported.text)))[0] == answer["columns"]


def test_a_timechart_query_draws_lines(page: Page, live_server: LiveServer) -> None:
    with Api(live_server.url) as api:
        bulk(api, sample())
    page.goto(live_server.url + "/explore?from=1h&q=" + quote("| timechart span=10m count() by level"))
    expect(page.get_by_test_id("stats-panel")).to_be_visible()
    kind = page.evaluate("() => window.Chart.getChart(document.getElementById('stats-chart')).config.type")
    assert kind == "line"
    expect(page.get_by_test_id("stats-summary")).to_contain_text("2 series")


def test_a_stage_that_does_not_parse_is_shown_with_the_servers_message(
    page: Page, live_server: LiveServer, browser_problems: BrowserProblems
) -> None:
    browser_problems.expect_status("/api/stats?", 400)
    page.goto(live_server.url + "/explore?from=1h&q=" + quote("| stats p95(service)"))
    expect(page.get_by_test_id("query-error")).to_contain_text("needs a numeric field")
    expect(page.get_by_test_id("stats-panel")).to_be_hidden()


def facet_values(page: Page, field: str) -> list[tuple[str, int]]:
    return [
        (item.locator(".facet-text").inner_text(), int(item.locator(".facet-count").inner_text().replace(",", "")))
        for item in page.locator(f'.facet[data-field="{field}"] .facet-item').all()
    ]


def test_facets_show_the_apis_counts_and_add_or_exclude_a_value(page: Page, live_server: LiveServer) -> None:
    with Api(live_server.url) as api:
        bulk(api, sample())
        open_explore(page, live_server, "?q=card&from=1h")
        expect(page.get_by_test_id("facets")).to_be_visible()
        facets = api.session.get(api.base + "/api/facets", params={"q": "card", "from": "1h"}, timeout=10).json()
        for facet in facets["fields"]:
            expect(page.locator(f'.facet[data-field="{facet["field"]}"] .facet-item')).to_have_count(
                len(facet["values"])
            )
            assert facet_values(page, facet["field"]) == [(v["value"], v["count"]) for v in facet["values"]]
    page.locator('.facet[data-field="service"] .facet-value').first.click()
    first = facets["fields"][0]["values"][0]["value"]
    expect(page.get_by_test_id("query-input")).to_have_value(f"card service:{first}")
    expect(page.locator('.facet[data-field="service"] .facet-item')).to_have_count(1)
    exclude = page.get_by_role("button", name="Exclude level:INFO")
    exclude.focus()
    page.keyboard.press("Enter")  # reachable by keyboard
    expect(page.get_by_test_id("query-input")).to_have_value(f"card service:{first} -level:INFO")
    expect(page.locator('.facet[data-field="level"] .facet-text')).to_have_text(["ERROR"])


def test_the_patterns_tab_groups_messages_and_a_click_filters_to_one(page: Page, live_server: LiveServer) -> None:
    messages = [f"card declined for order {n}: insufficient funds" for n in range(9)]
    messages += [f"user u-{n} logged in from 10.0.0.{n}" for n in range(4)]
    with Api(live_server.url) as api:
        bulk(api, [entry(30 + i, message=m) for i, m in enumerate(messages)])
        open_explore(page, live_server, "?from=1h")
        tab = page.get_by_test_id("tab-patterns")
        tab.focus()
        page.keyboard.press("ArrowRight")  # the tabs answer the keyboard
        expect(tab).to_have_attribute("aria-selected", "true")
        expect(page.get_by_test_id("patterns-summary")).to_contain_text("2 patterns in 13 messages (every match)")
        answer = api.session.get(api.base + "/api/patterns", params={"from": "1h"}, timeout=10).json()
        shown = page.locator(".pattern-template").all_inner_texts()
        assert shown == [p["template"] for p in answer["patterns"]]
        assert page.locator(".pattern-count").all_inner_texts() == [str(p["count"]) for p in answer["patterns"]]
        page.get_by_role("button", name="Only entries like: card declined for order <*>: insufficient funds").click()
        expect(page.get_by_test_id("query-input")).to_have_value(
            'message:"card declined for order" message:"insufficient funds"'
        )
        expect(page.get_by_test_id("tab-entries")).to_have_attribute("aria-selected", "true")
        expect(page.locator("#results-body tr.result-row")).to_have_count(9)


def test_the_searched_words_are_marked_and_an_entry_links_to_the_entries_around_it(
    page: Page, live_server: LiveServer
) -> None:
    with Api(live_server.url) as api:
        bulk(
            api,
            [
                entry(40, service="pay", message="Card declined: card expired"),
                entry(30, service="pay", message="retrying the card"),
                entry(20, service="auth", message="card reader offline"),
            ],
        )
    open_explore(page, live_server, "?from=1h&q=" + quote('card -reader service:pay "expired"'))
    expect(page.locator("#results-body tr.result-row")).to_have_count(1)
    assert page.locator("#results-body mark.hit").all_inner_texts() == ["Card", "card", "expired"]
    page.locator("#results-body tr.result-row").first.click()
    around = page.get_by_test_id("around-link")
    params = parse_qs(urlparse(around.get_attribute("href") or "").query)
    assert params["q"] == ["service:pay"] and params["from"][0] < params["to"][0] and "focus" in params
    around.click()
    expect(page.get_by_test_id("query-input")).to_have_value("service:pay")
    expect(page.locator("#results-body tr.result-row")).to_have_count(2)


def test_a_free_word_is_marked_in_every_field_it_matches_and_a_message_word_only_in_the_message(
    page: Page, live_server: LiveServer
) -> None:
    with Api(live_server.url) as api:
        bulk(
            api,
            [
                entry(30, service="checkout", message="done", user_id="checkout-7", metadata={"stage": "checkout now"}),
                entry(20, service="checkout", message="checkout done", user_id="u-1", metadata={"stage": "pay"}),
            ],
        )
    query = quote("checkout message:done")
    open_explore(page, live_server, f"?from=1h&col=metadata.stage&q={query}")
    rows = page.locator("#results-body tr.result-row")
    expect(rows).to_have_count(2)
    older, newer = rows.nth(1), rows.nth(0)
    # the free word in the service, the user id and the metadata column; `done` (message:) in the message only
    assert older.locator(".r-service mark.hit").all_inner_texts() == ["checkout"]
    assert older.locator(".r-user mark.hit").all_inner_texts() == ["checkout"]
    assert older.locator(".r-meta mark.hit").all_inner_texts() == ["checkout"]
    assert older.locator(".r-message mark.hit").all_inner_texts() == ["done"]
    assert newer.locator(".r-message mark.hit").all_inner_texts() == ["checkout", "done"]
    assert newer.locator(".r-user mark.hit, .r-meta mark.hit").count() == 0
    # a marked value still filters by its whole value
    older.locator(".r-user .value-filter").click()
    expect(page.get_by_test_id("query-input")).to_have_value(re.compile(r'user_id:"?checkout-7"?'))
