/* The silences: active and pending ones (each can be expired now), and the expired ones kept as history. */

import { $, el, fillList } from "../dom.js";
import { request, showError } from "./http.js";
import { moment } from "./times.js";

var LIMIT = 200;
var onChanged = function () {};

function matcherText(m) {
  return m.name + (m.op || "=") + JSON.stringify(m.value);
}

function expireButton(silence, item) {
  var button = el("button", {
    type: "button",
    className: "btn btn-small expire-btn",
    "aria-label": "Expire the silence " + silence.matchers.map(matcherText).join(", "),
    text: "Expire now",
  });
  button.addEventListener("click", function () {
    button.disabled = true;
    request("DELETE", "/api/silences/" + encodeURIComponent(silence.id))
      .then(function () {
        onChanged();
      })
      .catch(function (error) {
        button.disabled = false;
        showError(item.querySelector(".silence-error"), "Could not expire: " + error.message);
      });
  });
  return button;
}

function item(silence) {
  var open = silence.state !== "expired";
  var node = el("li", { className: "silence silence-" + silence.state, dataset: { silenceId: silence.id, state: silence.state } });
  var when =
    silence.state === "pending"
      ? [moment(silence.starts_at, "starts "), " \u00b7 ", moment(silence.ends_at, "ends ")]
      : [moment(silence.ends_at, silence.state === "active" ? "ends " : "ended ")];
  node.append(
    el("div", { className: "silence-head" }, [
      el("span", { className: "state-badge state-" + silence.state, text: silence.state }),
      el(
        "span",
        { className: "silence-matchers" },
        silence.matchers.map(function (m) {
          return el("code", { className: "matcher", text: matcherText(m) });
        })
      ),
      el("span", { className: "silence-when" }, when),
      open ? expireButton(silence, node) : null,
    ]),
    el("p", { className: "silence-comment", text: silence.comment }),
    el("p", {
      className: "silence-by hint",
      text: "by " + silence.created_by + (silence.expired_by ? " \u00b7 expired early by " + silence.expired_by : ""),
    }),
    el("p", { className: "silence-error form-error", role: "alert", hidden: "hidden" })
  );
  return node;
}

/* Fetch and draw the silences; resolves once drawn. */
export function loadSilences() {
  return request("GET", "/api/silences?state=all&limit=" + LIMIT)
    .then(function (silences) {
      var open = silences.filter(function (s) {
        return s.state !== "expired";
      });
      var expired = silences.filter(function (s) {
        return s.state === "expired";
      });
      fillList($("silences-open"), open.map(item), "No silence is active or pending.");
      fillList($("silences-expired"), expired.map(item), "None yet.");
      $("silences-summary").textContent = open.length + " active or pending";
    })
    .catch(function (error) {
      $("silences-summary").textContent = "could not load: " + error.message;
    });
}

/* `changed()` runs after a silence was expired. */
export function initSilences(changed) {
  onChanged = changed;
}
