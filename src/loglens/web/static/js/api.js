/* Fetching /api/advanced-dashboard-data.
 *
 * At most one request in flight: the next one is scheduled only when the previous one has finished, and an
 * AbortController bounds each request's time. An answer for a view the user has left is dropped and fetched again.
 */

import { render } from "./render.js";
import { toLogin } from "./session.js";
import { CUSTOM, RANGES, state } from "./state.js";
import { offline, online } from "./status.js";

var API = "/api/advanced-dashboard-data";

function timeoutMs() {
  return Math.min(Math.max(state.refreshSeconds * 2000, 4000), 15000);
}

function requestKey() {
  return [state.range, state.from || "", state.to || "", state.service || ""].join("|");
}

/* The query of the selected view: minutes up to now, or an absolute from/to. */
export function viewParams() {
  var params =
    state.range === CUSTOM
      ? new URLSearchParams({ from: state.from, to: state.to })
      : new URLSearchParams({ minutes: String(RANGES[state.range]) });
  if (state.service) params.set("service", state.service);
  return params;
}

/* Fetch now, unless a request is in flight: then fetch again as soon as it ends (never two at once). */
export function requestRefresh() {
  if (state.inFlight) {
    state.refetch = true;
    return;
  }
  refresh();
}

/* Stop the timer of the next refresh, if any. */
export function cancelSchedule() {
  window.clearTimeout(state.timer);
  state.timer = null;
}

function schedule() {
  cancelSchedule();
  if (state.paused) return;
  state.timer = window.setTimeout(refresh, state.refreshSeconds * 1000);
}

export function refresh() {
  if (state.inFlight) return;
  cancelSchedule();
  state.refetch = false;
  var key = requestKey();
  var params = viewParams();
  var controller = new AbortController();
  var timedOut = false;
  var timeout = window.setTimeout(function () {
    timedOut = true;
    controller.abort();
  }, timeoutMs());
  state.inFlight = controller;
  document.body.setAttribute("aria-busy", "true");

  fetch(API + "?" + params.toString(), {
    signal: controller.signal,
    cache: "no-store",
    headers: { Accept: "application/json" },
  })
    .then(function (response) {
      if (response.status === 401) {
        toLogin();
        throw new Error("the session has expired");
      }
      if (!response.ok) {
        throw new Error("the server answered HTTP " + response.status);
      }
      return response.json();
    })
    .then(function (data) {
      online();
      if (key !== requestKey()) {
        state.refetch = true; // the answer is for a view the user has left
        return;
      }
      try {
        render(data);
      } catch (error) {
        // A bug on this page, not a connection problem: report it as an uncaught error, keep polling.
        window.setTimeout(function () {
          throw error;
        });
      }
    })
    .catch(function (error) {
      offline(timedOut ? "no answer within " + Math.round(timeoutMs() / 1000) + " s" : describe(error));
    })
    .then(function () {
      window.clearTimeout(timeout);
      state.inFlight = null;
      document.body.removeAttribute("aria-busy");
      if (state.refetch) refresh();
      else schedule();
    });
}

function describe(error) {
  var text = error && error.message ? error.message : String(error);
  return text === "Failed to fetch" ? "connection failed" : text;
}
