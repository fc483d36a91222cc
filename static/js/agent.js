// Agent workspace enhancements: keyboard shortcuts, composer mode, bulk selection.
// Everything here is optional: the pages work fully without this script.
(function () {
  "use strict";

  const overlay = document.getElementById("shortcut-help");
  let rows = Array.from(document.querySelectorAll("[data-ticket-row]"));
  let active = -1;

  function typing(target) {
    const tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  // The shortcut help is a modal dialog: focus moves into it, stays inside while it is open (Tab and
  // Shift+Tab wrap around), and returns to whatever opened it when it closes.
  let helpOpener = null;
  function toggleHelp(show) {
    if (!overlay) return;
    const visible = show === undefined ? overlay.hidden : show;
    if (visible === !overlay.hidden) return;
    overlay.hidden = !visible;
    if (visible) {
      helpOpener = document.activeElement;
      overlay.querySelector("[data-shortcuts-close]").focus();
    } else if (helpOpener && helpOpener !== document.body && document.contains(helpOpener)) {
      helpOpener.focus();
      helpOpener = null;
    }
  }
  function helpFocusables() {
    return Array.from(overlay.querySelectorAll("a[href], button, input, select, textarea, [tabindex]"))
      .filter((el) => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length);
  }
  if (overlay) {
    overlay.addEventListener("keydown", (event) => {
      if (event.key !== "Tab") return;
      const items = helpFocusables();
      if (!items.length) { event.preventDefault(); return; }
      const first = items[0], last = items[items.length - 1];
      if (event.shiftKey && (document.activeElement === first || !overlay.contains(document.activeElement))) {
        last.focus(); event.preventDefault();
      } else if (!event.shiftKey && (document.activeElement === last || !overlay.contains(document.activeElement))) {
        first.focus(); event.preventDefault();
      }
    });
    document.addEventListener("focusin", (event) => {
      if (!overlay.hidden && !overlay.contains(event.target)) {
        const items = helpFocusables();
        if (items.length) items[0].focus();
      }
    });
  }

  function highlight(index) {
    if (!rows.length) return;
    active = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach((row, i) => row.classList.toggle("is-active", i === active));
    rows[active].scrollIntoView({ block: "nearest" });
    const link = rows[active].querySelector(".col-subject a");
    if (link) link.focus({ preventScroll: true });
  }

  // Composer: "Reply to customer" / "Internal note" as tabs, with a matching hint and button label.
  const composer = document.getElementById("composer");
  function setMode(mode, focus) {
    if (!composer) return;
    const radio = composer.querySelector('input[name="mode"][value="' + mode + '"]');
    if (!radio) return;
    radio.checked = true;
    composer.classList.toggle("is-note", mode === "note");
    composer.querySelectorAll("[data-mode-hint]").forEach((hint) => {
      hint.hidden = hint.dataset.modeHint !== mode;
    });
    const button = composer.querySelector("[data-submit-label]");
    // The words come from the page, in the reader's language (data-label-reply / data-label-note).
    if (button) button.textContent = mode === "note" ? button.dataset.labelNote : button.dataset.labelReply;
    if (focus) composer.querySelector("textarea").focus();
  }
  if (composer) {
    composer.querySelectorAll('input[name="mode"]').forEach((radio) => {
      radio.addEventListener("change", () => setMode(radio.value, false));
    });
    const checked = composer.querySelector('input[name="mode"]:checked');
    setMode(checked ? checked.value : "reply", false);
  }

  // Bulk selection: a "select all" box and a live count. The change panel shows only while
  // tickets are selected (without this script it is always there) and sticks to the top.
  const selectAll = document.querySelector("[data-select-all]");
  const counter = document.querySelector("[data-selected-count]");
  const bulkBar = document.querySelector("[data-bulk-bar]");
  let boxes = Array.from(document.querySelectorAll('input[name="ids"]'));
  function updateCount() {
    const n = boxes.filter((b) => b.checked).length;
    boxes.forEach((b) => b.closest("tr").classList.toggle("is-selected", b.checked));
    if (counter) {
      const words = n === 1 ? counter.dataset.selectedOne : counter.dataset.selectedOther;
      counter.textContent = n ? words.replace("%(count)s", n.toLocaleString(document.documentElement.lang)) : "";
    }
    if (bulkBar) {
      bulkBar.hidden = n === 0;
      bulkBar.classList.add("is-enhanced");
    }
    if (selectAll) selectAll.checked = n > 0 && n === boxes.length;
  }

  // Whole-row open: a click anywhere on a row that is not a control opens the ticket (with
  // Ctrl/Cmd or the middle button in a new tab). The subject link stays the keyboard path
  // (Tab, or j/k and Enter); a click on the checkbox cell toggles the box.
  const CONTROLS = "a, button, input, select, textarea, label, summary";
  function rowClick(event) {
    const row = event.target.closest("[data-ticket-row]");
    if (!row || event.target.closest(CONTROLS)) return;
    if (event.button !== 0 && event.button !== 1) return;
    const selection = window.getSelection && window.getSelection();
    if (selection && !selection.isCollapsed && String(selection).trim()) return; // selecting text
    if (event.target.closest(".col-check")) {
      const box = row.querySelector('input[name="ids"]');
      if (box && event.button === 0) { box.checked = !box.checked; updateCount(); }
      return;
    }
    const href = row.dataset.href;
    if (!href) return;
    if (event.ctrlKey || event.metaKey || event.button === 1) window.open(href, "_blank", "noopener");
    else window.location.href = href;
  }
  const bulkForm = document.getElementById("bulk-form");
  if (bulkForm) {
    // On the form, not the table: live updates replace the table's rows.
    bulkForm.classList.add("rows-open");
    bulkForm.addEventListener("click", rowClick);
    bulkForm.addEventListener("auxclick", rowClick);
  }
  if (selectAll) {
    selectAll.hidden = false;
    selectAll.addEventListener("change", () => {
      boxes.forEach((b) => { b.checked = selectAll.checked; });
      updateCount();
    });
  }
  boxes.forEach((b) => b.addEventListener("change", updateCount));
  updateCount();

  // Live updates (live.js) swap the ticket table: pick up the new rows and boxes.
  document.addEventListener("live:refreshed", () => {
    rows = Array.from(document.querySelectorAll("[data-ticket-row]"));
    boxes = Array.from(document.querySelectorAll('input[name="ids"]'));
    boxes.forEach((b) => b.addEventListener("change", updateCount));
    if (active >= rows.length) active = rows.length - 1;
    if (active >= 0) rows[active].classList.add("is-active");
    updateCount();
  });

  document.querySelectorAll("[data-shortcuts-open]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => toggleHelp(true));
  });
  document.querySelectorAll("[data-shortcuts-close]").forEach((button) => {
    button.addEventListener("click", () => toggleHelp(false));
  });
  if (overlay) {
    overlay.addEventListener("click", (event) => { if (event.target === overlay) toggleHelp(false); });
  }

  let pendingG = false;
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && overlay && !overlay.hidden) { toggleHelp(false); return; }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "q") { window.location.href = "/agent/"; event.preventDefault(); }
      return;
    }
    if (key === "?") { toggleHelp(); event.preventDefault(); return; }
    if (overlay && !overlay.hidden) return;
    if (key === "g") { pendingG = true; return; }
    if (rows.length) {
      if (key === "j") { highlight(active + 1); event.preventDefault(); return; }
      if (key === "k") { highlight(active < 0 ? 0 : active - 1); event.preventDefault(); return; }
      if ((key === "Enter" || key === "o") && active >= 0) {
        window.location.href = rows[active].dataset.href; event.preventDefault(); return;
      }
      if (key === "x" && active >= 0) {
        const box = rows[active].querySelector('input[name="ids"]');
        box.checked = !box.checked; updateCount(); event.preventDefault(); return;
      }
    }
    if (key === "/") {
      const search = document.getElementById("id_q");
      if (search) { search.focus(); event.preventDefault(); }
      return;
    }
    if (key === "c") {
      const claim = document.querySelector('[data-shortcut="c"]');
      if (claim) { claim.click(); event.preventDefault(); }
      return;
    }
    if (key === "r" && composer) { setMode("reply", true); event.preventDefault(); return; }
    if (key === "n" && composer) { setMode("note", true); event.preventDefault(); }
  });

  // View counts: a queue page shown before its views were counted fetches them afterwards, and
  // again after a live refresh brings a fresh (uncounted) list of views.
  function loadCounts() {
    const list = document.querySelector("[data-counts-url]");
    if (!list || !window.fetch) return;
    fetch(list.getAttribute("data-counts-url"), { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (!data) return;
        list.querySelectorAll("[data-view-count]").forEach((badge) => {
          const count = data.counts[badge.getAttribute("data-view-count")];
          if (count === undefined) return;
          const capped = count >= data.cap;
          const shown = count.toLocaleString(document.documentElement.lang);
          badge.textContent = shown + (capped ? "+" : "");
          badge.title = capped ? list.dataset.orMore.replace("%(count)s", shown) : "";
          badge.classList.remove("is-pending");
        });
      })
      .catch(() => { /* the counts stay "…"; the list itself is complete */ });
  }
  loadCounts();
  document.addEventListener("live:refreshed", loadCounts);
})();
