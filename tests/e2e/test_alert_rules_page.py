"""Alert rules on the Alerts page (/alerts) in a real browser against a real server: a rule made in the editor with
its preview (the chart drawn from the API's answer), listed with its state and sparkline, edited and deleted; the
server's 400 shown next to the form; config.yaml's rules read-only; "Alert on this query" from Explore filling the
editor; the editor driven with the keyboard alone."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api, BrowserProblems
from tests.e2e.test_alerts_page import tab_to
from tests.e2e.test_login import keys, log_in
from tests.support.auth import bearer
from tests.support.live import LiveServer
from tests.support.pages import bulk, entry, open_explore
from tests.support.wait import wait_until

DECLINES = 'service:payment-service "card declined" | stats count()'
CHART_JS = """() => {
  const chart = window.Chart.getChart(document.getElementById('rule-preview-chart'));
  return chart.data.datasets.map((d) => ({kind: d.kind, label: d.label, data: d.data}));
}"""


def seed_declines(api: Api, count: int = 7) -> None:
    """`count` declines at payment-service in the last minute, and traffic the rule's filter leaves out."""
    declines = [entry(20 + i, "ERROR", "payment-service", "card declined") for i in range(count)]
    others = [entry(15, "ERROR", "search-service", "card declined"), entry(10, "INFO", "payment-service", "paid")]
    bulk(api, declines + others)


def rules_drawn(page: Page) -> None:
    expect(page.locator("#rules-summary")).to_have_text(re.compile(r"^\d+ rules?, \d+ firing$"))


def open_rules(page: Page, server: LiveServer, query: str = "") -> None:
    page.goto(server.url + "/alerts" + query)
    rules_drawn(page)
    expect(page.locator("body")).not_to_have_attribute("aria-busy", "true")


def rule_row(page: Page, name: str) -> Any:
    return page.locator(f"#rules-body tr.rule-row[data-rule='{name}']")


def api_rule(server: LiveServer, name: str) -> dict[str, Any]:
    response = requests.get(f"{server.url}/api/alert-rules/{name}", timeout=10)
    assert response.status_code == 200, response.text
    rule: dict[str, Any] = response.json()
    return rule


def fill_editor(page: Page, **fields: str) -> None:
    for key, value in fields.items():
        page.locator(f"#rule-{key.replace('_', '-')}").fill(value)


def preview_and_read(page: Page) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Press Preview; the API's answer to the page's request, and the chart's datasets once drawn."""
    with page.expect_response(lambda r: r.url.endswith("/api/alert-rules/preview")) as answered:
        page.locator("#rule-preview").click()
    answer: dict[str, Any] = answered.value.json()
    expect(page.locator("#rule-preview-box")).to_be_visible()
    expect(page.locator("#rule-preview")).to_be_enabled()
    datasets: list[dict[str, Any]] = page.evaluate(CHART_JS)
    return answer, datasets


