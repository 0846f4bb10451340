// Izana's reference web client: chat, blood work and admin over the public HTTP API
// (docs/api.md, docs/events.md). No build step and no dependency: the browser's fetch, streams
// and DOM. Nothing inline, so the page's Content-Security-Policy allows only its own files.
"use strict";

const SESSION_KEY = "izana.session";
const ADMIN_KEY = "izana.admin";
const PENDING_KEY = "izana.pending";  // the answer being streamed, to resume after a reload

// ---- HTTP ----

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
  }
}

async function sessionToken() {
  let token = localStorage.getItem(SESSION_KEY);
  if (!token) {
    const response = await fetch("/v1/sessions", {method: "POST"});
    token = (await response.json()).token;
    localStorage.setItem(SESSION_KEY, token);
  }
  return token;
}

// A request with the session's (or the admin's) token; JSON in and out. A session the server
// no longer knows is replaced once.
async function call(method, path, body, {admin = false, retried = false} = {}) {
  const token = admin ? sessionStorage.getItem(ADMIN_KEY) : await sessionToken();
  const headers = {"Authorization": `Bearer ${token}`};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  const data = response.status === 204 ? null : await response.json();
  if (response.ok) return data;
  if (!admin && !retried && data?.error?.code === "session_invalid") {
    localStorage.removeItem(SESSION_KEY);
    return call(method, path, body, {retried: true});
  }
  throw new ApiError(response.status, data);
}

// Follows a job's server-sent events after `lastEventId` (all of them without one), calling
// onEvent(id, type, data) for each, until the stream ends. fetch rather than EventSource:
// it can send Last-Event-ID when a reloaded page resumes.
async function follow(eventsUrl, lastEventId, onEvent) {
  const headers = lastEventId ? {"Last-Event-ID": lastEventId} : {};
  const response = await fetch(eventsUrl, {headers});
  if (!response.ok) throw new ApiError(response.status, await response.json());
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const {value, done} = await reader.read();
    if (done) return;
    buffer += value;
    const frames = buffer.split("\r\n\r\n");
    buffer = frames.pop();
    for (const frame of frames) {
      const fields = {};
      for (const line of frame.split("\r\n")) {
        if (line.startsWith(":")) continue;  // keep-alive comment
        const colon = line.indexOf(":");
        fields[line.slice(0, colon)] = line.slice(colon + 2);
      }
      if (fields.event) onEvent(fields.id, fields.event, JSON.parse(fields.data));
    }
  }
}

// ---- DOM helpers ----

const $ = (selector) => document.querySelector(selector);

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "onclick") node.addEventListener("click", value);
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function svgElement(tag, attributes = {}, text = "") {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.textContent = text;
  return node;
}

function showScreen(name) {
  for (const button of document.querySelectorAll("nav button")) {
    if (button.dataset.screen === name) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.id !== name;
}

// ---- Chat ----

const STAGES = {
  queued: "Waiting for a worker…", translating: "Translating…", retrieving: "Searching the knowledge base…",
  reranking: "Ranking passages…", generating: "Writing the answer…", reviewing: "Reviewing the answer…",
};
let conversationId = null;

function savePending(pending) {
  if (pending) sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  else sessionStorage.removeItem(PENDING_KEY);
}

function addMessage(role, text) {
  const body = element("div", {class: "text"}, text);
  const item = element("li", {class: role}, body);
  $("#messages").append(item);
  return item;
}

function showCitations(item, citations) {
  item.querySelector(".citations")?.remove();
  if (!citations.length) return;
  const links = citations.map((citation, index) =>
    element("li", {}, element("a", {href: citation.url, target: "_blank", rel: "noopener"}, `[${index + 1}] ${citation.title}`)));
  item.append(element("ol", {class: "citations", "aria-label": "Sources"}, ...links));
}

function showSuggestions(item, suggestions) {
  const buttons = suggestions.map((text) => element("button", {type: "button", onclick: () => ask(text)}, text));
  item.append(element("div", {class: "suggestions", role: "group", "aria-label": "Follow-up questions"}, ...buttons));
}

function showRating(item, messageId, rating = null, reason = "") {
  const name = `rating-${messageId}`;
  const stars = [1, 2, 3, 4, 5].map((stars) => {
    const input = element("input", {type: "radio", name, value: String(stars), id: `${name}-${stars}`});
    input.checked = rating === stars;
    return element("span", {}, input, element("label", {for: `${name}-${stars}`}, `${stars}★`));
  });
  const reasonInput = element("input", {type: "text", id: `${name}-reason`, maxlength: "1000"});
  reasonInput.value = reason || "";
  const status = element("span", {class: "rating-status", role: "status"}, rating ? "Rated" : "");
  const form = element("form", {class: "rating"},
    element("fieldset", {}, element("legend", {}, "Rate this answer"), ...stars),
    element("label", {for: `${name}-reason`}, "Why? (optional)"), reasonInput,
    element("button", {type: "submit"}, "Send rating"), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = form.querySelector("input[type=radio]:checked");
    if (!chosen) { status.textContent = "Choose 1 to 5 stars"; return; }
    const body = {message_id: messageId, rating: Number(chosen.value)};
    if (reasonInput.value.trim()) body.reason = reasonInput.value.trim();
    await call("POST", "/v1/feedback", body);
    status.textContent = "Thanks, rating saved";
  });
  item.append(form);
}

