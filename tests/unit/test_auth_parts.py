"""The parts of access control on their own: key text, token buckets, Host names, loopback, session cookies."""

from __future__ import annotations

from pathlib import Path

import pytest

from loglens.auth.hosts import AllowedHosts, bind_address, host_name, is_loopback
from loglens.auth.keys import matches, new_key, split
from loglens.auth.rate_limit import MAX_TRACKED, Buckets, retry_after
from loglens.auth.session import SessionSigner
from loglens.cli import main
from tests.conftest import FakeClock


def test_a_new_key_splits_into_its_id_and_a_secret_that_matches_only_itself() -> None:
    text, record = new_key("read", "ci", 5)
    assert text.startswith("llk_") and record.role == "read" and record.created_ms == 5
    parts = split(text)
    assert parts is not None and parts[0] == record.id and matches(record, parts[1])
    assert not matches(record, parts[1] + "x")
    other_text, _ = new_key("read", "ci", 5)
    assert other_text != text


@pytest.mark.parametrize("text", ["", "llk", "llk_abc_def", "xyz_0123456789ab_secret", "llk_0123456789ab_", "a" * 500])
def test_text_not_shaped_like_a_key_is_refused(text: str) -> None:
    assert split(text) is None


def test_a_bucket_refills_at_its_rate_and_says_how_long_to_wait() -> None:
    clock = FakeClock()
    buckets = Buckets(2, 0.5, clock)
    assert buckets.take("a") == 0 and buckets.take("a") == 0
    assert buckets.take("a") == pytest.approx(2.0) and buckets.wait("a") == pytest.approx(2.0)
    assert buckets.take("b") == 0  # names are independent
    clock.advance(1)
    assert buckets.take("a") == pytest.approx(1.0)
    clock.advance(1)
    assert buckets.take("a") == 0
    assert retry_after(0.01) == "1" and retry_after(2.2) == "3"
    assert Buckets(1, 0, clock).take("x") == 0 and Buckets(1, 0, clock).take("x") == 0  # rate 0: no limit


def test_buckets_forget_names_beyond_their_bound() -> None:
    clock = FakeClock()
    buckets = Buckets(1, 1, clock)
    for i in range(MAX_TRACKED + 10):
        buckets.take(f"addr-{i}")
    assert len(buckets._buckets) <= MAX_TRACKED


def test_host_names_and_loopback_addresses() -> None:
    assert host_name("Example.COM:8080") == "example.com" and host_name("[::1]:5000") == "::1"
    assert host_name("::1") == "::1" and host_name("name") == "name"
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "", "192.0.2.1", "my-host"))
    hosts = AllowedHosts("0.0.0.0", ["logs.example.com"])
    assert hosts.allows("logs.example.com:443") and hosts.allows("localhost") and hosts.allows(None)
    assert not hosts.allows("0.0.0.0") and not hosts.allows("evil.example")


def test_the_bind_address_of_a_name_is_what_it_resolves_to_and_an_address_is_kept() -> None:
    assert bind_address("localhost") == "127.0.0.1"  # IPv4 first, as Gunicorn binds a name
    assert [bind_address(h) for h in ("127.0.0.1", " ::1 ", "[::1]", "0.0.0.0", "::", "")] == [
        "127.0.0.1",
        "::1",
        "::1",
        "0.0.0.0",
        "::",
        "0.0.0.0",
    ]
    with pytest.raises(ValueError, match="server.host 'no-such-host.invalid' is not an IP address, and it does not"):
        bind_address("no-such-host.invalid")


def test_a_session_cookie_is_signed_and_expires() -> None:
    signer = SessionSigner("secret")
    cookie = signer.issue("0123456789ab", now_ms=1_000, lifetime_ms=500)
    session = signer.read(cookie, now_ms=1_499)
    assert session is not None and session.key_id == "0123456789ab"
    assert signer.read(cookie, now_ms=1_500) is None
    assert SessionSigner("other").read(cookie, now_ms=1_000) is None
    key_id, nonce, expires, signature = cookie.split(".")
    assert signer.read(f"{key_id}.{nonce}.{int(expires) + 10**9}.{signature}", now_ms=1_000) is None
    token = signer.csrf_token(session)
    assert signer.csrf_ok(session, token) and not signer.csrf_ok(session, None) and not signer.csrf_ok(session, "x")


def test_keys_command_creates_lists_and_revokes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = ["--data-dir", str(tmp_path)]
    assert main(["keys", "create", "--role", "ingest", "--name", "web shipper", *store]) == 0
    out, err = capsys.readouterr()
    key = out.strip()
    parts = split(key)
    assert parts is not None and "shown only now" in err
    assert main(["keys", "list", *store]) == 0
    listing = capsys.readouterr().out
    assert parts[0] in listing and "ingest" in listing and "web shipper" in listing and "active" in listing
    assert parts[1] not in listing
    assert main(["keys", "revoke", key, *store]) == 0
    assert main(["keys", "revoke", parts[0], *store]) == 1  # already revoked
    capsys.readouterr()
    assert main(["keys", "list", *store]) == 0
    assert "revoked 20" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["keys", "create", "--role", "root", *store])
