/* What Explore shows: the query, the time range, the Live switch and the metadata fields shown as columns; kept in
 * the query string so that a reload or a link reproduces it. `from` / `to` are passed to the API as they are: a
 * relative preset ("1h") or RFC 3339. `col` is repeated, once per column. `saved=<name or id>` opens a saved search
 * (saved.js), whose query, range and columns then take the place of the link's. */

export var PRESETS = ["15m", "30m", "1h", "6h", "24h", "7d"];

export var view = {
  q: "",
  from: "", // "" = the whole store
  to: "",
  live: false,
  cols: [], // metadata fields shown as columns ("metadata.region")
  saved: null, // the name (or id) of the saved search the URL asks to open
  focus: null, // id of an entry to open when the results arrive (links from the dashboard)
};

export function isPreset(from, to) {
  return !to && (from === "" || PRESETS.indexOf(from) >= 0);
}

export function readUrl() {
  var params = new URLSearchParams(window.location.search);
  view.q = params.get("q") || "";
  view.from = params.get("from") || "";
  view.to = params.get("to") || "";
  view.live = params.get("live") === "1";
  view.cols = params.getAll("col").filter(function (col, i, all) {
    return col.indexOf("metadata.") === 0 && all.indexOf(col) === i;
  });
  view.saved = params.get("saved") || null;
  var focus = params.get("focus");
  view.focus = focus && /^\d+$/.test(focus) ? focus : null;
}

/* The API parameters of the current view (without cursor / limit). */
export function apiParams() {
  var params = new URLSearchParams();
  params.set("q", view.q);
  if (view.from) params.set("from", view.from);
  if (view.to) params.set("to", view.to);
  return params;
}

/* Record the view in the address bar: a new history entry when it changed (Back returns to the previous search),
 * or a correction of the current one (`replace`). */
export function writeUrl(replace) {
  var params = new URLSearchParams();
  if (view.q) params.set("q", view.q);
  if (view.from) params.set("from", view.from);
  if (view.to) params.set("to", view.to);
  if (view.live) params.set("live", "1");
  view.cols.forEach(function (col) {
    params.append("col", col);
  });
  var query = params.toString();
  var url = window.location.pathname + (query ? "?" + query : "");
  if (url === window.location.pathname + window.location.search) return;
  if (replace) window.history.replaceState(null, "", url);
  else window.history.pushState(null, "", url);
}

/* The filter part of the view's query and its range, for the panels beside the results (facets, patterns, the
 * histogram): `from` is always sent, empty meaning the whole store. */
export function filterParams(filter) {
  var params = new URLSearchParams();
  params.set("q", filter);
  params.set("from", view.from);
  if (view.to) params.set("to", view.to);
  return params;
}
