"""The registry resolver against a real registry (Debian's ``docker-registry``).

Each module run starts two registries on 127.0.0.1 with temporary storage, one
open and one behind htpasswd basic auth, pushes synthetic images through the
HTTP API (blobs, platform manifests, an OCI index and a Docker manifest list
with two platforms each, several tags on one digest), and stops them
afterwards. The bearer-token flow runs against a small token service and
registry started here, since the real one needs signed JWTs. The tests that
need the real registry are skipped when its binary is missing (``.ci/run``
installs it).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from manifesto.config import Settings
from manifesto.images import ImageRef, parse_image
from manifesto.oci import (
    MANIFEST_MEDIA_TYPES,
    RegistryClient,
    RegistryError,
    RegistryOptions,
    plain_http_allowed,
)
from manifesto.pinning import PinRequest, settings_with_pins
from manifesto.pins import Pin, read_lock
from manifesto.runner import Job, Mode

REGISTRY_BINARY = shutil.which("docker-registry")

USER, PASSWORD = "pinner", "correct horse"
# htpasswd -nbB -C 5 pinner 'correct horse' (the registry only accepts bcrypt).
HTPASSWD = "pinner:$2y$05$s6mLF35ptQ4X911umtuIzO1VZBeFDluU5zQEkTrdWRXmtRpcEMKtK\n"

OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST = MANIFEST_MEDIA_TYPES
PYTHON_TAGS = ("latest", "3", "3.13", "3.13.1", "3.13.1-bookworm", "bookworm")
OLD_TAGS = ("3.12", "3.12.8", "3.12.8-bookworm")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Registry:
    host: str
    auth: str | None = None
    """An Authorization header value for pushing."""
    digests: dict[str, str] = field(default_factory=dict)
    """What the tests pushed: name -> digest."""

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str]]:
        url = path if path.startswith("http") else f"http://{self.host}{path}"
        request = urllib.request.Request(url, data=body or None, method=method)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        if self.auth is not None:
            request.add_header("Authorization", self.auth)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            with error:
                return error.code, dict(error.headers)

    def push_blob(self, repository: str, data: bytes) -> dict[str, object]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        status, headers = self.request("POST", f"/v2/{repository}/blobs/uploads/")
        assert status == 202, status
        location = headers["Location"]
        separator = "&" if "?" in location else "?"
        status, _ = self.request(
            "PUT",
            f"{location}{separator}digest={digest}",
            data,
            {"Content-Type": "application/octet-stream"},
        )
        assert status == 201, status
        return {"digest": digest, "size": len(data)}

    def push_manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> str:
        status, headers = self.request(
            "PUT", f"/v2/{repository}/manifests/{reference}", body, {"Content-Type": media_type}
        )
        assert status == 201, (status, body)
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        assert headers["Docker-Content-Digest"] == digest
        return digest

    def push_image(self, repository: str, docker: bool, salt: str) -> dict[str, object]:
        """One platform's manifest (config + one layer); its descriptor."""
        config_type = (
            "application/vnd.docker.container.image.v1+json"
            if docker
            else "application/vnd.oci.image.config.v1+json"
        )
        layer_type = (
            "application/vnd.docker.image.rootfs.diff.tar.gzip"
            if docker
            else "application/vnd.oci.image.layer.v1.tar+gzip"
        )
        arch = "arm64" if salt.endswith("arm64") else "amd64"
        config = json.dumps(
            {"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}
        ).encode()
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
                "config": {"mediaType": config_type, **self.push_blob(repository, config)},
                "layers": [
                    {"mediaType": layer_type, **self.push_blob(repository, salt.encode() * 64)}
                ],
            }
        ).encode()
        media_type = DOCKER_MANIFEST if docker else OCI_MANIFEST
        digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
        self.push_manifest(repository, digest, manifest, media_type)
        return {
            "mediaType": media_type,
            "digest": digest,
            "size": len(manifest),
            "platform": {"architecture": arch, "os": "linux"},
        }

    def push_index(self, repository: str, tags: tuple[str, ...], *, docker: bool, salt: str) -> str:
        """A two-platform index (or manifest list) under every tag in ``tags``."""
        platforms = [self.push_image(repository, docker, f"{salt}-{a}") for a in ("amd64", "arm64")]
        media_type = DOCKER_LIST if docker else OCI_INDEX
        body = json.dumps(
            {"schemaVersion": 2, "mediaType": media_type, "manifests": platforms}
        ).encode()
        digest = ""
        for tag in tags:
            digest = self.push_manifest(repository, tag, body, media_type)
        self.digests[f"{repository}:{salt}"] = digest
        self.digests[f"{repository}:{salt}:amd64"] = str(platforms[0]["digest"])
        return digest


