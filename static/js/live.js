// Live updates: when something changes on a ticket this person may see, re-read the page in the
// background and swap in the parts marked data-live-region. Pages opt in with data-live on <body>;
// without JavaScript they simply show what was true when loaded (reload to refresh).
(function () {
  "use strict";
  var body = document.body;
  if (!("live" in body.dataset) || !window.EventSource || !window.fetch || !window.DOMParser) return;

  var ticketId = body.dataset.liveTicket || "";
  var timer = null;
  var stream = "/live/events/?after=" + encodeURIComponent(body.dataset.liveAfter || "");
  // A ticket page hears only about its own ticket, from the last history entry it shows.
  if (ticketId) stream += "&ticket=" + encodeURIComponent(ticketId);
  var source = null;
  var lastId = "";
  var refusals = 0;

  // EventSource reconnects by itself after a dropped connection, but gives up for good when the
  // server answers with an error status — 429 when this person has too many live pages open, or
  // while the server restarts. Then try again later, waiting longer each time (30 s to 5 min).
  function connect() {
    var url = stream;
    if (lastId) url = url.replace(/after=[^&]*/, "after=" + encodeURIComponent(lastId));
    source = new EventSource(url);
    source.addEventListener("open", function () { refusals = 0; });
    source.addEventListener("ticket", function (message) {
      var change = JSON.parse(message.data);
      lastId = message.lastEventId || lastId;
      if (ticketId && String(change.ticket) !== ticketId) return;
      clearTimeout(timer);
      timer = setTimeout(refresh, 200);
    });
    // The server ends a stream for good when the person signed out or lost access to the ticket.
    source.addEventListener("end", function () { source.close(); });
    source.addEventListener("error", function () {
      if (source.readyState !== EventSource.CLOSED) return;
      refusals += 1;
      var wait = Math.min(300, 30 * Math.pow(2, refusals - 1)) * (0.75 + Math.random() / 2);
      setTimeout(connect, wait * 1000);
    });
  }
  connect();

  function editing(region) {
    var active = document.activeElement;
    return active && region.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) &&
      active.type !== "checkbox";
  }

  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Live-Refresh": "1" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-region]").forEach(function (region) {
          var name = region.getAttribute("data-live-region");
          var replacement = fresh.querySelector('[data-live-region="' + name + '"]');
          if (!replacement || editing(region)) return;
          var checked = Array.prototype.map.call(
            region.querySelectorAll("input[type=checkbox]:checked"),
            function (box) { return box.name + "=" + box.value; }
          );
          region.replaceWith(replacement);
          replacement.querySelectorAll("input[type=checkbox]").forEach(function (box) {
            if (checked.indexOf(box.name + "=" + box.value) !== -1) box.checked = true;
          });
        });
        // What the person has now seen: a reply sent from this page is not "stale" any more.
        document.querySelectorAll("input[name=seen_event_id]").forEach(function (input) {
          var seen = fresh.querySelector("input[name=seen_event_id]");
          if (seen) input.value = seen.value;
        });
        document.dispatchEvent(new CustomEvent("live:refreshed"));
      })
      .catch(function () { /* the next change tries again */ });
  }

  // Presence on a ticket page (agents): who else has it open, who is typing a reply.
  var presence = document.querySelector("[data-live-presence]");
  if (!presence) return;
  var url = presence.getAttribute("data-live-presence");
  var csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  var lastTyped = 0;

  function beat(extra) {
    var form = new FormData();
    form.append("csrfmiddlewaretoken", csrf);
    form.append("typing", Date.now() - lastTyped < 5000 ? "1" : "0");
    if (extra) form.append(extra, "1");
    return fetch(url, { method: "POST", body: form, credentials: "same-origin", keepalive: !!extra })
      .then(function (response) { return response.ok ? response.json() : { others: [] }; })
      .then(function (data) { show(data.others || []); })
      .catch(function () {});
  }

  function show(others) {
    presence.textContent = "";
    others.forEach(function (person) {
      var chip = document.createElement("span");
      chip.className = "presence-chip" + (person.typing ? " presence-typing" : "");
      // The sentences come from the page, in the reader's language (data-replying / data-viewing).
      var words = person.typing ? presence.getAttribute("data-replying") : presence.getAttribute("data-viewing");
      chip.textContent = words.replace("%(name)s", person.name);
      presence.appendChild(chip);
    });
    presence.hidden = others.length === 0;
  }

  document.addEventListener("input", function (event) {
    if (event.target.tagName !== "TEXTAREA") return;
    var wasIdle = Date.now() - lastTyped > 5000;
    lastTyped = Date.now();
    if (wasIdle) beat();
  });
  window.addEventListener("pagehide", function () { beat("leave"); });
  beat();
  setInterval(beat, 3000);
})();
