// The composer (/threads/new): live similar-thread suggestions and a draft that
// survives reloads. Progressive enhancement: without this script the form posts as
// usual and "Check for similar threads" shows the same suggestions server-side.
import {
  BODY_MAX, countText, debounce, fetchSimilar, listKeys, renderSuggestions,
} from "./similar.js";
import { draftStore } from "./draft.js";
import { trackSuggestions } from "./suggestion_events.js";

const DEBOUNCE_MS = 300;
const TIMEOUT_MS = 8000; // a slow connection gets a quiet note, not a spinner forever
const MIN_CHARS = 8; // fewer characters say too little to suggest anything
const DRAFT_FIELDS = ["title", "body", "category", "kind", "country", "tags"];

const form = document.getElementById("thread-form");
const panel = document.getElementById("similar-panel");
if (form && panel) initComposer(form, panel);

function initComposer(form, panel) {
  const c = {
    form,
    panel,
    url: panel.dataset.similarUrl,
    list: panel.querySelector("[data-similar-list]"),
    status: panel.querySelector("[data-similar-status]"),
    keywordOnly: panel.querySelector("[data-keyword-only]"),
    dismiss: panel.querySelector("[data-similar-dismiss]"),
    restore: document.querySelector("[data-similar-restore]"),
    dismissedField: form.elements.namedItem("dismissed_similar"),
    session: (form.elements.namedItem("suggestion_session") || {}).value || "",
    fields: { title: form.elements.namedItem("title"), body: form.elements.namedItem("body") },
    store: draftStore(panel.dataset.draftKey || "headstart.draft"),
    state: { seq: 0, controller: null, shownKey: "", dismissed: false },
  };
  c.state.lastField = c.fields.title;
  const serverListed = c.list.children.length > 0; // the no-JS "check" step just ran
  const draft = startDraft(c);
  c.refresh = debounce(() => suggest(c), DEBOUNCE_MS);
  wireSuggestions(c);
  wireKeyboard(c);
  wireDismiss(c);
  c.track = trackSuggestions(c.list, c.session, panel.dataset.eventsUrl);
  c.dismiss.hidden = !serverListed;
  setDismissed(c, Boolean(draft && draft.dismissed) && !serverListed);
  if (serverListed) c.state.shownKey = draftKey(c.fields);
  else if (!c.state.dismissed) c.refresh();
}

/** Restore a kept draft into an empty form (or carry ?title= over); returns the draft. */
function startDraft(c) {
  const draft = c.store.load();
  const empty = !c.fields.title.value.trim() && !c.fields.body.value.trim();
  if (draft && empty) {
    restoreDraft(c.form, draft);
    announceRestored(c.form, c.store);
  } else if (!c.fields.title.value.trim()) {
    prefillTitle(c.fields.title);
  }
  return draft;
}

function wireSuggestions(c) {
  for (const noJs of c.panel.querySelectorAll("[data-similar-nojs]")) noJs.hidden = true;
  c.panel.querySelector("[data-similar-hint]").textContent =
    "Similar threads appear here as you type. Alt+↓ moves to them, Esc comes back.";
  c.form.addEventListener("input", (event) => {
    saveDraft(c);
    if (event.target === c.fields.title || event.target === c.fields.body) c.refresh();
  });
  c.form.addEventListener("change", () => saveDraft(c));
  window.addEventListener("online", c.refresh);
}

function wireKeyboard(c) {
  for (const field of Object.values(c.fields)) {
    field.setAttribute("aria-keyshortcuts", "Alt+ArrowDown");
    field.setAttribute("aria-controls", c.list.id);
    field.addEventListener("focus", () => { c.state.lastField = field; });
    field.addEventListener("keydown", (event) => {
      const first = c.list.querySelector("a.suggestion-title");
      if (event.altKey && event.key === "ArrowDown" && first && !c.panel.hidden) {
        event.preventDefault();
        first.focus();
      }
    });
  }
  listKeys(c.list, () => c.state.lastField.focus());
}