// Renders one event of an answer into `item`; `pending` keeps what a reload needs.
function answerEvent(item, pending, id, type, data) {
  const text = item.querySelector(".text");
  if (type === "status") $("#stage").textContent = STAGES[data.stage] || data.stage;
  else if (type === "token") { pending.text += data.text; text.textContent = pending.text; }
  else if (type === "reset") { pending.text = ""; text.textContent = ""; }
  else if (type === "citations") showCitations(item, data);
  else if (type === "suggestions") pending.suggestions = data;
  else if (type === "done") {
    text.textContent = data.answer;
    showSuggestions(item, pending.suggestions || []);
    showRating(item, data.message_id);
    $("#stage").textContent = "";
  } else if (type === "error") {
    text.textContent = data.message;
    item.classList.add("failed");
    $("#stage").textContent = "";
  }
  pending.lastEventId = id;
  savePending(["done", "error"].includes(type) ? null : pending);
}

async function stream(item, pending) {
  try {
    await follow(pending.eventsUrl, pending.lastEventId, (id, type, data) => answerEvent(item, pending, id, type, data));
  } catch (error) {
    item.querySelector(".text").textContent = error.message;
  }
  await listConversations();
}

async function ask(message) {
  addMessage("user", message);
  const item = addMessage("assistant", "");
  const body = {message};
  if (conversationId) body.conversation_id = conversationId;
  if ($("#language").value) body.language = $("#language").value;
  try {
    const accepted = await call("POST", "/v1/chat", body);
    conversationId = accepted.conversation_id;
    const pending = {eventsUrl: accepted.events_url, conversationId, question: message, lastEventId: null, text: ""};
    savePending(pending);
    await stream(item, pending);
  } catch (error) {
    item.querySelector(".text").textContent = error.message;
  }
}

async function resumePending() {
  const saved = sessionStorage.getItem(PENDING_KEY);
  if (!saved) return;
  const pending = JSON.parse(saved);
  conversationId = pending.conversationId;
  addMessage("user", pending.question);
  const item = addMessage("assistant", pending.text);
  await stream(item, pending);
}

async function listConversations() {
  const page = await call("GET", "/v1/conversations");
  const items = page.conversations.map((conversation) => element("li", {},
    element("button", {type: "button", onclick: () => openConversation(conversation.id)}, conversation.title),
    element("button", {type: "button", class: "delete", "aria-label": `Delete conversation: ${conversation.title}`,
      onclick: () => deleteConversation(conversation.id)}, "Delete")));
  $("#conversations").replaceChildren(...items);
}

async function openConversation(id) {
  const conversation = await call("GET", `/v1/conversations/${id}`);
  conversationId = id;
  $("#messages").replaceChildren();
  for (const message of conversation.messages) {
    const item = addMessage(message.role, message.content);
    if (message.role !== "assistant") continue;
    showCitations(item, message.citations);
    showSuggestions(item, message.suggestions);
    showRating(item, message.id, message.rating, message.rating_reason);
  }
}

async function deleteConversation(id) {
  await call("DELETE", `/v1/conversations/${id}`);
  if (conversationId === id) { conversationId = null; $("#messages").replaceChildren(); }
  await listConversations();
}

