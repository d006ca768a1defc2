/* The alerts panel: firing alerts (critical first, newest first) and recently resolved ones. */

import { $, el, fillList, relativeTime, serviceButton } from "./dom.js";
import { alertUrl } from "./explore/links.js";

function ruleName(rule) {
  return String(rule).replace(/_/g, " ");
}

function alertItem(alert, resolved) {
  var severity = String(alert.severity || "").toLowerCase();
  var classes = "alert sev-" + severity + (resolved ? " alert-resolved" : "");
  var when = resolved ? relativeTime(alert.resolved_at, "resolved ") : relativeTime(alert.fired_at, "");
  return el(
    "li",
    {
      className: classes,
      dataset: { alertId: alert.id, severity: alert.severity, rule: alert.rule, service: alert.service },
    },
    [
      el("div", { className: "alert-head" }, [
        el("span", { className: "sev-badge", text: resolved ? "RESOLVED" : alert.severity }),
        el("span", { className: "alert-rule", text: ruleName(alert.rule) }),
        serviceButton(alert.service),
        el("span", { className: "alert-time" }, [when]),
        el("a", { className: "explore-link", href: alertUrl(alert), text: "Explore" }),
      ]),
      el("p", { className: "alert-message", text: alert.message }),
    ]
  );
}

export function renderAlerts(firing, resolved) {
  var rank = { CRITICAL: 0, WARNING: 1 };
  var sorted = firing.slice().sort(function (a, b) {
    return (rank[a.severity] || 0) - (rank[b.severity] || 0) || b.id - a.id;
  });
  fillList(
    $("alerts-firing"),
    sorted.map(function (a) {
      return alertItem(a, false);
    }),
    "No alerts firing."
  );
  fillList(
    $("alerts-resolved"),
    resolved.map(function (a) {
      return alertItem(a, true);
    }),
    "Nothing resolved recently."
  );
}
