// "Measure on this device": MobileNet timed in the reader's own browser with ONNX Runtime Web (WebAssembly).
// Python (mobilenet_course.widgets.DeviceBenchmark) hands over the layer table (for the package's mult-adds and
// parameters), the widths and resolutions on offer, the site's asset folders and the stored, Python-measured rows
// to plot beside this device's. Nothing is fetched until Run: then the runtime (ONNX Runtime Web, served by the book
// itself from npm) and the one model file for the chosen width (made by mobilenet_course.browser at build time).
//
// The same functions are the page's API, for the widget and for the browser console:
//   await mobilenetCourse.measure({alpha: 1.0, resolution: 224, runs: 30})   // a results row, as mc.bench.benchmark's
//   await mobilenetCourse.logits({alpha: 1.0, resolution: 224})              // 1000 numbers, for the fixed input
// The fixed input is mobilenet_course.browser.fixed_input: element i is (i * 7919 mod 256) / 127.5 - 1.
// Timing: the first call of a new session (first_ms), warm-up calls, then blocks of calls, each block timed as one
// and counted as its mean, at least `runs` calls and `minTimeMs`. A block lasts at least BLOCK_MS, so that a model
// faster than the browser's timer (coarsened to 0.1 ms or more in a page that is not isolated) is still measured.

const RUNTIME = { ort: null, threads: null, sessions: new Map(), files: new Map(), manifest: null, serviceWorker: null };
const BLOCK_MS = 5;

function siteRoot() {
  // Sphinx writes the path from a page to the site's root on <html data-content_root="../">; Jupyter and Colab have none.
  const root = document.documentElement.dataset.content_root;
  return root === undefined ? null : new URL(root, document.baseURI).href;
}

function describeBrowser() {
  const brands = (navigator.userAgentData && navigator.userAgentData.brands) || [];
  const named = brands.find((b) => !/not.a.brand|chromium/i.test(b.brand)) || brands.find((b) => /chromium/i.test(b.brand));
  if (named) return `${named.brand} ${named.version}`;
  const ua = navigator.userAgent;
  const match = ua.match(/(Firefox|Edg|Chrome|Version)\/(\d+)/);
  if (!match) return ua;
  const name = { Edg: "Edge", Version: /Safari/.test(ua) ? "Safari" : "Browser" }[match[1]] || match[1];
  return `${name} ${match[2]}`;
}

function threadsOnOffer() {
  // WebAssembly threads share memory, which browsers allow only in a cross-origin isolated page.
  if (!self.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 8));
}

const LEVELS = ["disabled", "basic", "extended", "all"];

