// The Sources panel: the feeds followed with their last poll, a form to follow one, and
// file uploads run as jobs whose progress is polled (GET /api/jobs/{id}). Text only, as in
// app.js: nothing from the server is parsed as HTML.
"use strict";

(() => {
  const byId = (id) => document.getElementById(id);
  let refreshing = null;

  function node(tag, className, text) {
    const item = document.createElement(tag);
    if (className) item.className = className;
    if (text !== undefined) item.textContent = text;
    return item;
  }

  function say(message) {
    byId("sources-message").textContent = message || "";
  }

  function writeHeaders(extra) {
    const key = byId("api-key").value.trim();
    return Object.assign(key ? { Authorization: `Bearer ${key}` } : {}, extra || {});
  }

  async function call(path, options) {
    const res = await fetch(path, options);
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error ? body.error.message : res.statusText);
    return body;
  }

  function when(seconds) {
    return new Date(seconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function feedStatus(feed) {
    if (feed.last_poll === null) return "not polled yet";
    const c = feed.last_counts;
    const left = c.deferred ? `, ${c.deferred} left for the next poll` : "";
    const found = `${c.new} new, ${c.updated} updated, ${c.failed} failed${left}`;
    const state = feed.last_status === "error" ? `error: ${feed.last_error}`
      : feed.last_status === "not_modified" ? "unchanged" : "ok";
    return `last poll ${when(feed.last_poll)}: ${state} · ${found} · ${feed.articles} articles`;
  }

  async function loadFeeds() {
    try {
      const { feeds } = await call("/api/feeds");
      const list = byId("feed-list");
      list.replaceChildren(...feeds.map((feed) => {
        const item = node("li", `feed ${feed.last_status || "new"}`);
        item.dataset.url = feed.url;
        item.append(node("span", "feed-title", feed.title || feed.url),
                    node("span", "feed-status", feedStatus(feed)));
        return item;
      }));
      if (!feeds.length) list.append(node("li", "feed none", "No feeds followed yet."));
    } catch (err) {
      say(`feeds unavailable: ${err.message}`);
    }
  }

  function jobLine(job) {
    const c = job.counts;
    const counts = `${c.new} new, ${c.updated} updated, ${c.unchanged} unchanged, ${c.failed} failed`;
    const what = job.kind === "upload" ? "Upload" : "Poll";
    if (job.status === "queued") return `${what} queued…`;
    if (job.status === "running") {
      return `${what} running: ${job.progress.done} of ${job.progress.total || "?"} · ${counts}`;
    }
    return `${what} ${job.status}: ${counts}${job.error ? ` (${job.error})` : ""}`;
  }

  async function follow(job) {
    const progress = byId("job-progress");
    progress.dataset.job = job.id;
    for (;;) {
      progress.textContent = jobLine(job);
      progress.className = `job ${job.status}`;
      if (job.status === "done" || job.status === "failed") break;
      await new Promise((resolve) => setTimeout(resolve, 400));
      job = await call(`/api/jobs/${job.id}`);
    }
    byId("job-failures").replaceChildren(...job.outcomes
      .filter((o) => o.status === "failed")
      .map((o) => node("li", "failure", `${o.source}: ${o.reason}`)));
    if (typeof refreshStatus === "function") refreshStatus();
    loadFeeds();
    return job;
  }

  async function addFeed(event) {
    event.preventDefault();
    say("");
    const url = byId("feed-url").value.trim();
    try {
      const added = await call("/api/feeds", {
        method: "POST", headers: writeHeaders({ "Content-Type": "application/json" }),
        body: JSON.stringify({ url }),
      });
      byId("feed-url").value = "";
      await loadFeeds();
      await follow(added.job);
    } catch (err) {
      say(err.message);
    }
  }

  async function upload(event) {
    event.preventDefault();
    say("");
    const form = new FormData();
    for (const file of byId("upload-file").files) form.append("file", file, file.name);
    try {
      const job = await call("/api/articles", { method: "POST", headers: writeHeaders(), body: form });
      byId("upload-file").value = "";
      await follow(job);
    } catch (err) {
      say(err.message);
    }
  }

  function toggle() {
    const panel = byId("sources");
    panel.hidden = !panel.hidden;
    byId("sources-toggle").setAttribute("aria-expanded", String(!panel.hidden));
    clearInterval(refreshing);
    if (!panel.hidden) {
      loadFeeds();
      refreshing = setInterval(loadFeeds, 5000);
    }
  }

  byId("sources-toggle").addEventListener("click", toggle);
  byId("add-feed").addEventListener("submit", addFeed);
  byId("upload").addEventListener("submit", upload);
})();
