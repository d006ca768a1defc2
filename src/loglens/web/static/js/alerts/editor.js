/* The "New silence" form: matcher rows (name, = or =~, value), how long, a comment; prefilled from an alert's
 * "Silence" button. The server checks everything again and its message is shown as it is. */

import { $, el } from "../dom.js";
import { request, showError } from "./http.js";

var NAMES = ["rule", "service", "severity", "labels."];
var rowCount = 0;
var onCreated = function () {};

function nameSelect(id, name) {
  var known = NAMES.indexOf(name) >= 0 || !name;
  var isLabel = !known && name.indexOf("labels.") === 0;
  var select = el(
    "select",
    { id: id, className: "matcher-name", "aria-label": "Field" },
    NAMES.map(function (n) {
      return el("option", { value: n, text: n === "labels." ? "label\u2026" : n });
    })
  );
  select.value = isLabel ? "labels." : name || "service";
  return select;
}

/* One matcher row; `matcher` prefills it ({name, op, value}). */
function matcherRow(matcher) {
  var m = matcher || {};
  rowCount += 1;
  var n = rowCount;
  var name = nameSelect("matcher-name-" + n, m.name || "");
  var labelKey = el("input", {
    id: "matcher-label-" + n,
    className: "matcher-label",
    type: "text",
    maxlength: "190",
    placeholder: "label key",
    "aria-label": "Label key",
  });
  var isLabel = (m.name || "").indexOf("labels.") === 0;
  labelKey.value = isLabel ? m.name.slice("labels.".length) : "";
  labelKey.hidden = !isLabel;
  name.addEventListener("change", function () {
    labelKey.hidden = name.value !== "labels.";
  });
  var op = el("select", { id: "matcher-op-" + n, className: "matcher-op", "aria-label": "Comparison" }, [
    el("option", { value: "=", text: "= equals" }),
    el("option", { value: "=~", text: "=~ matches regex" }),
  ]);
  op.value = m.op || "=";
  var value = el("input", {
    id: "matcher-value-" + n,
    className: "matcher-value",
    type: "text",
    maxlength: "1000",
    required: "required",
    "aria-label": "Value",
  });
  value.value = m.value || "";
  var remove = el("button", { type: "button", className: "btn btn-small", "aria-label": "Remove this matcher", text: "Remove" });
  var row = el("li", { className: "matcher-row", dataset: { testid: "matcher-row" } }, [name, labelKey, op, value, remove]);
  remove.addEventListener("click", function () {
    var list = $("matcher-rows");
    if (list.children.length > 1) {
      row.remove();
      list.querySelector(".matcher-value").focus();
    } else {
      value.value = "";
      value.focus();
    }
  });
  return row;
}

function readMatchers() {
  return Array.prototype.map.call($("matcher-rows").children, function (row) {
    var name = row.querySelector(".matcher-name").value;
    if (name === "labels.") name += row.querySelector(".matcher-label").value.trim();
    return { name: name, op: row.querySelector(".matcher-op").value, value: row.querySelector(".matcher-value").value };
  });
}

function setMatchers(matchers) {
  $("matcher-rows").replaceChildren.apply($("matcher-rows"), matchers.map(matcherRow));
}

/* Fill the form with matchers for one alert (its rule and service) and bring it into view, ready for a comment. */
export function prefill(alert) {
  setMatchers([
    { name: "rule", op: "=", value: alert.rule },
    { name: "service", op: "=", value: alert.service },
  ]);
  showError($("silence-error"), "");
  $("silence-editor").scrollIntoView({ block: "start" });
  $("silence-comment").focus();
}

function body() {
  var made = { matchers: readMatchers(), comment: $("silence-comment").value };
  var duration = $("silence-duration").value;
  if (duration === "until") {
    var until = Date.parse($("silence-until").value); // a datetime-local value is the browser's local time
    if (isNaN(until)) throw new Error("choose when the silence ends");
    made.ends_at = new Date(until).toISOString();
  } else {
    made.duration = duration;
  }
  return made;
}

function submit(event) {
  event.preventDefault();
  var button = $("silence-create");
  var made;
  try {
    made = body();
  } catch (error) {
    showError($("silence-error"), error.message);
    return;
  }
  button.disabled = true;
  request("POST", "/api/silences", made)
    .then(function (silence) {
      showError($("silence-error"), "");
      $("silence-form").reset();
      onCreated(silence);
    })
    .catch(function (error) {
      showError($("silence-error"), "Not created: " + error.message);
    })
    .finally(function () {
      button.disabled = false;
    });
}

/* `created(silence)` runs after each silence the form creates. */
export function initEditor(created) {
  onCreated = created;
  setMatchers([{}]);
  $("add-matcher").addEventListener("click", function () {
    var row = matcherRow({});
    $("matcher-rows").appendChild(row);
    row.querySelector(".matcher-value").focus();
  });
  $("silence-duration").addEventListener("change", function () {
    var until = $("silence-duration").value === "until";
    $("silence-until-label").hidden = !until;
    $("silence-until").required = until;
  });
  $("silence-form").addEventListener("submit", submit);
  $("silence-form").addEventListener("reset", function () {
    window.setTimeout(function () {
      setMatchers([{}]);
      $("silence-until-label").hidden = true;
      showError($("silence-error"), "");
    });
  });
}