function checkRequest(request, config) {
  if (request === null || typeof request !== "object") {
    throw new TypeError(`give an object such as {alpha: 1.0, resolution: 224, runs: 30}, got ${JSON.stringify(request)}`);
  }
  const { alpha, resolution, runs = 30, warmup = 10, minTimeMs = 1000, graphOptimizationLevel = "all",
    fixShape = true } = request;
  const alphas = config.alphas;
  if (!alphas.includes(Number(alpha)) || typeof alpha !== "number") {
    throw new RangeError(`alpha must be one of the browser models' widths ${JSON.stringify(alphas)}, got ${JSON.stringify(alpha)}`);
  }
  const whole = (value, name, low, high) => {
    if (!Number.isInteger(value) || value < low || value > high) {
      throw new RangeError(`${name} must be a whole number from ${low} to ${high}, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  return {
    alpha, resolution: whole(resolution, "resolution", config.min_resolution, config.max_resolution),
    runs: whole(runs, "runs", 1, 100000), warmup: whole(warmup, "warmup", 0, 100000),
    minTimeMs: whole(minTimeMs, "minTimeMs", 0, 600000),
    // What benchmarks/browser.py --explore varies; the widget keeps the defaults.
    graphOptimizationLevel: LEVELS.includes(graphOptimizationLevel) ? graphOptimizationLevel : (() => {
      throw new RangeError(`graphOptimizationLevel must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(graphOptimizationLevel)}`);
    })(),
    fixShape: Boolean(fixShape),
  };
}

function modelName(alpha, resolution) {
  const text = Number.isInteger(alpha) ? alpha.toFixed(1) : String(alpha);
  return `${text}-MobileNet-${resolution}`;
}

function loadRuntime(config, progress) {
  // One promise for the page: calls at the same time (the widget and the console) share one load.
  if (!RUNTIME.ort) {
    RUNTIME.ort = (async () => {
      const root = siteRoot();
      if (!root) throw new Error(config.not_on_site);
      progress("loading ONNX Runtime Web", 0);
      const ort = await import(root + config.runtime_dir + "ort.wasm.min.mjs");
      ort.env.wasm.wasmPaths = root + config.runtime_dir;
      ort.env.wasm.numThreads = threadsOnOffer();
      ort.env.logLevel = "error";
      RUNTIME.threads = ort.env.wasm.numThreads;
      return ort;
    })();
    RUNTIME.ort.catch(() => { RUNTIME.ort = null; }); // a failed load may be retried
  }
  return RUNTIME.ort;
}

async function sha256Hex(buffer) {
  if (!(self.crypto && crypto.subtle)) return null; // only in a secure context (https or localhost)
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function fetchModel(config, alpha, progress) {
  if (!RUNTIME.files.has(alpha)) {
    const pending = download(config, alpha, progress);
    RUNTIME.files.set(alpha, pending);
    pending.catch(() => RUNTIME.files.delete(alpha));
  }
  return RUNTIME.files.get(alpha);
}

async function download(config, alpha, progress) {
  const root = siteRoot();
  if (!RUNTIME.manifest) {
    const response = await fetch(root + config.models_dir + "manifest.json");
    if (!response.ok) throw new Error(`the book's model list is missing (${response.status} for manifest.json)`);
    RUNTIME.manifest = await response.json();
  }
  const entry = RUNTIME.manifest.find((e) => e.alpha === alpha);
  if (!entry) throw new Error(`the book serves no model of width ${alpha}`);
  const response = await fetch(root + config.models_dir + entry.file);
  if (!response.ok || !response.body) throw new Error(`could not fetch ${entry.file} (${response.status})`);
  const reader = response.body.getReader();
  const bytes = new Uint8Array(entry.bytes);
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received + value.length > bytes.length) throw new Error(`${entry.file} is larger than the book's list says`);
    bytes.set(value, received);
    received += value.length;
    progress(`fetching ${entry.file}: ${(received / 1e6).toFixed(1)} of ${(entry.bytes / 1e6).toFixed(1)} MB`,
      received / entry.bytes);
  }
  if (received !== entry.bytes) throw new Error(`${entry.file}: got ${received} bytes, the book's list says ${entry.bytes}`);
  const digest = await sha256Hex(bytes);
  if (digest !== null && digest !== entry.sha256) throw new Error(`${entry.file} does not match its SHA-256: a damaged download`);
  return bytes;
}

async function session(config, { alpha, resolution, graphOptimizationLevel, fixShape }, progress) {
  // Returns [session, fresh]: fresh when this call created it (its first run then pays for the set-up).
  const key = `${alpha}-${resolution}-${graphOptimizationLevel}-${fixShape}`;
  if (RUNTIME.sessions.has(key)) return [await RUNTIME.sessions.get(key), false];
  const pending = (async () => {
    const ort = await loadRuntime(config, progress);
    const bytes = await fetchModel(config, alpha, progress);
    progress(`preparing ${modelName(alpha, resolution)}`, 1);
    // Fixing the free dimensions lets ONNX Runtime plan every layer's shape once, as for a file per resolution.
    return ort.InferenceSession.create(bytes, {
      executionProviders: ["wasm"], graphOptimizationLevel,
      ...(fixShape ? { freeDimensionOverrides: { height: resolution, width: resolution } } : {}),
    });
  })();
  RUNTIME.sessions.set(key, pending);
  pending.catch(() => RUNTIME.sessions.delete(key));
  return [await pending, true];
}

function fixedInput(ort, resolution) {
  const data = new Float32Array(3 * resolution * resolution);
  for (let i = 0; i < data.length; i += 1) data[i] = ((i * 7919) % 256) / 127.5 - 1;
  return new ort.Tensor("float32", data, [1, 3, resolution, resolution]);
}

function quantiles(sorted) {
  // Python's statistics.quantiles(n=100, method="inclusive"), as mc.bench reports them.
  const m = sorted.length - 1;
  const at = (i) => {
    if (m === 0) return sorted[0];
    const j = Math.floor((i * m) / 100);
    const delta = i * m - j * 100;
    return j + 1 > m ? sorted[m] : (sorted[j] * (100 - delta) + sorted[j + 1] * delta) / 100;
  };
  const median = sorted.length % 2 ? sorted[m / 2] : (sorted[m / 2 - 0.5] + sorted[m / 2 + 0.5]) / 2;
  return { median, p10: at(10), p90: at(90), p99: at(99) };
}

