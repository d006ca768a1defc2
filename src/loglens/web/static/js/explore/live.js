/* Live tail: an EventSource on /api/logs/stream?q=... puts each new matching entry at the top of the table.
 * EventSource reconnects by itself and sends Last-Event-ID, so the server resumes without gaps or repeats.
 * Turning Live off closes the stream. */

import { $ } from "../dom.js";
import { prependResult, trimResults } from "./table.js";
import { refreshSummary } from "./search.js";
import { parseJson } from "./stages.js";
import { view } from "./view.js";

var STREAM = "/api/logs/stream";
var MAX_ROWS = 2000;

var live = { source: null, received: 0, held: null }; // held: entries kept back while the search runs

function status(text, state) {
  var node = $("live-status");
  node.textContent = text;
  node.dataset.state = state;
}

function onEntry(event) {
  var entry;
  try {
    entry = parseJson(event.data);
  } catch (error) {
    return; // not an entry (the stream's own notices are comments, which EventSource never delivers)
  }
  if (!entry || typeof entry !== "object" || entry.id === undefined) return;
  if (live.held) {
    live.held.push(entry);
    return;
  }
  show(entry);
}

function show(entry) {
  var added = prependResult(entry);
  var dropped = trimResults(MAX_ROWS);
  if (!added) return;
  live.received += 1;
  refreshSummary(dropped === 0);
  status("Live · " + live.received + (live.received === 1 ? " new entry" : " new entries"), "open");
}

export function isLive() {
  return live.source !== null;
}

/* Open the stream for the current query (closing any previous one), for a table that already shows the
 * query's results. Once the stream is open, `catchUp()` (the newest matches, fetched again) fills the moment
 * between that search and the stream; entries the stream delivers meanwhile are held back, and whatever both
 * deliver is shown once. */
export function startLive(catchUp) {
  stopLive();
  live.held = [];
  var source = new EventSource(STREAM + "?" + new URLSearchParams({ q: view.q }).toString());
  live.source = source;
  live.received = 0;
  status("Live · connecting…", "connecting");
  var caughtUp = false;
  source.addEventListener("open", function () {
    if (live.source !== source) return;
    status(live.received ? "Live · " + live.received + " new entries" : "Live · waiting for new entries", "open");
    if (caughtUp) return; // a reconnection: EventSource resumes after the last event id
    caughtUp = true;
    catchUp().then(
      function (logs) {
        if (live.source !== source) return;
        release(logs.slice().reverse()); // oldest first, so the newest ends on top
      },
      function () {
        if (live.source === source) release([]);
      }
    );
  });
  setButton(true);
  refreshSummary(true); // the first search's "No more matches." goes: new matches are coming
  source.addEventListener("message", onEntry);
  source.addEventListener("log", onEntry);
  source.addEventListener("error", function (event) {
    if (live.source !== source) return;
    if (event.data) {
      // The server's own `error` event (the tail's query ran past its deadline): reconnecting would only
      // run it again, so stop and say why.
      var message = "the server ended the stream";
      try {
        message = JSON.parse(event.data).error || message;
      } catch (error) {
        // keep the generic message
      }
      source.close();
      live.source = null;
      view.live = false;
      setButton(false);
      status("Live stopped: " + message, "closed");
    } else if (source.readyState === EventSource.CLOSED) {
      // The server refused the stream (e.g. too many live tails) and EventSource gives up: say so, switch off.
      live.source = null;
      view.live = false;
      setButton(false);
      status("Live stopped: the server refused the stream. Try again later.", "closed");
    } else {
      status("Live · reconnecting…", "connecting");
    }
  });
}

function release(missed) {
  var held = live.held || [];
  live.held = null;
  missed.concat(held).forEach(show);
  document.body.dataset.live = "following"; // for tests and tools: the stream is open and caught up
}

export function stopLive() {
  live.held = null;
  delete document.body.dataset.live;
  if (live.source) live.source.close();
  live.source = null;
  setButton(false);
  status("", "off");
  refreshSummary(true);
}

function setButton(on) {
  var button = $("live-btn");
  button.setAttribute("aria-pressed", on ? "true" : "false");
  button.textContent = on ? "Live: on" : "Live";
  document.body.classList.toggle("live", on);
}
