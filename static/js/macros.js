// The ticket page's macro picker: a combobox filtering the list of macros (arrows move, Enter
// previews, Escape closes), a preview fetched from the server (nothing is written), the macro's
// reply put into the composer to edit, then Apply (posts the edited reply) or Undo (puts the
// composer back as it was). Words come from the page's data- attributes, in the reader's language.
// Without this script the picker's links open the preview as a page of its own.
(function () {
  "use strict";

  const picker = document.querySelector("[data-macro-picker]");
  if (!picker) return;
  const input = picker.querySelector("#macro-search");
  const list = picker.querySelector("#macro-list");
  const empty = picker.querySelector("[data-macro-empty]");
  const panel = picker.querySelector("[data-macro-preview]");
  const options = Array.from(list.querySelectorAll("[data-macro-option]"));
  const composer = document.getElementById("composer");
  const body = composer ? composer.querySelector("textarea") : null;
  let active = -1;
  let saved = null; // the composer as it was before the preview: { text, mode }

  function visible() {
    return options.filter((option) => !option.hidden);
  }

  function open() {
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    empty.hidden = visible().length > 0;
  }

  function close() {
    list.hidden = true;
    empty.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
    options.forEach((option) => option.setAttribute("aria-selected", "false"));
  }

  function highlight(index) {
    const shown = visible();
    options.forEach((option) => option.setAttribute("aria-selected", "false"));
    if (!shown.length) {
      active = -1;
      input.removeAttribute("aria-activedescendant");
      return;
    }
    active = (index + shown.length) % shown.length;
    const option = shown[active];
    option.setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  }

  function filter() {
    const words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    options.forEach((option) => {
      const text = option.textContent.toLowerCase();
      option.hidden = !words.every((word) => text.includes(word));
    });
    open();
    highlight(0);
  }

  function composerMode() {
    const checked = composer && composer.querySelector('input[name="mode"]:checked');
    return checked ? checked.value : "reply";
  }

  function setComposerMode(mode) {
    const radio = composer && composer.querySelector('input[name="mode"][value="' + mode + '"]');
    if (radio && !radio.checked) {
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function restore() {
    if (saved && body) {
      body.value = saved.text;
      setComposerMode(saved.mode);
    }
    saved = null;
    panel.innerHTML = "";
  }

  function show(html) {
    restore();
    panel.innerHTML = html;
    const reply = panel.querySelector("#macro-reply");
    if (reply && body) {
      // The reply is edited in the composer; the preview's own field is sent on Apply.
      saved = { text: body.value, mode: composerMode() };
      body.value = reply.value;
      setComposerMode("reply");
      panel.querySelector("[data-macro-reply-field]").hidden = true;
      panel.querySelector("[data-macro-reply-hint]").hidden = false;
    }
    const form = panel.querySelector("[data-macro-apply-form]");
    form.addEventListener("submit", () => {
      if (reply && body) reply.value = body.value;
    });
    panel.querySelector("[data-macro-undo]").addEventListener("click", (event) => {
      event.preventDefault();
      restore();
      input.value = "";
      options.forEach((option) => { option.hidden = false; });
      input.focus();
    });
    const apply = panel.querySelector("[data-macro-apply]");
    if (apply) apply.focus();
  }

  function choose(option) {
    if (!option) return;
    close();
    input.value = option.firstChild.textContent.trim();
    const url = option.dataset.previewUrl + "?fragment=1";
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(show)
      .catch(() => {
        panel.textContent = picker.dataset.failed;
      });
  }

  input.addEventListener("input", filter);
  input.addEventListener("focus", () => { filter(); });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (list.hidden) open();
      highlight(active + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (list.hidden) open();
      highlight(active - 1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (!list.hidden && active >= 0) choose(visible()[active]);
    } else if (event.key === "Escape") {
      if (!list.hidden) {
        event.preventDefault();
        event.stopPropagation();
        close();
      }
    }
  });
  options.forEach((option) => {
    option.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus in the input
    option.addEventListener("click", () => choose(option));
  });
  document.addEventListener("click", (event) => {
    if (!picker.contains(event.target)) close();
  });
})();