function wireDismiss(c) {
  const showAgain = c.restore.querySelector("button");
  c.dismiss.addEventListener("click", () => {
    c.track.dismissed();
    setDismissed(c, true);
    c.refresh.cancel();
    saveDraft(c);
    showAgain.focus();
  });
  showAgain.addEventListener("click", () => {
    setDismissed(c, false);
    saveDraft(c);
    c.state.shownKey = "";
    suggest(c);
    c.fields.title.focus();
  });
}

function draftKey(fields) {
  return `${fields.title.value.trim()}\u0000${fields.body.value.trim().slice(0, BODY_MAX)}`;
}

async function suggest(c) {
  const { fields, state } = c;
  if (state.dismissed) return;
  const title = fields.title.value.trim();
  const body = fields.body.value.trim();
  const key = draftKey(fields);
  if (key === state.shownKey) return;
  const mine = ++state.seq; // a response is shown only if no newer request was made
  if (state.controller) state.controller.abort();
  if (title.length + body.length < MIN_CHARS) {
    state.shownKey = key;
    show(c, []);
    return;
  }
  if (navigator.onLine === false) {
    quiet(c, "You seem to be offline: suggestions will come back when you reconnect.");
    return;
  }
  const controller = new AbortController();
  state.controller = controller;
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, TIMEOUT_MS);
  try {
    const results = await fetchSimilar(c.url, {
      title, body, session: c.session, signal: controller.signal,
    });
    if (mine !== state.seq || state.dismissed) return;
    state.shownKey = key;
    show(c, results);
  } catch {
    // Superseded requests are aborted on purpose; anything else gets a quiet note.
    if (mine !== state.seq || (controller.signal.aborted && !timedOut)) return;
    quiet(c, timedOut ? "Suggestions are taking too long; keep writing, they will catch up."
                      : "Similar threads could not be checked just now.");
  } finally {
    clearTimeout(timer);
  }
}

function show(c, results) {
  renderSuggestions(c.list, results, { newTab: true });
  if (c.keywordOnly) c.keywordOnly.hidden = results.mode !== "lexical";
  c.dismiss.hidden = results.length === 0;
  quiet(c, results.length ? countText(results.length) : "");
}

function quiet(c, text) {
  // The status is a polite live region: only a change is worth announcing.
  if (c.status.textContent !== text) c.status.textContent = text;
}

function setDismissed(c, dismissed) {
  c.state.dismissed = dismissed;
  c.panel.hidden = dismissed;
  c.restore.hidden = !dismissed;
  if (c.dismissedField) c.dismissedField.value = dismissed ? "1" : "";
  if (dismissed && c.state.controller) c.state.controller.abort();
}

function readDraft(form) {
  const draft = {};
  for (const name of DRAFT_FIELDS) {
    const field = form.elements.namedItem(name);
    if (field) draft[name] = field.value;
  }
  return draft;
}

function saveDraft(c) {
  const draft = readDraft(c.form);
  if (!draft.title.trim() && !draft.body.trim()) {
    c.store.clear(); // an emptied form is not a draft worth keeping
    return;
  }
  c.store.save({ ...draft, dismissed: c.state.dismissed, savedAt: new Date().toISOString() });
}

function restoreDraft(form, draft) {
  for (const name of DRAFT_FIELDS) {
    const field = form.elements.namedItem(name);
    const value = draft[name];
    if (!field || typeof value !== "string") continue;
    const known = !(field instanceof HTMLSelectElement)
      || [...field.options].some((option) => option.value === value);
    if (!known) continue; // e.g. a category this account can no longer post in
    field.value = value;
  }
}

function announceRestored(form, store) {
  const note = document.createElement("p");
  note.className = "flash draft-note";
  note.setAttribute("role", "status");
  note.append("Your unsent draft is back. ");
  const discard = document.createElement("button");
  discard.type = "button";
  discard.className = "link";
  discard.textContent = "Discard it";
  discard.addEventListener("click", () => {
    store.clear();
    window.location.replace(window.location.href); // a fresh, empty composer (GET)
  });
  note.append(discard);
  form.before(note);
}

function prefillTitle(title) {
  // "Ask the community" on an empty search result carries the query over.
  const wanted = new URLSearchParams(window.location.search).get("title");
  if (wanted) title.value = wanted.slice(0, Number(title.maxLength) > 0 ? title.maxLength : 200);
}