def _start_registry(directory: Path, *, with_auth: bool) -> tuple[subprocess.Popen[bytes], str]:
    if REGISTRY_BINARY is None:
        pytest.skip("docker-registry not installed (.ci/run installs it)")
    directory.mkdir(parents=True)
    port = _free_port()
    auth = ""
    if with_auth:
        (directory / "htpasswd").write_text(HTPASSWD)
        auth = f"auth:\n  htpasswd:\n    realm: test\n    path: {directory / 'htpasswd'}\n"
    config = directory / "config.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {directory / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n{auth}"
    )
    process = subprocess.Popen(
        [REGISTRY_BINARY, "serve", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, f"127.0.0.1:{port}"
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    process.kill()
    process.wait(timeout=10)
    pytest.fail("docker-registry did not start")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    process, host = _start_registry(tmp_path_factory.mktemp("open") / "r", with_auth=False)
    try:
        reg = Registry(host)
        reg.push_index("library/python", OLD_TAGS, docker=False, salt="old")
        reg.push_index("library/python", PYTHON_TAGS, docker=False, salt="new")
        reg.push_index("team/web", ("latest", "1.27", "1.27.3"), docker=True, salt="web")
        image = reg.push_image("team/tool", docker=False, salt="tool-amd64")
        body = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **_blob(reg)},
                "layers": [],
            }
        ).encode()
        for tag in ("latest", "2.0.1"):
            reg.digests["team/tool"] = reg.push_manifest("team/tool", tag, body, OCI_MANIFEST)
        assert image["digest"]
        yield reg
    finally:
        _stop(process)


def _blob(reg: Registry) -> dict[str, object]:
    config = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
    return reg.push_blob("team/tool", config)


@pytest.fixture(scope="module")
def private_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    process, host = _start_registry(tmp_path_factory.mktemp("private") / "r", with_auth=True)
    try:
        basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        reg = Registry(host, auth=basic)
        reg.push_index("acme/app", ("latest", "2", "2.4", "2.4.1"), docker=False, salt="app")
        yield reg
    finally:
        _stop(process)


def _ref(text: str) -> ImageRef:
    ref = parse_image(text)
    assert ref is not None, text
    return ref


def _client(tmp_path: Path, **overrides: object) -> RegistryClient:
    options: dict[str, object] = {
        "cache_dir": tmp_path / "cache",
        "docker_config": tmp_path / "docker" / "config.json",
        "retries": 1,
        "backoff": 0.01,
        "timeout": 10.0,
        **overrides,
    }
    return RegistryClient(RegistryOptions(**options))  # type: ignore[arg-type]


def _docker_config(tmp_path: Path, host: str, user: str, password: str) -> Path:
    path = tmp_path / "docker" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    path.write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return path


# --- digests and tags -------------------------------------------------------------------


def test_a_tag_resolves_to_the_index_digest_not_a_platform_manifest(
    registry: Registry, tmp_path: Path
) -> None:
    client = _client(tmp_path)
    digest = client.manifest_digest(_ref(f"{registry.host}/library/python:3.13"))
    assert digest == registry.digests["library/python:new"]
    assert digest != registry.digests["library/python:new:amd64"]
    docker_list = client.manifest_digest(_ref(f"{registry.host}/team/web:1.27"))
    assert docker_list == registry.digests["team/web:web"]
    single = client.manifest_digest(_ref(f"{registry.host}/team/tool:2.0.1"))
    assert single == registry.digests["team/tool"]


def test_tags_of_a_repository(registry: Registry, tmp_path: Path) -> None:
    # This registry sends every tag in one page; pagination is tested below.
    tags = _client(tmp_path, page_size=2).tags(_ref(f"{registry.host}/library/python"))
    assert sorted(tags) == sorted(PYTHON_TAGS + OLD_TAGS)


