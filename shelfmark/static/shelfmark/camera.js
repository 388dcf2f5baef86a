// Scanning with the device's camera, for every field marked data-camera (the desk's scan
// fields, Add by ISBN, the stocktake, the catalog search, the labels' list of barcodes): a
// "Scan with camera" button beside it opens the camera and reads the first barcode it sees,
// which goes into the field as a scanner would type it (and the form is sent, as a scanner's
// Enter sends it; into a list, it is added as a line).
//
// The browser's own BarcodeDetector reads it where there is one (Chrome on Android, macOS and
// ChromeOS); elsewhere ZXing (@zxing/library, served by the site itself: see
// vendor/zxing-library-*/VENDORED.md) is loaded when the button is first pressed. Browsers
// give pages the camera only over https, or on the computer itself (localhost): elsewhere no
// button is shown.
(function () {
  "use strict";
  var script = document.currentScript;
  var decoderUrl = script && script.dataset.zxing;
  var FORMATS = ["code_128", "code_39", "ean_13", "ean_8", "upc_a", "upc_e", "itf", "codabar"];
  var FRAME_MS = 120;

  function ready(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback);
    } else {
      callback();
    }
  }

  ready(function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.isSecureContext) {
      return;
    }
    document.querySelectorAll("[data-camera]").forEach(function (field) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary camera-button";
      // Named by its text alone: a name holding the field's label would make the label name
      // two things (assistive technology, and scripts, find the field by its label).
      button.textContent = gettext("Scan with camera");
      button.addEventListener("click", function () {
        scan(field, button);
      });
      field.insertAdjacentElement("afterend", button);
    });
  });

  function loadDecoder() {
    if (window.ZXing) {
      return Promise.resolve(window.ZXing);
    }
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = decoderUrl;
      tag.onload = function () {
        resolve(window.ZXing);
      };
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
  }

  // A function that reads a barcode from the video's current frame (its text, or null).
  function detector(video) {
    if ("BarcodeDetector" in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (supported) {
        var formats = FORMATS.filter(function (format) {
          return supported.indexOf(format) >= 0;
        });
        if (!formats.length) {
          return zxingDetector(video);
        }
        var native = new window.BarcodeDetector({ formats: formats });
        return function () {
          return native.detect(video).then(function (found) {
            return found.length ? found[0].rawValue : null;
          });
        };
      });
    }
    return zxingDetector(video);
  }

  function zxingDetector(video) {
    return loadDecoder().then(function (ZXing) {
      var hints = new Map();
      var B = ZXing.BarcodeFormat;
      hints.set(ZXing.DecodeHintType.POSSIBLE_FORMATS, [
        B.CODE_128, B.CODE_39, B.EAN_13, B.EAN_8, B.UPC_A, B.UPC_E, B.ITF, B.CODABAR,
      ]);
      hints.set(ZXing.DecodeHintType.TRY_HARDER, true);
      var reader = new ZXing.MultiFormatReader();
      reader.setHints(hints);
      var canvas = document.createElement("canvas");
      return function () {
        if (!video.videoWidth) {
          return Promise.resolve(null);
        }
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        canvas.getContext("2d", { willReadFrequently: true }).drawImage(video, 0, 0);
        try {
          var source = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
          var bitmap = new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(source));
          return Promise.resolve(reader.decode(bitmap).getText());
        } catch (error) {
          return Promise.resolve(null); // nothing readable in this frame
        } finally {
          reader.reset();
        }
      };
    });
  }

  function scan(field, button) {
    var dialog = document.createElement("dialog");
    dialog.className = "camera-dialog";
    dialog.setAttribute("aria-label", gettext("Scan with camera"));
    var video = document.createElement("video");
    video.muted = true;
    video.setAttribute("playsinline", "");
    var status = document.createElement("p");
    status.setAttribute("role", "status");
    status.textContent = gettext("Starting the camera…");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "secondary";
    close.textContent = pgettext("camera dialog", "Close");
    dialog.append(video, status, close);
    document.body.appendChild(dialog);
    var stream = null;
    var done = false;

    function finish(code) {
      if (done) {
        return;
      }
      done = true;
      if (stream) {
        stream.getTracks().forEach(function (track) {
          track.stop();
        });
      }
      dialog.close();
      dialog.remove();
      if (code === null) {
        button.focus();
        return;
      }
      if (field.tagName === "TEXTAREA") {
        field.value = field.value && !/\n$/.test(field.value) ? field.value + "\n" + code + "\n" : field.value + code + "\n";
        field.focus();
        return;
      }
      field.value = code;
      field.focus();
      if (field.form) {
        field.form.requestSubmit();
      }
    }

    close.addEventListener("click", function () {
      finish(null);
    });
    dialog.addEventListener("cancel", function () {
      finish(null);
    });
    dialog.showModal();

    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then(function (got) {
        stream = got;
        video.srcObject = stream;
        return video.play();
      })
      .then(function () {
        status.textContent = gettext("Hold the barcode in front of the camera.");
        return detector(video);
      })
      .then(function (read) {
        function next() {
          if (done) {
            return;
          }
          read().then(function (code) {
            if (code) {
              finish(code);
            } else {
              window.setTimeout(next, FRAME_MS);
            }
          });
        }
        next();
      })
      .catch(function (error) {
        status.textContent =
          error && error.name === "NotAllowedError"
            ? gettext("The camera may not be used: allow it in the browser's settings for this site.")
            : gettext("No camera could be started here.");
      });
  }
})();
