// Helpers shared by the course's widgets. Python puts this file in front of each widget's own module
// (mobilenet_course.widgets), since an anywidget module is one string and cannot import files beside it.

function element(tag, attrs = {}, text = "") {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

function svgElement(tag, attrs = {}) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function save(model) {
  // In the static book there is no kernel to sync with: the change stays in the page, which is all it needs.
  try {
    const result = model.save_changes();
    if (result && typeof result.catch === "function") result.catch(() => {});
  } catch (error) {
    /* no kernel */
  }
}

let uniqueCount = 0;

function uniqueId(prefix) {
  // Labels point at their input by id; a page can show several widgets, so each id is made unique.
  uniqueCount += 1;
  return `${prefix}-${uniqueCount}-${Math.random().toString(36).slice(2, 8)}`;
}

function announcer(delayMs = 400) {
  // A polite live region: screen readers read out what is put in it, once the reader's current sentence ends.
  // Updates are held back for `delayMs` so that dragging a slider announces where it stops, not every step.
  const region = element("p", { class: "mc-status mc-sr-only", "aria-live": "polite", "aria-atomic": "true" });
  let timer = null;
  region.announce = (text) => {
    clearTimeout(timer);
    timer = setTimeout(() => { region.textContent = text; }, delayMs);
  };
  return region;
}
