/* The alert history: GET /api/alerts with the filters in the page's query string, newest first, a page at a time
 * ("Load more" asks for the alerts before the last one shown). A firing alert can be silenced from its row. */

import { $, el, relativeTime } from "../dom.js";
import { alertUrl } from "../explore/links.js";
import { prefill } from "./editor.js";
import { request, showError } from "./http.js";
import { moment } from "./times.js";

var PAGE = 50;
var FILTERS = ["state", "rule", "service", "severity", "from"];
var shown = 0;
var generation = 0; // an answer for filters the user has left is dropped

/* The filters of the page's query string. */
export function readFilters() {
  var params = new URLSearchParams(window.location.search);
  var filters = {};
  FILTERS.forEach(function (name) {
    filters[name] = params.get(name) || "";
  });
  return filters;
}

/* Put the filters in the page's query string, so that a reload or a link shows the same alerts. */
export function writeFilters(filters) {
  var params = new URLSearchParams();
  FILTERS.forEach(function (name) {
    if (filters[name] && !(name === "state" && filters[name] === "all")) params.set(name, filters[name]);
  });
  var query = params.toString();
  window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
}

function stateCell(alert) {
  var held = alert.silenced_by;
  var state = held ? "silenced" : alert.state;
  var children = [el("span", { className: "state-badge state-" + state, text: state })];
  if (held) {
    children.push(
      el("span", { className: "silenced-note" }, [
        "by " + held.created_by + " ",
        moment(held.ends_at, "until "),
        held.comment ? ": " + held.comment : "",
      ])
    );
  }
  return el("td", { className: "col-state" }, children);
}

function actions(alert) {
  var cells = [el("a", { className: "explore-link", href: alertUrl(alert), text: "Explore" })];
  if (alert.state === "firing" && !alert.silenced_by) {
    var button = el("button", {
      type: "button",
      className: "btn btn-small silence-btn",
      "aria-label": "Silence the " + alert.rule + " alert for " + alert.service,
      text: "Silence\u2026",
    });
    button.addEventListener("click", function () {
      prefill(alert);
    });
    cells.push(button);
  }
  return el("td", { className: "col-actions" }, cells);
}

function row(alert) {
  var severity = String(alert.severity || "").toLowerCase();
  return el(
    "tr",
    {
      className: "alert-row sev-" + severity + (alert.silenced_by ? " alert-silenced" : ""),
      dataset: { alertId: alert.id, state: alert.silenced_by ? "silenced" : alert.state, rule: alert.rule, service: alert.service },
    },
    [
      stateCell(alert),
      el("td", {}, [el("span", { className: "sev-badge", text: alert.severity })]),
      el("td", { className: "col-rule", text: String(alert.rule).replace(/_/g, " ") }),
      el("td", { className: "col-service", text: alert.service }),
      el("td", { className: "col-time" }, [relativeTime(alert.fired_at, "")]),
      el("td", { className: "col-time" }, [alert.resolved_at ? relativeTime(alert.resolved_at, "") : "\u2013"]),
      el("td", { className: "col-message", text: alert.message }),
      actions(alert),
    ]
  );
}

function params(filters, before) {
  var query = new URLSearchParams({ limit: String(PAGE) });
  FILTERS.forEach(function (name) {
    if (filters[name]) query.set(name, filters[name]);
  });
  if (before) query.set("before", String(before));
  return query;
}

/* Show the first page of the alerts the filters select (again); resolves once drawn. */
export function loadAlerts(filters, before) {
  var mine = before ? generation : ++generation;
  var body = $("alerts-body");
  document.body.setAttribute("aria-busy", "true");
  return request("GET", "/api/alerts?" + params(filters, before).toString())
    .then(function (alerts) {
      if (mine !== generation) return;
      showError($("alerts-error"), "");
      var rows = alerts.map(row);
      if (!before) {
        shown = 0;
        body.replaceChildren();
      }
      rows.forEach(function (r) {
        body.appendChild(r);
      });
      shown += alerts.length;
      if (!shown) body.appendChild(el("tr", { className: "empty-row" }, [el("td", { colspan: "8", text: "No alerts match." })]));
      var more = $("alerts-more");
      more.hidden = alerts.length < PAGE;
      more.dataset.before = alerts.length ? String(alerts[alerts.length - 1].id) : "";
      $("alerts-summary").textContent = shown + (alerts.length < PAGE ? "" : "+") + (shown === 1 ? " alert" : " alerts");
    })
    .catch(function (error) {
      if (mine === generation) showError($("alerts-error"), "Could not load the alerts: " + error.message);
    })
    .finally(function () {
      document.body.removeAttribute("aria-busy");
    });
}
