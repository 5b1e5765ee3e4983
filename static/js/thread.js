// The thread page: forget the composer draft once its thread is posted, and put
// related threads one click away from the reply box. Without this script the
// reply box's disclosure still lists this thread's related threads.
import { fetchSimilar, listKeys, renderSuggestions } from "./similar.js";
import { draftStore } from "./draft.js";

const SEARCH_CHARS = 200; // enough words for a search, short enough for a URL

for (const marker of document.querySelectorAll("[data-clear-draft]")) {
  draftStore(marker.dataset.clearDraft).clear();
}

const box = document.querySelector("[data-reply-related]");
const reply = box && box.closest("form") && box.closest("form").elements.namedItem("body");
if (box && reply) initReplyRelated(box, reply);

function initReplyRelated(box, reply) {
  const list = box.querySelector("[data-reply-related-list]");
  const status = box.querySelector("[data-reply-related-status]");
  const find = box.querySelector("[data-reply-related-find]");
  const link = box.querySelector("[data-reply-search-link]");
  const state = { seq: 0, controller: null };
  find.hidden = false;
  listKeys(list, () => find.focus());

  const syncLink = () => {
    const url = new URL(link.href, window.location.href);
    const text = reply.value.trim().slice(0, SEARCH_CHARS);
    if (text) url.searchParams.set("q", text);
    else url.searchParams.delete("q");
    link.href = url.pathname + url.search;
    link.textContent = text ? "Search for my reply's words" : "Search all threads";
  };
  reply.addEventListener("input", syncLink);
  syncLink();

  find.addEventListener("click", async () => {
    const text = reply.value.trim();
    if (!text) {
      status.textContent = "Write your reply first, then look for threads like it.";
      reply.focus();
      return;
    }
    const mine = ++state.seq;
    if (state.controller) state.controller.abort();
    state.controller = new AbortController();
    status.textContent = "Looking for threads like your reply…";
    try {
      const results = await fetchSimilar(box.dataset.similarUrl, {
        body: text, exclude: box.dataset.threadId, signal: state.controller.signal,
      });
      if (mine !== state.seq) return;
      if (results.length) renderSuggestions(list, results, { newTab: true });
      status.textContent = results.length
        ? `${results.length} thread${results.length === 1 ? "" : "s"} like your reply found.`
        : "No threads close to your reply; the list shows threads related to this one.";
    } catch {
      if (mine === state.seq) status.textContent = "Related threads could not be found just now.";
    }
  });
}
