// "Add another action": copy the formset's empty form, numbered, and count it in TOTAL_FORMS.
(function () {
  "use strict";
  var button = document.getElementById("add-action");
  var template = document.getElementById("action-row-template");
  var rows = document.getElementById("action-rows");
  var total = document.getElementById("id_actions-TOTAL_FORMS");
  if (!button || !template || !rows || !total) return;
  button.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var added = rows.lastElementChild.querySelector("textarea");
    if (added) added.focus();
  });
})();
