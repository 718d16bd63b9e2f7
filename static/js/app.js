// Access Panel behaviour that needs JavaScript. No inline scripts (strict CSP): everything is
// wired here from data attributes, and every page also works without it.
(function () {
  "use strict";

  // <form data-confirm="Leave this group?"> asks before submitting; so does a submit button
  // with its own data-confirm (one form shared by a table's rows: the button names the row).
  // With data-confirm-unchecking="box-id" it asks only when that checkbox, checked when the
  // page loaded, is now unchecked (Users: deactivating someone, not every Save). A browser
  // without event.submitter (before 2022) asks only for forms' own data-confirm.
  function needsConfirmation(form) {
    const boxId = form.getAttribute("data-confirm-unchecking");
    if (!boxId) return true;
    const box = document.getElementById(boxId);
    return Boolean(box && box.defaultChecked && !box.checked);
  }

  document.addEventListener("submit", function (event) {
    const submitter = event.submitter;
    const message = (submitter && submitter.getAttribute("data-confirm")) ||
      (event.target.getAttribute && event.target.getAttribute("data-confirm"));
    if (message && needsConfirmation(event.target) && !window.confirm(message)) {
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

  // The people picker (templates/partials/people_picker.html): an Add button in the results
  // adds a chip (a hidden input) that survives new searches; a chip's × removes it.
  function picker(element) {
    return element && element.closest && element.closest("[data-picker]");
  }

  function chipFor(root, id) {
    return root.querySelector('[data-picker-chips] [data-person="' + id + '"]');
  }

  function addChip(root, id, name) {
    if (chipFor(root, id)) return;
    const chip = document.createElement("li");
    chip.className = "picker-chip";
    chip.setAttribute("data-person", id);
    const label = document.createElement("span");
    label.className = "picker-chip-name";
    label.textContent = name;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn-close";
    remove.setAttribute("data-picker-remove", "");
    remove.setAttribute("aria-label", "Remove " + name);
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = root.getAttribute("data-picker");
    input.value = id;
    chip.append(label, remove, input);
    root.querySelector("[data-picker-chips]").append(chip);
  }

  // Each Add button says whether its person is chosen (after a click, and after new results).
  function syncButtons(root) {
    root.querySelectorAll("[data-pick]").forEach(function (button) {
      const chosen = Boolean(chipFor(root, button.getAttribute("data-pick")));
      button.setAttribute("aria-pressed", chosen ? "true" : "false");
      button.classList.toggle("btn-primary", chosen);
      button.classList.toggle("btn-outline-primary", !chosen);
      button.firstChild.textContent = chosen ? "Added" : "Add";
    });
  }

  document.addEventListener("click", function (event) {
    const pick = event.target.closest && event.target.closest("[data-pick]");
    const remove = event.target.closest && event.target.closest("[data-picker-remove]");
    const root = picker(pick || remove);
    if (!root) return;
    if (pick) {
      const id = pick.getAttribute("data-pick");
      const chip = chipFor(root, id);
      if (chip) chip.remove();
      else addChip(root, id, pick.getAttribute("data-pick-name"));
    } else {
      remove.closest(".picker-chip").remove();
      const search = root.querySelector('input[type="search"]');
      if (search) search.focus();
    }
    syncButtons(root);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const root = picker(event.target);
    if (root) syncButtons(root);
  });

  // Enter in a picker's search box searches; it doesn't submit the form around it.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches("[data-picker] input[type=search]")) {
      event.preventDefault();
    }
  });
})();
