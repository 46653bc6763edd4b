// The export page's "Select all" box (django-import-export's
// onSelectToggleChange), bound here instead of by an inline onchange
// attribute, which the Content-Security-Policy refuses.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input.select-toggle").forEach(function (box) {
    box.addEventListener("change", function (event) {
      if (typeof onSelectToggleChange === "function") {
        onSelectToggleChange(event);
      }
    });
  });
});
