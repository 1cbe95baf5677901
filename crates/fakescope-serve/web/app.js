// The fakescope web page: uploads files to the API, lists the jobs, shows a result.
// Plain DOM, no framework, no network beyond this server. Text from the server is always set
// with textContent, never parsed as HTML.
"use strict";

const state = { key: localStorage.getItem("fakescope-key") || "", auth: true, jobs: new Map(), open: null };

function headers() {
  return state.key ? { Authorization: "Bearer " + state.key } : {};
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...headers(), ...(options.headers || {}) } });
  if (!response.ok) {
    let detail = response.status + " " + response.statusText;
    try { const p = await response.json(); if (p.detail) detail = p.detail; } catch (_) { /* not JSON */ }
    const error = new Error(detail);
    error.status = response.status;
    throw error;
  }
  return response.status === 204 ? null : response.json();
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

const VERDICT_TEXT = { likely_fake: "Likely fake", likely_real: "Likely real", uncertain: "Uncertain", "n/a": "No detector applies" };
const verdictClass = (v) => (v === "n/a" || !v ? "na" : v);
const pct = (p) => (p === null || p === undefined ? "–" : (100 * p).toFixed(1) + " %");

// --- key handling ----------------------------------------------------------------------------
async function checkAccess() {
  try {
    await api("/v1/detectors");
    document.getElementById("key-section").hidden = state.key === "";
    document.getElementById("key-status").textContent = state.key ? "Key accepted." : "";
    return true;
  } catch (e) {
    document.getElementById("key-section").hidden = false;
    document.getElementById("key-status").textContent = e.status === 401 ? (state.key ? "This key is not accepted: " + e.message : "This server needs an API key.") : "Cannot reach the server: " + e.message;
    return false;
  }
}

document.getElementById("key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  state.key = document.getElementById("key").value.trim();
  localStorage.setItem("fakescope-key", state.key);
  if (await checkAccess()) refreshJobs();
});

// --- uploads ---------------------------------------------------------------------------------
function upload(file) {
  const bar = el("progress", { max: "100", value: "0", "aria-label": "Upload of " + file.name });
  const status = el("span", { text: " uploading…" });
  const item = el("li", {}, el("span", { text: file.name + " " }), bar, status);
  document.getElementById("uploads").prepend(item);
  const form = new FormData();
  form.append("file", file, file.name);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/v1/scans");
  for (const [k, v] of Object.entries(headers())) xhr.setRequestHeader(k, v);
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; };
  xhr.onload = () => {
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
    if (xhr.status === 202) {
      bar.value = 100;
      status.textContent = " queued";
      state.jobs.set(body.id, body);
      renderJobs();
      watch(body.id, status);
    } else {
      status.textContent = " failed: " + (body.detail || xhr.status + " " + xhr.statusText);
      status.className = "error";
    }
  };
  xhr.onerror = () => { status.textContent = " failed: the connection broke"; status.className = "error"; };
  xhr.send(form);
}

async function watch(id, status) {
  for (;;) {
    let job;
    try { job = await api("/v1/scans/" + id + "?wait=20"); } catch (e) { status.textContent = " " + e.message; return; }
    state.jobs.set(id, job);
    renderJobs();
    if (job.status === "done" || job.status === "failed") {
      status.textContent = job.status === "done" ? " done: " + (VERDICT_TEXT[job.result && job.result.verdict] || "") : " failed";
      if (state.open === null || state.open === id) showResult(id);
      return;
    }
    status.textContent = " " + job.status + "…";
  }
}

const drop = document.getElementById("drop");
const picker = document.getElementById("file");
picker.addEventListener("change", () => { for (const f of picker.files) upload(f); picker.value = ""; });
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  for (const f of e.dataTransfer.files) upload(f);
});

// --- job list --------------------------------------------------------------------------------
async function refreshJobs() {
  try {
    const { scans } = await api("/v1/scans?limit=100");
    state.jobs = new Map(scans.map((j) => [j.id, j]));
    renderJobs();
  } catch (_) { /* shown by checkAccess */ }
}

