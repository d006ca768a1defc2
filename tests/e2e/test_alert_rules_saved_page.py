"""Alert rules on a saved search in a real browser against a real server: Explore's saved-search list opens the
rule editor with the saved search filled in, the editor offers the saved searches, previews and saves the rule
(which evaluates the saved search's query), a query and a saved search together are refused with the field marked,
and deleting a saved search that a rule uses shows the server's refusal naming the rule."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api, BrowserProblems
from tests.e2e.test_alert_rules_page import api_rule, open_rules, preview_and_read, rule_row, rules_drawn, seed_declines
from tests.support.live import LiveServer
from tests.support.pages import open_explore
from tests.support.wait import wait_until

pytestmark = pytest.mark.e2e

SAVED = {"name": "payment declines", "query": 'service:payment-service "card declined"', "from": "1h"}
OPTIONS_JS = """() => [...document.querySelectorAll('#rule-saved-list option')].map((o) => o.value)"""


def save_search(api: Api, body: dict[str, str]) -> None:
    response = api.session.post(api.base + "/api/saved-searches", json=body, timeout=10)
    assert response.status_code == 201, response.text


def test_alert_on_a_saved_search_opens_the_editor_with_it_previews_and_saves_a_rule_that_evaluates_it(
    page: Page, live_server: LiveServer, api: Api, browser_problems: BrowserProblems
) -> None:
    browser_problems.expect_status("/api/saved-searches/", 409)
    seed_declines(api, 7)
    save_search(api, SAVED)
    save_search(api, {"name": "everything", "query": ""})
    open_explore(page, live_server, "")
    page.get_by_test_id("saved-menu").locator("summary").click()
    item = page.locator("#saved-list .saved-item[data-name='payment declines']")
    link = item.get_by_role("link", name="Alert on saved search payment declines")
    expect(link).to_have_attribute("href", "/alerts?rule_saved_search=payment%20declines")
    link.click()

    expect(page).to_have_url(re.compile(r"/alerts$"))  # the editor took the saved search; the URL is clean
    expect(page.locator("#rule-saved-search")).to_have_value("payment declines")
    expect(page.locator("#rule-query")).to_have_value("")
    expect(page.locator("#rule-name")).to_be_focused()
    rules_drawn(page)
    page.wait_for_function("() => document.querySelectorAll('#rule-saved-list option').length === 2")
    assert sorted(page.evaluate(OPTIONS_JS)) == ["everything", "payment declines"]  # offered to pick from

    page.locator("#rule-name").fill("saved-declines")
    page.locator("#rule-condition").fill("> 5")
    answer, datasets = preview_and_read(page)  # the saved search's filter counted: its 7 declines, not the others
    assert max(v for v in answer["series"][0]["values"] if v is not None) == 7
    assert [d["data"] for d in datasets if d["kind"] == "series"] == [s["values"] for s in answer["series"]]
    expect(page.locator("#rule-preview-firings li")).to_have_count(1)
    page.locator("#rule-save").click()
    expect(page.locator("#rule-status")).to_have_text("Saved saved-declines.")
    made = api_rule(live_server, "saved-declines")
    assert (made["saved_search"], made["query"], made["resolved_query"]) == ("payment declines", "", SAVED["query"])

    # Edit shows the saved search, not a query
    row = page.locator("#rules-body tr.rule-row[data-rule='saved-declines']")
    row.locator(".rule-edit").click()
    expect(page.locator("#rule-saved-search")).to_have_value("payment declines")
    expect(page.locator("#rule-query")).to_have_value("")

    # Explore cannot delete it while the rule uses it: the server's 409 names the rule
    open_explore(page, live_server, "")
    page.get_by_test_id("saved-menu").locator("summary").click()
    page.get_by_role("button", name="Delete saved search payment declines").click()
    problem = page.locator("#saved-list .saved-item[data-name='payment declines'] .saved-problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("used by the alert rule(s) saved-declines")
    expect(page.locator("#saved-list .saved-item[data-name='payment declines']")).to_have_count(1)


def test_a_query_and_a_saved_search_together_are_refused_with_the_saved_search_marked(
    page: Page, live_server: LiveServer, api: Api, browser_problems: BrowserProblems
) -> None:
    browser_problems.expect_status("/api/alert-rules", 400)
    save_search(api, SAVED)
    page.goto(live_server.url + "/alerts")
    rules_drawn(page)
    page.locator("#rule-new").click()
    page.locator("#rule-name").fill("both")
    page.locator("#rule-query").fill("level:ERROR")
    page.locator("#rule-saved-search").fill("payment declines")
    page.locator("#rule-condition").fill("> 1")
    page.locator("#rule-save").click()
    expect(page.locator("#rule-error")).to_contain_text("Not saved: rule.saved_search: a rule has a query or a saved")
    expect(page.locator("#rule-saved-search")).to_have_attribute("aria-invalid", "true")

    page.locator("#rule-query").fill("")
    page.locator("#rule-saved-search").fill("no such search")
    page.locator("#rule-preview").click()
    expect(page.locator("#rule-error")).to_contain_text("Cannot preview: rule.saved_search: no saved search named")
    expect(page.locator("#rule-preview-box")).to_be_hidden()


def test_a_config_rule_on_a_missing_saved_search_is_listed_in_error_until_the_saved_search_is_made(
    page: Page, make_server: Callable[..., LiveServer]
) -> None:
    rule = {"name": "cfg-saved", "saved_search": "payment declines", "condition": "> 5", "every": "1s"}
    server = make_server({"alerting": {"rules": [rule]}})  # starts although the saved search does not exist
    wait_until(lambda: api_rule(server, "cfg-saved")["state"] == "error", 20, "the rule is evaluated")
    open_rules(page, server)
    row = rule_row(page, "cfg-saved")
    expect(row).to_have_attribute("data-state", "error")
    expect(row.locator(".rule-query")).to_have_text("saved search \u201cpayment declines\u201d (missing)")
    expect(row.locator(".col-spark")).to_have_text("no preview: its saved search is missing")  # no 400 asked for

    made = requests.post(server.url + "/api/saved-searches", json=SAVED, timeout=10)
    assert made.status_code == 201, made.text
    wait_until(lambda: api_rule(server, "cfg-saved")["state"] == "ok", 20, "the rule evaluates the saved search")
    page.locator("#refresh-btn").click()
    expect(row).to_have_attribute("data-state", "ok")
    expect(row.locator(".rule-query")).to_have_text("saved search \u201cpayment declines\u201d: " + SAVED["query"])
    expect(row.locator("svg.sparkline")).to_have_attribute("data-max", "")  # drawn from the preview: no entries
