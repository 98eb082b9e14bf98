// The Web Worker in which a page's examples run (docs/_ext/run_in_browser.py
// writes the page's part; docs/_tools/build_runner.py names this file).
//
// The page sends one message: {base, pyodide, sitePackages, runtime, example,
// setup, blocks: [{id, text}]}, all paths relative to `base` (the site's
// _runner/ folder). The worker loads Pyodide, unpacks site-packages (the wheels), the
// example project and the runner's Python into its file system, runs the
// page's {testsetup}, then each block in turn, and answers with
// {id, examples: [{source, stdout, stderr}]} per block, then {done: true};
// or {error} if Python could not start. A new Run is a new worker.
//
// Every file it asks for is under _runner/ on the site's own origin and has
// a name that changes with its content: it is kept in Cache Storage the first
// time, and read from there after that.

const CACHE = "run-in-browser";
const ROOT = "/project"; // the repository's root, as for `make doctest`: examples/ is here

const fetchFromSite = self.fetch.bind(self);

async function cachedFetch(input, init) {
  const url = new URL(input instanceof Request ? input.url : input, self.location.href);
  if (url.origin !== self.location.origin || !("caches" in self)) {
    return fetchFromSite(input, init);
  }
  const cache = await caches.open(CACHE);
  const hit = await cache.match(url.href);
  if (hit) return hit;
  const response = await fetchFromSite(url.href, init);
  if (response.ok) await cache.put(url.href, response.clone());
  return response;
}

// Pyodide fetches its lock file, standard library and WebAssembly itself.
self.fetch = cachedFetch;

async function bytes(url) {
  const response = await cachedFetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// What every page imports: in the snapshot, imported once for all pages.
const PRELOAD = `
import importlib
importlib.invalidate_caches()
import asyncio, doctest, json, sqlite3, tempfile
import django.core.asgi, django.http, django.urls, django.db.models
import asgiref.testing, httpx, starlette.applications
`;

// What an earlier version of the site left in the cache: gone, but for the
// files of this runtime (under `folders`, or one of `files`).
async function forgetOtherVersions(cache, folders, files) {
  for (const request of await cache.keys()) {
    if (!files.includes(request.url) && !folders.some((folder) => request.url.startsWith(folder))) {
      await cache.delete(request);
    }
  }
}

async function start(job) {
  const at = (path) => new URL(path, job.base).href;
  const indexURL = at(job.pyodide);
  // The modules of the npm package, named .js (docs/_tools/build_runner.py).
  const [{ loadPyodide }, { default: createModule }, sitePackagesZip, runtime, example] =
    await Promise.all([import(indexURL + "pyodide.js"), import(indexURL + "pyodide.asm.js"),
                       bytes(at(job.sitePackages)), bytes(at(job.runtime)), bytes(at(job.example))]);
  const quiet = { indexURL, stdout: () => {}, stderr: () => {} };
  const unpackSitePackages = (pyodide) => {
    const folder = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')");
    pyodide.unpackArchive(sitePackagesZip, "zip", { extractDir: folder });
  };
  // A memory snapshot of Python with site-packages imported (not the
  // example, and no settings): the first Run makes it and keeps it in the
  // cache; every Run starts a fresh interpreter from it in a fraction of
  // the time Python takes to start and import Django. Its files are not in
  // it: they are unpacked again.
  const cache = "caches" in self ? await caches.open(CACHE) : null; // none off https
  const key = at(`snapshot/${job.sitePackages}/${job.worker}`);
  let snapshot = null;
  const kept = cache && await cache.match(key);
  if (kept) snapshot = new Uint8Array(await kept.arrayBuffer());
  if (!snapshot) {
    const first = await loadPyodide({ ...quiet, _makeSnapshot: true, createPyodideModule: createModule });
    unpackSitePackages(first);
    first.runPython(PRELOAD);
    snapshot = first.makeMemorySnapshot();
    if (cache) await cache.put(key, new Response(snapshot));
  }
  if (cache) forgetOtherVersions(cache, [indexURL, at("examples/")], [key, at(job.sitePackages), at(job.runtime)]);
  const size = snapshot.length;
  const pyodide = await loadPyodide({
    ...quiet, _loadSnapshot: snapshot,
    // The snapshot is the memory of a grown heap: the new one grows to it first.
    createPyodideModule: async (settings) => {
      const module = await createModule(settings);
      module.growMemory(size);
      return module;
    },
  });
  unpackSitePackages(pyodide);
  pyodide.FS.mkdirTree("/runner");
  pyodide.unpackArchive(runtime, "zip", { extractDir: "/runner" });
  pyodide.FS.mkdirTree(ROOT);
  pyodide.unpackArchive(example, "zip", { extractDir: ROOT });
  pyodide.runPython("import sys; sys.path.insert(0, '/runner')");
  return pyodide.pyimport("run_blocks");
}

self.onmessage = async ({ data: job }) => {
  let runner;
  try {
    runner = await start(job);
  } catch (error) {
    self.postMessage({ error: String(error && error.message || error) });
    return;
  }
  try {
    runner.start(job.setup, ROOT);
  } catch (error) {
    self.postMessage({ error: String(error && error.message || error) });
    return;
  }
  for (const block of job.blocks) {
    const examples = JSON.parse(runner.run_json(block.text, `<block ${block.id}>`));
    self.postMessage({ id: block.id, examples });
  }
  self.postMessage({ done: true });
};
