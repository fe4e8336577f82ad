// articleqa web chat. Everything from the server is put on the page as text (textContent,
// createTextNode), never parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const history = [];
const articles = new Map();
let busy = false;
let conversation = 0; // bumped by "New chat": replies to an older conversation are dropped
let pending = null; // the AbortController of the answer being streamed
let reading = 0; // the latest citation opened: a slower earlier one must not overwrite it

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

let verifier = "the rules"; // what checks each sentence (from /health)

// sources.js calls it too, once an upload or a poll has added articles
async function refreshStatus() {
  try {
    const res = await fetch("/health");
    const h = await res.json();
    if (!res.ok) throw new Error(h.error ? h.error.message : res.statusText);
    const n = h.articles;
    const writer = h.model
      ? `answers by ${h.model}${h.model_runtime === "local" ? " (local)" : ""}`
      : "extractive answers (no language model)";
    verifier = h.verifier === "heuristic+model" ? `the rules and ${h.model}` : "the rules";
    $("status").textContent = `${n} article${n === 1 ? "" : "s"} · ${writer}`;
  } catch (err) {
    $("status").textContent = `service unavailable: ${err.message}`;
  }
}

function addMessage(role, text) {
  $("empty").hidden = true;
  const item = el("li", `msg ${role}`);
  item.append(el("div", "answer", text));
  $("messages").append(item);
  item.scrollIntoView({ block: "end" });
  return item;
}

function citeButton(citation) {
  const button = el("button", "cite", `[${citation.id}]`);
  button.type = "button";
  button.dataset.citation = String(citation.id);
  button.title = citation.title;
  button.addEventListener("click", () => openCitation(citation));
  return button;
}

// The checked quotes, shown while the model writes its answer below them; returns where
// the model's draft goes.
function showQuotes(item, quotes) {
  renderAnswer(item, quotes);
  item.classList.add("streaming", "preview");
  const draft = el("p", "draft");
  draft.title = "The model's answer, shown once checked";
  item.append(draft);
  return draft;
}

// The day to answer as of: today unless the reader picks another (empty: no bound).
function asOf() {
  const day = $("as-of").value;
  return day ? { as_of: day } : {};
}

function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function renderAnswer(item, answer) {
  item.classList.remove("streaming", "preview");
  item.querySelectorAll(".draft, .sources, .closest, .note, .when, .differs").forEach((n) => n.remove());
  const body = item.querySelector(".answer");
  body.replaceChildren();
  if (answer.note) item.append(el("p", "note", answer.note));
  if (answer.refused) {
    item.classList.add("refused");
    body.textContent = answer.answer;
    if (answer.closest) item.append(renderClosest(answer.closest));
    return;
  }
  const byId = new Map(answer.citations.map((c) => [c.id, c]));
  if (answer.verdict) {
    const word = answer.verdict.charAt(0).toUpperCase() + answer.verdict.slice(1);
    const verdict = el("span", "verdict", `${word}.`);
    verdict.title = "The language model's verdict on this question, read from the " +
      "quoted sentences after it (the verdict itself is not a quote).";
    body.append(verdict, document.createTextNode(" "));
  }
  answer.sentences.forEach((sentence, i) => {
    const span = el("span", sentence.supported ? "sentence" : "sentence unsupported");
    const match = sentence.text.match(/^(.*?)([.!?…]+)$/s);
    const [main, stop] = match && sentence.citations.length ? [match[1], match[2]]
                                                           : [sentence.text, ""];
    span.append(document.createTextNode(main));
    if (sentence.citations.length) span.append(document.createTextNode("\u202f"));
    for (const n of sentence.citations) {
      if (byId.has(n)) span.append(citeButton(byId.get(n)));
    }
    span.append(document.createTextNode(stop));
    const score = sentence.support.toFixed(2);
    span.dataset.support = score;
    if (!sentence.supported) {
      span.title = `The cited articles do not support this sentence (support ${score}, ` +
        `checked by ${verifier}).`;
      span.append(el("span", "flag", "(not supported by the articles)"));
    } else {
      span.title = `Supported by the cited words (support ${score}, checked by ${verifier}).`;
    }
    body.append(span);
    if (i < answer.sentences.length - 1) body.append(document.createTextNode(" "));
  });
  if (answer.when) item.append(el("p", "when", answer.when));
  if (answer.differs) item.append(el("p", "differs", answer.differs));
  if (answer.citations.length) item.append(renderSources(answer.citations));
}

function renderClosest(c) {
  const box = el("p", "closest", "Closest the articles come: ");
  const open = el("button", "source", c.title);
  open.type = "button";
  open.addEventListener("click", () => openCitation(c));
  box.append(el("q", "quote", c.quote), document.createTextNode(" — "), open);
  return box;
}

