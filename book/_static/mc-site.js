// The book's own script (added to every page by book/_ext/accessible_pages.py): accessible names for the theme's
// buttons, and the static book's answer to buttons that need a running kernel.
(function () {
  "use strict";

  // The theme names its search buttons "Search" with aria-label while they show "Search Ctrl+K": the name must contain
  // what is shown (WCAG 2.5.3, label in name), so the label goes and the visible text names the button.
  function nameSearchButtons() {
    document.querySelectorAll("button.search-button-field[aria-label]").forEach(function (button) {
      if (button.textContent.trim()) button.removeAttribute("aria-label");
    });
  }

  // The colour-mode button shows one icon (titled "Light", "Dark" or "System Settings") and was named "Color mode":
  // its name now says the mode it shows, and follows it when the reader switches.
  function nameThemeButton() {
    var mode = document.documentElement.dataset.mode || "auto";
    var titles = { light: "Light", dark: "Dark", auto: "System Settings" };
    document.querySelectorAll(".theme-switch-button").forEach(function (button) {
      button.setAttribute("aria-label", "Color mode: " + (titles[mode] || mode));
    });
  }

  // A standard ipywidgets button runs a Python callback: in the static book there is no kernel, and a press did
  // nothing while the button looked ready. It is disabled here, with a note on where it works. (The course's own
  // widgets, anywidgets, compute in JavaScript and stay live; their buttons are not of this kind.)
  var NOTE = "This button runs Python code, which needs a running kernel: open this chapter in Colab or Jupyter " +
             "(the launch button at the top of the page) to use it.";
  var noteCount = 0;

  function disableKernelButtons(root) {
    root.querySelectorAll("button.jupyter-widgets.widget-button:not([data-mc-static])").forEach(function (button) {
      button.setAttribute("data-mc-static", "");
      button.disabled = true;
      noteCount += 1;
      var note = document.createElement("p");
      note.className = "mc-needs-kernel";
      note.id = "mc-needs-kernel-" + noteCount;
      note.textContent = NOTE;
      button.setAttribute("aria-describedby", note.id);
      button.title = NOTE;
      // The note goes after the row of controls that holds the button.
      var row = button.closest(".widget-hbox") || button;
      row.insertAdjacentElement("afterend", note);
    });
  }

  function start() {
    nameSearchButtons();
    nameThemeButton();
    new MutationObserver(nameThemeButton).observe(document.documentElement,
                                                  { attributes: true, attributeFilter: ["data-mode"] });
    disableKernelButtons(document);
    // The widget manager renders after the page has loaded: watch for the buttons it adds.
    if (document.querySelector('script[type="application/vnd.jupyter.widget-view+json"]')) {
      new MutationObserver(function () { disableKernelButtons(document); })
        .observe(document.body, { childList: true, subtree: true });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