const round4 = (x) => Math.round(x * 1e4) / 1e4;

async function measure(config, request = {}, progress = () => {}) {
  const checked = checkRequest(request, config);
  const { alpha, resolution, runs, warmup, minTimeMs } = checked;
  const name = modelName(alpha, resolution);
  // Progress runs from 0 to 1 once: loading and fetching to 0.5, warm-up to 0.6, timing to 1.
  const [run, fresh] = await session(config, checked, (text, fraction) => progress(text, 0.5 * fraction));
  const ort = await RUNTIME.ort;
  const feeds = { images: fixedInput(ort, resolution) };
  const pause = () => new Promise((resolve) => setTimeout(resolve, 0)); // let the page repaint between blocks
  let t0 = performance.now();
  await run.run(feeds);
  const firstMs = performance.now() - t0;
  t0 = performance.now();
  for (let i = 0; i < warmup; i += 1) {
    await run.run(feeds);
    if (i % 5 === 4 || i === warmup - 1) { progress(`warming up ${name}`, 0.5 + (0.1 * (i + 1)) / warmup); await pause(); }
  }
  const warmMs = warmup ? (performance.now() - t0) / warmup : firstMs;
  const block = Math.max(1, Math.ceil(BLOCK_MS / Math.max(warmMs, 1e-3)));
  const times = [];
  const start = performance.now();
  while (times.length * block < runs || performance.now() - start < minTimeMs) {
    t0 = performance.now();
    for (let i = 0; i < block; i += 1) await run.run(feeds);
    times.push((performance.now() - t0) / block);
    if (times.length % Math.max(1, Math.ceil(5 / block)) === 0) {
      progress(`timing ${name}: ${times.length * block} runs`, 0.6 + 0.4 * Math.min(1, (times.length * block) / runs));
      await pause();
    }
  }
  const q = quantiles(times.slice().sort((a, b) => a - b));
  const costs = familyCosts(config.layers, alpha, resolution);
  return {
    model: modelName(alpha, resolution), path: "onnxruntime-web wasm", batch: 1, threads: RUNTIME.threads,
    median_ms: round4(q.median), p10_ms: round4(q.p10), p90_ms: round4(q.p90), p99_ms: round4(q.p99),
    first_ms: fresh ? round4(firstMs) : null, runs: times.length * block, block, warmup,
    mult_adds: total(costs, "multAdds"), params: total(costs, "params"),
    machine: {
      cores: navigator.hardwareConcurrency || null, // a browser does not name its CPU
      system: (navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || "unknown",
      browser: describeBrowser(), user_agent: navigator.userAgent, runtime: `onnxruntime-web ${config.runtime_version}`,
      backend: "wasm", cross_origin_isolated: Boolean(self.crossOriginIsolated), threads: RUNTIME.threads,
    },
  };
}

async function logits(config, request = {}) {
  const checked = checkRequest({ runs: 1, ...request }, config);
  const [run] = await session(config, checked, () => {});
  const { resolution } = checked;
  const output = await run.run({ images: fixedInput(await RUNTIME.ort, resolution) });
  return Array.from(output.logits.data);
}

async function offerIsolation(config) {
  // Hosts such as GitHub Pages cannot send the headers that isolate a page. coi-serviceworker (npm), served at the
  // site's root, adds them to every response once installed: from the next load of the page on, threads work.
  const root = siteRoot();
  if (self.crossOriginIsolated || !root || !("serviceWorker" in navigator) || !self.isSecureContext) return "";
  if (!RUNTIME.serviceWorker) {
    RUNTIME.serviceWorker = (async () => {
      try {
        await navigator.serviceWorker.register(root + config.service_worker);
        const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 10000));
        return (await Promise.race([navigator.serviceWorker.ready, timeout])) ? "installed" : "failed";
      } catch (error) {
        return "failed";
      }
    })();
  }
  return RUNTIME.serviceWorker;
}

