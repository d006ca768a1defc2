"""The Alerts page (/alerts) in a real browser against a real server: the alert history with its filters, silencing
a firing alert from its row (with the keyboard), a silence made from the form, a bad one refused with the server's
message, expiring a silence, and the dashboard showing which alerts a silence holds."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api, BrowserProblems
from tests.support.live import LiveServer
from tests.support.pages import goto_quietly, open_dashboard

TAB_LIMIT = 60  # keyboard: at most this many Tab presses to reach a control


def open_alerts(page: Page, server: LiveServer, query: str = "") -> None:
    page.goto(server.url + "/alerts" + query)
    alerts_drawn(page)


def alerts_drawn(page: Page) -> None:
    """The Alerts page has loaded and drawn both its lists."""
    expect(page.locator("#alerts-summary")).to_have_text(re.compile(r"\d+\+? alerts?"))
    expect(page.locator("#silences-summary")).to_have_text(re.compile(r"\d+ active or pending"))
    expect(page.locator("body")).not_to_have_attribute("aria-busy", "true")


def row(page: Page, state: str, service: str) -> object:
    return page.locator(f"#alerts-body tr[data-state='{state}'][data-service='{service}']")


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until `selector` has the focus (bounded)."""
    for _ in range(TAB_LIMIT):
        if page.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with {TAB_LIMIT} Tab presses")


def fire_two(api: Api) -> None:
    api.simulate_errors(20, 1.0, "payment-service")
    api.simulate_errors(20, 1.0, "search-service")
    api.wait_for_alert("error_rate", "payment-service")
    api.wait_for_alert("error_rate", "search-service")


def test_a_firing_alert_is_silenced_from_its_row_with_the_keyboard_and_expired_again(
    page: Page, live_server: LiveServer, api: Api
) -> None:
    fire_two(api)
    open_alerts(page, live_server)
    expect(row(page, "firing", "payment-service")).to_have_count(1)
    expect(row(page, "firing", "search-service")).to_have_count(1)

    button = "#alerts-body tr[data-service='payment-service'] .silence-btn"
    page.locator("#filter-apply").focus()
    tab_to(page, button)
    page.keyboard.press("Enter")  # prefills the form with the alert's rule and service, and focuses the comment
    expect(page.locator("#silence-comment")).to_be_focused()
    values = page.locator("#matcher-rows .matcher-value")
    expect(values).to_have_count(2)
    expect(values.nth(0)).to_have_value("error_rate")
    expect(values.nth(1)).to_have_value("payment-service")
    page.keyboard.type("deploying payment")
    tab_to(page, "#silence-create")
    page.keyboard.press("Enter")

    expect(row(page, "silenced", "payment-service")).to_have_count(1)
    expect(row(page, "silenced", "payment-service").locator(".silenced-note")).to_contain_text("deploying payment")
    expect(row(page, "firing", "search-service")).to_have_count(1)  # its silence holds only what it matches
    open_silences = page.locator("#silences-open .silence[data-state='active']")
    expect(open_silences).to_have_count(1)
    expect(open_silences.locator(".matcher")).to_have_text(['rule="error_rate"', 'service="payment-service"'])
    expect(page.locator("#silence-comment")).to_have_value("")  # the form is cleared for the next one

    silenced = requests.get(live_server.url + "/api/alerts", params={"state": "silenced"}, timeout=10).json()
    assert [(a["service"], a["silenced_by"]["created_by"]) for a in silenced] == [("payment-service", "anonymous")]

    # the dashboard shows it held, with who and why
    page.locator("nav a.nav-link", has_text="Dashboard").click()
    expect(page.locator("#card-total-logs")).to_have_attribute("data-value", re.compile(r"^\d+$"))
    held = page.locator("#alerts-firing li.alert[data-service='payment-service']")
    expect(held).to_have_attribute("data-silenced", "true")
    expect(held.locator(".sev-badge")).to_have_text("SILENCED")
    expect(held.locator(".alert-silenced-by")).to_contain_text("deploying payment")
    expect(page.locator("#alerts-firing li.alert[data-service='search-service']")).to_have_attribute(
        "data-silenced", "false"
    )
    goto_quietly(page, live_server.url + "/alerts")
    expect(page.locator("#silences-summary")).to_have_text("1 active or pending")

    page.locator("#silences-open .expire-btn").click()
    expect(page.locator("#silences-expired .silence[data-state='expired']")).to_have_count(1)
    expect(page.locator("#silences-open .empty")).to_have_count(1)
    expect(row(page, "firing", "payment-service")).to_have_count(1)  # notifies again: no longer held


