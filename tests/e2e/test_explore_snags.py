"""Issue 26's Explore snags: a relative range from the URL shown in the custom boxes, no stale "No more matches."
during a live tail, and a hint when bare words that find nothing name a service or a level. Real server, real
Chromium."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api, BrowserProblems
from tests.support.live import LiveServer
from tests.support.pages import STREAM, bulk, entry, open_explore, query_of, search, settled

pytestmark = pytest.mark.e2e


def shown_moment(page: Page, box: str) -> datetime:
    """The local time in a datetime-local box, as a naive local datetime (the browser's zone is the machine's)."""
    value = page.locator(box).input_value()
    assert value, f"{box} is empty"
    return datetime.fromisoformat(value)


def test_a_relative_range_in_the_url_fills_the_custom_boxes_and_stays_relative(
    page: Page, live_server: LiveServer, api: Api
) -> None:
    bulk(api, [entry(3 * 3600, message="three hours ago"), entry(90 * 60, message="inside"), entry(600, message="now")])
    open_explore(page, live_server, "?from=2h&to=1h")
    expect(page.locator("#range-select")).to_have_value("custom")
    expect(page.locator("#custom-range")).to_be_visible()
    browser_now = datetime.fromisoformat(
        page.evaluate(
            "() => { const d = new Date(); d.setMinutes(d.getMinutes() - d.getTimezoneOffset());"
            " return d.toISOString().slice(0, 19); }"
        )
    )
    assert abs(shown_moment(page, "#from-input") - (browser_now - timedelta(hours=2))) < timedelta(seconds=30)
    assert abs(shown_moment(page, "#to-input") - (browser_now - timedelta(hours=1))) < timedelta(seconds=30)
    expect(page.locator("#results-body tr.result-row .r-message")).to_have_text(["inside"])

    # searching again without touching the boxes keeps the range as the URL said it
    search(page, "inside")
    assert query_of(page) == {"q": ["inside"], "from": ["2h"], "to": ["1h"]}
    page.reload()
    settled(page)
    expect(page.locator("#range-select")).to_have_value("custom")
    assert page.locator("#from-input").input_value()
    # an edited box becomes an absolute time
    page.locator("#from-input").fill((browser_now - timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%S"))
    page.locator("#search-btn").click()
    settled(page)
    params = query_of(page)
    assert params["to"] == ["1h"] and re.match(r"^\d{4}-\d\d-\d\dT", params["from"][0]), params


def test_a_live_tail_clears_the_first_searchs_no_more_matches(
    page: Page, live_server: LiveServer, api: Api, browser_problems: BrowserProblems
) -> None:
    browser_problems.allow_aborted(STREAM)  # turning Live off closes the stream
    api.log("ERROR", "tail", "already there")
    open_explore(page, live_server, "?q=service%3Atail")
    end = page.locator("#results-end")
    expect(end).to_be_visible()
    page.locator("#live-btn").click()
    expect(page.locator("body")).to_have_attribute("data-live", "following")
    expect(end).to_be_hidden()
    api.log("ERROR", "tail", "arrived while live")
    expect(page.locator("#results-body tr.result-row")).to_have_count(2)
    expect(end).to_be_hidden()
    page.locator("#live-btn").click()  # off again: the table is complete once more
    expect(page.locator("#live-btn")).to_have_attribute("aria-pressed", "false")
    expect(end).to_be_visible()


def test_bare_words_that_find_nothing_but_name_a_service_and_a_level_suggest_those_fields(
    page: Page, live_server: LiveServer, api: Api
) -> None:
    api.log("INFO", "checkout", "order paid")
    api.log("INFO", "web", "page served")
    open_explore(page, live_server, "?from=1h")
    hint = page.locator("#query-hint")
    search(page, "checkout")  # a bare word also matches the service: it finds the entry, nothing to suggest
    expect(page.locator("#results-body tr.result-row .r-message")).to_have_text(["order paid"])
    expect(hint).to_be_hidden()
    search(page, "checkout info")  # the level is not searched by a bare word
    expect(page.locator("#results-body tr.result-row")).to_have_count(0)
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Did you mean service:checkout level:INFO?")
    link = hint.locator("a")
    expect(link).to_have_attribute("href", re.compile(r"q=service%3Acheckout\+level%3AINFO.*from=1h"))
    link.click()
    settled(page)
    expect(page.locator("#query-input")).to_have_value("service:checkout level:INFO")
    expect(page.locator("#results-body tr.result-row .r-message")).to_have_text(["order paid"])
    expect(hint).to_be_hidden()

    search(page, "critical")  # a level, as a bare word
    expect(hint).to_contain_text("Did you mean level:CRITICAL?")
    search(page, "nosuchthing")  # no known name: no hint
    expect(page.locator("#results-summary")).to_contain_text("0 entries")
    expect(hint).to_be_hidden()
    search(page, "service:nowhere")  # not bare words: no hint
    expect(hint).to_be_hidden()
