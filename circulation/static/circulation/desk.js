// The desk's scan forms, for a barcode scanner that types faster than pages load. Keys typed
// while a scan is being sent, or before the next page is ready, are kept (sessionStorage) and
// replayed into that page's scan field, so no scan is lost or run into the next one. Without
// this script the forms work the same, one scan at a time (progressive enhancement).
(function () {
  "use strict";
  var KEY = "shelfmark-desk-scans";
  var buffering = true; // until this page's scan field is ready

  function pending() {
    return sessionStorage.getItem(KEY) || "";
  }

  function keep(text) {
    sessionStorage.setItem(KEY, pending() + text);
  }

  document.addEventListener(
    "keydown",
    function (event) {
      if (!buffering || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "Enter") keep("\n");
      else if (event.key.length === 1) keep(event.key);
      else return;
      event.preventDefault();
    },
    true
  );

  document.addEventListener("DOMContentLoaded", function () {
    var field = document.querySelector(".scan-form input[autofocus]");
    var typed = pending().replace(/^\n+/, ""); // empty scans are dropped
    sessionStorage.removeItem(KEY);
    if (!field) {
      buffering = false;
      return;
    }
    field.form.addEventListener("submit", function () {
      buffering = true;
    });
    var end = typed.indexOf("\n");
    field.focus();
    if (end === -1) {
      field.value += typed; // a scan still being typed: the rest follows as usual
      buffering = false;
      return;
    }
    field.value += typed.slice(0, end);
    sessionStorage.setItem(KEY, typed.slice(end + 1)); // for the page this scan leads to
    field.form.requestSubmit();
  });
})();