function installApi(config) {
  // One API a page, whatever number of widgets shows it; the first widget's configuration serves all.
  if (window.mobilenetCourse && window.mobilenetCourse.measure) return window.mobilenetCourse;
  window.mobilenetCourse = {
    measure: (request) => measure(config, request),
    logits: (request) => logits(config, request),
    environment: () => ({
      backend: "wasm", threads: RUNTIME.threads ?? threadsOnOffer(), cross_origin_isolated: Boolean(self.crossOriginIsolated),
      hardware_concurrency: navigator.hardwareConcurrency || null, browser: describeBrowser(), on_site: siteRoot() !== null,
    }),
  };
  return window.mobilenetCourse;
}

function logScale(lo, hi, from, to) {
  const a = Math.log10(lo), b = Math.log10(hi);
  return (v) => from + ((Math.log10(v) - a) / (b - a)) * (to - from);
}

const SHAPES = ["circle", "square", "triangle", "diamond", "cross"];

function marker(shape, cx, cy, cls) {
  // One outlined or filled mark: the shape tells the stored paths apart without relying on colour.
  const r = 4.5;
  if (shape === "circle") return svgElement("circle", { cx, cy, r, class: cls });
  const points = {
    square: [[-r, -r], [r, -r], [r, r], [-r, r]],
    triangle: [[0, -r * 1.2], [r * 1.1, r * 0.8], [-r * 1.1, r * 0.8]],
    diamond: [[0, -r * 1.3], [r * 1.1, 0], [0, r * 1.3], [-r * 1.1, 0]],
    cross: [[-r, -r], [r, r], [0, 0], [r, -r], [-r, r], [0, 0]],
  }[shape];
  return svgElement("polygon", { points: points.map(([dx, dy]) => `${cx + dx},${cy + dy}`).join(" "), class: cls });
}

function storedShapes(stored) {
  // path -> shape, in the order the paths first appear
  const shapes = new Map();
  for (const r of stored) if (!shapes.has(r.path)) shapes.set(r.path, SHAPES[shapes.size % SHAPES.length]);
  return shapes;
}

function drawPlot(svg, stored, measured) {
  // Latency against mult-adds, both axes logarithmic: the stored rows outlined (a shape per path), this device's filled.
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const W = 560, H = 300, left = 58, right = 12, top = 12, bottom = 44;
  const points = [...stored, ...measured].filter((r) => r.mult_adds > 0 && r.median_ms > 0);
  const title = svgElement("title");
  title.textContent = "Latency against mult-adds, logarithmic axes: the stored measurements and this device's";
  svg.appendChild(title);
  if (!points.length) return;
  const pad = (lo, hi) => [lo / 1.5, hi * 1.5];
  const [xLo, xHi] = pad(Math.min(...points.map((r) => r.mult_adds)), Math.max(...points.map((r) => r.mult_adds)));
  const [yLo, yHi] = pad(Math.min(...points.map((r) => r.median_ms)), Math.max(...points.map((r) => r.median_ms)));
  const x = logScale(xLo, xHi, left, W - right), y = logScale(yLo, yHi, H - bottom, top);
  svg.appendChild(svgElement("rect", { x: left, y: top, width: W - left - right, height: H - top - bottom, class: "mc-frame" }));
  const ticks = (lo, hi) => {
    const out = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e += 1) {
      for (const m of [1, 3]) { const v = m * 10 ** e; if (v >= lo && v <= hi) out.push(v); }
    }
    return out;
  };
  const label = (v) => (v >= 1e6 ? `${v / 1e6}M` : v >= 1 ? String(v) : v.toPrecision(1));
  for (const v of ticks(xLo, xHi)) {
    const t = svgElement("text", { x: x(v), y: H - bottom + 16, "text-anchor": "middle", class: "mc-axis" });
    t.textContent = label(v); svg.appendChild(t);
  }
  for (const v of ticks(yLo, yHi)) {
    const t = svgElement("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", class: "mc-axis" });
    t.textContent = label(v); svg.appendChild(t);
  }
  const xTitle = svgElement("text", { x: (left + W - right) / 2, y: H - 8, "text-anchor": "middle", class: "mc-axis" });
  xTitle.textContent = "mult-adds"; svg.appendChild(xTitle);
  const yTitle = svgElement("text", { x: 14, y: (top + H - bottom) / 2, "text-anchor": "middle", class: "mc-axis",
    transform: `rotate(-90 14 ${(top + H - bottom) / 2})` });
  yTitle.textContent = "median latency (ms)"; svg.appendChild(yTitle);
  const shapes = storedShapes(stored);
  for (const [rows, cls] of [[stored, "mc-dot-out"], [measured, "mc-dot-best"]]) {
    for (const r of rows) {
      if (!(r.mult_adds > 0 && r.median_ms > 0)) continue;
      const shape = cls === "mc-dot-best" ? "circle" : shapes.get(r.path);
      const dot = marker(shape, x(r.mult_adds), y(r.median_ms), cls);
      const tip = svgElement("title");
      tip.textContent = `${r.model}, ${r.path}: ${r.median_ms.toFixed(2)} ms`;
      dot.appendChild(tip);
      svg.appendChild(dot);
    }
  }
}

