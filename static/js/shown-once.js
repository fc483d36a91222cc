// A page shown once, in the answer to a POST (a webhook's signing secret): the browser's history
// entry becomes the address in data-shown-once-url, so that reloading the page, or coming back to
// it, opens that address instead of sending the form again (which would make another endpoint, or
// replace the secret just copied). Without this script the browser asks before sending it again.
(function () {
  "use strict";

  const marker = document.querySelector("[data-shown-once-url]");
  if (marker && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", marker.getAttribute("data-shown-once-url"));
  }
})();
