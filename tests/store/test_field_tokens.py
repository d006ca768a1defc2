"""The field index's tokens: what a stored row carries and what a lookup asks for must be the same token."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from loglens.store.sqlite.field_tokens import BUCKETS, FIELD_VALUE_MAX, indexable, row_tokens, token

values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=FIELD_VALUE_MAX + 8)


@given(user=st.none() | values, request=st.none() | values | st.integers(), trace=st.none() | values)
def test_a_rows_tokens_are_the_lookup_tokens_of_its_indexable_values(
    user: str | None, request: str | int | None, trace: str | None
) -> None:
    metadata = {"request_id": request, "trace_id": trace, "other": "x"}
    expected = [token("user_id", user)] if user is not None and indexable(user) else []
    expected += [token(k, v) for k, v in (("request_id", request), ("trace_id", trace)) if indexable(v)]
    assert row_tokens(user, metadata) == " ".join(expected)


def test_long_values_nul_and_non_strings_get_no_token() -> None:
    assert row_tokens("u" * (FIELD_VALUE_MAX + 1), {"request_id": "a\x00b", "trace_id": 7}) == ""
    assert row_tokens(None, None) == ""
    assert row_tokens("u" * FIELD_VALUE_MAX, {}) == token("user_id", "u" * FIELD_VALUE_MAX)


def test_tokens_name_their_field_and_one_of_the_buckets() -> None:
    tokens = {token("request_id", f"req-{i}") for i in range(20_000)}
    assert all(t[0] == "r" and int(t[1:], 16) < BUCKETS for t in tokens)
    assert len(tokens) > BUCKETS * 0.95  # 20,000 ids spread over (nearly) all buckets
    assert token("user_id", "same") != token("request_id", "same")
