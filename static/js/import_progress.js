/*
 * Live progress of a spreadsheet import.
 *
 * Polls the import's JSON progress endpoint once a second with fetch and
 * updates the page in place. While a preview is being prepared
 * (data-mode="plan"), the rows read so far are shown and the page is
 * loaded once more when the preview is ready (or could not be made); while applying (data-mode="apply"), the bar and the result summary
 * are filled in without reloading. Polling stops when the import finishes.
 */
(function () {
  "use strict";

  var INTERVAL_MS = 1000;
  var root = document.getElementById("import-progress");
  if (!root || !window.fetch) {
    return;
  }
  var url = root.getAttribute("data-progress-url");
  var mode = root.getAttribute("data-mode");
  var statusEl = document.getElementById("import-status");
  var counterEl = document.getElementById("import-counter");
  var bar = document.getElementById("import-bar");
  var track = document.getElementById("import-bar-track");
  var result = document.getElementById("import-result");
  var stopped = false;

  function formatNumber(n) {
    return Number(n || 0).toLocaleString();
  }

  function setText(el, text) {
    if (el) {
      el.textContent = text;
    }
  }

  function showProgress(data) {
    setText(statusEl, data.status_label);
    if (bar) {
      bar.style.width = data.percent + "%";
    }
    if (track) {
      track.setAttribute("aria-valuenow", String(data.percent));
    }
    if (data.total && data.phase === "applying") {
      setText(counterEl, " · " + formatNumber(data.processed) + " of " + formatNumber(data.total) + " changes written");
    } else if (data.processed && data.phase === "planning") {
      setText(counterEl, " · " + formatNumber(data.processed) + " rows read");
    }
  }

  function showResult(data) {
    if (!result) {
      return;
    }
    var message = document.getElementById("import-result-message");
    if (data.phase === "done") {
      setText(message, "The import is done" + (data.duration != null ? " (" + data.duration.toFixed(1) + " s)." : "."));
    } else {
      setText(message, "The import was not applied: " + (data.error_message || "something went wrong."));
    }
    var counts = result.querySelectorAll("[data-count]");
    for (var i = 0; i < counts.length; i++) {
      var key = counts[i].getAttribute("data-count");
      setText(counts[i], formatNumber(data.counts[key]));
    }
    setText(document.getElementById("import-invite-note"), data.invite_note || "");
    result.hidden = false;
    setText(counterEl, "");
  }

  function finish(data) {
    stopped = true;
    root.setAttribute("data-finished", data.phase);
    if (mode === "plan") {
      // The preview (or the reason there is none) is rendered by the server.
      window.location.reload();
      return;
    }
    showResult(data);
  }

  function poll() {
    if (stopped) {
      return;
    }
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        showProgress(data);
        if (data.finished) {
          finish(data);
        } else {
          window.setTimeout(poll, INTERVAL_MS);
        }
      })
      .catch(function () {
        // A dropped request or a restarting server: try again shortly.
        window.setTimeout(poll, INTERVAL_MS);
      });
  }

  poll();
})();
