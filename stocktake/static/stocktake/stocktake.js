// The stocktake's scan form, kept for a USB scanner (stocktake/views.py): each Enter queues the
// code at once (the field clears and keeps the focus), and the queue sends the scans one at a
// time, in order, to the form's own URL as JSON requests, each with an Idempotency-Key of its
// own. The queue lives in localStorage (per account and stocktake) until each scan is answered,
// so a dropped network, a reload or a closed tab loses nothing; a scan sent again keeps its
// key, and the server replays its answer instead of counting it twice.
(function () {
  "use strict";
  const form = document.getElementById("scan-form");
  if (!form || !window.fetch || !window.localStorage || !window.crypto || !window.shelfmarkIdempotencyKey) {
    return; // the form posts as a plain page
  }
  const field = form.querySelector("input[name=barcode]");
  const status = document.getElementById("queue-status");
  const rows = document.querySelector("#scans tbody");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const storeKey = "shelfmark.stocktake." + form.dataset.user + "." + form.dataset.stocktake;
  const RETRY_MS = [500, 1000, 2000, 5000];
  let queue = load();
  let sending = false;
  let failures = 0;
  let stopped = false;

  function load() {
    try {
      const kept = JSON.parse(window.localStorage.getItem(storeKey) || "[]");
      return Array.isArray(kept) ? kept : [];
    } catch (error) {
      return [];
    }
  }

  function save() {
    window.localStorage.setItem(storeKey, JSON.stringify(queue));
  }

  function waiting(format) {
    // format: ngettext's texts for one scan and for several, with %(count)s
    return interpolate(format, { count: queue.length }, true);
  }

  function showStatus(text) {
    status.textContent =
      text ||
      (queue.length
        ? waiting(ngettext("%(count)s scan waiting to be sent…", "%(count)s scans waiting to be sent…", queue.length))
        : "");
  }

  function addRow(code, found, what, surprise) {
    const row = document.createElement("tr");
    if (surprise) {
      row.className = "surprise";
    }
    [
      [gettext("Barcode"), code, "code"],
      [pgettext("what a scan found", "Found"), found, "found"],
      [gettext("What it says"), what, ""],
    ].forEach(function (cell) {
      const td = document.createElement("td");
      td.dataset.label = cell[0];
      if (cell[2] === "code") {
        td.className = cell[2];
      }
      if (surprise && cell[2] === "found") {
        const strong = document.createElement("strong");
        strong.textContent = cell[1];
        td.appendChild(strong);
      } else {
        td.textContent = cell[1];
      }
      row.appendChild(td);
    });
    rows.insertBefore(row, rows.firstChild);
  }

  function setCount(id, value) {
    const element = document.getElementById(id);
    if (element && value !== undefined) {
      // As the page writes its counts: with the language's thousands separator.
      element.textContent = Number(value).toLocaleString(document.documentElement.lang || undefined);
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const code = field.value.trim();
    field.value = "";
    field.focus();
    if (!code) {
      return;
    }
    queue.push({ code: code, key: window.shelfmarkIdempotencyKey() });
    save();
    showStatus();
    send();
  });

  async function send() {
    if (sending || stopped) {
      return;
    }
    sending = true;
    try {
      while (queue.length) {
        const scan = queue[0];
        let response;
        try {
          response = await fetch(form.action, {
            method: "POST",
            credentials: "same-origin",
            redirect: "manual",
            headers: {
              Accept: "application/json",
              "X-CSRFToken": csrf,
              "Idempotency-Key": scan.key,
            },
            body: new URLSearchParams({ barcode: scan.code }),
          });
        } catch (error) {
          response = null; // no answer: the network is down
        }
        if (!response || (response.type !== "opaqueredirect" && [0, 502, 503, 504].includes(response.status))) {
          retryLater();
          return;
        }
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          stopped = true;
          status.textContent = "";
          const link = document.createElement("a");
          link.href = "/account/sign-in/?next=" + encodeURIComponent(window.location.pathname);
          // One sentence, split where the link goes: "%(link)s" marks its place.
          link.textContent = gettext("Sign in again");
          const sentence = interpolate(
            ngettext(
              "Your session ended: %(count)s scan waits here. %(link)s to send it.",
              "Your session ended: %(count)s scans wait here. %(link)s to send them.",
              queue.length
            ),
            { count: queue.length, link: "%(link)s" },
            true
          );
          const parts = sentence.split("%(link)s");
          status.append(parts[0], link, parts.slice(1).join(""));
          return;
        }
        failures = 0;
        let answer = {};
        try {
          answer = await response.json();
        } catch (error) {
          answer = {};
        }
        if (response.ok) {
          addRow(scan.code, answer.outcome_label, answer.message, answer.surprise);
          const counts = answer.counts || {};
          setCount("count-seen", counts.seen);
          setCount("count-surprises", counts.surprises);
        } else {
          const message = answer.error ? answer.error.message : gettext("The server refused this scan.");
          addRow(scan.code, gettext("Not counted"), message, true);
        }
        queue.shift();
        save();
        showStatus();
      }
    } finally {
      sending = false;
    }
  }

  function retryLater() {
    sending = false;
    const wait = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
    failures += 1;
    showStatus(
      waiting(
        ngettext(
          "%(count)s scan waiting: the server cannot be reached, trying again…",
          "%(count)s scans waiting: the server cannot be reached, trying again…",
          queue.length
        )
      )
    );
    window.setTimeout(send, wait);
  }

  window.addEventListener("online", send);
  showStatus();
  send();
})();
