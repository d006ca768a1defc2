/* The summary cards: total logs, error rate, services tracked, firing alerts. */

import { $ } from "./dom.js";
import { numberFormat, percent, since } from "./format.js";
import { state } from "./state.js";

function setCard(id, value, text, note) {
  var node = $(id);
  node.dataset.value = String(value);
  node.textContent = text;
  $(id + "-note").textContent = note;
  return node;
}

export function renderCards(data) {
  var s = data.summary || {};
  var range = s.time_range || {};
  setCard(
    "card-total-logs",
    s.total_logs,
    numberFormat.format(s.total_logs),
    numberFormat.format(s.current_stored) + " stored" + (range.first ? " since " + since(range.first) : "")
  );

  var danger = s.error_rate > state.threshold;
  var rate = setCard(
    "card-error-rate",
    s.error_rate,
    percent(s.error_rate),
    numberFormat.format(s.total_errors) +
      " errors · " +
      (danger ? "above" : "threshold") +
      " " +
      percent(state.threshold) +
      (danger ? " threshold" : "")
  );
  rate.dataset.threshold = String(state.threshold);
  rate.classList.toggle("danger", danger);
  rate.parentElement.classList.toggle("card-danger", danger);

  var health = data.service_health || {};
  var down = 0;
  var degraded = 0;
  Object.keys(health).forEach(function (name) {
    if (health[name].status === "down") down += 1;
    else if (health[name].status === "degraded") degraded += 1;
  });
  setCard(
    "card-services",
    s.active_services,
    numberFormat.format(s.active_services),
    down || degraded ? down + " down · " + degraded + " degraded" : "all healthy"
  );

  var alerts = data.active_alerts || [];
  var critical = alerts.filter(function (a) {
    return a.severity === "CRITICAL";
  }).length;
  var card = setCard(
    "card-alerts",
    alerts.length,
    numberFormat.format(alerts.length),
    alerts.length ? critical + " critical · " + (alerts.length - critical) + " warning" : "none firing"
  );
  card.classList.toggle("danger", critical > 0);
  card.classList.toggle("warning", critical === 0 && alerts.length > 0);
  card.parentElement.classList.toggle("card-danger", critical > 0);
  card.parentElement.classList.toggle("card-warning", critical === 0 && alerts.length > 0);
}
