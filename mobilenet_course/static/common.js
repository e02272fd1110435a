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
