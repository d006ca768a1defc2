/* The service health grid: down first, then degraded, then healthy; the filtered service is marked selected. */

import { $, el, fillList, relativeTime, serviceButton } from "./dom.js";
import { serviceUrl } from "./explore/links.js";
import { numberFormat, percent, plural } from "./format.js";
import { state } from "./state.js";

var STATUS_ORDER = { down: 0, degraded: 1, healthy: 2 };

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
        el("span", { className: "service-stats", text: "recent error rate " + percent(h.error_rate || 0) }),
        el("span", { className: "service-stats" }, ["last seen ", relativeTime(h.last_seen, "")]),
        el("a", { className: "explore-link", href: serviceUrl(name, state.range), text: "Explore its logs" }),
      ]
    );
  });
  fillList($("service-grid"), items, "No services have sent logs yet.");
}
