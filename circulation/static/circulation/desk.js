// The desk's scan field, for a USB barcode scanner: it types a code in a few milliseconds and
// presses Enter, and the librarian scans the next item at once. A page load per scan dropped or
// ran together the keys typed while it loaded, so with this script the page stays open: each
// Enter takes the field's code into a queue at once and empties the field (which keeps the
// focus and is never replaced, so the next code lands in it), and the queue sends the scans in
// the background, one at a time and in order, to the same URL as the form (JSON answers:
// circulation/views/desk.py). Each row of the list shows its scan, waiting, then what it did.
//
// Nothing scanned may be lost: the queue is kept in localStorage (per account and page) until
// the server has answered each scan, so a network drop, a reload or a closed tab leaves it to
// be sent later; each scan carries its own Idempotency-Key, kept with it, so that one sent again
// after an answer that never arrived gets the first answer instead of a second loan. Without
// JavaScript the forms post as they always did (progressive enhancement).
//
// A refused line's "Lend anyway" is queued like a scan (behind the scans still waiting, with a
// key of its own): its row leaves the list and comes back on top, waiting, then as the loan.
// "Renew the card" in the patron's box loads a page, so it waits until the queue is empty.
//
// A scan that starts while the focus is elsewhere on the page (on a button after a click, in a
// "Lend anyway" reason) goes to the scan field all the same: a key on a button or link moves
// the focus back to the field with it, and keys that come into another text field at a
// scanner's speed are taken out of it and into the field (see "Stray scans" below).
(function () {
  "use strict";

  var RETRY_MS = [500, 1000, 2000, 4000]; // waits between attempts while the server is away
  var TIMEOUT_MS = 20000; // no answer by then: taken as lost, and sent again with its key
  var UNREACHABLE = [502, 503, 504]; // a proxy's answer: the server itself is away

  var desk = null; // this page's queue, made at the first scan or when the page is ready

  // A browser without what the queue needs keeps the plain forms.
  var able =
    window.fetch && window.Promise && window.URLSearchParams && window.crypto &&
    window.crypto.getRandomValues && "content" in document.createElement("template") &&
    window.shelfmarkIdempotencyKey;
  if (!able) return;

  var newKey = window.shelfmarkIdempotencyKey; // shelfmark/idempotency-key.js, loaded before

  // The texts in the page's language, from the catalog at /jsi18n/ (base.html), which defines
  // gettext and ngettext. That script is deferred and this one is not (it must hear the first
  // scan), so the catalog comes after this script has run but before the page is ready, and no
  // text is needed before then. Should the catalog not load, the desk still works, in English.
  function gettext(text) {
    return window.gettext ? window.gettext(text) : text;
  }

  function ngettext(singular, plural, count) {
    if (window.ngettext) return window.ngettext(singular, plural, count);
    return count === 1 ? singular : plural;
  }

  // interpolate(format, {name: value}) with %(name)s placeholders, as Django's own.
  function interpolate(format, values) {
    return format.replace(/%\((\w+)\)s/g, function (match, name) {
      return String(values[name]);
    });
  }

  function fromHtml(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function cell(label, text) {
    var td = document.createElement("td");
    td.setAttribute("data-label", label);
    td.textContent = text;
    return td;
  }

  // --- The queue ---------------------------------------------------------------------------

  function Desk(form) {
    this.form = form;
    this.field = form.querySelector("input[type=text]");
    this.page = form.getAttribute("data-desk-scan"); // "checkout" or "checkin"
    this.storageKey = "shelfmark-desk:" + form.getAttribute("data-user") + ":" + this.page;
    // {key, action, code, body}; body is set when first sent, then never changed. A "Lend
    // anyway" (action "override") also has the patron, override (codes), reason and replaces
    // (the key of the refused line it was pressed on).
    this.scans = [];
    this.patron = null; // the patron the next scan is for (checkout), "" for none
    this.busy = false;
    this.failures = 0;
    this.timer = null;
    this.stopped = null; // sending stopped for good on this page (signed out): true, or why
    this.isReady = false;
    this.afterQueue = null; // a form to post once the queue is empty: {action, fields, what}
    this.load();
  }

  Desk.prototype.load = function () {
    var kept = null;
    try {
      kept = JSON.parse(window.localStorage.getItem(this.storageKey) || "null");
    } catch (error) {
      kept = null; // no storage (private mode, or off): the queue lives in the page only
    }
    if (kept && Array.isArray(kept.scans) && kept.scans.length) {
      this.scans = kept.scans;
      // The patron the first waiting scan was taken for; the page may have forgotten them (a
      // new session after signing in again).
      this.patron = typeof kept.patron === "string" ? kept.patron : null;
    }
  };

  Desk.prototype.save = function () {
    try {
      if (this.scans.length) {
        var kept = { patron: this.patron, scans: this.scans };
        window.localStorage.setItem(this.storageKey, JSON.stringify(kept));
      } else {
        window.localStorage.removeItem(this.storageKey);
      }
    } catch (error) {
      // Storage full or off: the page still holds the queue.
    }
  };

  Desk.prototype.add = function (action, code, more) {
    var scan = { key: newKey(), action: action, code: code, body: null };
    if (more) {
      Object.keys(more).forEach(function (name) { scan[name] = more[name]; });
    }
    this.scans.push(scan);
    this.save();
    if (this.isReady) {
      this.showRow(scan);
      this.showWaiting();
      this.pump();
    }
  };

  // The page is parsed: show the waiting scans and start sending.
  Desk.prototype.ready = function () {
    if (this.isReady) return;
    this.isReady = true;
    this.form.noValidate = true; // an empty Enter is ignored here, not a validation bubble
    var box = document.querySelector(".desk-patron");
    var shown = box ? box.getAttribute("data-patron") : "";
    if (this.patron === null) this.patron = shown;
    this.showPatronState();
    var self = this;
    this.scans.forEach(function (scan) { self.showRow(scan); });
    this.pump();
  };

  // An object of fields, or for a "Lend anyway" (one field repeated) a list of [name, value]
  // pairs; URLSearchParams takes either, and both keep in localStorage as JSON.
  Desk.prototype.bodyOf = function (scan) {
    if (scan.action === "override") {
      var pairs = [
        ["action", "override"],
        ["code", scan.code],
        ["patron", scan.patron],
        ["line", scan.replaces || ""],
        ["override_reason", scan.reason || ""],
      ];
      scan.override.forEach(function (code) { pairs.push(["override", code]); });
      return pairs;
    }
    var body = { action: scan.action };
    if (scan.action === "scan") body.code = scan.code;
    if (this.page === "checkout" && scan.action === "scan") body.patron = this.patron || "";
    return body;
  };

  Desk.prototype.pump = function () {
    if (!this.isReady || this.busy || this.timer || this.stopped || !this.scans.length) return;
    var scan = this.scans[0];
    if (!scan.body) {
      // Fixed from the first send on, and kept: a retry must be the very same request.
      scan.body = this.bodyOf(scan);
      this.save();
    }
    this.busy = true;
    var self = this;
    send(this.form, scan).then(
      function (outcome) {
        self.busy = false;
        self.settle(scan, outcome);
      },
      function () {
        self.busy = false;
        self.unreachable();
      }
    );
  };

  Desk.prototype.settle = function (scan, outcome) {
    if (outcome.kind === "away") return this.unreachable();
    if (outcome.kind === "again") return this.retryLater(); // a collision: send it again
    if (outcome.kind === "signed-out") return this.stop(outcome.message);
    this.failures = 0;
    this.scans.shift();
    if (outcome.kind === "answer") {
      var answer = outcome.answer;
      if (this.page === "checkout") this.patron = answer.patron ? String(answer.patron.id) : "";
      this.save();
      this.showAnswer(scan, answer);
    } else {
      this.save();
      this.showFailure(scan, outcome.message);
    }
    this.showWaiting();
    if (!this.scans.length && this.afterQueue) return this.postAfterQueue();
    this.pump();
  };

  Desk.prototype.unreachable = function () {
    this.failures += 1;
    this.showWaiting();
    this.retryLater();
  };

  Desk.prototype.retryLater = function () {
    var self = this;
    var wait = RETRY_MS[Math.min(this.failures, RETRY_MS.length) - 1] || RETRY_MS[0];
    this.timer = window.setTimeout(function () {
      self.timer = null;
      self.pump();
    }, wait);
  };

  // The network is back: no need to wait for the next attempt.
  Desk.prototype.wake = function () {
    if (!this.timer) return;
    window.clearTimeout(this.timer);
    this.timer = null;
    this.pump();
  };

  // "Renew the card" loads a page. The waiting scans would survive it (they are kept in
  // localStorage and the next page sends them), but they would then be sent after the renewal,
  // not in the order they were made, and a scanner typing while the page loads loses keys; so
  // while scans wait the post is held back and made, as the form would make it, once the
  // queue is empty. Held in the page only: after a reload, press it again.
  Desk.prototype.holdBack = function (form) {
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (element) {
      if (element.name) fields.push([element.name, element.value]);
    });
    this.afterQueue = {
      action: form.getAttribute("action"),
      fields: fields,
      what: form.getAttribute("data-desk-after-queue") || "", // "": "Sending the form"
    };
    if (this.isReady) this.showWaiting(); // else once the page is ready (its texts need it)
  };

  Desk.prototype.postAfterQueue = function () {
    var held = this.afterQueue;
    this.afterQueue = null;
    var form = document.createElement("form");
    form.method = "post";
    form.setAttribute("action", held.action);
    form.hidden = true;
    var token = this.token();
    held.fields.forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = pair[0];
      input.value = pair[0] === "csrfmiddlewaretoken" && token ? token : pair[1];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  };

  // The page's CSRF token: forms that came in an answer may carry an older one (an answer
  // kept from before the user signed in again is replayed as it was).
  Desk.prototype.token = function () {
    var input = this.form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };

  Desk.prototype.freshTokens = function (root) {
    var token = this.token();
    if (!root || !token) return;
    var inputs = root.querySelectorAll("input[name=csrfmiddlewaretoken]");
    Array.prototype.forEach.call(inputs, function (input) { input.value = token; });
  };

  Desk.prototype.stop = function (message) {
    this.stopped = message || true;
    this.showWaiting();
  };

  // --- Sending one scan ----------------------------------------------------------------------

  // Resolves to what the answer means for the queue; rejects when the server cannot be reached.
  function send(form, scan) {
    var controller = window.AbortController ? new AbortController() : null;
    var timeout = null;
    if (controller) timeout = window.setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    // Not form.action: the form's hidden input named "action" shadows that property.
    return fetch(form.getAttribute("action") || window.location.pathname, {
      method: "POST",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRFToken": token ? token.value : "",
        "Idempotency-Key": scan.key,
      },
      body: new URLSearchParams(scan.body).toString(),
      credentials: "same-origin",
      redirect: "manual", // a redirect here is the way to the sign-in page
      cache: "no-store",
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        if (timeout) window.clearTimeout(timeout);
        return outcomeOf(response);
      })
      .catch(function (error) {
        if (timeout) window.clearTimeout(timeout);
        throw error;
      });
  }

  function serverAnswered(status) {
    return interpolate(gettext("The server answered %(status)s."), { status: status });
  }

  function outcomeOf(response) {
    if (UNREACHABLE.indexOf(response.status) !== -1) return { kind: "away" };
    var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
    // Sent to sign in (a redirect, or 401), or refused (403: this account lacks the rights, or
    // the CSRF check failed because the user signed in again elsewhere): nothing was done, and
    // the scans wait for a new page.
    var signedOut = response.type === "opaqueredirect" || response.status === 401;
    if (signedOut || response.status === 403) {
      if (!json || signedOut) return { kind: "signed-out" };
      return response.json().then(function (data) {
        var error = data && data.error;
        var denied = error && error.code === "permission_denied";
        return { kind: "signed-out", message: denied ? error.message : null };
      });
    }
    if (!json) return { kind: "failed", message: serverAnswered(response.status) };
    return response.json().then(function (data) {
      var error = data && data.error;
      if (response.ok && !error) return { kind: "answer", answer: data };
      if (response.status === 409 && error && error.code === "concurrent_change") {
        return { kind: "again" };
      }
      var message = (error && error.message) || serverAnswered(response.status);
      return { kind: "failed", message: message };
    });
  }

  // --- What the page shows -------------------------------------------------------------------

  Desk.prototype.table = function () {
    return document.querySelector("table.lines");
  };

  Desk.prototype.rowOf = function (scan) {
    var rows = this.table().tBodies[0].rows;
    for (var i = 0; i < rows.length; i += 1) {
      if (rows[i].getAttribute("data-key") === scan.key) return rows[i];
    }
    return null;
  };

  // A row for a waiting scan, newest first; a scan the server has done already (the answer
  // was lost before a reload) keeps the row the page came with. A "Lend anyway" takes its
  // refused line's row away (the server's lines do the same), and its form with it.
  Desk.prototype.showRow = function (scan) {
    var table = this.table();
    table.hidden = false;
    if (this.rowOf(scan)) return;
    if (scan.replaces) this.withdraw(scan.replaces);
    var row = document.createElement("tr");
    row.className = "pending";
    row.setAttribute("data-key", scan.key);
    row.appendChild(cell(gettext("Barcode"), scan.action === "done" ? "—" : scan.code));
    row.appendChild(cell(gettext("Title"), "—"));
    var waiting = gettext("Waiting to be sent.");
    if (scan.action === "done") waiting = gettext("Next patron: waiting to be sent.");
    if (scan.action === "override") waiting = gettext("Lend anyway: waiting to be sent.");
    row.appendChild(cell(gettext("Result"), waiting));
    var body = table.tBodies[0];
    body.insertBefore(row, body.firstChild);
  };

  // The refused line with ``key``: its row, and its "Lend anyway" form wherever it is shown
  // (the newest line's box too), so that it cannot be pressed twice.
  Desk.prototype.withdraw = function (key) {
    var row = this.rowOf({ key: key });
    if (row) row.parentNode.removeChild(row);
    var forms = document.querySelectorAll("form[data-desk-override]");
    Array.prototype.forEach.call(forms, function (form) {
      var line = form.querySelector("input[name=line]");
      if (line && line.value === key) form.parentNode.removeChild(form);
    });
  };

  Desk.prototype.replaceRow = function (scan, row) {
    var old = this.rowOf(scan);
    if (old) old.parentNode.replaceChild(row, old);
    else this.table().tBodies[0].insertBefore(row, this.table().tBodies[0].firstChild);
  };

  Desk.prototype.showAnswer = function (scan, answer) {
    var row = fromHtml(answer.row_html);
    this.freshTokens(row);
    this.replaceRow(scan, row);
    var latest = document.querySelector(".desk-latest");
    if (latest) {
      latest.innerHTML = answer.latest_html;
      this.freshTokens(latest);
    }
    if (answer.hold_html) {
      var hold = document.querySelector(".desk-hold");
      if (hold) hold.innerHTML = answer.hold_html;
    }
    if (this.page === "checkout") {
      var box = document.querySelector(".desk-patron");
      if (box) {
        box.innerHTML = answer.patron_html || "";
        box.setAttribute("data-patron", this.patron);
        this.freshTokens(box);
      }
      this.showPatronState();
    }
  };

  Desk.prototype.showFailure = function (scan, message) {
    var row = document.createElement("tr");
    row.className = "refused";
    row.setAttribute("data-key", scan.key);
    row.appendChild(cell(gettext("Barcode"), scan.action === "done" ? "—" : scan.code));
    row.appendChild(cell(gettext("Title"), "—"));
    var failed = scan.action === "done"
      ? gettext("Not done: %(reason)s Press \"Next patron\" again.")
      : gettext("Not done: %(reason)s Scan it again.");
    row.appendChild(cell(gettext("Result"), interpolate(failed, { reason: message })));
    this.replaceRow(scan, row);
  };

  // Checkout has one field for cards and copies: say which the next scan is taken as.
  Desk.prototype.showPatronState = function () {
    if (this.page !== "checkout") return;
    var serving = Boolean(this.patron);
    var label = this.form.querySelector("label");
    var button = this.form.querySelector("button");
    var help = this.form.querySelector(".muted");
    if (label) label.textContent = serving ? gettext("Copy barcode") : gettext("Patron card");
    if (button) button.textContent = serving ? gettext("Check out") : gettext("Start");
    if (help) {
      help.textContent = serving
        ? gettext(
          "Scan each copy in turn; another patron's card switches to them. When the patron " +
          "is done, press \"Next patron\"."
        )
        : gettext("Scan the card, or type its number and press Enter.");
    }
    var next = document.querySelector("form[data-desk-next]");
    if (next) next.hidden = !serving;
  };

  Desk.prototype.showWaiting = function () {
    var note = document.querySelector(".desk-waiting"); // a live region from the page's start
    if (!note) return;
    var count = this.scans.length;
    note.textContent = "";
    if (this.stopped && count) {
      if (this.stopped !== true) note.appendChild(document.createTextNode(this.stopped + " "));
      // The sentence is translated whole; the link goes where its placeholder is.
      var sentence = ngettext(
        "%(sign_in)s to send the %(count)s waiting scan.",
        "%(sign_in)s to send the %(count)s waiting scans.",
        count
      ).split("%(sign_in)s");
      var link = document.createElement("a");
      link.href = this.form.getAttribute("data-sign-in") + "?next=" +
        encodeURIComponent(window.location.pathname);
      link.textContent = gettext("Sign in again");
      sentence.forEach(function (part, index) {
        if (index) note.appendChild(link);
        if (part) note.appendChild(document.createTextNode(interpolate(part, { count: count })));
      });
      note.hidden = false;
    } else if (this.failures && count) {
      note.textContent = interpolate(
        ngettext(
          "%(count)s scan waiting for the server — it will be sent when it answers.",
          "%(count)s scans waiting for the server — they will be sent when it answers.",
          count
        ),
        { count: count }
      );
      note.hidden = false;
    } else {
      note.hidden = true;
    }
    if (this.afterQueue && count && !this.stopped) {
      // "Renewing the card", from the form (data-desk-after-queue), in the page's language.
      var what = this.afterQueue.what || gettext("Sending the form");
      var after = interpolate(
        ngettext(
          "%(what)s once the %(count)s waiting scan is sent.",
          "%(what)s once the %(count)s waiting scans are sent.",
          count
        ),
        { what: what, count: count }
      );
      note.appendChild(document.createTextNode((note.hidden ? "" : " ") + after));
      note.hidden = false;
    }
  };

  // --- Wiring --------------------------------------------------------------------------------

  function scanForm() {
    return document.querySelector("form[data-desk-scan]");
  }

  function deskFor(form) {
    if (!desk) desk = new Desk(form);
    return desk;
  }

  // A refused line's "Lend anyway": queued behind the scans before it, like a scan, for the
  // patron the line was for; the focus goes back to the scan field for the next scan.
  function lendAnyway(form) {
    var current = deskFor(scanForm());
    function value(name) {
      var input = form.querySelector("[name=" + name + "]");
      return input ? input.value : "";
    }
    var codes = Array.prototype.map.call(
      form.querySelectorAll("input[name=override]"),
      function (input) { return input.value; }
    );
    current.add("override", value("barcode"), {
      patron: value("patron"),
      override: codes,
      reason: value("override_reason"),
      replaces: value("line"),
    });
    current.field.focus();
  }

  // --- Stray scans ---------------------------------------------------------------------------

  // A scanner types faster than this between keys. A fast typist's keys can come as close now
  // and then, but not three in a row: a scan is taken as one from its third fast key.
  var SCANNER_KEY_MS = 35;
  var SCANNER_FAST_KEYS = 2; // intervals below SCANNER_KEY_MS in a row
  var burst = null; // {field, before, last, fast}: keys coming into another text field

  function isPrintable(event) {
    return event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey;
  }

  function isTextField(element) {
    return element.tagName === "TEXTAREA" ||
      (element.tagName === "INPUT" && /^(text|search|)$/.test(element.type));
  }

  // Into the scan field: ``text`` so far, the rest of the scan follows there.
  function toScanField(text) {
    var current = deskFor(scanForm());
    current.field.focus();
    current.field.value += text;
  }

  document.addEventListener(
    "keydown",
    function (event) {
      var form = scanForm();
      var target = event.target;
      if (!form || target === form.querySelector("input[type=text]")) return;
      if (!isTextField(target)) {
        // A button, a link, the page itself: a letter means nothing there, and a scan's
        // Enter would press whatever has the focus. The scan goes to its field instead.
        if (isPrintable(event) && target.tagName !== "SELECT") {
          event.preventDefault();
          toScanField(event.key);
        }
        return;
      }
      // When the key was pressed, not when this runs: on a busy computer the page handles a
      // scan's keys late and bunched, but their times are the scanner's.
      var now = event.timeStamp;
      if (isPrintable(event)) {
        if (burst && burst.field === target && now - burst.last < SCANNER_KEY_MS) {
          burst.fast += 1;
          burst.last = now;
          if (burst.fast >= SCANNER_FAST_KEYS) {
            // A scanner: what it typed here so far goes to the scan field, the rest follows.
            event.preventDefault();
            var typed = target.value.slice(burst.before.length);
            target.value = burst.before;
            burst = null;
            toScanField(typed + event.key);
          }
          return;
        }
        burst = { field: target, before: target.value, last: now, fast: 0 };
      } else if (event.key !== "Shift") {
        burst = null;
      }
    },
    true
  );

  // Listened for on the document, from the moment the script runs: a scan finished before the
  // page is fully loaded is queued too.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (form.matches("form[data-desk-override]") && scanForm()) {
        lendAnyway(form);
        event.preventDefault(); // only once it is safely queued
        return;
      }
      if (form.matches("form[data-desk-after-queue]")) {
        if (!desk || !desk.scans.length) return; // nothing waits: the form posts as it is
        desk.holdBack(form);
        event.preventDefault();
        return;
      }
      var scanning = form.matches("form[data-desk-scan]");
      if (!scanning && !form.matches("form[data-desk-next]")) return;
      var current = deskFor(scanning ? form : scanForm());
      if (scanning) {
        var code = current.field.value;
        if (code.trim()) current.add("scan", code);
        current.field.value = ""; // at once: the next code's keys are on their way
      } else {
        current.add("done", "");
        current.field.focus(); // the next patron's card goes into the field
      }
      event.preventDefault(); // only once the scan is safely queued
    },
    true
  );

  function start() {
    var form = scanForm();
    if (form) deskFor(form).ready();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  window.addEventListener("online", function () {
    if (desk) desk.wake();
  });
})();
