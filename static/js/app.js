// Access Panel behaviour that needs JavaScript. No inline scripts (strict CSP): everything is
// wired here from data attributes, and every page also works without it.
(function () {
  "use strict";

  // <form data-confirm="Leave this group?"> asks before submitting.
  document.addEventListener("submit", function (event) {
    const message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <input type="checkbox" data-select-all="name"> toggles every checkbox called `name`.
  document.addEventListener("change", function (event) {
    const name = event.target.getAttribute && event.target.getAttribute("data-select-all");
    if (!name) return;
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = event.target.checked;
    });
  });

  // <div data-shows-when="principal_type=group"> is shown only while the radio button named
  // principal_type with the value group is checked (without JavaScript, every field shows).
  function showChosen(root) {
    root.querySelectorAll("[data-shows-when]").forEach(function (element) {
      const [name, value] = element.getAttribute("data-shows-when").split("=");
      const checked = document.querySelector('input[type="radio"][name="' + name + '"]:checked');
      element.hidden = !!checked && checked.value !== value;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.type === "radio") showChosen(document);
  });
  document.addEventListener("DOMContentLoaded", function () { showChosen(document); });
})();
