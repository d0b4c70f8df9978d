// After a refused submit, move focus to the error summary so screen readers announce it.
(function () {
  var summary = document.getElementById("raise-errors");
  if (summary) { summary.focus(); }
})();
