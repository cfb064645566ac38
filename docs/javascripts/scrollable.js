// A region that scrolls (a notebook cell's code or output, a wide table) takes
// keyboard focus, so a reader without a mouse can reach and scroll its hidden
// part with the arrow keys (WCAG 2.1.1; axe-core's scrollable-region-focusable).
// Material already does this for its own code blocks.
(function () {
  "use strict";

  function scrolls(element) {
    if (
      element.scrollWidth <= element.clientWidth &&
      element.scrollHeight <= element.clientHeight
    ) {
      return false;
    }
    const style = getComputedStyle(element);
    return /auto|scroll/.test(style.overflowX + " " + style.overflowY);
  }

  function makeScrollingRegionsFocusable() {
    const candidates = document.querySelectorAll(".md-content :is(div, pre, table)");
    for (const element of candidates) {
      if (!element.hasAttribute("tabindex") && scrolls(element)) {
        element.setAttribute("tabindex", "0");
      }
    }
  }

  let pending = null;
  function soon() {
    clearTimeout(pending);
    pending = setTimeout(makeScrollingRegionsFocusable, 100);
  }

  makeScrollingRegionsFocusable();
  window.addEventListener("load", makeScrollingRegionsFocusable);
  window.addEventListener("resize", soon);
  if (typeof document$ !== "undefined") {
    document$.subscribe(makeScrollingRegionsFocusable); // instant navigation
  }
})();