function renderSources(citations) {
  const list = el("ol", "sources");
  list.setAttribute("aria-label", "Sources");
  for (const c of citations) {
    const row = el("li");
    const open = el("button", "source", `[${c.id}] ${c.title}`);
    open.type = "button";
    open.addEventListener("click", () => openCitation(c));
    const meta = [c.source, c.published_at].filter(Boolean).join(", ");
    row.append(open);
    if (meta) row.append(el("span", "meta", ` — ${meta}`));
    const chars = Array.from(c.quote);
    const quote = chars.length > 180 ? `${chars.slice(0, 177).join("")}…` : c.quote;
    row.append(el("q", "quote", quote));
    const copies = (c.also_published_by || []).map((o) => o.source || o.url).filter(Boolean);
    if (copies.length) row.append(el("span", "also", ` Also published by ${copies.join(", ")}.`));
    list.append(row);
  }
  return list;
}

function showError(item, message) {
  item.classList.remove("streaming");
  item.classList.add("error");
  item.querySelector(".answer").textContent = message;
}

async function fetchArticle(id) {
  if (!articles.has(id)) {
    const res = await fetch(`/api/articles/${encodeURIComponent(id)}`);
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ? body.error.message : res.statusText);
    articles.set(id, body);
  }
  return articles.get(id);
}

async function openCitation(citation) {
  const ticket = ++reading;
  const reader = $("reader");
  reader.hidden = false;
  $("reader-title").textContent = citation.title;
  $("reader-meta").textContent = "";
  const text = $("reader-text");
  text.textContent = "Loading…";
  let article;
  try {
    article = await fetchArticle(citation.article_id);
  } catch (err) {
    if (ticket === reading) text.textContent = `Could not load the article: ${err.message}`;
    return;
  }
  if (ticket !== reading) return;
  $("reader-title").textContent = article.title;
  const meta = $("reader-meta");
  const byline = article.authors.length ? `By ${article.authors.join(", ")}` : "";
  meta.textContent = [byline, article.source, article.published_at].filter(Boolean)
    .join(" · ");
  if (article.url && /^https?:\/\//i.test(article.url)) {
    const link = el("a", "", article.url);
    link.href = article.url;
    link.rel = "noopener noreferrer";
    link.target = "_blank";
    if (meta.textContent) meta.append(document.createTextNode(" · "));
    meta.append(link);
  }
  // Offsets count code points (as Python does); JavaScript strings count UTF-16 units.
  const chars = Array.from(article.text);
  const mark = el("mark", "", chars.slice(citation.start, citation.end).join(""));
  mark.id = "highlight";
  text.replaceChildren(document.createTextNode(chars.slice(0, citation.start).join("")), mark,
                       document.createTextNode(chars.slice(citation.end).join("")));
  mark.scrollIntoView({ block: "center" });
}

// Reads a Server-Sent Events body, calling onEvent(name, data) for each event.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}

async function ask(question) {
  busy = true;
  $("send").disabled = true;
  const mine = conversation;
  pending = new AbortController();
  articles.clear(); // an article may have been edited since it was last read
  addMessage("user", question);
  const item = addMessage("assistant streaming", "");
  const messages = [...history, { role: "user", content: question }];
  let answer = null;
  try {
    const res = await fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ messages, stream: true, ...asOf() }),
      signal: pending.signal,
    });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      throw new Error(body.error ? body.error.message : `HTTP ${res.status}`);
    }
    let body = item.querySelector(".answer");
    await readEvents(res, (name, data) => {
      if (name === "quote") body = showQuotes(item, data);
      else if (name === "token") body.append(document.createTextNode(data.text));
      else if (name === "done") answer = data;
      else if (name === "error") throw new Error(data.error.message);
    });
    if (!answer) throw new Error("the answer stream ended early");
    if (mine !== conversation) return;
    renderAnswer(item, answer);
    history.push({ role: "user", content: question },
                 { role: "assistant", content: answer.answer });
  } catch (err) {
    if (mine === conversation) showError(item, `Error: ${err.message}`);
  } finally {
    if (mine === conversation) {
      busy = false;
      $("send").disabled = false;
      item.scrollIntoView({ block: "end" });
    }
  }
}

function start() {
  $("ask").addEventListener("submit", (event) => {
    event.preventDefault();
    const question = $("question").value.trim();
    if (!question || busy) return;
    $("question").value = "";
    ask(question);
  });
  $("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("ask").requestSubmit();
    }
  });
  $("new-chat").addEventListener("click", () => {
    conversation += 1;
    if (pending) pending.abort();
    busy = false;
    $("send").disabled = false;
    history.length = 0;
    $("messages").replaceChildren();
    $("empty").hidden = false;
    $("reader").hidden = true;
  });
  $("close-reader").addEventListener("click", () => { $("reader").hidden = true; });
  $("as-of").value = today();
  refreshStatus();
  $("question").focus();
}

start();
