/* Behaviour of the platform's pages. No inline scripts anywhere: a strict CSP will forbid them. */
(function () {
  "use strict";

  // Tree browser: a [data-tree-toggle] button shows or hides the list named by aria-controls.
  // htmx fills that list on the first click (hx-trigger="click once"); later clicks only toggle.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-tree-toggle]");
    if (!button) return;
    var list = document.getElementById(button.getAttribute("aria-controls"));
    if (!list) return;
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    list.hidden = !open;
  });

  // On a narrow screen the unit's navigation is one line that scrolls sideways (mttq.css): bring
  // the current page's link into view, without moving the page itself (it may open at an anchor).
  var nav = document.querySelector(".unit-nav");
  var current = nav && nav.querySelector("[aria-current='page']");
  if (current && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = Math.max(0, current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2);
  }

  // A failed partial load says so in place instead of spinning forever.
  document.addEventListener("htmx:responseError", function (event) {
    var target = event.detail.target;
    if (target) {
      target.textContent = "";
      var item = document.createElement("li");
      item.className = "error";
      item.textContent = document.documentElement.lang === "en" ? "Could not load." : "Không tải được.";
      target.appendChild(item);
    }
  });
})();
