/* The dashboard's state: the view (range, service filter, pause), the request loop's bookkeeping and the last data.
 *
 * One shared object; the other modules read and update it. The view also lives in the query string (see url.js).
 */

export var RANGES = { "15m": 15, "30m": 30, "1h": 60, "6h": 360, "24h": 1440, "7d": 10080 };
export var DEFAULT_RANGE = "30m";
export var CUSTOM = "custom"; // an absolute range: state.from .. state.to, UTC minute keys "YYYY-MM-DDTHH:MM"
var MINUTE_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

function positive(value, fallback) {
  return isFinite(value) && value > 0 ? value : fallback;
}

function nonNegative(value, fallback) {
  return isFinite(value) && value >= 0 ? value : fallback;
}

export var state = {
  range: DEFAULT_RANGE,
  from: null,
  to: null,
  service: null,
  refreshSeconds: positive(parseFloat(document.body.dataset.refreshSeconds), 5),
  threshold: nonNegative(parseFloat(document.body.dataset.errorRateThreshold), 0.1),
  paused: false,
  inFlight: null, // the AbortController of the request in flight, if any
  refetch: false, // the view changed while a request was in flight: fetch again when it ends
  timer: null,
  lastSuccess: null, // Date.now() of the last successful refresh
  offline: false,
  offlineReason: "",
  clockOffset: 0, // server clock minus browser clock, ms (from window.generated_at)
  data: null,
};

export function isRange(range) {
  return Object.prototype.hasOwnProperty.call(RANGES, range);
}

export function isMinuteKey(value) {
  return typeof value === "string" && MINUTE_KEY.test(value) && !isNaN(Date.parse(value + ":00Z"));
}

/* The server's clock, as far as the last answer tells. */
export function serverNow() {
  return Date.now() + state.clockOffset;
}
