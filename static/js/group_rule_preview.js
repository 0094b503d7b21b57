/*
 * Live preview of a rule-based group's rule on the group page.
 *
 * Whenever the rule (the editor's hidden field, or the flat rows) changes, POSTs the group form to the preview
 * endpoint and shows how many people match and how many would join or
 * leave, with a sample of names. Shown only while the kind is "Rule-based".
 */
(function () {
  "use strict";

  var box = document.getElementById("rule-live-preview");
  var form = document.getElementById("group_form");
  if (!box || !form || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-preview-url");
  var summary = document.getElementById("rule-live-summary");
  var sample = document.getElementById("rule-live-sample");
  var kind = form.querySelector("[name=kind]");
  var timer = null;
  var sequence = 0;

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  function show(data) {
    sample.textContent = "";
    if (data.error) {
      summary.textContent = data.error;
      return;
    }
    summary.textContent =
      plural(data.matching, "person matches", "people match") +
      " (" + data.rule + "): " + data.joining + " would join, " +
      data.leaving + " would leave.";
    data.joining_sample.forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = "Joins: " + p.name + " <" + p.email + ">";
      sample.appendChild(li);
    });
    data.leaving_sample.forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = "Leaves: " + p.name + " <" + p.email + ">";
      sample.appendChild(li);
    });
  }

  function refresh() {
    var isRule = kind && kind.value === "rule";
    box.hidden = !isRule;
    if (!isRule) {
      return;
    }
    var mine = ++sequence;
    fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (mine === sequence) {
          show(data);
          // The rule editor shows a problem next to the condition concerned.
          document.dispatchEvent(new CustomEvent("rule-preview", { detail: data }));
        }
      })
      .catch(function () {
        summary.textContent = "The preview is unavailable; saving still works.";
      });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 300);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  refresh();
})();
