// Cost explorer for M(alpha, rho): the closed-form arithmetic of chapter 4, in the browser.
// Python (mobilenet_course.widgets.CostExplorer) hands over the layer table at alpha 1 (`layers`); everything shown
// is computed here from it (familyCosts, in common.js), so the widget keeps working in the static book, with no kernel.

const COLOURS = { conv: "#7f7f7f", depthwise: "#1f77b4", pointwise: "#ff7f0e", fc: "#2ca02c" };
const KINDS = ["conv", "depthwise", "pointwise", "fc"];
const STANDARD_RESOLUTIONS = [224, 192, 160, 128];

function render({ model, el }) {
  const root = element("div", { class: "mc-widget mc-cost-explorer" });

  const alphaId = uniqueId("mc-alpha"), resId = uniqueId("mc-resolution");
  const alphaInput = element("input", { type: "range", min: "0.25", max: "1", step: "0.01", class: "mc-alpha",
                                        id: alphaId });
  const alphaLabel = element("output", { class: "mc-value", for: alphaId });
  const resInput = element("input", { type: "range", min: "32", max: "320", step: "1", class: "mc-resolution",
                                      id: resId });
  const resLabel = element("output", { class: "mc-value", for: resId });
  // The presets are buttons named by what they do; their visible text (the number) is part of that name.
  const buttons = element("span", { class: "mc-buttons", role: "group", "aria-label": "resolution presets" });
  const presets = {};
  for (const r of STANDARD_RESOLUTIONS) {
    const b = element("button", { type: "button", "data-resolution": String(r),
                                  "aria-label": `Set resolution to ${r} px` }, String(r));
    b.addEventListener("click", () => {
      model.set("resolution", r);
      save(model);
    });
    buttons.append(b);
    presets[r] = b;
  }
  const controls = element("div", { class: "mc-controls" });
  const row1 = element("div", { class: "mc-row" });
  row1.append(element("label", { for: alphaId }, "width multiplier α"), alphaInput, alphaLabel);
  const row2 = element("div", { class: "mc-row" });
  row2.append(element("label", { for: resId }, "resolution"), resInput, resLabel, buttons);
  controls.append(row1, row2);
  const status = announcer();

  const readout = element("table", { class: "mc-readout" });
  const caption = element("caption", { class: "mc-sr-only" }, "Cost of the model at these settings");
  readout.append(caption);
  const cells = {};
  for (const [key, label] of [["name", "model"], ["mult_adds", "mult-adds"], ["params", "parameters"],
                              ["size_mb", "size (fp32 weights)"], ["ratio", "cost / 1.0-MobileNet-224"],
                              ["law", "α² ρ²"]]) {
    const tr = element("tr");
    tr.append(element("th", { scope: "row" }, label));
    cells[key] = element("td", { class: `mc-${key.replace("_", "-")}` });
    tr.append(cells[key]);
    readout.append(tr);
  }

  const chart = svgElement("svg", { class: "mc-chart", viewBox: "0 0 560 190", width: "100%", role: "img" });
  const legend = element("div", { class: "mc-legend" });
  root.append(controls, readout, chart, legend, status);
  el.append(root);

  let announced = null; // the first rendering is not announced: nothing has changed yet
  function update() {
    const table = model.get("layers");
    const alpha = model.get("alpha");
    const resolution = model.get("resolution");
    const costs = familyCosts(table, alpha, resolution);
    const base = familyCosts(table, 1.0, 224);
    const multAdds = total(costs, "multAdds");
    const params = total(costs, "params");
    const rho = resolution / 224;
    alphaInput.value = String(alpha);
    resInput.value = String(resolution);
    alphaLabel.textContent = alpha.toFixed(2);
    resLabel.textContent = `${resolution} px (ρ = ${rho.toFixed(3)})`;
    alphaInput.setAttribute("aria-valuetext", alpha.toFixed(2));
    resInput.setAttribute("aria-valuetext", `${resolution} px`);
    for (const [r, b] of Object.entries(presets)) b.setAttribute("aria-pressed", String(Number(r) === resolution));
    const alphaText = Number.isInteger(alpha) ? alpha.toFixed(1) : String(+alpha.toFixed(2));
    cells.name.textContent = `${alphaText}-MobileNet-${resolution}`;
    cells.mult_adds.textContent = `${(multAdds / 1e6).toFixed(1)} million`;
    cells.mult_adds.dataset.value = String(multAdds);
    cells.params.textContent = `${(params / 1e6).toFixed(2)} million`;
    cells.params.dataset.value = String(params);
    cells.size_mb.textContent = `${((params * 4) / 1e6).toFixed(2)} MB`;
    const ratio = multAdds / total(base, "multAdds");
    cells.ratio.textContent = ratio.toFixed(3);
    cells.ratio.dataset.value = String(ratio);
    cells.law.textContent = (alpha * alpha * rho * rho).toFixed(3);
    const summary = `${cells.name.textContent}: ${cells.mult_adds.textContent} mult-adds, ` +
      `${cells.params.textContent} parameters, ${cells.ratio.textContent} of the cost of 1.0-MobileNet-224`;
    if (announced !== null && announced !== summary) status.announce(summary);
    announced = summary;

    // Per-layer mult-adds, coloured by kind.
    chart.replaceChildren();
    const width = 560, height = 170, bar = width / costs.length;
    const top = Math.max(...base.map((c) => c.multAdds), ...costs.map((c) => c.multAdds));
    costs.forEach((c, i) => {
      const h = (c.multAdds / top) * (height - 10);
      const rect = svgElement("rect", { x: i * bar + 1, y: height - h, width: bar - 2, height: h,
                                        fill: COLOURS[c.kind], "data-kind": c.kind });
      const title = svgElement("title");
      title.textContent = `layer ${i + 1} (${c.kind}): ${c.multAdds.toLocaleString("en")} mult-adds`;
      rect.append(title);
      chart.append(rect);
    });
    chart.setAttribute("aria-label", `Bar chart: the mult-adds of each of the ${costs.length} layers of ` +
      `${cells.name.textContent}, coloured by kind; the legend below gives each kind's share.`);
    const axis = svgElement("text", { x: 0, y: 185, "font-size": "11", fill: "currentColor" });
    axis.textContent = "mult-adds of each layer, in forward order (scale: the largest layer of 1.0-MobileNet-224)";
    chart.append(axis);

    legend.replaceChildren();
    for (const kind of KINDS) {
      const share = total(costs.filter((c) => c.kind === kind), "multAdds") / multAdds;
      const item = element("span", { class: "mc-legend-item", "data-kind": kind });
      const swatch = element("span", { class: "mc-swatch", style: `background:${COLOURS[kind]}` });
      item.append(swatch, document.createTextNode(` ${kind} ${(100 * share).toFixed(1)}%  `));
      legend.append(item);
    }
  }

  alphaInput.addEventListener("input", () => {
    model.set("alpha", parseFloat(alphaInput.value));
    save(model);
  });
  resInput.addEventListener("input", () => {
    model.set("resolution", parseInt(resInput.value, 10));
    save(model);
  });
  model.on("change:alpha", update);
  model.on("change:resolution", update);
  model.on("change:layers", update);
  update();
  return () => {
    model.off("change:alpha", update);
    model.off("change:resolution", update);
    model.off("change:layers", update);
  };
}

export default { render };