function summary(job) {
  if (job.result) return { verdict: job.result.verdict, p: job.result.fake_probability };
  return { verdict: job.verdict, p: job.fake_probability };
}

function renderJobs() {
  const body = document.querySelector("#jobs tbody");
  body.replaceChildren();
  const jobs = [...state.jobs.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  for (const job of jobs) {
    const s = summary(job);
    const open = el("button", { type: "button", text: job.filename, "aria-label": "Show the result of " + job.filename });
    open.addEventListener("click", () => showResult(job.id, true));
    const verdict = job.status === "done" ? VERDICT_TEXT[s.verdict] || "" : job.status === "failed" ? "error" : "";
    body.append(el("tr", {}, el("td", {}, open), el("td", { text: job.status }),
      el("td", { class: "verdict " + (job.status === "failed" ? "likely_fake" : verdictClass(s.verdict)), text: verdict }),
      el("td", { text: job.status === "done" ? pct(s.p) : "" })));
  }
  document.getElementById("jobs-empty").hidden = jobs.length > 0;
}

// --- one result ------------------------------------------------------------------------------
async function showResult(id, focus = false) {
  state.open = id;
  let job;
  try { job = await api("/v1/scans/" + id); } catch (e) { return; }
  const section = document.getElementById("result");
  const out = document.getElementById("result-body");
  out.replaceChildren();
  section.hidden = false;
  out.append(el("p", {}, el("strong", { text: job.filename }), " · " + job.media + " · " + job.status));
  if (job.status === "failed") {
    out.append(el("p", { class: "error", text: "Could not be scanned: " + (job.error || "unknown error") }));
  } else if (job.status !== "done") {
    out.append(el("p", { text: "Not finished yet." }));
  } else {
    renderReport(out, job);
  }
  const raw = el("details", {}, el("summary", { text: "Raw JSON" }), el("pre", { text: JSON.stringify(job, null, 2) }));
  const blob = new Blob([JSON.stringify(job, null, 2)], { type: "application/json" });
  out.append(raw, el("p", {}, Object.assign(el("a", { href: URL.createObjectURL(blob), download: job.id + ".json", text: "Download the JSON" }))));
  if (focus) section.focus();
}

function renderReport(out, job) {
  const r = job.result;
  const v = r.verdict;
  out.append(el("p", {}, el("span", { class: "badge " + verdictClass(v), id: "verdict", text: (VERDICT_TEXT[v] || v) + (r.fake_probability === null ? "" : " · " + pct(r.fake_probability)) })));
  out.append(el("p", { class: "hint", text: r.calibrated ? "Calibrated probability." : "Uncalibrated model output: read it as a score, not as odds." }));
  if (r.note) out.append(el("p", { class: "note", text: r.note }));
  const cards = el("div", { class: "cards" });
  for (const d of r.detectors || []) {
    const meter = el("div", { class: "meter", role: "img", "aria-label": pct(d.fake_probability) + " fake" }, el("span"));
    meter.firstChild.style.width = (100 * d.fake_probability).toFixed(1) + "%";
    cards.append(el("div", { class: "card" }, el("h3", { text: d.name }),
      el("p", { class: "verdict " + verdictClass(d.verdict), text: (VERDICT_TEXT[d.verdict] || d.verdict) + " · " + pct(d.fake_probability) }), meter));
  }
  out.append(cards);
  if (job.media === "image") renderImage(out, job);
  const windows = (r.detectors || []).filter((d) => d.windows && d.windows.length > 1);
  if (r.timeline && r.timeline.length) out.append(plot("Faces over time", r.timeline.map((p) => [p.time_s, p.fake_probability]), r.segments || [], r.duration_s));
  for (const d of windows) out.append(plot(d.name + " over time", d.windows.map((w) => [(w.start_s + w.end_s) / 2, w.fake_probability]), d.segments || [], r.duration_s));
}

async function renderImage(out, job) {
  const wrap = el("figure", {});
  out.append(wrap);
  try {
    const response = await fetch(job.links.file, { headers: headers() });
    if (!response.ok) return;
    const url = URL.createObjectURL(await response.blob());
    const img = el("img", { src: url, alt: "The scanned image" + (job.result.faces.length ? " with the faces found" : "") });
    const box = el("div", { class: "media" }, img);
    wrap.append(box, el("figcaption", { class: "hint", text: job.result.faces.length + " face(s); boxes colored by their fake probability." }));
    img.addEventListener("load", () => {
      const ns = "http://www.w3.org/2000/svg";
      const svg = document.createElementNS(ns, "svg");
      svg.setAttribute("viewBox", "0 0 " + img.naturalWidth + " " + img.naturalHeight);
      svg.setAttribute("aria-hidden", "true");
      for (const f of job.result.faces) {
        if (!f.bbox) continue;
        const [x1, y1, x2, y2] = f.bbox;
        const rect = document.createElementNS(ns, "rect");
        const color = f.fake_probability >= 0.5 ? "#a40e26" : "#146c2e";
        for (const [k, v] of Object.entries({ x: x1, y: y1, width: x2 - x1, height: y2 - y1, fill: "none", stroke: color, "stroke-width": Math.max(2, img.naturalWidth / 200) })) rect.setAttribute(k, v);
        const label = document.createElementNS(ns, "text");
        for (const [k, v] of Object.entries({ x: x1, y: Math.max(12, y1 - 4), fill: color, "font-size": Math.max(12, img.naturalWidth / 40) })) label.setAttribute(k, v);
        label.textContent = pct(f.fake_probability);
        svg.append(rect, label);
      }
      box.append(svg);
    });
  } catch (_) { /* the picture is optional */ }
}

// A line of fake probability over time with the segments above the threshold shaded.
function plot(title, points, segments, duration) {
  const ns = "http://www.w3.org/2000/svg";
  const W = 600, H = 160, L = 40, B = 24;
  const tmax = Math.max(duration || 0, ...points.map((p) => p[0]), 1e-6);
  const x = (t) => L + ((W - L - 8) * t) / tmax;
  const y = (p) => 8 + (H - B - 8) * (1 - p);
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 " + W + " " + H);
  svg.setAttribute("class", "plot");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", title + ": " + points.length + " points, " + segments.length + " segment(s) over the fake threshold");
  const add = (tag, attrs, text) => {
    const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    svg.append(n);
  };
  for (const s of segments) add("rect", { x: x(s.start_s), y: 8, width: Math.max(1, x(s.end_s) - x(s.start_s)), height: H - B - 8, fill: "#f6d5da" });
  add("line", { x1: L, y1: y(0.5), x2: W - 8, y2: y(0.5), stroke: "#999", "stroke-dasharray": "4 3" });
  add("line", { x1: L, y1: H - B, x2: W - 8, y2: H - B, stroke: "#333" });
  add("line", { x1: L, y1: 8, x2: L, y2: H - B, stroke: "#333" });
  for (const p of [0, 0.5, 1]) add("text", { x: L - 6, y: y(p) + 4, "text-anchor": "end", "font-size": 11 }, p.toFixed(1));
  add("text", { x: W - 8, y: H - 6, "text-anchor": "end", "font-size": 11 }, tmax.toFixed(1) + " s");
  add("text", { x: L, y: H - 6, "font-size": 11 }, "0 s");
  const pts = points.filter((p) => p[1] !== null);
  if (pts.length) add("polyline", { points: pts.map((p) => x(p[0]) + "," + y(p[1])).join(" "), fill: "none", stroke: "#0b57d0", "stroke-width": 2 });
  for (const p of pts) add("circle", { cx: x(p[0]), cy: y(p[1]), r: 2.5, fill: "#0b57d0" });
  return el("figure", {}, el("figcaption", { text: title }), svg);
}

checkAccess().then((ok) => { if (ok) refreshJobs(); });
