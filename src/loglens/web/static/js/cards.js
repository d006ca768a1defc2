/* The summary cards: logs, error rate, services, firing alerts. Logs and error rate follow the selected range and
 * service, the alerts card the service; each card's scope line says what it covers. */

import { $ } from "./dom.js";
import { numberFormat, percent, rangeText } from "./format.js";
import { state } from "./state.js";

function setCard(id, value, text, note, scope) {
  var node = $(id);
  node.dataset.value = String(value);
  node.textContent = text;
  $(id + "-note").textContent = note;
  $(id + "-scope").textContent = scope;
  return node;
}

export function renderCards(data) {
  var s = data.summary || {};
  var range = s.range || { total: 0, errors: 0, error_rate: 0 };
  var service = state.service ? state.service : "all services";
  var span = rangeText(data.window || {});
  setCard(
    "card-total-logs",
    range.total,
    numberFormat.format(range.total),
    numberFormat.format(s.current_stored) + " stored in all",
    span + " · " + service
  );

  var danger = range.total > 0 && range.error_rate > state.threshold;
  var rate = setCard(
    "card-error-rate",
    range.error_rate,
    percent(range.error_rate),
    numberFormat.format(range.errors) +
      " errors · " +
      (danger ? "above" : "threshold") +
      " " +
      percent(state.threshold) +
      (danger ? " threshold" : ""),
    span + " · " + service
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
    down || degraded ? down + " down · " + degraded + " degraded" : "all healthy",
    "now · all services"
  );

  var alerts = (data.active_alerts || []).filter(function (a) {
    return !state.service || a.service === state.service;
  });
  var open = alerts.filter(function (a) {
    return !a.acknowledged_at;
  });
  var critical = open.filter(function (a) {
    return a.severity === "CRITICAL";
  }).length;
  var acked = alerts.length - open.length;
  var card = setCard(
    "card-alerts",
    alerts.length,
    numberFormat.format(alerts.length),
    alerts.length
      ? critical + " critical · " + (open.length - critical) + " warning" + (acked ? " · " + acked + " acked" : "")
      : "none firing",
    "now · " + service
  );
  card.classList.toggle("danger", critical > 0);
  card.classList.toggle("warning", critical === 0 && open.length > 0);
  card.parentElement.classList.toggle("card-danger", critical > 0);
  card.parentElement.classList.toggle("card-warning", critical === 0 && open.length > 0);
}
