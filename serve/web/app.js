// labelfree demo page: posts the chosen photo to /v1/predict and draws the
// boxes of the reply over it. The photo never leaves the browser except in
// that request; the reply is JSON only.
"use strict";

const $ = (id) => document.getElementById(id);
const COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6"];

function setError(msg) {
  const e = $("error");
  e.textContent = msg || "";
  e.hidden = !msg;
}

function label(score) {
  const name = score.name || ("class " + score.class);
  return score.probability === undefined ? name : name + " " + (100 * score.probability).toFixed(1) + "%";
}

async function loadImage(file) {
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

function draw(img, reply) {
  const c = $("canvas");
  c.width = img.naturalWidth;
  c.height = img.naturalHeight;
  const g = c.getContext("2d");
  g.drawImage(img, 0, 0);
  // Reply coordinates are in the pixels of the decoded image the server saw.
  const sx = c.width / reply.image.width, sy = c.height / reply.image.height;
  const lw = Math.max(2, Math.round(Math.min(c.width, c.height) / 150));
  g.lineWidth = lw;
  g.font = (6 * lw) + "px system-ui, sans-serif";
  g.textBaseline = "top";
  for (const b of reply.boxes || []) {
    const color = COLORS[b.class % COLORS.length];
    const x = b.x0 * sx, y = b.y0 * sy, w = (b.x1 - b.x0) * sx, h = (b.y1 - b.y0) * sy;
    g.strokeStyle = color;
    g.strokeRect(x, y, w, h);
    const text = (b.name || "class " + b.class) + " " + (100 * b.score).toFixed(0) + "%";
    const tw = g.measureText(text).width;
    g.fillStyle = color;
    g.fillRect(x, Math.max(0, y - 7 * lw), tw + 2 * lw, 7 * lw);
    g.fillStyle = "#fff";
    g.fillText(text, x + lw, Math.max(0, y - 7 * lw) + lw / 2);
  }
}

function list(id, items) {
  const ol = $(id);
  ol.replaceChildren(...items.map((t) => {
    const li = document.createElement("li");
    li.textContent = t;
    return li;
  }));
}

async function predict(ev) {
  ev.preventDefault();
  const file = $("file").files[0];
  if (!file) return;
  setError("");
  $("result").hidden = true;
  $("status").textContent = "working…";
  const headers = { "Content-Type": file.type || "application/octet-stream" };
  const token = $("token").value;
  if (token) headers["Authorization"] = "Bearer " + token;
  try {
    const [img, resp] = await Promise.all([
      loadImage(file),
      fetch("/v1/predict", { method: "POST", headers, body: file }),
    ]);
    const reply = await resp.json();
    if (!resp.ok) {
      $("status").textContent = "failed";
      setError(reply.error ? reply.error.message + " (" + reply.error.code + ")" : "HTTP " + resp.status);
      return;
    }
    draw(img, reply);
    $("prediction").textContent = reply.prediction ? label(reply.prediction) : "";
    list("probabilities", (reply.probabilities || []).map(label));
    list("boxes", (reply.boxes || []).map((b) =>
      label({ class: b.class, name: b.name, probability: b.score }) +
      " at (" + b.x0.toFixed(0) + ", " + b.y0.toFixed(0) + ")–(" + b.x1.toFixed(0) + ", " + b.y1.toFixed(0) + ")"));
    $("result").hidden = false;
    const n = (reply.boxes || []).length;
    $("status").textContent = "done: " + n + (n === 1 ? " box" : " boxes") + " in " + reply.elapsed_ms.toFixed(1) + " ms";
    $("model").textContent = "Model " + (reply.model.name || "") + " " + (reply.model.version || "") +
      " (" + reply.model.stages.join(" → ") + ")";
  } catch (e) {
    $("status").textContent = "failed";
    setError(String(e));
  }
}

$("form").addEventListener("submit", predict);
