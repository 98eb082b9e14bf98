"""Run an example project in a subprocess and talk to it over ASGI.

``Example.named("startproject").get("/hello/")`` imports the project's
``mysite.asgi.application`` in a fresh interpreter, sends it one HTTP
request through httpx's ASGITransport, and returns what came back.
"""

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

_REQUEST = """
import asyncio, base64, json, sys, httpx, importlib
module, attr = sys.argv[1].split(":")
app = getattr(importlib.import_module(module), attr)
method, path, headers = sys.argv[2], sys.argv[3], json.loads(sys.argv[4])

async def main():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
        r = await c.request(method, path, headers=headers)
    return {"status": r.status_code, "headers": list(r.headers.multi_items()),
            "body": base64.b64encode(r.content).decode()}

print("\\n" + json.dumps(asyncio.run(main())))
"""


@dataclass
class Response:
    status: int
    headers: list
    content: bytes
    log: str = ""

    @property
    def text(self) -> str:
        return self.content.decode()

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


@dataclass
class Example:
    path: Path
    env: dict = field(default_factory=dict)

    @classmethod
    def named(cls, name: str, **env: str) -> "Example":
        path = EXAMPLES / name
        if not (path / "manage.py").exists():
            raise FileNotFoundError(f"no example project at {path} (missing manage.py)")
        return cls(path, env)

    def with_env(self, **env: str) -> "Example":
        return Example(self.path, {**self.env, **env})

    def _environ(self) -> dict:
        environ = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        environ.update(self.env)
        environ["PYTHONPATH"] = str(self.path)
        return environ

    def run(self, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        """Run ``python ARGS`` inside the example's folder."""
        return subprocess.run(
            [sys.executable, *args], cwd=self.path, env=self._environ(),
            capture_output=True, text=True, timeout=60, check=check,
        )

    def python(self, code: str) -> subprocess.CompletedProcess:
        """Run a snippet of Python inside the example's folder."""
        return self.run("-c", textwrap.dedent(code))

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return self.run("manage.py", *args)

    def request(self, method: str, path: str, headers: dict | None = None,
                app: str = "mysite.asgi:application") -> Response:
        done = self.run("-c", _REQUEST, app, method, path, json.dumps(headers or {}))
        if done.returncode != 0:
            raise AssertionError(f"{app} in {self.path} failed:\n{done.stderr}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        import base64
        return Response(result["status"], result["headers"],
                        base64.b64decode(result["body"]), done.stderr)

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)
