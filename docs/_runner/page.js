// The Run buttons of a page whose doctests run in the browser, inlined by
// docs/_templates/partials/run_in_browser.html (with the page's job, the
// JSON of docs/_ext/run_in_browser.py, before it). Each runnable block
// (div.run-in-browser) becomes editable and gets a Run button and an output
// area from the page's <template>. The rest (run.js: the Web Worker and the
// output) loads on the first Run; nothing else is fetched before.
(() => {
  const parts = document.getElementById("run-in-browser");
  const blocks = [...document.querySelectorAll("div.run-in-browser")];
  if (!parts || !blocks.length || !window.Worker) return;
  const job = JSON.parse(document.getElementById("run-in-browser-job").textContent);
  const base = new URL(job.base, location.href);
  const copy = (selector) => parts.content.querySelector(selector).cloneNode(true);
  blocks[0].before(copy(".run-note"));
  const views = blocks.map((block) => {
    const pre = block.querySelector("pre");
    pre.contentEditable = "plaintext-only";
    pre.spellcheck = false;
    const bar = copy(".run-bar");
    const output = copy("[data-run-output]");
    block.after(bar, output);
    const view = { id: block.id.replace("run-block-", ""), pre, output,
                   status: bar.querySelector(".run-status"), button: bar.querySelector("button") };
    view.button.addEventListener("click", () => {
      import(new URL(job.page, base).href).then((page) => page.run(views, views.indexOf(view), job, base,
                                                                     parts.content.querySelector(".run-status").dataset));
    });
    return view;
  });
})();
