// The composer (/threads/new): live similar-thread suggestions and a draft that
// survives reloads. Progressive enhancement: without this script the form posts as
// usual and "Check for similar threads" shows the same suggestions server-side.
import { debounce, fetchSimilar, listKeys, renderSuggestions, countText, BODY_MAX } from "./similar.js";
import { draftStore } from "./draft.js";

const DEBOUNCE_MS = 300;
const TIMEOUT_MS = 8000; // a slow connection gets a quiet note, not a spinner forever
const MIN_CHARS = 8; // fewer characters say too little to suggest anything
const DRAFT_FIELDS = ["title", "body", "category", "kind", "country", "tags"];

const form = document.getElementById("thread-form");
const panel = document.getElementById("similar-panel");
if (form && panel) initComposer(form, panel);

function initComposer(form, panel) {
  const ui = {
    list: panel.querySelector("[data-similar-list]"),
    status: panel.querySelector("[data-similar-status]"),
    hint: panel.querySelector("[data-similar-hint]"),
    dismiss: panel.querySelector("[data-similar-dismiss]"),
    restore: document.querySelector("[data-similar-restore]"),
    dismissedField: form.elements.namedItem("dismissed_similar"),
  };
  const fields = { title: form.elements.namedItem("title"), body: form.elements.namedItem("body") };
  const store = draftStore(panel.dataset.draftKey || "headstart.draft");
  const state = { seq: 0, controller: null, shownKey: "", lastField: fields.title, dismissed: false };

  const serverListed = ui.list.children.length > 0; // the no-JS "check" step just ran
  const draft = store.load();
  if (draft && !fields.title.value.trim() && !fields.body.value.trim()) {
    restoreDraft(form, draft);
    announceRestored(form, store);
  } else if (!fields.title.value.trim()) {
    prefillTitle(fields.title);
  }
  state.dismissed = Boolean(draft && draft.dismissed) && !serverListed;

  for (const noJs of panel.querySelectorAll("[data-similar-nojs]")) noJs.hidden = true;
  ui.hint.textContent = "Similar threads appear here as you type. Alt+↓ moves to them, Esc comes back.";
  for (const field of Object.values(fields)) {
    field.setAttribute("aria-keyshortcuts", "Alt+ArrowDown");
    field.setAttribute("aria-controls", ui.list.id);
  }

  const refresh = debounce(() => suggest(fields, ui, state, panel.dataset.similarUrl), DEBOUNCE_MS);
  const save = () => saveDraft(form, store, state);

  form.addEventListener("input", (event) => {
    save();
    if (event.target === fields.title || event.target === fields.body) refresh();
  });
  form.addEventListener("change", save);
  for (const field of Object.values(fields)) {
    field.addEventListener("focus", () => { state.lastField = field; });
    field.addEventListener("keydown", (event) => {
      if (event.altKey && event.key === "ArrowDown") {
        const first = ui.list.querySelector("a.suggestion-title");
        if (first && !panel.hidden) {
          event.preventDefault();
          first.focus();
        }
      }
    });
  }
  listKeys(ui.list, () => state.lastField.focus());

  ui.dismiss.hidden = !serverListed;
  ui.dismiss.addEventListener("click", () => {
    setDismissed(panel, ui, state, true);
    refresh.cancel();
    save();
    ui.restore.querySelector("button").focus();
  });
  ui.restore.querySelector("button").addEventListener("click", () => {
    setDismissed(panel, ui, state, false);
    save();
    state.shownKey = "";
    suggest(fields, ui, state, panel.dataset.similarUrl);
    fields.title.focus();
  });
  window.addEventListener("online", refresh);

  setDismissed(panel, ui, state, state.dismissed);
  if (serverListed) state.shownKey = draftKey(fields);
  else if (!state.dismissed) refresh();
}

function draftKey(fields) {
  return `${fields.title.value.trim()}\u0000${fields.body.value.trim().slice(0, BODY_MAX)}`;
}

async function suggest(fields, ui, state, url) {
  if (state.dismissed) return;
  const title = fields.title.value.trim();
  const body = fields.body.value.trim();
  const key = draftKey(fields);
  if (key === state.shownKey) return;
  const mine = ++state.seq; // a response is shown only if no newer request was made
  if (state.controller) state.controller.abort();
  if (title.length + body.length < MIN_CHARS) {
    state.shownKey = key;
    show(ui, []);
    return;
  }
  if (navigator.onLine === false) {
    quiet(ui, "You seem to be offline: suggestions will come back when you reconnect.");
    return;
  }
  const controller = new AbortController();
  state.controller = controller;
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, TIMEOUT_MS);
  try {
    const results = await fetchSimilar(url, { title, body, signal: controller.signal });
    if (mine !== state.seq || state.dismissed) return;
    state.shownKey = key;
    show(ui, results);
  } catch (error) {
    // Superseded requests are aborted on purpose; anything else gets a quiet note.
    if (mine !== state.seq || (controller.signal.aborted && !timedOut)) return;
    quiet(ui, timedOut ? "Suggestions are taking too long; keep writing, they will catch up."
                       : "Similar threads could not be checked just now.");
  } finally {
    clearTimeout(timer);
  }
}

function show(ui, results) {
  renderSuggestions(ui.list, results, { newTab: true });
  ui.dismiss.hidden = results.length === 0;
  const text = results.length ? countText(results.length) : "";
  // The status is a polite live region: only a change is worth announcing.
  if (ui.status.textContent !== text) ui.status.textContent = text;
}

function quiet(ui, text) {
  if (ui.status.textContent !== text) ui.status.textContent = text;
}

function setDismissed(panel, ui, state, dismissed) {
  state.dismissed = dismissed;
  panel.hidden = dismissed;
  ui.restore.hidden = !dismissed;
  if (ui.dismissedField) ui.dismissedField.value = dismissed ? "1" : "";
  if (dismissed && state.controller) state.controller.abort();
}

function readDraft(form) {
  const draft = {};
  for (const name of DRAFT_FIELDS) {
    const field = form.elements.namedItem(name);
    if (field) draft[name] = field.value;
  }
  return draft;
}

function saveDraft(form, store, state) {
  const draft = readDraft(form);
  if (!draft.title.trim() && !draft.body.trim()) {
    store.clear(); // an emptied form is not a draft worth keeping
    return;
  }
  store.save({ ...draft, dismissed: state.dismissed, savedAt: new Date().toISOString() });
}

function restoreDraft(form, draft) {
  for (const name of DRAFT_FIELDS) {
    const field = form.elements.namedItem(name);
    const value = draft[name];
    if (!field || typeof value !== "string") continue;
    if (field instanceof HTMLSelectElement && ![...field.options].some((o) => o.value === value)) continue;
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
