"""Explore's saved searches, value filters, columns and match count in a real browser (Chromium through
Playwright) against a real server: save, open by URL, overwrite, delete; filter and exclude any value of a row or
of an entry's details, by mouse and by keyboard, with values the query grammar must quote; metadata fields as
columns kept in the URL and in a saved search; the number of matches, exact or "more than"."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api, BrowserProblems
from tests.support.live import LiveServer
from tests.support.pages import bulk, entry, open_explore, query_of, search, settled

pytestmark = pytest.mark.e2e

ROWS_JS = """() => [...document.querySelectorAll('#results-body tr.result-row')].map((tr) => tr.dataset.id)"""
# values the grammar must quote and escape: spaces, quotes, colons, backslashes, a leading '-', a trailing '*'
AWKWARD = ["two words", 'say "hi"', "host:8080", "C:\\temp\\new", '-all " of: \\ them*']


def saved_api(api: Api) -> list[dict[str, Any]]:
    response = api.session.get(api.base + "/api/saved-searches", timeout=10)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["saved_searches"]
    return result


def ids_api(api: Api, q: str) -> list[str]:
    response = api.session.get(api.base + "/api/logs", params={"q": q, "limit": 1000}, timeout=10)
    assert response.status_code == 200, response.text
    return [str(e["id"]) for e in response.json()["logs"]]


def seed(api: Api) -> None:
    out = []
    for i in range(12):
        out.append(
            entry(
                30 * i + 5,
                level="ERROR" if i % 3 == 0 else "INFO",
                service=["web", "api", "batch job", "cron"][i % 4],
                message=f"request {i} done",
                user_id=f"user-{i % 3}",
                metadata={"region": ["eu", "us"][i % 2], "attempt": i % 4, "ok": i % 2 == 0},
            )
        )
    bulk(api, out)


def test_a_search_is_saved_opened_by_its_url_and_deleted(page: Page, live_server: LiveServer, api: Api) -> None:
    seed(api)
    open_explore(page, live_server, "?q=level:ERROR&from=1h&col=metadata.region")
    page.get_by_test_id("save-btn").click()
    name = page.get_by_test_id("save-name")
    expect(name).to_be_focused()
    name.fill("Errors, last hour")
    name.press("Enter")
    expect(page.get_by_test_id("save-status")).to_have_text("Saved as “Errors, last hour”.")
    expect(page.get_by_test_id("saved-current")).to_have_text("Saved search: Errors, last hour")
    (saved,) = saved_api(api)
    assert (saved["name"], saved["query"], saved["from"], saved["to"], saved["columns"]) == (
        "Errors, last hour",
        "level:ERROR",
        "1h",
        "",
        ["metadata.region"],
    )

    # its URL (by name, then by id) opens it: query, range, columns and the same matches as the API's
    for key in (saved["name"], saved["id"]):
        other = page.context.new_page()
        open_explore(other, live_server, "?saved=" + quote(key))
        expect(other.get_by_test_id("query-input")).to_have_value("level:ERROR")
        expect(other.get_by_test_id("range-select")).to_have_value("1h")
        expect(other.locator("#results-table thead th.col-meta")).to_have_text(["region"])
        expect(other.get_by_test_id("saved-current")).to_have_text("Saved search: Errors, last hour")
        assert other.evaluate(ROWS_JS) == ids_api(api, "level:ERROR")
        assert query_of(other) == {"q": ["level:ERROR"], "from": ["1h"], "col": ["metadata.region"]}
        other.close()

    # the list offers it; its link opens it; Delete removes it
    page.get_by_test_id("saved-menu").locator("summary").click()
    item = page.locator("#saved-list .saved-item")
    expect(item).to_have_count(1)
    expect(item.locator(".saved-link")).to_have_attribute("href", "/explore?saved=Errors%2C%20last%20hour")
    expect(item.locator(".saved-query")).to_have_text("level:ERROR")
    page.get_by_role("button", name="Delete saved search Errors, last hour").click()
    expect(page.locator("#saved-list")).to_have_text("No saved searches yet.")
    assert saved_api(api) == []


def test_saving_a_taken_name_offers_to_overwrite_it(
    page: Page, live_server: LiveServer, api: Api, browser_problems: BrowserProblems
) -> None:
    browser_problems.expect_status("/api/saved-searches", 409)
    seed(api)
    open_explore(page, live_server, "?q=service:web")
    page.get_by_test_id("save-btn").click()
    page.get_by_test_id("save-name").fill("mine")
    page.get_by_test_id("save-confirm").click()
    expect(page.get_by_test_id("save-status")).to_contain_text("Saved as")
    search(page, "service:api")
    page.get_by_test_id("save-confirm").click()
    expect(page.get_by_test_id("save-status")).to_contain_text("a saved search named 'mine' exists")
    overwrite = page.get_by_test_id("save-overwrite")
    expect(overwrite).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("save-status")).to_have_text("Overwrote “mine”.")
    assert [(s["name"], s["query"]) for s in saved_api(api)] == [("mine", "service:api")]


def test_a_saved_search_that_is_gone_says_so(
    page: Page, live_server: LiveServer, browser_problems: BrowserProblems
) -> None:
    browser_problems.expect_status("/api/saved-searches/", 404)
    open_explore(page, live_server, "?saved=nothing-by-this-name")
    expect(page.get_by_test_id("query-error")).to_contain_text("no saved search named 'nothing-by-this-name'")


def test_a_row_value_filters_on_click_and_excludes_with_the_keyboard(
    page: Page, live_server: LiveServer, api: Api
) -> None:
    seed(api)
    open_explore(page, live_server)
    row = page.locator("#results-body tr.result-row", has_text="request 2 done")
    row.locator(".r-service .value-filter").click()  # a click filters
    settled(page)
    steps = ['service:"batch job"']
    expect(page.get_by_test_id("query-input")).to_have_value(steps[-1])
    assert page.evaluate(ROWS_JS) == ids_api(api, steps[-1]) and len(ids_api(api, steps[-1])) == 3
    user = page.locator("#results-body tr.result-row").first.locator(".r-user .value-filter")
    user.focus()
    page.keyboard.press("-")  # the keyboard's exclude
    settled(page)
    steps.append(steps[-1] + " -user_id:user-2")
    expect(page.get_by_test_id("query-input")).to_have_value(steps[-1])
    assert page.evaluate(ROWS_JS) == ids_api(api, steps[-1]) and len(ids_api(api, steps[-1])) == 2
    level = page.locator("#results-body tr.result-row").first.locator(".r-level .value-filter")
    level.focus()
    page.keyboard.press("Enter")  # Enter filters
    settled(page)
    steps.append(steps[-1] + " level:ERROR")
    expect(page.get_by_test_id("query-input")).to_have_value(steps[-1])
    assert page.evaluate(ROWS_JS) == ids_api(api, steps[-1]) and len(ids_api(api, steps[-1])) == 1
    # the mouse's exclude: the − beside a value, shown on hover
    cell = page.locator("#results-body tr.result-row").first.locator(".r-service")
    cell.hover()
    cell.locator(".value-exclude").click()
    settled(page)
    expect(page.get_by_test_id("query-input")).to_have_value(steps[-1] + ' -service:"batch job"')
    expect(page.locator("#results-body .empty-row")).to_be_visible()


@pytest.mark.parametrize("value", AWKWARD)
def test_awkward_values_round_trip_through_the_query_to_the_same_entries(
    page: Page, live_server: LiveServer, api: Api, value: str
) -> None:
    bulk(
        api,
        [
            entry(5, service=value, message="the one", user_id=value, metadata={"k": value}),
            entry(6, service="plain", message="another", user_id="plain", metadata={"k": value + " not"}),
        ],
    )
    the_one = ids_api(api, "message:one")
    assert len(the_one) == 1
    for field in ("service", "user_id", "metadata.k"):
        open_explore(page, live_server, "?col=metadata.k")
        row = page.locator("#results-body tr.result-row", has_text="the one")
        cell = row.locator({"service": ".r-service", "user_id": ".r-user", "metadata.k": ".r-meta"}[field])
        cell.locator(".value-filter").click()
        settled(page)
        assert page.evaluate(ROWS_JS) == the_one, (field, page.get_by_test_id("query-input").input_value())
        q = page.get_by_test_id("query-input").input_value()
        assert ids_api(api, q) == the_one  # the same query through the API: the same entry
        # the details' Exclude: every entry but this one
        open_explore(page, live_server)
        row = page.locator("#results-body tr.result-row", has_text="the one")
        row.locator(".toggle").click()
        details = page.locator("#results-body tr.json-row:not([hidden]) .entry-fields")
        details.locator(f'tr.entry-field[data-field="{field}"] button[data-exclude="1"]').click()
        settled(page)
        q = page.get_by_test_id("query-input").input_value()
        assert q.startswith("-" + field + ":")
        assert page.evaluate(ROWS_JS) == ids_api(api, q) == ids_api(api, "message:another")


def test_the_details_filter_by_any_field(page: Page, live_server: LiveServer, api: Api) -> None:
    seed(api)
    open_explore(page, live_server, "?q=service:web")
    page.locator("#results-body tr.result-row .toggle").first.click()
    fields = page.locator("#results-body tr.json-row:not([hidden]) .entry-fields")
    expect(fields.locator("tr.entry-field th")).to_have_text(
        ["level", "service", "message", "user_id", "metadata.region", "metadata.attempt", "metadata.ok"]
    )
    button = fields.locator('tr[data-field="metadata.attempt"] button[data-exclude="0"]')
    button.focus()
    page.keyboard.press("Enter")
    settled(page)
    q = page.get_by_test_id("query-input").input_value()
    assert re.fullmatch(r"service:web metadata\.attempt:\d", q), q
    assert page.evaluate(ROWS_JS) == ids_api(api, q) != []


def test_metadata_fields_become_columns_kept_in_the_url(page: Page, live_server: LiveServer, api: Api) -> None:
    seed(api)
    open_explore(page, live_server, "?q=service:api")
    page.get_by_test_id("columns-menu").locator("summary").click()
    choices = page.locator("#columns-list input[type=checkbox]")
    expect(choices).to_have_count(3)  # attempt, ok, region: the fields the store knows
    page.get_by_role("checkbox", name="metadata.region").check()
    settled(page)
    page.get_by_role("checkbox", name="metadata.attempt").check()
    settled(page)
    assert query_of(page)["col"] == ["metadata.region", "metadata.attempt"]
    expect(page.locator("#results-table thead th.col-meta")).to_have_text(["region", "attempt"])
    first = page.locator("#results-body tr.result-row").first
    expect(first.locator(".r-meta")).to_have_text(["us", re.compile(r"^\d$")])
    page.reload()
    settled(page)
    expect(page.locator("#results-table thead th.col-meta")).to_have_text(["region", "attempt"])
    page.get_by_test_id("columns-menu").locator("summary").click()
    page.get_by_role("checkbox", name="metadata.region").uncheck()
    settled(page)
    assert query_of(page)["col"] == ["metadata.attempt"]
    expect(page.locator("#results-table thead th.col-meta")).to_have_text(["attempt"])


def test_the_number_of_matches_is_shown_exact_or_as_more_than(page: Page, live_server: LiveServer, api: Api) -> None:
    seed(api)
    open_explore(page, live_server, "?q=level:ERROR")
    expect(page.get_by_test_id("match-count")).to_have_text("4 matches")
    many = [entry(1 + i / 1000, message="bulk") for i in range(10_001)]
    bulk(api, many[:5000])  # ingest.max_batch_entries is 10,000 a request
    bulk(api, many[5000:])
    search(page, "bulk")
    expect(page.get_by_test_id("match-count")).to_have_text("More than 10,000 matches")
    search(page, "")
    expect(page.get_by_test_id("match-count")).to_have_text("More than 10,000 matches")
    search(page, "level:ERROR")
    expect(page.get_by_test_id("match-count")).to_have_text("4 matches")


def test_the_save_controls_are_reachable_by_keyboard(page: Page, live_server: LiveServer, api: Api) -> None:
    seed(api)
    open_explore(page, live_server, "?q=service:web")
    page.get_by_test_id("query-input").focus()
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "save-btn":
            break
    expect(page.get_by_test_id("save-btn")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("save-name")).to_be_focused()
    page.keyboard.type("keyboard")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("save-status")).to_have_text("Saved as “keyboard”.")
    assert [s["name"] for s in saved_api(api)] == ["keyboard"]
