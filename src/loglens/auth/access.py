"""What each route requires: every Flask endpoint declares an access level, or nobody may call it.

Views declare theirs with `@requires("read")` (under the route decorator); endpoints without a view function of
ours (a blueprint's static files) with `declare(app, "web.static", "public")`. A route that declares nothing is
refused for everyone (403), and tests/api/test_route_matrix.py fails naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar, get_args

from flask import Flask

from .keys import Role

Access = Literal["public", "ingest", "read", "admin"]
ACCESS_LEVELS: tuple[Access, ...] = get_args(Access)
# Which key roles satisfy each level: admin may do everything; read and ingest only their own part.
GRANTED: dict[Access, frozenset[Role]] = {
    "public": frozenset(("ingest", "read", "admin")),
    "ingest": frozenset(("ingest", "admin")),
    "read": frozenset(("read", "admin")),
    "admin": frozenset(("admin",)),
}
ANY_KEY: Access = "public"  # a request that matched no route (404/405): any valid key may learn that
_ATTR = "loglens_access"
_PAGE_ATTR = "loglens_page"
_EXTENSION = "loglens.access"

View = TypeVar("View", bound=Callable[..., Any])


def requires(access: Access, *, page: bool = False) -> Callable[[View], View]:
    """Declare a view's access level; `page=True` sends a browser without a session to /login instead of a 401."""
    if access not in ACCESS_LEVELS:
        raise ValueError(f"unknown access level {access!r}")

    def mark(view: View) -> View:
        setattr(view, _ATTR, access)
        setattr(view, _PAGE_ATTR, page)
        return view

    return mark


def declare(app: Flask, endpoint: str, access: Access) -> None:
    """Declare the access level of an endpoint whose view is not ours to decorate."""
    app.extensions.setdefault(_EXTENSION, {})[endpoint] = access


def declared(app: Flask, endpoint: str) -> tuple[Access | None, bool]:
    """(access level, is a page) of an endpoint; (None, False) when it declared nothing."""
    view = app.view_functions.get(endpoint)
    access: Access | None = getattr(view, _ATTR, None) or app.extensions.get(_EXTENSION, {}).get(endpoint)
    return access, bool(getattr(view, _PAGE_ATTR, False))
