// The admin's "request a report" form: only the fields the chosen kind takes are shown
// (the kind's own validation ignores nothing: a parameter it does not take is refused).
"use strict";
(function () {
  function showFields(kind, byKind) {
    const all = new Set(Object.values(byKind).flat());
    const wanted = new Set(byKind[kind.value] || []);
    for (const name of all) {
      const row = document.querySelector(".form-row.field-" + name) || document.querySelector(".field-" + name);
      if (row) {
        row.hidden = !wanted.has(name);
      }
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    const kind = document.getElementById("id_kind");
    if (!kind || !kind.dataset.kindFields) {
      return;
    }
    const byKind = JSON.parse(kind.dataset.kindFields);
    kind.addEventListener("change", function () {
      showFields(kind, byKind);
    });
    showFields(kind, byKind);
  });
})();
