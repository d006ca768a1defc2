// The API reference page (/docs): Swagger UI (static/vendor, from npm) renders this server's OpenAPI document.
//
// The log entry schema bounds metadata nesting with one schema per level (LogEntryMetadata2 ... N, N being
// ingest.max_metadata_depth), each referring to the next twice (object values and array items). Swagger UI resolves
// every reference of an operation when it opens: 2^15 copies for POST /api/logs, which froze the page for minutes.
// So the page shows the chain as one schema that refers to itself (Swagger UI stops at a circular reference) and
// says the depth in its description, and gives LogEntry the seed's entry as its example. Only what this page shows
// changes: the document at /openapi.json is served as it is, and the server enforces the depth.
// "Try it out" is offered for GET only: writes from a logged-in page would need the CSRF token Swagger UI does not
// send, and reading is what a reference page is for.
(function () {
  "use strict";
  var EXAMPLE_ENTRY = {
    timestamp: "2024-01-15T14:30:00+00:00",
    level: "ERROR",
    service: "auth-service",
    message: "Authentication failed",
    user_id: "user-5",
    metadata: { processing_time_ms: 142.5, request_id: "req-1234" },
  };
  var root = document.getElementById("swagger-ui");

  var LEVEL = /^LogEntryMetadata(\d+)$/;

  function foldMetadataLevels(schemas) {
    var levels = Object.keys(schemas).filter(function (name) {
      return LEVEL.test(name);
    });
    if (levels.length === 0) {
      return;
    }
    var first = "LogEntryMetadata" + Math.min.apply(null, levels.map(function (name) {
      return Number(LEVEL.exec(name)[1]);
    }));
    var deepest = levels.length + 1;
    var folded = JSON.parse(JSON.stringify(schemas[first]).split(/#\/components\/schemas\/LogEntryMetadata\d+/).join(
      "#/components/schemas/" + first));
    folded.description = "Any JSON value inside metadata. Objects and arrays nest at most " + deepest +
      " levels, metadata itself being level 1 (ingest.max_metadata_depth); this page shows the levels as one schema.";
    levels.forEach(function (name) {
      delete schemas[name];
    });
    schemas[first] = folded;
  }

  function render(document_) {
    var schemas = (document_.components && document_.components.schemas) || {};
    foldMetadataLevels(schemas);
    if (schemas.LogEntry && schemas.LogEntry.example === undefined) {
      schemas.LogEntry.example = EXAMPLE_ENTRY;
    }
    window.SwaggerUIBundle({
      spec: document_,
      domNode: root,
      validatorUrl: null,
      supportedSubmitMethods: ["get"],
    });
  }

  function fail(message) {
    root.textContent = "The API reference could not be loaded: " + message;
  }

  fetch(root.dataset.spec, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("GET " + root.dataset.spec + " answered " + response.status);
      }
      return response.json();
    })
    .then(render)
    .catch(function (error) {
      fail(error.message);
    });
})();
