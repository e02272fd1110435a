// Budget picker: the most accurate model of the paper's grid within a mult-adds, size and latency budget, on the
// accuracy-versus-cost plot. The filtering is mobilenet_course.family.pick, done again here so that the widget
// responds in the static book too.

export function pick(models, maxMultAdds, maxSizeMb, maxLatencyMs) {
  const fits = models.filter((m) =>
    (maxMultAdds == null || m.mult_adds <= maxMultAdds) &&
    (maxSizeMb == null || m.size_mb <= maxSizeMb) &&
    (maxLatencyMs == null || (m.latency_ms != null && m.latency_ms <= maxLatencyMs)));
  fits.sort((a, b) => b.top1 - a.top1 || a.mult_adds - b.mult_adds);
  return { fits, best: fits.length ? fits[0] : null };
}

function render({ model, el }) {
  const root = element("div", { class: "mc-widget mc-budget-picker" });
  const fields = {};
  const controls = element("div", { class: "mc-controls" });
  for (const [key, label] of [["max_mult_adds_m", "max million mult-adds"], ["max_size_mb", "max size (MB)"],
                              ["max_latency_ms", "max latency (ms)"]]) {
    const input = element("input", { type: "number", min: "0", step: "any", class: `mc-${key}`,
                                     placeholder: "no limit" });
    input.addEventListener("input", () => {
      const v = parseFloat(input.value);
      model.set(key, Number.isFinite(v) && v > 0 ? v : null);
      save(model);
    });
    const lab = element("label", {}, `${label} `);
    lab.append(input);
    controls.append(lab);
    fields[key] = input;
  }
  // The answer is a polite live region: a screen reader reads the new best model after each change of budget.
  const answer = element("p", { class: "mc-answer", "aria-live": "polite", "aria-atomic": "true" });
  const chart = svgElement("svg", { class: "mc-chart", viewBox: "0 0 560 260", width: "100%", role: "img" });
  root.append(controls, answer, chart);
  el.append(root);

  function update() {
    const models = model.get("models");
    const hasLatency = models.every((m) => m.latency_ms != null);
    fields.max_latency_ms.disabled = !hasLatency;
    if (!hasLatency) {
      fields.max_latency_ms.title = "needs measured latencies: BudgetPicker(latencies=...) in a running notebook";
    }
    for (const key of Object.keys(fields)) {
      const v = model.get(key);
      if (document.activeElement !== fields[key]) fields[key].value = v == null ? "" : String(v);
    }
    const maxM = model.get("max_mult_adds_m");
    const { fits, best } = pick(models, maxM == null ? null : maxM * 1e6, model.get("max_size_mb"),
                                hasLatency ? model.get("max_latency_ms") : null);
    answer.textContent = best
      ? `Best within budget: ${best.name}, ${best.top1.toFixed(1)}% top-1, ${(best.mult_adds / 1e6).toFixed(0)} ` +
        `million mult-adds, ${best.size_mb.toFixed(1)} MB` +
        (best.latency_ms != null ? `, ${best.latency_ms.toFixed(1)} ms` : "") + ` (${fits.length} of ${models.length} fit)`
      : "No model of the grid fits this budget.";
    answer.dataset.best = best ? best.name : "";
    chart.setAttribute("aria-label", `Scatter plot of ImageNet top-1 against mult-adds (log scale) for the ` +
      `${models.length} models of the grid: filled dots fit the budget, open rings do not` +
      (best ? `; the large red dot is the best, ${best.name}.` : "; none fits."));

    chart.replaceChildren();
    const x0 = 50, x1 = 545, y0 = 225, y1 = 10;
    const lo = Math.log10(10e6), hi = Math.log10(700e6), acLo = 40, acHi = 72;
    const sx = (v) => x0 + ((Math.log10(v) - lo) / (hi - lo)) * (x1 - x0);
    const sy = (a) => y0 - ((a - acLo) / (acHi - acLo)) * (y0 - y1);
    // Axes and labels take the text colour (currentColor), so they follow a dark theme.
    chart.append(svgElement("line", { x1: x0, y1: y0, x2: x1, y2: y0, stroke: "currentColor" }));
    chart.append(svgElement("line", { x1: x0, y1: y0, x2: x0, y2: y1, stroke: "currentColor" }));
    for (const tick of [10e6, 30e6, 100e6, 300e6]) {
      const t = svgElement("text", { x: sx(tick), y: y0 + 15, "font-size": "11", "text-anchor": "middle",
                                     fill: "currentColor" });
      t.textContent = `${tick / 1e6}M`;
      chart.append(t);
    }
    for (const a of [40, 50, 60, 70]) {
      const t = svgElement("text", { x: x0 - 6, y: sy(a) + 4, "font-size": "11", "text-anchor": "end",
                                     fill: "currentColor" });
      t.textContent = `${a}%`;
      chart.append(t);
    }
    const xl = svgElement("text", { x: (x0 + x1) / 2, y: 255, "font-size": "12", "text-anchor": "middle",
                                    fill: "currentColor" });
    xl.textContent = "mult-adds (log scale); ImageNet top-1 of the TF-slim checkpoints";
    chart.append(xl);
    for (const m of models) {
      const inside = fits.includes(m);
      // Colours come from widgets.css (classes), with a light and a dark variant; a model out of budget is an
      // open ring, told apart by shape as well as colour.
      const kind = m === best ? "best" : inside ? "fits" : "out";
      const dot = svgElement("circle", { cx: sx(m.mult_adds), cy: sy(m.top1), r: m === best ? 7 : 4,
                                         class: `mc-dot mc-dot-${kind}`, "data-name": m.name });
      const title = svgElement("title");
      title.textContent = `${m.name}: ${m.top1}% top-1, ${(m.mult_adds / 1e6).toFixed(0)}M mult-adds`;
      dot.append(title);
      chart.append(dot);
    }
  }
  for (const key of ["models", "max_mult_adds_m", "max_size_mb", "max_latency_ms"]) model.on(`change:${key}`, update);
  update();
  return () => {
    for (const key of ["models", "max_mult_adds_m", "max_size_mb", "max_latency_ms"]) model.off(`change:${key}`, update);
  };
}

export default { render };