async function listLanguages() {
  const response = await fetch("/v1/languages");
  const {languages} = await response.json();
  for (const language of languages) {
    $("#language").append(element("option", {value: language.code}, `${language.name} (${language.native_name})`));
  }
}

// ---- Blood work ----

let report = null;

// Values and ranges come in the marker's canonical unit, converted: shown to 4 digits.
const shown = (value) => Number(value.toPrecision(4));

function rangeText(range) {
  if (!range) return "";
  if (range.low !== null && range.high !== null) return `${shown(range.low)} – ${shown(range.high)}`;
  return range.low !== null ? `> ${shown(range.low)}` : `< ${shown(range.high)}`;
}

// XMLHttpRequest rather than fetch: only it reports an upload's progress.
async function uploadWithProgress(file) {
  const token = await sessionToken();
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/v1/bloodwork");
    request.setRequestHeader("Authorization", `Bearer ${token}`);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) $("#upload-progress").value = Math.round(100 * event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      const body = JSON.parse(request.responseText);
      if (request.status === 202) resolve(body); else reject(new ApiError(request.status, body));
    });
    request.addEventListener("error", () => reject(new Error("The upload failed; check the connection.")));
    const form = new FormData();
    form.append("file", file);
    request.send(form);
  });
}

async function pollReport(statusUrl) {
  for (;;) {
    const current = await call("GET", statusUrl);
    $("#report-status").textContent = `Reading the report: ${current.status} (${current.progress} %)`;
    if (!["queued", "processing"].includes(current.status)) return current;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function showMarkers(read) {
  const rows = read.markers.map((marker, index) => {
    const value = element("input", {type: "number", step: "any", id: `marker-${index}`, "aria-label": `${marker.canonical_name} value`});
    value.value = String(shown(marker.value));
    const flag = marker.flag || "";
    return element("tr", {class: flag ? `flag-${flag}` : ""},
      element("th", {scope: "row"}, marker.canonical_name), element("td", {}, value),
      element("td", {}, marker.unit), element("td", {}, rangeText(marker.reference_range)), element("td", {}, flag));
  });
  $("#markers").replaceChildren(...rows);
  $("#missing").textContent = read.missing_markers.length ? `Not in the report: ${read.missing_markers.join(", ")}` : "";
  $("#markers-form").hidden = false;
}

async function uploadReport(event) {
  event.preventDefault();
  const file = $("#report").files[0];
  $("#markers-form").hidden = true;
  $("#analysis").replaceChildren();
  try {
    const accepted = await uploadWithProgress(file);
    report = await pollReport(accepted.status_url);
    if (report.status === "ready") showMarkers(report);
    else $("#report-status").textContent = report.error || `The report could not be read (${report.status}).`;
  } catch (error) {
    $("#report-status").textContent = error.message;
  }
}

async function analyse(event) {
  event.preventDefault();
  const markers = report.markers.map((marker, index) => {
    const entered = Number($(`#marker-${index}`).value);
    // A value left as shown is the one read, unrounded.
    return {canonical_name: marker.canonical_name, value: entered === shown(marker.value) ? marker.value : entered, unit: marker.unit};
  });
  const item = element("div", {}, element("div", {class: "text"}));
  $("#analysis").replaceChildren(item);
  try {
    const accepted = await call("POST", `/v1/bloodwork/${report.report_id}/analysis`, {markers});
    const pending = {text: ""};
    await follow(accepted.events_url, null, (id, type, data) => {
      if (type === "token") { pending.text += data.text; item.firstChild.textContent = pending.text; }
      else if (type === "reset") pending.text = "";
      else if (type === "citations") showCitations(item, data);
      else if (type === "done") item.firstChild.textContent = data.answer;
      else if (type === "error") item.firstChild.textContent = data.message;
    });
  } catch (error) {
    item.firstChild.textContent = error.message;
  }
}

// ---- Admin ----

// A bar chart of `values` (labelled) into the SVG; `format` writes a bar's value.
function barChart(svg, labels, values, format = String) {
  const width = 320, height = 160, bottom = 20, top = 14;
  const most = Math.max(...values, 1e-9);
  const step = width / Math.max(values.length, 1);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.replaceChildren();
  const labelEvery = Math.ceil(values.length / 8);  // a label per bar would overlap on a month
  values.forEach((value, index) => {
    const barHeight = (height - bottom - top) * value / most;
    const x = index * step + step * 0.15;
    const middle = x + step * 0.35;
    svg.append(svgElement("rect", {x, y: height - bottom - barHeight, width: step * 0.7, height: barHeight, class: "bar"}));
    if (index % labelEvery) return;
    svg.append(svgElement("text", {x: middle, y: height - bottom - barHeight - 3, "text-anchor": "middle"}, format(value)));
    svg.append(svgElement("text", {x: middle, y: height - 5, "text-anchor": "middle"}, labels[index]));
  });
}

function fillTable(table, columns, rows) {
  const head = element("thead", {}, element("tr", {}, ...columns.map(([title]) => element("th", {scope: "col"}, title))));
  const body = element("tbody", {}, ...rows.map((row) => element("tr", {}, ...columns.map(([, read]) => element("td", {}, String(read(row) ?? ""))))));
  table.replaceChildren(head, body);
}

async function showDashboard() {
  const get = (path) => call("GET", path, undefined, {admin: true});
  const [stats, gaps, documents, feedback] = await Promise.all(
    ["/v1/admin/stats", "/v1/admin/gaps", "/v1/admin/documents", "/v1/admin/feedback"].map(get));
  const days = stats.questions_per_day;
  barChart($("#chart-questions"), days.map((day) => day.day.slice(5)), days.map((day) => day.questions));
  const latency = stats.latency;
  const percentiles = ["p50", "p90", "p99"];
  barChart($("#chart-latency"),
    [...percentiles.map((p) => `ttft ${p}`), ...percentiles.map((p) => `total ${p}`)],
    [...percentiles.map((p) => latency.ttft_ms[p] || 0), ...percentiles.map((p) => latency.total_ms[p] || 0)],
    (value) => String(Math.round(value)));
  const cached = stats.sources.filter((source) => source.source !== "pipeline").reduce((sum, source) => sum + source.share, 0);
  barChart($("#chart-cache"), ["cache and shared", "pipeline"], [cached, stats.sources.length ? 1 - cached : 0],
    (value) => `${Math.round(100 * value)} %`);
  barChart($("#chart-ratings"), ["1★", "2★", "3★", "4★", "5★"], stats.ratings.distribution.map((count) => count.answers));
  fillTable($("#gaps"), [["Questions", (g) => g.questions], ["Example", (g) => g.example], ["Worst score", (g) => g.worst_score.toFixed(2)]], gaps.groups);
  fillTable($("#documents"), [["Title", (d) => d.title], ["Source", (d) => d.source], ["Citations", (d) => d.citations]], documents.documents);
  fillTable($("#feedback"), [["Rating", (f) => f.rating], ["Reason", (f) => f.reason], ["Question", (f) => f.question]], feedback.answers);
  $("#admin-login").hidden = true;
  $("#dashboard").hidden = false;
}

async function adminLogin(event) {
  event.preventDefault();
  const response = await fetch("/v1/admin/login", {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({pin: $("#pin").value}),
  });
  const body = await response.json();
  if (!response.ok) { $("#admin-error").textContent = body.error.message; return; }
  sessionStorage.setItem(ADMIN_KEY, body.token);
  $("#admin-error").textContent = "";
  await showDashboard();
}

// ---- Start ----

document.addEventListener("DOMContentLoaded", async () => {
  for (const button of document.querySelectorAll("nav button")) {
    button.addEventListener("click", () => showScreen(button.dataset.screen));
  }
  $("#ask").addEventListener("submit", (event) => {
    event.preventDefault();
    const message = $("#question").value.trim();
    $("#question").value = "";
    if (message) ask(message);
  });
  $("#question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("#ask").requestSubmit(); }
  });
  $("#new-conversation").addEventListener("click", () => { conversationId = null; $("#messages").replaceChildren(); });
  $("#upload").addEventListener("submit", uploadReport);
  $("#markers-form").addEventListener("submit", analyse);
  $("#admin-login").addEventListener("submit", adminLogin);
  await Promise.all([listLanguages(), listConversations()]);
  await resumePending();
});