def test_a_rule_is_made_with_a_preview_then_listed_with_state_and_sparkline_edited_and_deleted(
    page: Page, live_server: LiveServer, api: Api
) -> None:
    seed_declines(api, 7)
    open_rules(page, live_server)
    # no rule yet but the three built-in ones
    expect(page.locator("#rules-body tr.rule-row")).to_have_count(3)
    expect(page.locator("#rules-body tr.rule-row[data-source='built-in']")).to_have_count(3)

    page.locator("#rule-new").click()
    expect(page.locator("#rule-name")).to_be_focused()
    fill_editor(page, name="declines", query=DECLINES, condition="> 5", window="5m", every="1m", labels="team=pay")
    page.locator("#rule-severity").select_option("critical")
    answer, datasets = preview_and_read(page)

    # the chart is the API's answer: one line per series, the threshold, and the would-fire intervals shaded
    series = [d for d in datasets if d["kind"] == "series"]
    assert [d["data"] for d in series] == [s["values"] for s in answer["series"]]
    [threshold] = [d for d in datasets if d["kind"] == "threshold"]
    assert threshold["data"] == [5] * len(answer["times"])
    assert max(v for v in answer["series"][0]["values"] if v is not None) == 7  # the seven declines, no others
    [firing] = [d for d in datasets if d["kind"] == "firing"]
    [would_fire] = answer["firings"]  # it holds now: it would have fired once and not resolved
    assert would_fire["resolved_at"] is None
    shaded = [answer["times"][i] for i, v in enumerate(firing["data"]) if v is not None]
    assert shaded and shaded[0] == would_fire["fired_at"] and shaded[-1] == answer["times"][-1]
    expect(page.locator("#rule-preview-firings li")).to_have_count(1)
    expect(page.locator("#rule-preview-summary")).to_contain_text("would have fired 1 time")

    page.locator("#rule-save").click()
    expect(page.locator("#rule-status")).to_have_text("Saved declines.")
    made = api_rule(live_server, "declines")
    assert (made["query"], made["condition"], made["labels"], made["source"]) == (
        DECLINES,
        "> 5",
        {"team": "pay"},
        "api",
    )
    assert made["severity"].lower() == "critical"
    row = rule_row(page, "declines")
    expect(row).to_have_count(1)
    expect(row.locator(".col-source")).to_have_text("api")

    # the engine evaluates it: the list shows the state and value the API gives
    wait_until(lambda: api_rule(live_server, "declines")["state"] == "firing", 20, "the rule firing", interval=0.25)
    page.locator("#refresh-btn").click()
    expect(row).to_have_attribute("data-state", "firing")
    expect(row.locator(".state-badge")).to_have_text("firing")
    expect(row.locator("td.num")).to_have_text("7")
    expect(row.locator(".col-spark")).to_have_attribute("data-state", "drawn")
    spark = row.locator("svg.sparkline")
    expect(spark).to_have_attribute("data-max", "7")
    expect(spark).to_have_attribute("data-firings", "1")
    expect(spark.locator("polyline")).to_have_count(1)

    row.locator(".rule-edit").click()
    expect(page.locator("#rule-editor-title")).to_have_text("Edit rule declines")
    expect(page.locator("#rule-name")).to_have_value("declines")
    expect(page.locator("#rule-name")).to_have_attribute("readonly", "")
    expect(page.locator("#rule-query")).to_have_value(DECLINES)
    expect(page.locator("#rule-labels")).to_have_value("team=pay")
    page.locator("#rule-condition").fill("> 100")
    page.locator("#rule-save").click()
    expect(page.locator("#rule-status")).to_have_text("Saved declines.")
    assert api_rule(live_server, "declines")["condition"] == "> 100"
    expect(row.locator(".col-condition")).to_contain_text("> 100 over 5m")

    row.locator(".rule-delete").click()
    expect(row.locator(".rule-delete")).to_have_text("Really delete?")
    row.locator(".rule-delete").click()
    expect(row).to_have_count(0)
    assert requests.get(f"{live_server.url}/api/alert-rules/declines", timeout=10).status_code == 404


