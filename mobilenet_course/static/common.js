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

// The closed-form costs of M(alpha, rho) from the layer table at alpha 1 (mobilenet_course.family.layer_table): the
// steps of mobilenet_course.family.family_costs, and the tests check that both give mc.costs.profile's numbers.
export function familyCosts(table, alpha, resolution) {
  const scaled = (c, scale) => (scale ? Math.max(8, Math.floor(c * alpha)) : c);
  let size = resolution;
  return table.map((row) => {
    const m = scaled(row.in, row.scale_in);
    let n = scaled(row.out, row.scale_out);
    if (row.kind === "fc") return { kind: row.kind, multAdds: m * n, params: m * n + n };
    const k = row.kernel;
    size = Math.floor((size + 2 * Math.floor(k / 2) - k) / row.stride) + 1;
    const perOutput = k * k * (row.kind === "depthwise" ? 1 : m);
    if (row.kind === "depthwise") n = m;
    return { kind: row.kind, multAdds: perOutput * n * size * size, params: perOutput * n, size };
  });
}

function total(costs, key) {
  return costs.reduce((sum, c) => sum + c[key], 0);
}
