/* The recent logs table: one row per entry; a row opens the details dialog, its service link filters. */

import { showDetails } from "./details.js";
import { $, el, serviceButton } from "./dom.js";
import { entryUrl } from "./explore/links.js";
import { clock, exact, parseTime } from "./format.js";
import { state } from "./state.js";

var LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

/* The details dialog, with its "Open in Explore" link pointing at this entry. */
function openDetails(entry) {
  $("details-explore").href = entryUrl(entry);
  showDetails(entry);
}

function logRow(entry) {
  var level = LEVELS.indexOf(entry.level) >= 0 ? entry.level : "INFO";
  var ms = parseTime(entry.timestamp);
  var row = el(
    "tr",
    {
      className: "log-row",
      tabIndex: 0,
      dataset: { id: entry.id, level: entry.level, service: entry.service },
      "aria-label": entry.level + " " + entry.service + ": " + entry.message + " (open details)",
    },
    [
      el("td", { className: "log-time" }, [
        ms === null
          ? el("span", { text: entry.timestamp })
          : el("time", { datetime: entry.timestamp, title: exact(ms), text: clock(ms) }),
      ]),
      el("td", { className: "log-level-cell" }, [
        el("span", { className: "level level-" + level.toLowerCase(), text: entry.level }),
      ]),
      el("td", { className: "log-service" }, [serviceButton(entry.service)]),
      el("td", { className: "log-message-cell" }, [el("span", { className: "log-message", text: entry.message })]),
      el("td", { className: "log-user", text: entry.user_id === undefined ? "—" : entry.user_id }),
    ]
  );
  row.addEventListener("click", function (event) {
    if (event.target.closest(".service-link")) return;
    openDetails(entry);
  });
  row.addEventListener("keydown", function (event) {
    if (event.target !== row) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      openDetails(entry);
    }
  });
  return row;
}

export function renderLogs(logs) {
  var rows = logs.map(logRow);
  var tbody = $("logs-body");
  if (!rows.length) {
    var text = state.service ? "No logs from " + state.service + " yet." : "No logs yet.";
    tbody.replaceChildren(el("tr", { className: "empty-row" }, [el("td", { colspan: 5, text: text })]));
  } else {
    tbody.replaceChildren.apply(tbody, rows);
  }
}
