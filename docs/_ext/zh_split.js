/* Chinese readers type a query without spaces: 如何部署中间件. Sphinx's own
 * splitQuery keeps that as one word, which is in no page of the index, so
 * nothing is found. This one cuts each run of Chinese characters into the
 * longest words the search index knows, left to right (如何 is not in the
 * index, 部署 and 中间件 are), dropping single characters the index does not
 * know (it holds no one-character words). A run with no known word at all is
 * kept whole, so an unknown query still says "no results". Latin words are
 * left alone. Sphinx puts this into language_data.js of the zh_CN build only,
 * after searchtools.js, so it replaces the default splitQuery there.
 */
var splitQuery = (query) => {
  const index = Search._index;
  const known = (word) =>
    Object.hasOwn(index.terms, word) || Object.hasOwn(index.titleterms, word);
  const words = [];
  for (const part of query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu)) {
    for (const run of part.match(/\p{Script=Han}+|[^\p{Script=Han}]+/gu) || []) {
      if (!/\p{Script=Han}/u.test(run) || !index) {
        words.push(run);
        continue;
      }
      const found = [];
      for (let start = 0; start < run.length; ) {
        let end = run.length;
        while (end > start + 1 && !known(run.slice(start, end))) end--;
        if (end > start + 1) found.push(run.slice(start, end));
        start = end > start + 1 ? end : start + 1;
      }
      words.push(...(found.length ? found : [run]));
    }
  }
  return words;
};
