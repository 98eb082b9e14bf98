// Python code from stdin, run in the browser's Python (Pyodide, from
// node_modules/) under Node, with the site's runner unpacked as a Run does
// it (docs/_runner/worker.js): site-packages, the runner's modules in
// /runner, and each example archive under /project.
//
//     node tests/pyodide_node.mjs RUNNER_DIR [EXAMPLE.zip ...] < code.py
//
// What the code prints goes to stdout; an uncaught exception exits 1.
import { loadPyodide } from "pyodide";
import fs from "node:fs";
import path from "node:path";

const [runner, ...examples] = process.argv.slice(2);
const manifest = JSON.parse(fs.readFileSync(path.join(runner, "manifest.json"), "utf8"));
const read = (name) => new Uint8Array(fs.readFileSync(path.join(runner, name)));
const pyodide = await loadPyodide({
  stdout: (line) => process.stdout.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});
const sitePackages = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')");
pyodide.unpackArchive(read(manifest.site_packages), "zip", { extractDir: sitePackages });
pyodide.FS.mkdirTree("/runner");
pyodide.unpackArchive(read(manifest.runtime), "zip", { extractDir: "/runner" });
pyodide.FS.mkdirTree("/project");
for (const example of examples) {
  pyodide.unpackArchive(read(example), "zip", { extractDir: "/project" });
}
pyodide.runPython("import importlib, sys; importlib.invalidate_caches(); sys.path.insert(0, '/runner')");
try {
  pyodide.runPython(fs.readFileSync(0, "utf8"));
} catch (error) {
  process.stderr.write(String(error.message || error) + "\n");
  process.exit(1);
}
