/* The query's parts as the server splits them: a filter, then stages each after a `|` outside a quoted phrase
 * (search/pipeline.py). A query with stages is answered by /api/stats, not by the entry search. */

export function splitStages(q) {
  var parts = [];
  var start = 0;
  var quoted = false;
  for (var i = 0; i < q.length; i += 1) {
    var c = q[i];
    if (quoted && c === "\\") {
      i += 1;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === "|" && !quoted) {
      parts.push(q.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(q.slice(start));
  return parts;
}

export function hasStages(q) {
  return splitStages(q).length > 1;
}

/* The filter part of a query (what the histogram counts). */
export function filterOf(q) {
  return splitStages(q)[0].trim();
}

/* JSON text -> value, with every "id" that a JavaScript number cannot hold exactly (ClickHouse's 64-bit entry ids
 * are above 2^53) kept as its digits: rounded, two entries would share one id (and the table shows one of them). */
export function parseJson(text) {
  return JSON.parse(text, function (key, value, context) {
    if (key === "id" && typeof value === "number" && !Number.isSafeInteger(value) && context && context.source) {
      return context.source;
    }
    return value;
  });
}

/* A request to the API with a deadline (`options` as fetch's, without its signal); resolves to {ok, status, data},
 * data being the JSON body (null when there is none). */
export function requestJson(url, options, timeoutMs) {
  var controller = new AbortController();
  var timer = window.setTimeout(function () {
    controller.abort();
  }, timeoutMs || 30000);
  return fetch(url, Object.assign({ cache: "no-store" }, options, { signal: controller.signal }))
    .then(function (response) {
      return response
        .text()
        .then(parseJson)
        .catch(function () {
          return null;
        })
        .then(function (data) {
          return { ok: response.ok, status: response.status, data: data };
        });
    })
    .finally(function () {
      window.clearTimeout(timer);
    });
}

/* GET an API path with a deadline; resolves to {ok, status, data}. */
export function getJson(url, timeoutMs) {
  return requestJson(url, { headers: { Accept: "application/json" } }, timeoutMs);
}

/* Colours from the stylesheet (dark mode changes them too). */
export function cssVar(name) {
  return window.getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
