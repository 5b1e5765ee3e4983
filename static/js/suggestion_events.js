// Suggestion statistics (issue 13): tell the server which listed thread was opened and
// when "None of these" was chosen. Only the composer's random session token, a thread id
// and its rank are sent; the server drops them for members who opted out.

/** Watch a suggestion list; returns { dismissed() } to report "None of these". */
export function trackSuggestions(list, session, url) {
  if (!session || !url) return { dismissed() {} };
  const send = (payload) => {
    // keepalive: the request survives the page being left; failures are not the writer's problem.
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      keepalive: true,
      body: JSON.stringify({ session, ...payload }),
    }).catch(() => {});
  };
  const opened = (event) => {
    const link = event.target.closest("a.suggestion-title");
    const item = link && link.closest("li[data-thread-id]");
    if (!item || (event.type === "auxclick" && event.button !== 1)) return;
    send({ event: "opened", thread_id: Number(item.dataset.threadId), rank: Number(item.dataset.rank) });
  };
  list.addEventListener("click", opened);
  list.addEventListener("auxclick", opened); // middle-click opens a tab too
  return { dismissed: () => send({ event: "dismissed" }) };
}
