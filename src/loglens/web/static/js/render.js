/* One answer of the API on the page: take over the server's clock and settings, then draw every panel. */

import { renderAlerts } from "./alerts.js";
import { renderCards } from "./cards.js";
import { renderCharts } from "./charts.js";
import { parseTime } from "./format.js";
import { renderLogs } from "./logs.js";
import { renderServices } from "./services.js";
import { state } from "./state.js";
import { renderUsers } from "./users.js";

export function render(data) {
  state.data = data;
  var generated = parseTime(data.window && data.window.generated_at);
  if (generated !== null) state.clockOffset = generated - Date.now();
  var settings = data.settings || {};
  if (typeof settings.error_rate_threshold === "number") state.threshold = settings.error_rate_threshold;
  if (typeof settings.refresh_seconds === "number" && settings.refresh_seconds > 0) {
    state.refreshSeconds = settings.refresh_seconds;
  }
  renderCards(data);
  renderCharts(data);
  renderAlerts(data.active_alerts || [], data.resolved_alerts || []);
  renderServices(data.service_health || {});
  renderUsers(data);
  renderLogs(data.recent_logs || []);
}
