/* The words a query looks for (its free words and phrases, not its field terms or what it excludes), and a value
 * with those words marked (<mark>), as text nodes only. A free word matches the message, the service, the user id
 * and metadata strings, so it is marked in each; a `message:` word or phrase only in the message. A word is a run
 * of letters and digits, as the query language reads it; a term ending in * marks the words it starts. */

import { el } from "../dom.js";
import { filterOf } from "./stages.js";

var TOKEN = /"(?:[^"\\]|\\.)*"|[^\s()"]+/g;
var WORD = /[\p{L}\p{N}]+/gu;

export function searchedWords(q) {
  var words = [];
  var negate = false;
  (filterOf(q).match(TOKEN) || []).forEach(function (token) {
    if (token === "NOT" || token === "-") {
      negate = true;
      return;
    }
    if (token === "AND" || token === "OR") return;
    var excluded = negate || token.charAt(0) === "-";
    negate = false;
    var messageOnly = /^message:/i.test(token);
    if (messageOnly) token = token.slice("message:".length);
    if (excluded || /^[A-Za-z_][\w.-]*(:|[<>]=?)/.test(token)) return; // a field term, or excluded
    var prefix = token.charAt(token.length - 1) === "*";
    (token.match(WORD) || []).forEach(function (word, i, all) {
      words.push({ word: word.toLowerCase(), prefix: prefix && i === all.length - 1, messageOnly: messageOnly });
    });
  });
  return words;
}

/* The value's text with the searched words marked: a message's (inMessage) or another field's. */
export function marked(value, words, inMessage) {
  var text = String(value);
  if (inMessage === false) {
    words = words.filter(function (w) {
      return !w.messageOnly;
    });
  }
  if (!words.length) return [text];
  var nodes = [];
  var last = 0;
  text.replace(WORD, function (found, offset) {
    var lower = found.toLowerCase();
    var hit = words.some(function (w) {
      return w.prefix ? lower.indexOf(w.word) === 0 : lower === w.word;
    });
    if (hit) {
      if (offset > last) nodes.push(text.slice(last, offset));
      nodes.push(el("mark", { className: "hit", text: found }));
      last = offset + found.length;
    }
    return found;
  });
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}