def test_a_silence_from_the_form_takes_a_regex_and_a_bad_one_shows_the_servers_message(
    page: Page, live_server: LiveServer, api: Api, browser_problems: BrowserProblems
) -> None:
    fire_two(api)
    open_alerts(page, live_server)
    browser_problems.expect_status("/api/silences", 400)
    first = page.locator("#matcher-rows .matcher-row").first
    first.locator(".matcher-name").select_option("service")
    first.locator(".matcher-op").select_option("=~")
    first.locator(".matcher-value").fill("(pay")
    page.locator("#silence-comment").fill("maintenance")
    page.locator("#silence-duration").select_option("1h")
    page.locator("#silence-create").click()
    expect(page.locator("#silence-error")).to_contain_text("regular expression of matcher service is invalid")
    expect(page.locator("#silences-open .empty")).to_have_count(1)

    first.locator(".matcher-value").fill(".*-service")
    page.locator("#add-matcher").click()
    second = page.locator("#matcher-rows .matcher-row").nth(1)
    expect(second.locator(".matcher-value")).to_be_focused()
    second.locator(".matcher-name").select_option("severity")
    second.locator(".matcher-value").fill("critical")
    page.locator("#silence-create").click()
    expect(page.locator("#silence-error")).to_be_hidden()
    expect(page.locator("#silences-open .silence")).to_have_count(1)
    expect(row(page, "silenced", "payment-service")).to_have_count(1)
    expect(row(page, "silenced", "search-service")).to_have_count(1)
    [made] = requests.get(live_server.url + "/api/silences", timeout=10).json()
    assert made["matchers"] == [
        {"name": "service", "op": "=~", "value": ".*-service"},
        {"name": "severity", "op": "=", "value": "critical"},
    ]
    assert made["comment"] == "maintenance" and made["state"] == "active"


def shown_ids(page: Page, server: LiveServer, **params: str) -> list[str]:
    """Wait until the page's rows are the alerts GET /api/alerts answers for `params`; return their ids."""
    alerts = requests.get(server.url + "/api/alerts", params={"limit": "50", **params}, timeout=10).json()
    ids = [str(a["id"]) for a in alerts]
    rows = page.locator("#alerts-body tr.alert-row")
    expect(rows).to_have_count(len(ids))
    assert [rows.nth(i).get_attribute("data-alert-id") for i in range(len(ids))] == ids
    return ids


def test_filters_narrow_the_history_and_live_in_the_url(page: Page, live_server: LiveServer, api: Api) -> None:
    fire_two(api)
    api.simulate_errors(400, 0.0, "search-service")  # healthy traffic resolves search-service's alert
    api.wait_for_alert("error_rate", "search-service", "resolved")
    open_alerts(page, live_server)
    assert len(shown_ids(page, live_server)) >= 2

    page.locator("#filter-state").select_option("resolved")
    page.locator("#filter-apply").click()
    expect(row(page, "resolved", "search-service")).to_have_count(1)
    shown_ids(page, live_server, state="resolved")
    expect(page.locator("#alerts-body tr[data-state='firing']")).to_have_count(0)
    assert "state=resolved" in page.url

    page.locator("#filter-state").select_option("all")
    page.locator("#filter-service").fill("payment-service")
    page.locator("#filter-service").press("Enter")  # the form submits from any field
    expect(row(page, "firing", "payment-service")).to_have_count(1)
    assert shown_ids(page, live_server, service="payment-service")
    expect(page.locator("#alerts-body tr:not([data-service='payment-service'])")).to_have_count(0)

    page.reload()  # the view comes back from the URL
    expect(page.locator("#filter-service")).to_have_value("payment-service")
    shown_ids(page, live_server, service="payment-service")

    page.locator("#filter-service").fill("no-such-service")
    page.locator("#filter-apply").click()
    expect(page.locator("#alerts-body .empty-row")).to_have_text("No alerts match.")


def test_the_alerts_page_is_reached_from_the_dashboard_and_from_explore(
    page: Page, live_server: LiveServer, api: Api
) -> None:
    api.log()
    open_dashboard(page, live_server)
    page.locator("#pause-btn[aria-pressed='false']").click()  # no refresh cut off by leaving the page
    expect(page.locator("body")).not_to_have_attribute("aria-busy", "true")
    page.locator("#alerts-page-link").click()
    expect(page).to_have_url(re.compile(r"/alerts$"))
    expect(page.locator("nav a[aria-current='page']")).to_have_text("Alerts")
    alerts_drawn(page)  # leave only once loaded: no request of the page cut off
    page.locator("nav a.nav-link", has_text="Explore").click()
    expect(page).to_have_url(re.compile(r"/explore"))
    expect(page.locator("#results-summary")).to_have_text(re.compile(r"\S"))
    page.locator("nav a.nav-link", has_text="Alerts").click()
    expect(page).to_have_url(re.compile(r"/alerts$"))
    alerts_drawn(page)
