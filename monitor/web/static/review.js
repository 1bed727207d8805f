// The review queue's keys (/staff/review): 1-9 and 0 choose a tag, y and n answer it (the
// tag's own Yes or No button is pressed: a real form POST), s skips the call, j goes to the
// next one. Keys are ignored while typing in a field or with a modifier held, and can be
// turned off (WCAG 2.1.4); the choice is kept in this browser. Everything works without this
// file: every answer is a button in a form, every move a link.
(function () {
  "use strict";
  if (window.fundingMonitorReview) {  // loaded again by a boosted navigation: set up the page
    window.fundingMonitorReview.setUp();
    return;
  }
  var STORE = "funding-monitor-review-keys";
  var chosen = 0;

  function on() {
    try { return window.localStorage.getItem(STORE) !== "off"; } catch (e) { return true; }
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#review [data-tag-row]"));
  }

  function choose(index, focus) {
    var all = rows();
    if (!all.length) { return; }
    chosen = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) { row.classList.toggle("chosen", i === chosen); });
    if (focus) {
      var button = all[chosen].querySelector("button[data-answer='yes']");
      if (button) { button.focus(); }
      all[chosen].scrollIntoView({ block: "nearest" });
    }
  }

  function show() {
    var keys = document.getElementById("review-keys");
    var toggle = document.getElementById("review-keys-toggle");
    if (!keys || !toggle) { return; }
    keys.hidden = false;
    document.documentElement.classList.toggle("review-keys-on", on());
    toggle.textContent = on() ? toggle.dataset.on : toggle.dataset.off;
    toggle.setAttribute("aria-pressed", on() ? "true" : "false");
  }

  function setUp() {
    if (!document.getElementById("review")) { return; }
    show();
    var all = rows();
    var first = all.findIndex(function (row) { return !row.dataset.judged; });
    choose(first < 0 ? 0 : first, false);
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("#review-keys-toggle");
    if (!toggle) { return; }
    try { window.localStorage.setItem(STORE, on() ? "off" : "on"); } catch (e) { /* kept for now */ }
    show();
  });

  document.addEventListener("focusin", function (event) {  // Tab into a tag: it is the chosen one
    var row = event.target.closest && event.target.closest("#review [data-tag-row]");
    if (row) { choose(rows().indexOf(row), false); }
  });

  document.addEventListener("keydown", function (event) {
    if (!document.getElementById("review") || !on()) { return; }
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) { return; }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return;
    }
    var key = event.key;
    var all = rows();
    var button = null;
    if (/^[0-9]$/.test(key)) {
      var index = key === "0" ? 9 : Number(key) - 1;
      if (index < all.length) { choose(index, true); event.preventDefault(); }
      return;
    }
    if (key === "y" || key === "n") {
      if (!all.length) { return; }
      button = all[chosen].querySelector("button[data-answer='" + (key === "y" ? "yes" : "no") + "']");
    } else if (key === "s" || key === "j") {
      button = document.querySelector("#review [data-key='" + key + "']");
    }
    if (button) {
      event.preventDefault();
      button.click();
    }
  });

  window.fundingMonitorReview = { setUp: setUp };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
