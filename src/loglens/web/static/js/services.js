/* The service health grid: down first, then degraded, then healthy; the filtered service is marked selected. */

import { $, el, fillList, relativeTime, serviceButton } from "./dom.js";
import { serviceUrl } from "./explore/links.js";
import { numberFormat, percent, plural } from "./format.js";
import { state } from "./state.js";

var STATUS_ORDER = { down: 0, degraded: 1, healthy: 2 };

/* The recent error rate, when there were recent entries; otherwise what is true: nothing arrived lately. */
function recentLine(h) {
  var minutes = state.data && state.data.settings ? state.data.settings.window_minutes : null;
  var recent = typeof h.recent_count === "number" ? h.recent_count : null;
  if (recent === 0 || (recent === null && h.status === "down")) {
    var text = minutes ? "no entries in the last " + minutes + " min" : "no recent entries";
    return el("span", { className: "service-stats service-recent service-silent", text: text });
  }
  var of = recent === null ? "" : " (of " + numberFormat.format(recent) + ")";
  return el("span", { className: "service-stats service-recent", text: "recent error rate " + percent(h.error_rate || 0) + of });
}

export function renderServices(health) {
  var names = Object.keys(health).sort(function (a, b) {
    var sa = STATUS_ORDER[health[a].status];
    var sb = STATUS_ORDER[health[b].status];
    return (sa === undefined ? 3 : sa) - (sb === undefined ? 3 : sb) || (a < b ? -1 : a > b ? 1 : 0);
  });
  var items = names.map(function (name) {
    var h = health[name];
    var status = String(h.status);
    return el(
      "li",
      {
        className: "service status-" + status + (name === state.service ? " selected" : ""),
        dataset: { service: name, status: status, logCount: h.log_count },
      },
      [
        el("div", { className: "service-head" }, [
          el("span", { className: "dot", "aria-hidden": "true" }),
          serviceButton(name),
        ]),
        el("span", { className: "service-status", text: status }),
        el("span", { className: "service-stats" }, [
          el("span", { className: "service-count", text: numberFormat.format(h.log_count) }),
          plural(h.log_count, " log", " logs") + " · " + numberFormat.format(h.error_count || 0),
          plural(h.error_count || 0, " error", " errors"),
        ]),
        recentLine(h),
        el("span", { className: "service-stats" }, ["last seen ", relativeTime(h.last_seen, "")]),
        el("a", { className: "explore-link", href: serviceUrl(name, state.range), text: "Explore its logs" }),
      ]
    );
  });
  fillList($("service-grid"), items, "No services have sent logs yet.");
}
