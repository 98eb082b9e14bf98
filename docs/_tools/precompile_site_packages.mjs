// Compile the browser's site-packages to bytecode with the browser's own
// Python, so that a reader's first import does not compile Django again.
//
//     node docs/_tools/precompile_site_packages.mjs IN.zip OUT.zip
//
// IN.zip holds site-packages (docs/_tools/build_runner.py packs the wheels
// into it); OUT.zip gets the same files plus __pycache__/*.cpython-3XX.pyc,
// compiled by Pyodide from node_modules/ (the interpreter the site ships),
// as unchecked-hash .pyc: the browser unpacks them with new times, and the
// sources never change there.
import { loadPyodide } from "pyodide";
import fs from "node:fs";

const [input, output] = process.argv.slice(2);
const pyodide = await loadPyodide({ stdout: () => {}, stderr: (line) => console.error(line) });
pyodide.FS.writeFile("/tmp/in.zip", new Uint8Array(fs.readFileSync(input)));
pyodide.runPython(`
import compileall, os, py_compile, zipfile
with zipfile.ZipFile("/tmp/in.zip") as archive:
    archive.extractall("/tmp/site")
if not compileall.compile_dir("/tmp/site", quiet=1, workers=1,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH):
    raise SystemExit("compileall failed")
with zipfile.ZipFile("/tmp/out.zip", "w", zipfile.ZIP_DEFLATED) as archive:
    for folder, dirs, files in sorted(os.walk("/tmp/site")):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            info = zipfile.ZipInfo(os.path.relpath(path, "/tmp/site"), date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                archive.writestr(info, f.read())
`);
fs.writeFileSync(output, pyodide.FS.readFile("/tmp/out.zip"));
