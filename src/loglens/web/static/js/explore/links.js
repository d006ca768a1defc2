/* Links into the Explore page: the query text for a field value, and the URL that opens Explore already filtered
 * (used by the dashboard's services, alerts and recent entries, and by Explore's own rows).
 *
 * Plain strings only, no DOM: the caller puts the URL in an href attribute.
 */

var BARE = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
var KEYWORDS = ["AND", "OR", "NOT"];

/* A value as the query grammar reads it: bare when it is one plain token, else a quoted string. */
export function quote(value) {
  var text = String(value);
  if (BARE.test(text) && KEYWORDS.indexOf(text) < 0) return text;
  return '"' + text.replace(/["\\]/g, "\\$&") + '"';
}

export function fieldQuery(field, value) {
  return field + ":" + quote(value);
}

/* "/explore?q=...&from=...&to=...&focus=..." (empty parts left out). */
export function exploreUrl(view) {
  var params = new URLSearchParams();
  ["q", "from", "to", "focus"].forEach(function (key) {
    if (view[key] !== undefined && view[key] !== null && view[key] !== "") params.set(key, String(view[key]));
  });
  var query = params.toString();
  return "/explore" + (query ? "?" + query : "");
}

/* Every entry of one service, over a dashboard range such as "30m". */
export function serviceUrl(service, range) {
  return exploreUrl({ q: fieldQuery("service", service), from: range || "" });
}

/* The words of a message (runs of letters and digits), as the grammar's phrase matching sees them. */
function words(message) {
  return String(message || "").match(/[\p{L}\p{N}]+/gu) || [];
}

/* One entry: every entry of its request when it has metadata.request_id, else a query that finds this entry
 * (its service, level and message words, one second either side of its timestamp). `focus` marks its row. */
export function entryUrl(entry) {
  var requestId = entry.metadata && entry.metadata.request_id;
  if ((typeof requestId === "string" && requestId !== "") || typeof requestId === "number") {
    return exploreUrl({ q: fieldQuery("metadata.request_id", requestId), focus: entry.id });
  }
  var parts = [fieldQuery("service", entry.service), fieldQuery("level", entry.level)];
  var phrase = words(entry.message).slice(0, 12).join(" ");
  if (phrase) parts.push('"' + phrase + '"');
  var view = { q: parts.join(" "), focus: entry.id };
  var ms = Date.parse(entry.timestamp);
  if (!isNaN(ms)) {
    view.from = new Date(ms - 1000).toISOString();
    view.to = new Date(ms + 1000).toISOString();
  }
  return exploreUrl(view);
}

var ALERT_MARGIN_MS = 15 * 60 * 1000;

/* An alert: its service's entries (errors only for the error-rate rule) from a while before it fired until it
 * resolved (or until now while it fires). */
export function alertUrl(alert) {
  var q = fieldQuery("service", alert.service);
  if (alert.rule === "error_rate") q += " level>=ERROR";
  var view = { q: q };
  var fired = Date.parse(alert.fired_at || alert.timestamp);
  if (!isNaN(fired)) view.from = new Date(fired - ALERT_MARGIN_MS).toISOString();
  var resolved = alert.resolved_at ? Date.parse(alert.resolved_at) : NaN;
  if (!isNaN(resolved)) view.to = new Date(resolved + 60 * 1000).toISOString();
  return exploreUrl(view);
}

var AROUND_MS = 60 * 1000;

/* The entries around one entry: its service's, from a minute before to a minute after it, with it in focus. */
export function aroundUrl(entry) {
  var view = { q: fieldQuery("service", entry.service), focus: entry.id };
  var ms = Date.parse(entry.timestamp);
  if (!isNaN(ms)) {
    view.from = new Date(ms - AROUND_MS).toISOString();
    view.to = new Date(ms + AROUND_MS).toISOString();
  }
  return exploreUrl(view);
}
