/* How this site's search ranks its results and cuts their snippets.
 *
 * Sphinx inlines this file (html_search_scorer in conf.py) into
 * language_data.js, which only the search page loads, after searchtools.js:
 * `Scorer` and `Search` exist by then, and this adjusts them.
 *
 * Ranking. Sphinx adds up how often and where each word of the query occurs,
 * so a long page that mentions every word ranks above the short page that is
 * about them. Here a result gains for each query word its title holds, the
 * more the fewer titles hold that word: for 如何部署中间件 (部署 is in three
 * titles, 中间件 in one), the middleware page comes first.
 *
 * Snippets. Sphinx starts a result's snippet 120 characters before the word
 * it found, wherever that falls, often inside a word. Here it starts, and
 * ends, at the nearest space or punctuation mark.
 */
(() => {
  const TITLE_WEIGHT = 100;
  const BOUNDARY = /[\s,.;:!?()，。；：！？、（）「」“”]/u;
  const CONTEXT = 120;
  const LENGTH = 240;
  const SLACK = 40; // how far to look for a boundary

  const queryWords = () => {
    const query = new URLSearchParams(window.location.search).get("q") || "";
    return [...new Set(splitQuery(query.toLowerCase()).filter((w) => w.length > 1))];
  };

  const titlesHolding = (word) => {
    const titles = (Search._index && Search._index.titles) || [];
    return titles.filter((t) => t.toLowerCase().includes(word)).length;
  };

  Scorer.score = (result) => {
    const [, title, , , score] = result;
    const lower = (title || "").toLowerCase();
    let boost = 0;
    for (const word of queryWords()) {
      if (lower.includes(word)) boost += TITLE_WEIGHT / Math.max(titlesHolding(word), 1);
    }
    return score + Math.round(boost);
  };

  // The first boundary at or after `from` within SLACK characters, or -1.
  const boundaryAfter = (text, from) => {
    for (let i = from; i < Math.min(text.length, from + SLACK); i++) {
      if (BOUNDARY.test(text[i])) return i;
    }
    return -1;
  };
  const boundaryBefore = (text, from) => {
    for (let i = from; i > Math.max(0, from - SLACK); i--) {
      if (BOUNDARY.test(text[i])) return i;
    }
    return -1;
  };

  Search.makeSearchSummary = (htmlText, keywords, anchor) => {
    const text = Search.htmlToText(htmlText, anchor).replace(/\s+/g, " ");
    if (text.trim() === "") return null;
    const lower = text.toLowerCase();
    const found = [...keywords]
      .map((k) => lower.indexOf(k.toLowerCase()))
      .filter((i) => i > -1);
    const at = found.length ? Math.min(...found) : 0;
    let start = Math.max(at - CONTEXT, 0);
    if (start > 0) {
      const before = boundaryBefore(text, start);
      const after = boundaryAfter(text, start);
      const edge = before > -1 ? before : after > -1 && after < at ? after : start - 1;
      start = edge + 1;
    }
    let end = Math.min(start + LENGTH, text.length);
    if (end < text.length) {
      const edge = boundaryBefore(text, end);
      if (edge > at) end = edge;
    }
    const summary = document.createElement("p");
    summary.classList.add("context");
    summary.textContent =
      (start > 0 ? "… " : "") + text.slice(start, end).trim() + (end < text.length ? " …" : "");
    return summary;
  };
})();
