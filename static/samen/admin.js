/* Samen's fixes to what the Django admin's own scripts build (templates/admin/base_site.html), so that
   screen readers can name every control (WCAG 2.2, 4.1.2; tests/browser/test_admin.py). They run after
   the admin's scripts, which build these widgets when the page has loaded, and again for each inline row added. */
(function () {
  "use strict";

  // The filter_horizontal widget (SelectFilter2) puts aria-label on a plain <span> icon, which ARIA does
  // not allow there; as an image it may carry that name.
  function nameIcons(root) {
    root.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  // select2 (autocomplete_fields) names its combobox only after the value chosen, which is empty at
  // first; the field's own label goes first.
  function nameComboboxes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = select.id && document.querySelector('label[for="' + select.id + '"]');
      var shown = document.getElementById("select2-" + select.id + "-container");
      if (!label || !shown) return;
      label.id = label.id || select.id + "-label";
      var names = label.id + " " + shown.id;
      shown.setAttribute("aria-labelledby", names);
      var combobox = shown.closest('[role="combobox"]');
      if (combobox) combobox.setAttribute("aria-labelledby", names);
    });
  }

  function fix(root) {
    nameIcons(root);
    nameComboboxes(root);
  }

  window.addEventListener("load", function () { fix(document); });
  document.addEventListener("formset:added", function (event) {
    // The admin's own formset:added handlers (select2 on the new row) run first.
    setTimeout(function () { fix(event.target); }, 0);
  });
})();
