/* The page's session with the server: the headers of a write, and the way to the login page. */

/* Headers for a write from this page: JSON, plus the session's CSRF token when the server asks for a login. */
export function writeHeaders() {
  var headers = { "Content-Type": "application/json", Accept: "application/json" };
  var meta = document.querySelector('meta[name="loglens-csrf"]');
  if (meta) headers["X-CSRF-Token"] = meta.getAttribute("content");
  return headers;
}

/* The session has expired or was revoked: go to the login page, and come back here after it. */
export function toLogin() {
  window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
}

/* Ask the page for fresh data (a write changed it); main.js listens and refreshes. An event, so that panels that
 * write need not import the fetching module, which imports every panel to draw them. */
export var CHANGED = "loglens:changed";

export function announceChange() {
  document.dispatchEvent(new CustomEvent(CHANGED));
}