@pytest.mark.parametrize(
    ("written", "tag", "key"),
    [
        ("library/python", "3.13.1-bookworm", "library/python:new"),
        ("library/python:latest", "3.13.1-bookworm", "library/python:new"),
        ("team/web", "1.27.3", "team/web:web"),
        ("team/tool", "2.0.1", "team/tool"),
    ],
)
def test_latest_resolves_to_the_most_specific_version_tag_on_its_digest(
    registry: Registry, tmp_path: Path, written: str, tag: str, key: str
) -> None:
    client = _client(tmp_path, page_size=3)
    pin = client.resolve(_ref(f"{registry.host}/{written}"))
    assert pin == Pin(tag, registry.digests[key])


def test_a_tagged_reference_resolves_to_its_digest_only(registry: Registry, tmp_path: Path) -> None:
    pin = _client(tmp_path).resolve(_ref(f"{registry.host}/library/python:3.12"))
    assert pin == Pin(None, registry.digests["library/python:old"])


def test_unknown_repository_or_tag_is_a_clear_error(registry: Registry, tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="not found"):
        _client(tmp_path).resolve(_ref(f"{registry.host}/library/python:9.9"))
    with pytest.raises(RegistryError, match="not found"):
        _client(tmp_path).resolve(_ref(f"{registry.host}/nobody/here"))


def test_the_cache_answers_until_it_expires_or_is_bypassed(
    registry: Registry, tmp_path: Path
) -> None:
    ref = _ref(f"{registry.host}/library/python")
    first = _client(tmp_path)
    expected = first.resolve(ref)
    assert first.requests > 0
    cached = _client(tmp_path)
    assert cached.resolve(ref) == expected
    assert cached.requests == 0
    bypassed = _client(tmp_path, read_cache=False)
    assert bypassed.resolve(ref) == expected
    assert bypassed.requests > 0
    expired = _client(tmp_path, cache_ttl=-1.0)
    expired.resolve(ref)
    assert expired.requests > 0


# --- basic auth ---------------------------------------------------------------------------


def test_basic_auth_with_docker_config_credentials(
    private_registry: Registry, tmp_path: Path
) -> None:
    _docker_config(tmp_path, private_registry.host, USER, PASSWORD)
    pin = _client(tmp_path).resolve(_ref(f"{private_registry.host}/acme/app"))
    assert pin == Pin("2.4.1", private_registry.digests["acme/app:app"])


def test_basic_auth_without_or_with_wrong_credentials_never_prints_them(
    private_registry: Registry, tmp_path: Path
) -> None:
    ref = _ref(f"{private_registry.host}/acme/app:2.4")
    with pytest.raises(RegistryError, match="asks for a login"):
        _client(tmp_path).resolve(ref)
    _docker_config(tmp_path, private_registry.host, USER, "wrong secret")
    with pytest.raises(RegistryError, match="refused") as caught:
        _client(tmp_path).resolve(ref)
    assert "wrong secret" not in str(caught.value)
    assert base64.b64encode(f"{USER}:wrong secret".encode()).decode() not in str(caught.value)


# --- a registry that is down ---------------------------------------------------------


def test_a_registry_that_is_down_is_a_clear_error_after_retries(tmp_path: Path) -> None:
    host = f"127.0.0.1:{_free_port()}"
    client = _client(tmp_path, retries=2, backoff=0.01)
    with pytest.raises(RegistryError, match="cannot reach the registry") as caught:
        client.resolve(_ref(f"{host}/library/python"))
    assert str(caught.value).startswith(host)
    assert client.requests == 3


