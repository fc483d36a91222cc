// Accessibility fixes over Django's stock admin markup (axe-core, issue 14 §4).
(function () {
  "use strict";

  function fix(root) {
    // SelectFilter2.js labels its search icon with aria-label on a plain span (aria-prohibited-attr):
    // give the span the role of an image so that the label is allowed and read.
    root.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach((span) => {
      span.setAttribute("role", "img");
    });
    // Inline groups scroll sideways on narrow screens: a keyboard must be able to reach and scroll
    // them (scrollable-region-focusable).
    root.querySelectorAll(".inline-group:not([tabindex])").forEach((group) => {
      group.setAttribute("tabindex", "0");
    });
  }

  fix(document);
  // The filter widgets are built on window "load", after this script: fix them as they appear.
  new MutationObserver(() => fix(document)).observe(document.body || document.documentElement, {
    childList: true,
    subtree: true,
  });
})();
