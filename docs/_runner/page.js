// The Run buttons of a page whose doctests run in the browser, inlined by
// docs/_templates/partials/run_in_browser.html. Each runnable block
// (div.run-in-browser) becomes editable and gets a Run button and an output
// area from the page's <template>; Run starts a Web Worker (worker.js) that
// runs the page's blocks up to that one, as they read now, and fills the
// output area of each. Nothing is fetched before the first Run.
(() => {
  const parts = document.getElementById("run-in-browser");
  const blocks = [...document.querySelectorAll("div.run-in-browser")];
  if (!parts || !blocks.length || !window.Worker) return;
  const job = JSON.parse(parts.dataset.job);
  const base = new URL(job.base, location.href);
  const copy = (selector) => parts.content.querySelector(selector).cloneNode(true);
  let worker = null;

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
    view.button.addEventListener("click", () => run(views.indexOf(view)));
    return view;
  });

  function show(view, examples) {
    const out = view.output.querySelector("pre");
    out.replaceChildren();
    for (const example of examples) {
      const item = document.createElement("span");
      item.className = "run-example";
      const lines = example.source.replace(/\n$/, "").split("\n");
      const source = document.createElement("span");
      source.className = "run-source";
      source.textContent = lines.map((line, i) => (i ? "... " : ">>> ") + line + "\n").join("");
      const got = document.createElement("span");
      got.className = "run-got";
      got.textContent = example.stdout;
      item.append(source, got);
      if (example.stderr) {
        const stderr = document.createElement("span");
        stderr.className = "run-stderr";
        stderr.textContent = example.stderr;
        item.append(stderr);
      }
      out.append(item);
    }
    view.output.hidden = false;
  }

  function run(last) {
    if (worker) worker.terminate();
    const running = views.slice(0, last + 1);
    for (const view of views) {
      view.status.textContent = "";
      view.button.disabled = false;
    }
    for (const view of running) {
      view.output.hidden = true;
      view.output.querySelector("pre").replaceChildren();
    }
    const current = views[last];
    current.button.disabled = true;
    current.status.textContent = parts.content.querySelector(".run-status").dataset.starting;
    worker = new Worker(new URL(job.worker, base), { type: "module" });
    const finish = (text) => {
      current.status.textContent = text;
      current.button.disabled = false;
    };
    worker.onmessage = ({ data }) => {
      if (data.error) {
        finish(parts.content.querySelector(".run-status").dataset.failed + " " + data.error);
      } else if (data.done) {
        finish(parts.content.querySelector(".run-status").dataset.done);
      } else {
        show(views.find((view) => view.id === String(data.id)), data.examples);
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      finish(parts.content.querySelector(".run-status").dataset.failed + " " + event.message);
    };
    worker.postMessage({
      ...job, base: base.href,
      blocks: running.map((view) => ({ id: view.id, text: view.pre.innerText })),
    });
  }
})();
