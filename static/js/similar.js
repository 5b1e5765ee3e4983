// Similar threads for the composer and the reply box: ask the API, draw the list.
// Plain ES module, no framework, no build step. Every piece of server text goes
// through textContent (never innerHTML), so a thread title cannot inject markup.

export const TITLE_MAX = 300; // the API rejects longer titles
export const BODY_MAX = 5000; // the model reads the first few hundred words anyway
export const LIMIT = 5;

/** POST a draft to /api/v1/similar; resolves to the results list, rejects on any failure. */
export async function fetchSimilar(url, {
  title = "", body = "", exclude = 0, session = "", signal,
} = {}) {
  const payload = {
    title: title.slice(0, TITLE_MAX), body: body.slice(0, BODY_MAX), limit: LIMIT,
  };
  if (exclude) payload.exclude = Number(exclude);
  if (session) payload.session = session; // the composer's token: suggestion statistics
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    credentials: "same-origin",
    body: JSON.stringify(payload),
    signal,
  });
  if (!response.ok) throw new Error(`similar threads: HTTP ${response.status}`);
  const data = await response.json();
  const results = Array.isArray(data.results) ? data.results.slice(0, LIMIT) : [];
  results.mode = data.mode; // "lexical" when only keyword matching is available
  return results;
}

/** Replace the list's items with these results (same markup as discover/_macros.html). */
export function renderSuggestions(list, results, { newTab = true } = {}) {
  list.replaceChildren(...results.map((result, i) => suggestionItem(result, newTab, i + 1)));
}

/** "3 similar threads found." */
export function countText(n) {
  return n === 1 ? "1 similar thread found." : `${n} similar threads found.`;
}

/** Call fn after `ms` of quiet; `.cancel()` drops a pending call. */
export function debounce(fn, ms) {
  let timer = 0;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

/** Arrow keys move between the links of a list; Escape calls back (to return focus). */
export function listKeys(list, onEscape) {
  list.addEventListener("keydown", (event) => {
    const links = [...list.querySelectorAll("a.suggestion-title")];
    const at = links.indexOf(document.activeElement);
    if (at < 0) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      links[(at + step + links.length) % links.length].focus();
    } else if (event.key === "Escape" && onEscape) {
      event.preventDefault();
      onEscape();
    }
  });
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

function suggestionItem(result, newTab, rank) {
  const item = el("li", "suggestion");
  item.dataset.threadId = String(Number(result.id) || "");
  item.dataset.rank = String(rank);
  const link = el("a", "suggestion-title", String(result.title || ""));
  // Only same-site paths: the API builds them, but a link is not the place to trust.
  link.href = typeof result.url === "string" && result.url.startsWith("/") ? result.url : "#";
  if (newTab) {
    link.target = "_blank";
    link.rel = "noopener";
    link.append(el("span", "visually-hidden", " (opens in a new tab)"));
  }
  item.append(link, " ", el("span", "closeness", result.closeness || ""));
  item.append(metaLine(result));
  const evidence = evidenceLine(result);
  if (evidence) item.append(evidence);
  if (result.snippet) item.append(el("p", "snippet", shorten(String(result.snippet), 120)));
  return item;
}

function metaLine(result) {
  const meta = el("p", "meta");
  const words = [result.category, result.country, capitalize(result.kind)].filter(Boolean);
  meta.append(words.join(" · "));
  if (result.status === "solved") meta.append(" ", el("span", "badge solved", "Solved"));
  if (result.featured) meta.append(" ", el("span", "badge featured", "Featured practice"));
  return meta;
}

const OUTCOMES = ["worked", "partly", "did_not_work", "too_early"];

/** "Worked in Kenya, 2024 · Adapted in 3 countries — worked 2, partly 1" (issue 10), or null. */
function evidenceLine(result) {
  const outcome = typeof result.experience_summary === "string" ? result.experience_summary : "";
  const adapted = result.adaptations && typeof result.adaptations.summary === "string"
    ? result.adaptations.summary : "";
  if (!outcome && !adapted) return null;
  const line = el("p", "meta evidence-line");
  const wrap = el("span", "evidence");
  if (outcome) {
    const kind = OUTCOMES.includes(result.outcome) ? ` outcome-${result.outcome}` : "";
    wrap.append(el("span", `evidence-outcome${kind}`, outcome));
  }
  if (outcome && adapted) wrap.append(" · ");
  if (adapted) wrap.append(el("span", "evidence-adapted", adapted));
  line.append(wrap);
  return line;
}

function capitalize(word) {
  return word ? word.charAt(0).toUpperCase() + word.slice(1) : "";
}

function shorten(text, length) {
  if (text.length <= length) return text;
  const cut = text.slice(0, length);
  return `${cut.slice(0, cut.lastIndexOf(" ") > 0 ? cut.lastIndexOf(" ") : length)}…`;
}
