// Live regions (README "Live pages"). An element with an id and data-live-poll asks that URL,
// every data-live-every seconds while the tab is visible, whether anything changed since its
// data-live-mark. 204: nothing did. 200: the region is refreshed, picked by its id out of
// data-live-refresh (the page's own URL, or "self" for it; data-live-also names more regions
// to take along), or else replaced by the answer itself. The new region carries its new mark.
// The boxes ticked in the region are ticked again, and a region holding the focus in a text
// field waits until it is left, so a refresh never loses a selection or half-typed text.
// Signed out or refused: it stops.
(function () {
  "use strict";
  var TEXT = "input:not([type=checkbox]):not([type=radio]):not([type=submit]):not([type=button])," +
    " textarea, select, [contenteditable]";
  var timers = {};
  var kept = {};  // region id -> ids of the boxes ticked when its refresh was swapped in

  function regions() {
    return Array.prototype.filter.call(document.querySelectorAll("[data-live-poll]"), function (el) {
      return el.id;
    });
  }

  function seconds(region) {
    return Math.max(1, Number(region.dataset.liveEvery) || 15);
  }

  function typingIn(region) {
    var active = document.activeElement;
    return !!active && region.contains(active) && active.matches(TEXT);
  }

  function ticked(region) {
    return Array.prototype.map.call(
      region.querySelectorAll("input[type=checkbox][id]:checked"),
      function (box) { return box.id; }
    );
  }

  function tickAgain(id, boxIds) {
    var region = document.getElementById(id);
    if (!region) { return; }
    boxIds.forEach(function (boxId) {
      var box = document.getElementById(boxId);
      if (box && region.contains(box)) { box.checked = true; }
    });
    // The page's own scripts (the queue's "select all") recount the ticks on a change.
    var first = region.querySelector("input[type=checkbox]");
    if (first) { first.dispatchEvent(new Event("change", { bubbles: true })); }
  }

  function refresh(region, answer) {
    var id = region.id;
    if (!region.dataset.liveRefresh) {
      var keep = ticked(region);
      htmx.swap(region, answer, { swapStyle: "outerHTML" });
      tickAgain(id, keep);
      return Promise.resolve();
    }
    // "self": the page's own address as the browser has it (the page need not echo its query).
    var source = region.dataset.liveRefresh === "self" ?
      window.location.href : region.dataset.liveRefresh;
    return htmx.ajax("GET", source, {
      target: "#" + id,
      select: "#" + id,
      selectOOB: region.dataset.liveAlso || undefined,
      swap: "outerHTML"
    }).then(function () {
      if (kept[id]) { tickAgain(id, kept[id]); }
      delete kept[id];
    });
  }

  function schedule(id, wait) {
    clearTimeout(timers[id]);
    timers[id] = setTimeout(function () { poll(id); }, wait * 1000);
  }

  function poll(id) {
    var region = document.getElementById(id);
    clearTimeout(timers[id]);  // one chain of polls a region, however it was started
    delete timers[id];
    if (!region || document.hidden) { return; }  // visibilitychange starts it again
    var every = seconds(region);
    if (typingIn(region)) { schedule(id, every); return; }
    var url = new URL(region.dataset.livePoll, window.location.href);
    url.searchParams.set("mark", region.dataset.liveMark || "");
    fetch(url, { credentials: "same-origin", redirect: "manual", cache: "no-store" })
      .then(function (response) {
        if (response.status === 204) { return every; }
        if (response.status >= 500) { return every * 4; }  // the server is in trouble: ease off
        if (response.status !== 200) { return null; }  // signed out (a redirect) or refused
        return response.text().then(function (answer) {
          return refresh(region, answer).then(function () { return every; });
        });
      })
      .catch(function () { return every * 4; })  // offline: try again later
      .then(function (wait) { if (wait !== null) { schedule(id, wait); } });
  }

  // A refresh from the page's URL: keep the boxes ticked just before the swap (ticked while the
  // answer was on its way included), and keep the region as it is if a text field in it has
  // the focus by then (its mark stays, so the next poll tries again).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.id || !target.dataset.liveRefresh) { return; }
    if (typingIn(target)) { event.detail.shouldSwap = false; return; }
    kept[target.id] = ticked(target);
  });

  document.addEventListener("visibilitychange", function () {
    regions().forEach(function (region) {
      if (document.hidden) {
        clearTimeout(timers[region.id]);
        delete timers[region.id];
      } else {
        poll(region.id);  // back on the tab: look now, then every interval
      }
    });
  });

  regions().forEach(function (region) { schedule(region.id, seconds(region)); });
})();
