// An import's page while it is queued or running: asks the JSON progress endpoint every few
// seconds and moves the bar and the counts, then reloads the page when the run is finished (or
// stalled) to show the summary. Without this script a <noscript> refresh reloads the page
// instead (progressive enhancement); the CSP allows no inline script, hence this file. Its texts
// and numbers are in the page's language (gettext and interpolate from the JS catalog, loaded
// first by base.html; numbers grouped as the page's <html lang> groups them).
(function () {
  "use strict";
  var EVERY_MS = 2000;
  var LANGUAGE = document.documentElement.lang || undefined;

  function text(section, field, value) {
    var element = section.querySelector('[data-field="' + field + '"]');
    if (element) element.textContent = value;
  }

  function poll(section) {
    fetch(section.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (run) {
        if (run.finished || run.stalled || run.status !== section.dataset.status) {
          window.location.reload();
          return;
        }
        var bar = section.querySelector("progress");
        if (bar && run.percent !== null) {
          bar.value = run.percent;
          text(section, "percent", interpolate(gettext("%(percent)s of the file read"), { percent: run.percent + "%" }, true));
        }
        ["records", "created", "updated", "skipped", "failed"].forEach(function (field) {
          text(section, field, run[field].toLocaleString(LANGUAGE));
        });
        window.setTimeout(function () { poll(section); }, EVERY_MS);
      })
      .catch(function () {
        // The server is restarting, or the connection dropped: try again, more slowly.
        window.setTimeout(function () { poll(section); }, EVERY_MS * 5);
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.getElementById("import-progress");
    if (section) window.setTimeout(function () { poll(section); }, EVERY_MS);
  });
})();
