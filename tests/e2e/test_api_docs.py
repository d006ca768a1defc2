"""The API reference page (/docs) in a real browser: Swagger UI from npm renders this server's OpenAPI document
under the pages' strict Content-Security-Policy, with no console error (the autouse check), and asks for a login
like every other page when access control is on."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import Page, expect

from loglens.answer import CSP
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e


def operation_count(base: str, headers: dict[str, str] | None = None) -> int:
    document = requests.get(base + "/openapi.json", headers=headers or {}, timeout=10).json()
    methods = {"get", "post", "put", "patch", "delete"}
    return sum(1 for item in document["paths"].values() for method in item if method in methods)


def test_api_reference_renders_every_operation_under_the_strict_csp(live_server: LiveServer, page: Page) -> None:
    response = page.goto(live_server.url + "/docs")
    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"] == CSP  # the same policy as every page, not a looser one
    assert "'unsafe-eval'" not in CSP and "'unsafe-inline'" not in CSP

    expect(page.locator(".opblock")).to_have_count(operation_count(live_server.url))
    # POST /api/logs opens to its request body (the log entry, whose metadata levels once froze the page) and
    # its answers; GET /api/logs to its query parameters
    for method, path, shows in (("post", "/api/logs", "auth-service"), ("get", "/api/logs", "cursor")):
        operation = page.locator(f".opblock-{method}", has=page.locator(f'.opblock-summary-path[data-path="{path}"]'))
        expect(operation).to_have_count(1)
        operation.locator(".opblock-summary-control").click()
        expect(operation.locator(".opblock-body")).to_contain_text(shows)
        expect(operation.locator(".responses-table")).to_contain_text("200" if method == "get" else "201")


def keys(server: LiveServer, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "loglens.cli", "keys", *args, "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_api_reference_asks_for_a_login_and_then_reads_the_document_with_the_session(
    make_server: Callable[..., LiveServer], page: Page
) -> None:
    server = make_server({"auth": {"enabled": True}})
    read_key = keys(server, "create", "--role", "read")
    assert requests.get(server.url + "/docs", timeout=10, allow_redirects=False).status_code == 302

    page.goto(server.url + "/docs")
    expect(page).to_have_url(server.url + "/login?next=%2Fdocs")
    page.get_by_test_id("login-key").fill(read_key)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(server.url + "/docs")
    expected = operation_count(server.url, {"Authorization": f"Bearer {read_key}"})
    expect(page.locator(".opblock")).to_have_count(expected)
    # with auth on, the document declares the security schemes, and Swagger UI shows each operation's lock
    expect(page.locator(".authorization__btn").first).to_be_visible()
