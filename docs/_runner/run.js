// What a Run button does (docs/_runner/page.js imports this on the first
// Run): start a Web Worker (worker.js) that runs the page's blocks up to
// that one, as they read now, and fill the output area below each with
// each example's source, what it printed or raised, and its stderr apart.
let worker = null;

function show(view, examples) {
  const out = view.output.querySelector("pre");
  out.replaceChildren();
  for (const example of examples) {
    const item = document.createElement("span");
    item.className = "run-example";
    const lines = example.source.replace(/\n$/, "").split("\n");
    const parts = [["run-source", lines.map((line, i) => (i ? "... " : ">>> ") + line + "\n").join("")],
                   ["run-got", example.stdout]];
    if (example.stderr) parts.push(["run-stderr", example.stderr]);
    for (const [kind, text] of parts) {
      const span = document.createElement("span");
      span.className = kind;
      span.textContent = text;
      item.append(span);
    }
    out.append(item);
  }
  view.output.hidden = false;
}

// `said`: the status messages in the page's language (data-starting, data-done, data-failed).
export function run(views, last, job, base, said) {
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
  current.status.textContent = said.starting;
  worker = new Worker(new URL(job.worker, base), { type: "module" });
  const finish = (text) => {
    current.status.textContent = text;
    current.button.disabled = false;
  };
  worker.onmessage = ({ data }) => {
    if (data.error) finish(said.failed + " " + data.error);
    else if (data.done) finish(said.done);
    else show(views.find((view) => view.id === String(data.id)), data.examples);
  };
  worker.onerror = (event) => {
    event.preventDefault();
    finish(said.failed + " " + event.message);
  };
  worker.postMessage({
    ...job, base: base.href,
    blocks: running.map((view) => ({ id: view.id, text: view.pre.innerText })),
  });
}
