/* Asking /api/logs: a new search replaces the table, "load more" follows the cursor. An answer for a search the
 * user has since replaced is dropped (a generation number), so a slow answer never overwrites a newer one. A query
 * the server cannot parse comes back as a 400 with a message, shown under the query box. */

import { $, el } from "../dom.js";
import { numberFormat, plural } from "../format.js";
import { toLogin } from "../session.js";
import { fieldFor, namesLoaded } from "./complete.js";
import { exploreUrl } from "./links.js";
import { appendResults, focusEntry, showResults, shown } from "./table.js";
import { getJson } from "./stages.js";
import { apiParams, view } from "./view.js";

var API = "/api/logs";
var PAGE = 100;
var TIMEOUT_MS = 30000;

var search = { generation: 0, cursor: null, busy: false, took: null };

export function currentCursor() {
  return search.cursor;
}

function banner(text) {
  var node = $("conn-banner");
  node.textContent = text || "";
  node.hidden = !text;
}

/* The API's own message for a bad query (or a bad range), next to the query box. */
export function showQueryError(message) {
  var box = $("query-error");
  var input = $("query-input");
  if (!message) {
    box.hidden = true;
    box.textContent = "";
    input.removeAttribute("aria-invalid");
    return;
  }
  box.textContent = message;
  box.hidden = false;
  input.setAttribute("aria-invalid", "true");
  var column = /column (\d+)/.exec(message);
  if (column && document.activeElement === input) {
    var at = Math.min(Number(column[1]) - 1, input.value.length);
    input.setSelectionRange(at, at);
  }
}

var BARE_WORD = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;

/* For a query of bare words only, some of which are a service's name (or a level, or a user id): the same query
 * with those words as field terms ("checkout" -> "service:checkout"); else null. A bare word also matches the
 * service and user id, but never the level, and all the words of a query must match. */
export function fieldSuggestion(q) {
  var words = String(q).trim().split(/\s+/);
  var changed = false;
  for (var i = 0; i < words.length; i += 1) {
    if (!BARE_WORD.test(words[i]) || /^(AND|OR|NOT)$/.test(words[i])) return null;
    var field = fieldFor(words[i]);
    if (field) {
      words[i] = field;
      changed = true;
    }
  }
  return changed ? words.join(" ") : null;
}

/* "Did you mean service:checkout?" under the query box, with a link that runs it (empty text hides it). */
function showHint(suggestion) {
  var box = $("query-hint");
  if (!suggestion) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  var href = exploreUrl({ q: suggestion, from: view.from, to: view.to });
  box.replaceChildren(
    "Nothing has these words. Did you mean ",
    el("a", { href: href, className: "query-hint-link", text: suggestion }),
    "?"
  );
  box.hidden = false;
}

/* GET /api/logs with a deadline; resolves to {ok, status, data} (data is the JSON body, or null). */
function getLogs(params) {
  return getJson(API + "?" + params.toString(), TIMEOUT_MS);
}

function summary() {
  var text = numberFormat.format(shown.rows) + plural(shown.rows, " entry", " entries");
  text += search.cursor ? " shown, more match" : search.took === null ? "" : shown.rows ? ", all matches" : "";
  if (search.took !== null) text += " · " + search.took + " ms";
  $("results-summary").textContent = "— " + text;
  $("load-more").hidden = !search.cursor;
  // while Live is on, more matches are on their way: "No more matches." would be stale
  $("results-end").hidden = !!search.cursor || shown.rows === 0 || document.body.classList.contains("live");
}

function setBusy(busy) {
  search.busy = busy;
  if (busy) document.body.setAttribute("aria-busy", "true");
  else document.body.removeAttribute("aria-busy");
  $("load-more").disabled = busy;
}

/* One page of results: handles the three outcomes (rows, a message from the API, no answer). */
function fetchPage(cursor) {
  var generation = search.generation;
  var params = apiParams();
  params.set("limit", String(PAGE));
  if (cursor) params.set("cursor", cursor);
  else params.set("count", "true"); // the first page says how many match (up to a bound: showMatches)
  setBusy(true);
  return getLogs(params)
    .then(function (answer) {
      if (generation !== search.generation) return false;
      banner("");
      if (answer.status === 401) {
        toLogin();
        return false;
      }
      if (!answer.ok) {
        var message = answer.data && answer.data.error ? answer.data.error : "the server answered HTTP " + answer.status;
        if (answer.status >= 400 && answer.status < 500) {
          showQueryError(message);
          search.cursor = null;
          search.took = null;
          showResults([], "Fix the query to see results.");
        } else {
          banner("The search failed: " + message + ".");
        }
        return false;
      }
      showQueryError("");
      var data = answer.data || {};
      var logs = Array.isArray(data.logs) ? data.logs : [];
      if (cursor) appendResults(logs);
      else showResults(logs, view.q ? "No entries match this query in this range." : "No entries in this range.");
      if (!cursor && logs.length === 0 && view.q) {
        var asked = view.q;
        namesLoaded().then(function () {
          if (generation === search.generation && view.q === asked) showHint(fieldSuggestion(asked));
        });
      }
      if (!cursor) showMatches(data.matches);
      search.cursor = data.next_cursor || null;
      search.took = typeof data.took_ms === "number" ? Math.round(data.took_ms * 10) / 10 : null;
      return true;
    })
    .catch(function (error) {
      if (generation !== search.generation) return false;
      var reason = error && error.name === "AbortError" ? "no answer within 30 s" : "connection failed";
      banner("Cannot reach the LogLens server (" + reason + "). Search again to retry.");
      return false;
    })
    .finally(function () {
      if (generation === search.generation) {
        setBusy(false);
        summary();
      }
    });
}

/* The number of matches above the results: exact, or "more than N" when the server stopped counting at its bound
 * (/api/logs?count=true). */
function showMatches(matches) {
  var box = $("match-count");
  if (!matches || typeof matches.count !== "number") {
    box.textContent = "";
    delete box.dataset.exact;
    return;
  }
  var n = numberFormat.format(matches.count);
  box.textContent = matches.exact ? n + plural(matches.count, " match", " matches") : "More than " + n + " matches";
  box.dataset.exact = matches.exact ? "true" : "false";
  box.dataset.count = String(matches.count);
}

/* A new search for the current view; resolves to true when the query was accepted. */
export function runSearch() {
  search.generation += 1;
  showMatches(null);
  showHint(null);
  search.cursor = null;
  search.took = null;
  var focus = view.focus;
  view.focus = null;
  return fetchPage(null).then(function (ok) {
    if (ok && focus) focusEntry(focus);
    return ok;
  });
}

/* The newest page of matches, without touching the table (the live tail's catch-up). */
export function latest() {
  var params = apiParams();
  params.set("limit", String(PAGE));
  return getLogs(params).then(function (answer) {
    return answer.ok && answer.data && Array.isArray(answer.data.logs) ? answer.data.logs : [];
  });
}

export function loadMore() {
  if (!search.cursor || search.busy) return;
  fetchPage(search.cursor);
}

/* The live tail changed the table (rows added or dropped): refresh the counts. */
export function refreshSummary(cursorStillValid) {
  if (!cursorStillValid) search.cursor = null;
  summary();
}
