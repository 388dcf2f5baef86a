// A new Idempotency-Key for a request a page's script may send again (shelfmark.idempotency):
// a UUID v4 from crypto.getRandomValues. crypto.randomUUID exists only in secure contexts, and a
// library's server is often reached over plain http on its own network. Loaded before the
// scripts that queue requests (circulation's desk.js, stocktake.js).
window.shelfmarkIdempotencyKey = function () {
  "use strict";
  var bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  var hex = Array.prototype.map
    .call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); })
    .join("");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)]
    .join("-");
};
