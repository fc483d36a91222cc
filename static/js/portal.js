// Portal enhancement: a drop zone around each file input. Without JavaScript the plain
// <input type="file" multiple> works as it is; this only adds drag and drop and a file list.
(function () {
  "use strict";
  if (typeof DataTransfer === "undefined") return;

  // Sizes as the pages show stored files (Django's filesizeformat): bytes below 1 KB ("67 bytes",
  // not "1 KB"), then KB, MB and GB with one decimal.
  function describe(file) {
    var size = file.size;
    if (size < 1024) return size + (size === 1 ? " byte" : " bytes");
    var units = ["KB", "MB", "GB"];
    var value = size / 1024;
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return value.toFixed(1) + " " + units[unit];
  }

  function enhance(wrapper) {
    var zone = wrapper.querySelector(".dropzone");
    var input = wrapper.querySelector('input[type="file"]');
    var list = wrapper.querySelector(".dropzone-list");
    var hint = wrapper.querySelector(".dropzone-hint");
    if (!zone || !input || !list) return;
    if (hint) hint.hidden = false;

    function render() {
      list.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        var item = document.createElement("li");
        var name = document.createElement("span");
        name.textContent = file.name;
        var size = document.createElement("span");
        size.className = "muted";
        size.textContent = describe(file);
        item.appendChild(name);
        item.appendChild(size);
        list.appendChild(item);
      });
    }

    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("is-dragging");
      });
    });
    ["dragleave", "dragend", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("is-dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      // Keep what was chosen already and add the dropped files.
      var merged = new DataTransfer();
      Array.prototype.forEach.call(input.files, function (file) { merged.items.add(file); });
      Array.prototype.forEach.call(event.dataTransfer.files, function (file) { merged.items.add(file); });
      input.files = merged.files;
      render();
    });
    input.addEventListener("change", render);
  }

  document.querySelectorAll("[data-dropzone]").forEach(enhance);
})();
