// The progress of a release import, updated in place while it runs. The
// page refreshes itself without this script (a <noscript> refresh); with
// it, the numbers move smoothly and the page reloads once the step ends.
(function () {
  "use strict";
  var page = document.querySelector(".release-job");
  if (!page) { return; }
  var url = page.getAttribute("data-status-url");
  var state = page.getAttribute("data-state");
  var fields = {
    rows_read: "rows-read", rows_invalid: "rows-invalid", rows_new: "rows-new",
    rows_changed: "rows-changed", rows_unchanged: "rows-unchanged"
  };

  function show(status) {
    var bar = document.getElementById("job-progress");
    if (bar) { bar.value = status.percent; }
    var percent = document.getElementById("job-percent");
    if (percent) { percent.textContent = status.percent + " %"; }
    Object.keys(fields).forEach(function (key) {
      var cell = document.getElementById(fields[key]);
      if (cell) { cell.textContent = status[key]; }
    });
    document.getElementById("job-state").textContent = status.state_label;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        show(status);
        if (status.state !== state) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
