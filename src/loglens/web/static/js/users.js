/* Top users of the selected range and service. The server's ranking is approximate (each bucket keeps its
 * busiest users only); the panel says so. */

import { $, el, fillList } from "./dom.js";
import { numberFormat, rangeText } from "./format.js";
import { state } from "./state.js";

export function renderUsers(data) {
  var users = data.user_activity || [];
  $("users-subtitle").textContent =
    "(" + rangeText(data.window || {}) + " · " + (state.service || "all services") + ")";
  $("users-note").hidden = !data.user_activity_approximate;
  fillList(
    $("user-list"),
    users.map(function (u) {
      return el("li", { className: "user-item", dataset: { user: u.user_id, count: u.count } }, [
        el("span", { className: "user-id", text: u.user_id }),
        el("span", { className: "user-count", text: numberFormat.format(u.count) }),
      ]);
    }),
    "No user ids in this range."
  );
}