def test_a_rule_the_server_refuses_shows_its_message_next_to_the_form_and_marks_the_key(
    page: Page, live_server: LiveServer, browser_problems: BrowserProblems
) -> None:
    browser_problems.expect_status("/api/alert-rules", 400)
    open_rules(page, live_server)
    page.locator("#rule-new").click()
    fill_editor(page, name="bad-window", query=DECLINES, condition="> 5", window="5 min")
    page.locator("#rule-save").click()
    expect(page.locator("#rule-error")).to_contain_text("Not saved: rule.window")
    expect(page.locator("#rule-error")).to_contain_text("'5 min'")
    expect(page.locator("#rule-window")).to_have_attribute("aria-invalid", "true")

    page.locator("#rule-window").fill("5m")
    page.locator("#rule-query").fill("service:payment-service | timechart count()")
    page.locator("#rule-preview").click()
    expect(page.locator("#rule-error")).to_contain_text("Cannot preview: rule.query")
    expect(page.locator("#rule-query")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#rule-window")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#rule-preview-box")).to_be_hidden()
    listed = requests.get(live_server.url + "/api/alert-rules", timeout=10).json()
    assert [r["name"] for r in listed if r["source"] != "built-in"] == []


def test_config_rules_are_listed_read_only_with_their_sparkline(
    page: Page, make_server: Callable[..., LiveServer]
) -> None:
    rule = {"name": "from-config", "query": DECLINES, "condition": "> 50", "window": "10m", "every": "30s"}
    by_two = {"name": "by-two", "query": "card | stats count() by service, level", "condition": "> 1"}
    server = make_server({"alerting": {"rules": [rule, by_two]}})
    open_rules(page, server)
    row = rule_row(page, "from-config")
    expect(row).to_have_attribute("data-source", "config")
    expect(row.locator(".col-condition")).to_have_text("> 50 over 10m, every 30s")
    expect(row.locator(".col-actions")).to_have_text("read-only (config.yaml)")
    expect(row.locator(".rule-edit, .rule-delete")).to_have_count(0)
    expect(row.locator("svg.sparkline")).to_have_attribute("data-max", "")  # no entries: no data
    # the preview takes one `by` field at most: no request (no 400) for a rule grouped by two, and it says why
    two = rule_row(page, "by-two")
    expect(two.locator(".col-spark")).to_have_attribute("data-state", "none")
    expect(two.locator(".col-spark")).to_have_text("no preview: grouped by several fields")


def test_the_built_in_rules_are_listed_read_only_marked_built_in_with_their_state_and_no_sparkline(
    page: Page, live_server: LiveServer, api: Api
) -> None:
    bulk(api, [entry(5, "ERROR", "payment-service", "card declined") for _ in range(25)])  # 100% of 25 entries
    wait_until(lambda: api_rule(live_server, "error_rate")["state"] == "firing", 20, "error_rate firing", interval=0.25)
    open_rules(page, live_server)
    names = page.locator("#rules-body tr.rule-row[data-source='built-in'] .rule-name")
    expect(names).to_have_text(
        [re.compile(r"^error_rate built-in$"), re.compile("^high_volume"), re.compile("^service_down")]
    )
    row = rule_row(page, "error_rate")
    expect(row).to_have_attribute("data-state", "firing")
    expect(row.locator(".state-badge")).to_have_text("firing")
    expect(row.locator(".rule-query")).to_have_text("level>=ERROR")
    expect(row.locator(".rule-description")).to_contain_text("share of a service's entries at level>=ERROR")
    expect(row.locator("td.num")).to_have_text("max 1 \u00b7 1 group")
    expect(row.locator(".col-condition")).to_have_text("> 0.1 over 5m, every 1h")
    expect(row.locator(".col-source")).to_have_text("built-in")
    expect(row.locator(".col-actions")).to_have_text("read-only (config.yaml alerting)")
    expect(row.locator(".col-actions .hint")).to_have_attribute("title", re.compile("alerting.error_rate_threshold"))
    expect(row.locator(".rule-edit, .rule-delete")).to_have_count(0)
    expect(row.locator(".col-spark")).to_have_attribute("data-state", "none")
    expect(row.locator(".col-spark")).to_have_text("built-in rule: no preview")
    down = rule_row(page, "service_down")
    expect(down.locator(".rule-query")).to_have_count(0)  # no query says it: its description does
    expect(down.locator(".col-condition")).to_have_text("> 2 min, every 1h")
    expect(down.locator(".col-spark")).to_have_text("built-in rule: no preview")


def test_alert_on_this_query_opens_the_editor_with_the_query_counted_and_the_range_as_window(
    page: Page, live_server: LiveServer, api: Api
) -> None:
    seed_declines(api, 3)
    open_explore(page, live_server, "?from=1h&q=" + quote('service:payment-service "card declined"'))
    page.locator("#alert-on-query").click()
    expect(page).to_have_url(re.compile(r"/alerts$"))  # the editor took the query and window; the URL is clean
    expect(page.locator("#rule-query")).to_have_value(DECLINES)
    expect(page.locator("#rule-window")).to_have_value("1h")
    expect(page.locator("#rule-name")).to_be_focused()
    rules_drawn(page)
    page.locator("#rule-condition").fill("> 2")
    answer, datasets = preview_and_read(page)
    assert answer["window_seconds"] == 3600
    assert max(v for v in answer["series"][0]["values"] if v is not None) == 3
    assert [d["data"] for d in datasets if d["kind"] == "series"] == [s["values"] for s in answer["series"]]

    # a stats stage is kept without the sort a rule does not take; a 15-minute range is a 15m window
    stats = "card declined | stats count() by service"
    page.goto(live_server.url + "/explore?from=15m&q=" + quote(stats + " | sort -count"))
    expect(page.locator("#stats-table tbody tr")).to_have_count(2)  # drawn: payment-service and search-service
    page.locator("#alert-on-query").click()
    expect(page.locator("#rule-query")).to_have_value(stats)
    expect(page.locator("#rule-window")).to_have_value("15m")
    rules_drawn(page)
    page.locator("#rule-condition").fill("> 2")
    answer, datasets = preview_and_read(page)  # one line per group
    lines = [(d["label"], d["data"]) for d in datasets if d["kind"] == "series"]
    assert lines == [(s["group"], s["values"]) for s in answer["series"]]
    assert sorted(label for label, _ in lines) == ["service=payment-service", "service=search-service"]

    # a timechart is the stats of its aggregate and groups; the 24 h preset is a 1d window
    page.goto(live_server.url + "/explore?from=24h&q=" + quote("card declined | timechart span=1h count() by level"))
    expect(page.locator("#stats-chart")).to_be_visible()
    page.locator("#alert-on-query").click()
    expect(page.locator("#rule-query")).to_have_value("card declined | stats count() by level")
    expect(page.locator("#rule-window")).to_have_value("1d")
    rules_drawn(page)


def test_the_editor_is_reached_filled_previewed_and_saved_with_the_keyboard(
    page: Page, live_server: LiveServer, api: Api
) -> None:
    seed_declines(api, 2)
    open_rules(page, live_server)
    page.locator("#refresh-btn").focus()
    tab_to(page, "#rule-new")
    page.keyboard.press("Enter")
    expect(page.locator("#rule-name")).to_be_focused()
    page.keyboard.type("by-keys")
    for target, text in (("#rule-query", DECLINES), ("#rule-condition", "> 1"), ("#rule-window", "10m")):
        tab_to(page, target)
        page.keyboard.type(text)
    tab_to(page, "#rule-severity")
    page.keyboard.press("ArrowDown")  # warning -> critical
    tab_to(page, "#rule-preview")
    page.keyboard.press("Enter")
    expect(page.locator("#rule-preview-box")).to_be_visible()
    expect(page.locator("#rule-preview-firings li")).to_have_count(1)
    tab_to(page, "#rule-save")
    page.keyboard.press("Enter")
    expect(page.locator("#rule-status")).to_have_text("Saved by-keys.")
    made = api_rule(live_server, "by-keys")
    assert (made["query"], made["condition"], made["window"], made["severity"].lower()) == (
        DECLINES,
        "> 1",
        "10m",
        "critical",
    )
    expect(rule_row(page, "by-keys")).to_have_count(1)


def test_a_read_key_sees_the_servers_403_when_it_deletes_or_saves_a_rule(
    page: Page, make_server: Callable[..., LiveServer], browser_problems: BrowserProblems
) -> None:
    server = make_server({"auth": {"enabled": True}})
    on_store = ("--config", str(server.config_path))  # the server's store (ClickHouse's too), not a default one
    admin = keys(server, "create", "--role", "admin", *on_store)
    read = keys(server, "create", "--role", "read", *on_store)
    body = {"name": "theirs", "query": DECLINES, "condition": "> 5"}
    made = requests.post(server.url + "/api/alert-rules", json=body, headers=bearer(admin), timeout=10)
    assert made.status_code == 201, made.text
    browser_problems.expect_status("/api/alert-rules", 403)
    page.goto(server.url + "/login?next=%2Falerts")
    log_in(page, read)
    rules_drawn(page)
    row = rule_row(page, "theirs")
    expect(row.locator("svg.sparkline")).to_have_count(1)  # a read key previews
    row.locator(".rule-delete").click()
    row.locator(".rule-delete").click()
    expect(row.locator(".rule-row-error")).to_contain_text(re.compile(r"Could not delete: .*admin"))
    expect(row).to_have_count(1)

    row.locator(".rule-edit").click()
    page.locator("#rule-condition").fill("> 9")
    page.locator("#rule-save").click()
    expect(page.locator("#rule-error")).to_contain_text(re.compile(r"Not saved: .*admin"))
    assert (
        requests.get(server.url + "/api/alert-rules/theirs", headers=bearer(read), timeout=10).json()["condition"]
        == "> 5"
    )
