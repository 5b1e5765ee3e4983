// @mention autocomplete in the composer, the reply box and the edit form: typing "@am"
// offers members whose name starts with "am"; arrows choose, Enter or Tab inserts,
// Esc closes. Without this script typing @username works the same: the server finds
// mentions in the posted text.
const DEBOUNCE_MS = 150; // one lookup per pause, not per key: the endpoint is rate-limited
const BEFORE_CARET = /(^|[^\w@./])@([a-z0-9][\w.-]{0,31})$/i;

for (const box of document.querySelectorAll("textarea[data-mentions]")) attach(box);

function attach(box) {
  const m = {
    box,
    list: document.createElement("ul"),
    status: document.createElement("p"),
    cache: new Map(), // query -> users, so backspacing asks nothing again
    users: [],
    active: -1,
    seq: 0,
    timer: 0,
  };
  m.list.id = `${box.id}-mentions`;
  m.list.className = "mention-list";
  m.list.setAttribute("role", "listbox");
  m.list.setAttribute("aria-label", "Members to mention");
  m.list.hidden = true;
  m.status.className = "visually-hidden";
  m.status.setAttribute("role", "status");
  box.insertAdjacentElement("afterend", m.list);
  m.list.insertAdjacentElement("afterend", m.status);
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", m.list.id);  // (no aria-expanded: not allowed on a textarea)

  box.addEventListener("input", () => {
    clearTimeout(m.timer);
    m.timer = setTimeout(() => lookup(m), DEBOUNCE_MS);
  });
  box.addEventListener("keydown", (event) => onKey(m, event));
  box.addEventListener("blur", () => close(m));
  // mousedown, not click: the textarea must keep its focus and caret
  m.list.addEventListener("mousedown", (event) => {
    const option = event.target.closest("[role=option]");
    if (!option) return;
    event.preventDefault();
    insert(m, option.dataset.username);
  });
}

/** The "@partial" just before the caret, or null. */
function typedMention(box) {
  if (box.selectionStart !== box.selectionEnd) return null;
  const match = BEFORE_CARET.exec(box.value.slice(0, box.selectionStart));
  return match ? { query: match[2], start: box.selectionStart - match[2].length - 1 } : null;
}

async function lookup(m) {
  const typed = typedMention(m.box);
  if (!typed) return close(m);
  const mine = ++m.seq;
  const key = typed.query.toLowerCase();
  let users = m.cache.get(key);
  if (!users) {
    const url = new URL(m.box.dataset.mentions, window.location.href);
    url.searchParams.set("q", key);
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return close(m); // rate-limited or logged out: typing still works
      users = (await response.json()).users;
    } catch {
      return close(m);
    }
    m.cache.set(key, users);
  }
  if (mine === m.seq) show(m, users);
}

function show(m, users) {
  m.users = users;
  m.active = users.length ? 0 : -1;
  m.list.replaceChildren(...users.map((user, i) => {
    const option = document.createElement("li");
    option.id = `${m.list.id}-${i}`;
    option.setAttribute("role", "option");
    option.dataset.username = user.username;
    const name = document.createElement("strong");
    name.textContent = `@${user.username}`;
    option.append(name);
    if (user.name !== user.username) option.append(` ${user.name}`);
    return option;
  }));
  m.list.hidden = users.length === 0;
  m.status.textContent = users.length
    ? `${users.length} member${users.length === 1 ? "" : "s"} found: arrows to choose, Enter to insert.`
    : "";
  highlight(m);
}

function highlight(m) {
  for (const [i, option] of [...m.list.children].entries()) {
    option.setAttribute("aria-selected", String(i === m.active));
  }
  if (m.active >= 0) m.box.setAttribute("aria-activedescendant", `${m.list.id}-${m.active}`);
  else m.box.removeAttribute("aria-activedescendant");
}

function close(m) {
  m.seq++;
  m.users = [];
  m.active = -1;
  m.list.hidden = true;
  m.list.replaceChildren();
  m.box.removeAttribute("aria-activedescendant");
}

function onKey(m, event) {
  if (m.list.hidden || !m.users.length) return;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const step = event.key === "ArrowDown" ? 1 : -1;
    m.active = (m.active + step + m.users.length) % m.users.length;
    highlight(m);
  } else if (event.key === "Enter" || event.key === "Tab") {
    event.preventDefault();
    insert(m, m.users[m.active].username);
  } else if (event.key === "Escape") {
    event.preventDefault();
    close(m);
  }
}

/** Replace the typed "@partial" with "@username " and put the caret after it. */
function insert(m, username) {
  const typed = typedMention(m.box);
  if (!typed) return close(m);
  const text = `@${username} `;
  m.box.setRangeText(text, typed.start, m.box.selectionStart, "end");
  m.box.dispatchEvent(new Event("input", { bubbles: true })); // drafts save, suggestions refresh
  close(m);
}