function render({ model, el }) {
  const config = {
    layers: model.get("layers"), alphas: model.get("alphas"), resolutions: model.get("resolutions"),
    min_resolution: model.get("min_resolution"), max_resolution: model.get("max_resolution"),
    runtime_dir: model.get("runtime_dir"), models_dir: model.get("models_dir"),
    service_worker: model.get("service_worker"), runtime_version: model.get("runtime_version"),
    not_on_site: model.get("not_on_site"),
  };
  const stored = model.get("stored");
  const root = element("div", { class: "mc-widget mc-device-benchmark" });
  root.appendChild(element("p", { class: "mc-heading" }, "Measure MobileNet on this device, in this browser"));

  if (siteRoot() === null) {
    // Jupyter, Colab: the runtime and the models are files of the published book, not of the notebook.
    root.appendChild(element("p", { class: "mc-device-status", role: "status" }, config.not_on_site));
    el.appendChild(root);
    return;
  }
  installApi(config);

  const controls = element("div", { class: "mc-controls" });
  const choose = (label, values, initial, text) => {
    const id = uniqueId("mc-device");
    const row = element("div", { class: "mc-row" });
    row.appendChild(element("label", { for: id }, label));
    const select = element("select", { id });
    for (const v of values) {
      const option = element("option", { value: String(v) }, text(v));
      if (v === initial) option.selected = true;
      select.appendChild(option);
    }
    row.appendChild(select);
    controls.appendChild(row);
    return select;
  };
  const alphaSelect = choose("width alpha", config.alphas, config.alphas[config.alphas.length - 1], (a) => a.toFixed(2));
  const resolutionSelect = choose("input resolution", config.resolutions, config.resolutions[config.resolutions.length - 1],
    (r) => `${r} px`);
  const gridId = uniqueId("mc-device-grid");
  const gridRow = element("div", { class: "mc-row" });
  const grid = element("input", { type: "checkbox", id: gridId });
  gridRow.appendChild(grid);
  gridRow.appendChild(element("label", { for: gridId, class: "mc-inline" },
    `all ${config.alphas.length * config.resolutions.length} models of the paper's grid`));
  controls.appendChild(gridRow);
  grid.addEventListener("change", () => { alphaSelect.disabled = grid.checked; resolutionSelect.disabled = grid.checked; });
  const buttons = element("div", { class: "mc-row" });
  // aria-disabled, not disabled, while running: a disabled button would lose the keyboard focus.
  const runButton = element("button", { type: "button", class: "mc-run" }, "Run");
  const copyButton = element("button", { type: "button", class: "mc-copy", "aria-disabled": "true" }, "Copy results (JSON)");
  buttons.appendChild(runButton);
  buttons.appendChild(copyButton);
  controls.appendChild(buttons);
  root.appendChild(controls);

  const bar = element("progress", { max: "1", value: "0", class: "mc-progress", "aria-label": "progress" });
  // The visible status changes many times a second while timing; screen readers hear only the announcements.
  const status = element("p", { class: "mc-device-status", "aria-live": "off" },
    "Press Run: the runtime and the chosen model are fetched only then.");
  const announce = announcer(0);
  root.appendChild(bar);
  root.appendChild(status);
  root.appendChild(announce);
  const say = (text) => { status.textContent = text; announce.announce(text); };
  const environment = element("p", { class: "mc-environment" });
  const showEnvironment = () => {
    const env = window.mobilenetCourse.environment();
    environment.textContent = `Backend ${env.backend}, ${env.threads} thread${env.threads === 1 ? "" : "s"}` +
      (env.cross_origin_isolated ? " (page cross-origin isolated)" : " (page not cross-origin isolated: one thread)") +
      `; ${env.hardware_concurrency ?? "?"} logical cores reported; ${env.browser}.`;
  };
  showEnvironment();
  root.appendChild(environment);

  const tableBox = element("div", { class: "mc-table-box" });
  const table = element("table", { class: "mc-readout mc-results" });
  const head = element("tr");
  for (const h of ["model", "median ms", "p10", "p90", "mult-adds"]) head.appendChild(element("th", { scope: "col" }, h));
  table.appendChild(head);
  tableBox.appendChild(table);
  root.appendChild(tableBox);
  const svg = svgElement("svg", { viewBox: "0 0 560 300", class: "mc-plot", role: "img",
    "aria-label": "Latency against mult-adds: the stored measurements (outlined) and this device's (filled circles)" });
  root.appendChild(svg);
  const shapes = storedShapes(stored);
  const where = [...new Set(stored.map((r) => r.machine))].join("; ");
  root.appendChild(element("p", { class: "mc-legend" },
    (stored.length
      ? `Outlined: stored measurements${where ? ` (${where})` : ""}, ` +
        [...shapes].map(([path, shape]) => `${path} ${shape}s`).join(", ") + "; "
      : "") + "filled circles: this device, in this browser."));
  const measured = [];
  drawPlot(svg, stored, measured);

  const addRow = (row) => {
    measured.push(row);
    const tr = element("tr");
    for (const v of [row.model, row.median_ms.toFixed(2), row.p10_ms.toFixed(2), row.p90_ms.toFixed(2),
      `${(row.mult_adds / 1e6).toFixed(1)}M`]) tr.appendChild(element("td", {}, v));
    table.appendChild(tr);
    drawPlot(svg, stored, measured);
    copyButton.setAttribute("aria-disabled", "false");
  };

  let running = false;
  runButton.addEventListener("click", async () => {
    if (running) return;
    running = true;
    runButton.setAttribute("aria-disabled", "true");
    const jobs = grid.checked
      ? config.alphas.flatMap((a) => config.resolutions.map((r) => [a, r]))
      : [[Number(alphaSelect.value), Number(resolutionSelect.value)]];
    try {
      for (const [i, [alpha, resolution]] of jobs.entries()) {
        const prefix = jobs.length > 1 ? `model ${i + 1} of ${jobs.length}: ` : "";
        announce.announce(`${prefix}measuring ${modelName(alpha, resolution)}`);
        const row = await measure(config, { alpha, resolution }, (text, fraction) => {
          status.textContent = prefix + text;
          bar.value = (i + Math.max(0, Math.min(1, fraction))) / jobs.length;
        });
        addRow(row);
        showEnvironment();
      }
      bar.value = 1;
      const last = measured[measured.length - 1];
      let text = jobs.length === 1 ? `Done: ${last.model} in ${last.median_ms.toFixed(2)} ms (median).`
        : `Done: ${jobs.length} models.`;
      if (!self.crossOriginIsolated) {
        const worker = await offerIsolation(config);
        text += worker === "installed"
          ? " This page ran on one thread; reload it to measure with threads (a service worker now isolates it)."
          : " This page ran on one thread: threads need a cross-origin isolated page.";
      }
      say(text);
    } catch (error) {
      say(`Could not measure: ${String(error?.message ?? error)}`);
    } finally {
      running = false;
      runButton.setAttribute("aria-disabled", "false");
    }
  });

  let copyBox = null;
  copyButton.addEventListener("click", async () => {
    if (!measured.length) return;
    const text = JSON.stringify(measured, null, 1);
    try {
      await navigator.clipboard.writeText(text);
      say(`Copied ${measured.length} row${measured.length === 1 ? "" : "s"}: save them as a .json file and run ` +
        "`mobilenet-course report FILE` to plot them beside native rows.");
    } catch (error) {
      // No clipboard (an insecure page, or permission refused): show the rows to copy by hand, in one box.
      if (!copyBox) {
        copyBox = element("textarea", { readonly: "", rows: "6", class: "mc-copy-text", "aria-label": "results as JSON" });
        root.appendChild(copyBox);
      }
      copyBox.value = text;
      copyBox.select();
      say("The clipboard is not available here: the rows are in the box below, selected.");
    }
  });

  el.appendChild(root);
}

export default { render };
