/* The alerts panel: firing alerts (critical first, newest first) and recently resolved ones.
 *
 * Several firing alerts of one rule show as one group card that expands (a <details>), so a backfill that wakes
 * twenty service_down alerts takes one card, not the whole page. A firing alert can be acknowledged: it stays
 * listed, dimmed, and notifies nobody again until it resolves. One that a silence holds is dimmed the same way and
 * says by whom and until when (the Alerts page, /alerts, creates and expires silences).
 */

import { $, el, fillList, relativeTime, serviceButton } from "./dom.js";
import { alertUrl } from "./explore/links.js";
import { clock, exact, parseTime } from "./format.js";
import { announceChange, writeHeaders } from "./session.js";

var GROUP_AT = 2; // this many firing alerts of one rule make a group
var openGroups = {}; // rule -> true while its group is expanded (kept across refreshes)

function ruleName(rule) {
  return String(rule).replace(/_/g, " ");
}

function ackButton(alert) {
  var button = el("button", {
    type: "button",
    className: "btn btn-small ack-btn",
    dataset: { alertId: alert.id },
    "aria-label": "Acknowledge the " + ruleName(alert.rule) + " alert for " + alert.service,
    text: "Acknowledge",
  });
  button.addEventListener("click", function () {
    button.disabled = true;
    acknowledge(alert.id, button);
  });
  return button;
}

function acknowledge(id, button) {
  fetch("/api/alerts/" + encodeURIComponent(id) + "/ack", {
    method: "POST",
    headers: writeHeaders(), // JSON, and the session's CSRF token when access control is on
    body: "{}",
  })
    .then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok && response.status !== 409) throw new Error(body.error || "HTTP " + response.status);
      });
    })
    .then(announceChange)
    .catch(function (error) {
      button.disabled = false;
      button.title = "Could not acknowledge: " + error.message;
    });
}

/* A firing alert that a silence holds says by whom, until when and why (it notifies no one meanwhile). */
function silencedNote(alert) {
  var held = alert.silenced_by;
  if (!held) return null;
  var ends = parseTime(held.ends_at);
  return el("p", { className: "alert-reason alert-silenced-by", dataset: { silenceId: held.id } }, [
    "Silenced by " + held.created_by + " until ",
    el("time", { datetime: held.ends_at, title: ends === null ? "" : exact(ends), text: ends === null ? "" : clock(ends) }),
    held.comment ? ": " + held.comment : "",
  ]);
}

function alertItem(alert, resolved) {
  var severity = String(alert.severity || "").toLowerCase();
  var acked = !resolved && !!alert.acknowledged_at;
  var silenced = !resolved && !!alert.silenced_by;
  var classes =
    "alert sev-" + severity + (resolved ? " alert-resolved" : "") + (acked || silenced ? " alert-acked" : "");
  var when = resolved ? relativeTime(alert.resolved_at, "resolved ") : relativeTime(alert.fired_at, "");
  var badge = resolved ? "RESOLVED" : silenced ? "SILENCED" : acked ? "ACKED" : alert.severity;
  // A resolved alert says that it resolved and why; what it said when it fired follows, marked as the past.
  var reason = resolved
    ? el("p", { className: "alert-reason", text: alert.resolved_reason || "resolved: the condition no longer holds" })
    : null;
  var message = resolved
    ? el("p", { className: "alert-message alert-fired", text: "When it fired: " + alert.message })
    : el("p", { className: "alert-message", text: alert.message });
  return el(
    "li",
    {
      className: classes,
      dataset: {
        alertId: alert.id,
        severity: alert.severity,
        rule: alert.rule,
        service: alert.service,
        acknowledged: acked ? "true" : "false",
        silenced: silenced ? "true" : "false",
      },
    },
    [
      el("div", { className: "alert-head" }, [
        el("span", { className: "sev-badge", text: badge }),
        el("span", { className: "alert-rule", text: ruleName(alert.rule) }),
        serviceButton(alert.service),
        el("span", { className: "alert-time" }, [when]),
        el("a", { className: "explore-link", href: alertUrl(alert), text: "Explore" }),
      ]),
      reason,
      silencedNote(alert),
      message,
      resolved || acked ? null : ackButton(alert),
    ]
  );
}

function groupItem(rule, alerts) {
  var critical = alerts.some(function (a) {
    return a.severity === "CRITICAL";
  });
  var acked = alerts.filter(function (a) {
    return !!a.acknowledged_at;
  }).length;
  var silenced = alerts.filter(function (a) {
    return !!a.silenced_by;
  }).length;
  var details = el("details", { className: "alert-group-details" }, [
    el("summary", { className: "alert-group-summary" }, [
      el("span", { className: "sev-badge", text: critical ? "CRITICAL" : "WARNING" }),
      el("span", { className: "alert-rule", text: ruleName(rule) }),
      el("span", {
        className: "alert-group-count",
        text:
          alerts.length +
          " services" +
          (acked ? " · " + acked + " acknowledged" : "") +
          (silenced ? " · " + silenced + " silenced" : ""),
      }),
    ]),
    el(
      "ul",
      { className: "alert-list alert-group-list" },
      alerts.map(function (a) {
        return alertItem(a, false);
      })
    ),
  ]);
  details.open = !!openGroups[rule];
  details.addEventListener("toggle", function () {
    openGroups[rule] = details.open;
  });
  return el(
    "li",
    {
      className: "alert-group sev-" + (critical ? "critical" : "warning") + (acked === alerts.length ? " alert-acked" : ""),
      dataset: { rule: rule, count: alerts.length },
    },
    [details]
  );
}

export function renderAlerts(firing, resolved) {
  var rank = { CRITICAL: 0, WARNING: 1 };
  var sorted = firing.slice().sort(function (a, b) {
    return (
      (a.acknowledged_at || a.silenced_by ? 1 : 0) - (b.acknowledged_at || b.silenced_by ? 1 : 0) ||
      (rank[a.severity] || 0) - (rank[b.severity] || 0) ||
      b.id - a.id
    );
  });
  var byRule = {};
  sorted.forEach(function (a) {
    (byRule[a.rule] = byRule[a.rule] || []).push(a);
  });
  var items = [];
  var done = {};
  sorted.forEach(function (a) {
    if (done[a.rule]) return;
    if (byRule[a.rule].length >= GROUP_AT) {
      done[a.rule] = true;
      items.push(groupItem(a.rule, byRule[a.rule]));
    } else {
      items.push(alertItem(a, false));
    }
  });
  fillList($("alerts-firing"), items, "No alerts firing.");
  fillList(
    $("alerts-resolved"),
    resolved.map(function (a) {
      return alertItem(a, true);
    }),
    "Nothing resolved recently."
  );
}
