/* An article page: tooltips on hover and on keyboard focus, and the legend as a filter. */
(function () {
  "use strict";
  var box = document.getElementById("tooltip");
  var shownFor = null;

  function target(node) {
    return node && node.closest ? node.closest("[data-tip]") : null;
  }

  function show(element) {
    var source = document.getElementById(element.getAttribute("data-tip"));
    if (!source) return;
    box.innerHTML = source.innerHTML;
    box.hidden = false;
    shownFor = element;
    var rect = element.getClientRects()[0] || element.getBoundingClientRect();
    var width = box.offsetWidth, height = box.offsetHeight;
    var left = Math.min(rect.left, document.documentElement.clientWidth - width - 8);
    var top = rect.bottom + 6;
    if (top + height > document.documentElement.clientHeight && rect.top - height - 6 > 0) top = rect.top - height - 6;
    box.style.left = Math.max(8, left) + window.scrollX + "px";
    box.style.top = top + window.scrollY + "px";
  }

  function hide() {
    box.hidden = true;
    shownFor = null;
  }

  document.addEventListener("mouseover", function (event) {
    var element = target(event.target);
    if (element && element !== shownFor) show(element);
    else if (!element && shownFor && shownFor !== document.activeElement) hide();
  });
  document.addEventListener("focusin", function (event) {
    var element = target(event.target);
    if (element) show(element); else hide();
  });
  document.addEventListener("focusout", hide);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") hide();
  });
  window.addEventListener("scroll", function () { if (shownFor) show(shownFor); }, { passive: true });

  // The legend: a technique's button shows only the sentences that have it; pressed again, all.
  var keys = document.querySelectorAll(".legend .key[data-t]");
  var sentences = document.querySelectorAll(".s");
  keys.forEach(function (key) {
    key.addEventListener("click", function () {
      var on = key.getAttribute("aria-pressed") !== "true";
      keys.forEach(function (other) { other.setAttribute("aria-pressed", "false"); });
      key.setAttribute("aria-pressed", on ? "true" : "false");
      var technique = key.getAttribute("data-t");
      sentences.forEach(function (sentence) {
        var has = (" " + (sentence.getAttribute("data-t") || "") + " ").indexOf(" " + technique + " ") >= 0;
        sentence.classList.toggle("dim", on && !has);
      });
    });
  });
})();
