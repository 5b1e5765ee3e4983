// The composer's draft in localStorage, kept until the thread is posted.
// Storage can be full, disabled or blocked (private windows): then nothing is kept,
// and nothing breaks.

/** get/set/clear for one storage key; every call swallows storage errors. */
export function draftStore(key) {
  return {
    load() {
      try {
        const value = JSON.parse(window.localStorage.getItem(key) || "null");
        return value && typeof value === "object" ? value : null;
      } catch {
        return null;
      }
    },
    save(draft) {
      try {
        window.localStorage.setItem(key, JSON.stringify(draft));
      } catch {
        // Quota or privacy settings: the draft is simply not kept.
      }
    },
    clear() {
      try {
        window.localStorage.removeItem(key);
      } catch {
        // Nothing was stored.
      }
    },
  };
}
