// "Select all" for the queue's bulk actions: ticks or clears every case box on the page.
(function () {
  document.querySelectorAll("[data-select-all]").forEach(function (master) {
    var boxes = function () {
      return document.querySelectorAll('input[type=checkbox][name="' + master.dataset.selectAll + '"]');
    };
    master.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = master.checked; });
    });
    document.addEventListener("change", function (event) {
      if (event.target.name !== master.dataset.selectAll) { return; }
      var all = Array.prototype.every.call(boxes(), function (box) { return box.checked; });
      var some = Array.prototype.some.call(boxes(), function (box) { return box.checked; });
      master.checked = all;
      master.indeterminate = some && !all;
    });
  });
})();
