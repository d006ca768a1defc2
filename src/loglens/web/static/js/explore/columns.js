/* Chosen metadata fields as columns of the results table: a picker offering the fields the store knows
 * (/api/fields, through complete.js) and those the view already shows; the choice lives in the view (the URL's
 * `col`, and a saved search's columns). */

import { $, el } from "../dom.js";
import { metadataFields, namesLoaded } from "./complete.js";
import { marked } from "./highlight.js";
import { filterable, metadataField, rowValue } from "./values.js";
import { view } from "./view.js";

var BASE_COLUMNS = 6; // toggle, time, level, service, message, user

/* How many columns a full-width row (details, "no entries") spans. */
export function columnCount() {
  return BASE_COLUMNS + view.cols.length;
}

/* The table's head: the base columns, then one per chosen field. */
export function drawHead() {
  var row = $("results-table").querySelector("thead tr");
  row.querySelectorAll(".col-meta").forEach(function (th) {
    th.remove();
  });
  view.cols.forEach(function (col) {
    row.appendChild(el("th", { scope: "col", className: "col-meta", dataset: { col: col }, text: col.slice(9) }));
  });
}

/* A metadata value as text, a string's searched words marked (a free word matches metadata strings only). */
function shownValue(value, words) {
  return typeof value === "string" ? marked(value, words, false) : String(value);
}

/* The chosen metadata columns' cells of one entry. */
export function metaCells(entry, words) {
  var metadata = entry.metadata && typeof entry.metadata === "object" ? entry.metadata : {};
  return view.cols.map(function (col) {
    var key = col.slice("metadata.".length);
    var value = metadata[key];
    var cell = el("td", { className: "r-meta", dataset: { col: col } });
    if (value === undefined || value === null) cell.textContent = "—";
    else if (filterable(value) && metadataField(key)) cell.appendChild(rowValue(col, value, shownValue(value, words)));
    else cell.textContent = filterable(value) ? String(value) : JSON.stringify(value);
    return cell;
  });
}

/* The picker's checkboxes: the store's metadata fields and the view's own; `changed()` after a toggle. */
export function drawPicker(changed) {
  return namesLoaded().then(function () {
    var names = metadataFields();
    view.cols.forEach(function (col) {
      if (names.indexOf(col) < 0) names.push(col);
    });
    var list = $("columns-list");
    if (!names.length) {
      list.replaceChildren(el("li", { className: "hint", text: "No metadata fields stored yet." }));
      return;
    }
    list.replaceChildren.apply(
      list,
      names.map(function (name) {
        var box = el("input", { type: "checkbox", value: name, dataset: { testid: "column-choice" } });
        box.checked = view.cols.indexOf(name) >= 0;
        box.addEventListener("change", function () {
          var at = view.cols.indexOf(name);
          if (box.checked && at < 0) view.cols.push(name);
          if (!box.checked && at >= 0) view.cols.splice(at, 1);
          changed();
        });
        return el("li", null, [el("label", { className: "column-choice" }, [box, " " + name])]);
      })
    );
  });
}

/* Tick the boxes of the view's columns (after the view changed without the picker: a saved search, Back). */
export function syncPicker() {
  $("columns-list").querySelectorAll("input[type=checkbox]").forEach(function (box) {
    box.checked = view.cols.indexOf(box.value) >= 0;
  });
}
