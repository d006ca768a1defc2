/* The results table: one row per entry with a level badge, and a details row with the entry's fields and JSON that
 * the row's toggle (or a click on the row, or Enter) opens. Every value in a row or in the details filters or
 * excludes (values.js); chosen metadata fields are columns of their own (columns.js). Log text goes in with
 * textContent only (../dom.js). */

import { $, el } from "../dom.js";
import { dayTime, exact, parseTime } from "../format.js";
import { columnCount, metaCells } from "./columns.js";
import { marked, searchedWords } from "./highlight.js";
import { aroundUrl, entryUrl, exploreUrl, fieldQuery } from "./links.js";
import { entryFields, rowValue } from "./values.js";
import { view } from "./view.js";

var LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

export var shown = { ids: new Set(), rows: 0 };

function cell(className, children) {
  return el("td", { className: className }, children);
}

function details(entry, id) {
  var links = [];
  var requestId = entry.metadata && entry.metadata.request_id;
  if (requestId !== undefined && requestId !== null && requestId !== "") {
    links.push(
      el("a", {
        className: "detail-link",
        href: exploreUrl({ q: fieldQuery("metadata.request_id", requestId) }),
        text: "Every entry of request " + requestId,
      })
    );
  }
  links.push(
    el("a", {
      className: "detail-link",
      href: aroundUrl(entry),
      dataset: { testid: "around-link" },
      text: "Entries around this one (" + entry.service + ", a minute either side)",
    })
  );
  links.push(el("a", { className: "detail-link", href: entryUrl(entry), text: "Link to this entry" }));
  var pre = el("pre", { className: "entry-json", tabIndex: 0, text: JSON.stringify(entry, null, 2) });
  return el("tr", { className: "json-row", id: id, hidden: "" }, [
    el("td", { colspan: columnCount() }, [entryFields(entry), pre, el("p", { className: "detail-links" }, links)]),
  ]);
}

export function setExpanded(row, open) {
  var detail = row.nextElementSibling;
  if (!detail || !detail.classList.contains("json-row")) return;
  detail.hidden = !open;
  row.classList.toggle("expanded", open);
  row.querySelector(".toggle").setAttribute("aria-expanded", open ? "true" : "false");
}

function toggle(row) {
  setExpanded(row, !row.classList.contains("expanded"));
}

function resultRows(entry, isNew) {
  var level = LEVELS.indexOf(entry.level) >= 0 ? entry.level : "INFO";
  var ms = parseTime(entry.timestamp);
  var detailId = "entry-" + entry.id;
  var words = searchedWords(view.q);
  var button = el("button", {
    type: "button",
    className: "toggle",
    "aria-expanded": "false",
    "aria-controls": detailId,
    "aria-label": "Show the full entry #" + entry.id,
  });
  var row = el(
    "tr",
    {
      className: "result-row" + (isNew ? " new" : ""),
      dataset: { id: entry.id, level: entry.level, service: entry.service },
    },
    [
      cell("col-toggle", [button]),
      cell("r-time", [
        ms === null
          ? el("span", { text: entry.timestamp })
          : el("time", { datetime: entry.timestamp, title: exact(ms), text: dayTime(ms, "millis") }),
      ]),
      cell("r-level", [
        rowValue("level", entry.level, [
          el("span", { className: "level level-" + level.toLowerCase(), text: entry.level }),
        ]),
      ]),
      cell("r-service", [rowValue("service", entry.service, marked(entry.service, words, false), "r-service-name")]),
      cell("r-message", [el("span", { className: "r-message-text" }, marked(entry.message, words, true))]),
      entry.user_id === undefined || entry.user_id === null
        ? el("td", { className: "r-user", text: "—" })
        : cell("r-user", [rowValue("user_id", entry.user_id, marked(entry.user_id, words, false))]),
    ].concat(metaCells(entry, words))
  );
  button.addEventListener("click", function () {
    toggle(row);
  });
  row.addEventListener("click", function (event) {
    if (event.target.closest("button, a")) return;
    var selection = window.getSelection ? String(window.getSelection()) : "";
    if (selection) return; // selecting text to copy it does not toggle
    toggle(row);
  });
  return [row, details(entry, detailId)];
}

function emptyRow(text) {
  return el("tr", { className: "empty-row" }, [el("td", { colspan: columnCount(), text: text })]);
}

/* Replace the table's rows (a new search). */
export function showResults(logs, emptyText) {
  shown.ids = new Set();
  shown.rows = 0;
  var body = $("results-body");
  if (!logs.length) {
    body.replaceChildren(emptyRow(emptyText));
    return;
  }
  body.replaceChildren();
  appendResults(logs);
}

/* Add older entries at the bottom (load more); entries already shown are skipped. */
export function appendResults(logs) {
  var body = $("results-body");
  var fragment = document.createDocumentFragment();
  logs.forEach(function (entry) {
    if (shown.ids.has(String(entry.id))) return;
    shown.ids.add(String(entry.id));
    shown.rows += 1;
    resultRows(entry, false).forEach(function (node) {
      fragment.appendChild(node);
    });
  });
  body.appendChild(fragment);
}

/* Add a new entry at the top (live); false when it is already shown. */
export function prependResult(entry) {
  if (shown.ids.has(String(entry.id))) return false;
  var body = $("results-body");
  var empty = body.querySelector(".empty-row");
  if (empty) empty.remove();
  shown.ids.add(String(entry.id));
  shown.rows += 1;
  var nodes = resultRows(entry, true);
  body.insertBefore(nodes[1], body.firstChild);
  body.insertBefore(nodes[0], nodes[1]);
  return true;
}

/* Drop the oldest rows beyond `max` (a long live session); returns how many were dropped. */
export function trimResults(max) {
  var body = $("results-body");
  var dropped = 0;
  while (shown.rows > max) {
    var detail = body.lastElementChild;
    var row = detail && detail.previousElementSibling;
    if (!row) break;
    shown.ids.delete(row.dataset.id);
    detail.remove();
    row.remove();
    shown.rows -= 1;
    dropped += 1;
  }
  return dropped;
}

/* Open (and scroll to) one entry's row, e.g. the entry a dashboard link points at. */
export function focusEntry(id) {
  var row = $("results-body").querySelector('tr.result-row[data-id="' + String(id).replace(/\D/g, "") + '"]');
  if (!row) return false;
  row.classList.add("focused");
  setExpanded(row, true);
  row.scrollIntoView({ block: "center" });
  row.querySelector(".toggle").focus({ preventScroll: true });
  return true;
}