def _manifesto(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(home / "cache"),
        "DOCKER_CONFIG": str(home / "docker"),
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "manifesto", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def test_cli_with_the_registry_down_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    text = f"FROM 127.0.0.1:{_free_port()}/library/python\n"
    (project / "Dockerfile").write_text(text)
    fixed = _manifesto("fix", "--resolve", "--unsafe-fixes", ".", cwd=project, home=tmp_path)
    assert fixed.returncode == 2
    assert "cannot pin images" in fixed.stderr and "cannot reach the registry" in fixed.stderr
    assert "Traceback" not in fixed.stderr
    assert (project / "Dockerfile").read_text() == text
    pinned = _manifesto("pin", "--update", ".", cwd=project, home=tmp_path)
    assert pinned.returncode == 2
    assert "cannot reach the registry" in pinned.stderr
    assert not (project / "manifesto.lock").exists()


# --- the whole run, through the CLI and the session ---------------------------------------


def test_pin_update_writes_the_lock_and_fix_then_works_offline(
    registry: Registry, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    host = registry.host
    text = (
        f"ARG BASE={host}/library/python\nFROM ${{BASE}} AS build\n"
        f"FROM {host}/team/web:1.27\nCOPY --from={host}/team/tool /bin/tool /bin/tool\n"
        "USER nobody\n"  # an image running as root is another finding (MF401)
    )
    (project / "Dockerfile").write_text(text)
    pinned = _manifesto("pin", "--update", ".", cwd=project, home=tmp_path)
    assert pinned.returncode == 0, pinned.stderr
    lock = read_lock(project / "manifesto.lock")
    new, web, tool = (
        registry.digests["library/python:new"],
        registry.digests["team/web:web"],
        registry.digests["team/tool"],
    )
    assert sorted(lock.values(), key=str) == sorted(
        [Pin("3.13.1-bookworm", new), Pin(None, web), Pin("2.0.1", tool)], key=str
    )
    assert (project / "Dockerfile").read_text() == text  # pin writes only the lock
    # Offline from here: the lock is the source of truth.
    done = _manifesto("fix", "--unsafe-fixes", "--digest", ".", cwd=project, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (project / "Dockerfile").read_text() == (
        f"ARG BASE={host}/library/python:3.13.1-bookworm@{new}\nFROM ${{BASE}} AS build\n"
        f"FROM {host}/team/web:1.27@{web}\n"
        f"COPY --from={host}/team/tool:2.0.1@{tool} /bin/tool /bin/tool\n"
        "USER nobody\n"
    )


def test_fix_resolve_diff_without_a_lock(registry: Registry, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Dockerfile").write_text(f"FROM {registry.host}/library/python:latest\n")
    done = _manifesto(
        "fix", "--diff", "--resolve", "--unsafe-fixes", ".", cwd=project, home=tmp_path
    )
    assert done.returncode == 1, done.stderr
    assert f"+FROM {registry.host}/library/python:3.13.1-bookworm\n" in done.stdout
    assert not (project / "manifesto.lock").exists()
    nothing = _manifesto("check", ".", cwd=project, home=tmp_path)
    assert "MF301" in nothing.stdout  # no --resolve: no network, a finding only


def test_refresh_replaces_the_digest_of_a_moved_tag(registry: Registry, tmp_path: Path) -> None:
    old = registry.push_index("team/moving", ("1.0",), docker=False, salt="moving-old")
    project = tmp_path / "project"
    project.mkdir()
    text = f"FROM {registry.host}/team/moving:1.0@{old}\nUSER nobody\n"
    (project / "Dockerfile").write_text(text)
    new = registry.push_index("team/moving", ("1.0",), docker=False, salt="moving-new")
    assert new != old
    args = ("fix", "--unsafe-fixes", "--resolve", ".")
    untouched = _manifesto(*args, cwd=project, home=tmp_path)
    assert untouched.returncode == 0, untouched.stderr
    assert (project / "Dockerfile").read_text() == text  # pinned by digest: left alone
    done = _manifesto(*args, "--refresh", cwd=project, home=tmp_path)
    assert done.returncode == 0, done.stderr
    expected = f"FROM {registry.host}/team/moving:1.0@{new}\nUSER nobody\n"
    assert (project / "Dockerfile").read_text() == expected


def test_each_unique_reference_is_resolved_once_per_run(registry: Registry, tmp_path: Path) -> None:
    host = registry.host
    files = [
        (f"FROM {host}/library/python AS b{i}\nCOPY --from={host}/team/web:latest / /\nFROM b{i}\n")
        for i in range(40)
    ]
    counted: list[RegistryClient] = []

    def factory(settings: Settings, request: PinRequest) -> RegistryClient:
        counted.append(_client(tmp_path / f"c{len(counted)}", page_size=100))
        return counted[-1]

    def jobs(texts: list[str]) -> list[Job]:
        return [
            Job(Path(f"D{i}"), f"D{i}", Mode.DIFF, Settings(root=tmp_path), t)
            for i, t in enumerate(texts)
        ]

    settings, one = settings_with_pins(
        Settings(root=tmp_path), jobs(files[:1]), PinRequest(resolve=True), factory
    )
    settings, many = settings_with_pins(
        Settings(root=tmp_path), jobs(files), PinRequest(resolve=True), factory
    )
    assert counted[0].requests == counted[1].requests  # 40 files ask no more than one
    assert settings.image_pins is not None
    assert all(job.settings.image_pins == settings.image_pins for job in many)
    assert len(one) == 1


# --- bearer tokens -----------------------------------------------------------------


@dataclass
class _TokenWorld:
    host: str
    token_requests: list[str | None] = field(default_factory=list)
    registry_authorizations: list[str | None] = field(default_factory=list)


_BEARER_DIGEST = "sha256:" + "be" * 32
_BEARER_TAGS = sorted(["1", "1.0", "1.0.0", "2", "2.4", "2.4.1", "2.5", "latest"])


@pytest.fixture
def token_world() -> Iterator[_TokenWorld]:
    """A registry that wants a bearer token, and the token service that issues it."""
    port = _free_port()
    world = _TokenWorld(f"127.0.0.1:{port}")
    good = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.startswith("/token"):
                given = self.headers.get("Authorization")
                world.token_requests.append(given)
                if "scope=repository%3Aacme%2Fapp%3Apull" not in self.path:
                    self._send(400, {})
                    return
                if given not in (None, good):
                    self._send(401, {})
                    return
                token = "user-token" if given == good else "anonymous-token"
                self._send(200, {}, json.dumps({"access_token": token}).encode())
                return
            given = self.headers.get("Authorization")
            world.registry_authorizations.append(given)
            if given not in ("Bearer user-token", "Bearer anonymous-token"):
                challenge = (
                    f'Bearer realm="http://127.0.0.1:{port}/token",service="test",'
                    'scope="repository:acme/app:pull"'
                )
                self._send(401, {"WWW-Authenticate": challenge})
                return
            if "/tags/list" in self.path:
                self._tags_page()
                return
            self._send(200, {"Docker-Content-Digest": _BEARER_DIGEST}, b"{}")

        def _tags_page(self) -> None:
            # Like distribution v3: ``n`` tags after ``last``, and a Link to the rest.
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            size = int(query["n"][0])
            last = query.get("last", [""])[0]
            rest = [t for t in _BEARER_TAGS if t > last]
            page = rest[:size]
            headers = {"Content-Type": "application/json"}
            if len(rest) > size:
                headers["Link"] = f'</v2/acme/app/tags/list?n={size}&last={page[-1]}>; rel="next"'
            body = json.dumps({"name": "acme/app", "tags": page}).encode()
            self._send(200, headers, body)

        do_HEAD = do_GET

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield world
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_bearer_token_flow_anonymous(token_world: _TokenWorld, tmp_path: Path) -> None:
    pin = _client(tmp_path).resolve(_ref(f"{token_world.host}/acme/app:2.4"))
    assert pin == Pin(None, _BEARER_DIGEST)
    assert token_world.token_requests == [None]
    assert token_world.registry_authorizations == [None, "Bearer anonymous-token"]


def test_bearer_token_flow_with_credentials_sent_only_to_the_token_service(
    token_world: _TokenWorld, tmp_path: Path
) -> None:
    _docker_config(tmp_path, token_world.host, USER, PASSWORD)
    client = _client(tmp_path)
    client.resolve(_ref(f"{token_world.host}/acme/app:2.4"))
    client.resolve(_ref(f"{token_world.host}/acme/app:2.5"))
    assert len(token_world.token_requests) == 1  # the token is reused for the repository
    assert token_world.token_requests[0] is not None
    assert token_world.token_requests[0].startswith("Basic ")
    assert all(a is None or a == "Bearer user-token" for a in token_world.registry_authorizations)


def test_tags_follow_link_pagination(token_world: _TokenWorld, tmp_path: Path) -> None:
    client = _client(tmp_path, page_size=3)
    assert client.tags(_ref(f"{token_world.host}/acme/app")) == _BEARER_TAGS
    pages = [a for a in token_world.registry_authorizations if a is not None]
    assert len(pages) == 3  # 8 tags, 3 a page, each page with the token


def test_plain_http_only_for_loopback_and_configured_registries() -> None:
    assert plain_http_allowed("localhost:5000")
    assert plain_http_allowed("127.0.0.1:5000")
    assert plain_http_allowed("127.4.5.6")
    assert plain_http_allowed("[::1]:5000")
    assert not plain_http_allowed("registry.example.com")
    assert not plain_http_allowed("10.0.0.1:5000")
    assert not plain_http_allowed("localhost.example.com")
    assert plain_http_allowed("registry.lan:5000", frozenset({"registry.lan:5000"}))
    assert plain_http_allowed("registry.lan:5000", frozenset({"registry.lan"}))
    assert not plain_http_allowed("registry.lan:5000", frozenset({"other.lan"}))
