"""A client of the OCI distribution API: the digest a tag names, and a repository's tags.

Only what pinning needs, with the standard library only:

* ``HEAD /v2/<name>/manifests/<tag>`` with an ``Accept`` header listing the OCI
  index and the Docker manifest list first, so that the digest returned is the
  multi-platform index's (never one platform's manifest), falling back to a
  ``GET`` and hashing the body when a registry sends no ``Docker-Content-Digest``;
* ``GET /v2/<name>/tags/list`` following ``Link: <...>; rel="next"`` pages;
* authentication as registries ask for it in ``WWW-Authenticate``: anonymous or
  credentialed bearer tokens (Docker Hub, GHCR, Quay) and basic auth (private
  registries), with credentials from ``~/.docker/config.json`` (``auths``,
  ``credHelpers``, ``credsStore``). Credentials are never printed, logged or
  cached, and never sent to another host after a redirect;
* TLS always, except for ``localhost``, ``127.0.0.0/8`` and ``::1`` (plain HTTP, as
  Docker treats them) and registries configured as insecure;
* timeouts, retries with exponential backoff on connection errors, 429 and 5xx;
* a small on-disk cache of digests and tag lists, with expiry, under
  ``$XDG_CACHE_HOME/manifesto/registry``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import ipaddress
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Final

from manifesto.images import DEFAULT_REGISTRY, ImageRef
from manifesto.pins import Pin, most_specific_tag, version_of

__all__ = [
    "MANIFEST_MEDIA_TYPES",
    "RegistryClient",
    "RegistryError",
    "RegistryOptions",
    "default_cache_dir",
    "plain_http_allowed",
]

MANIFEST_MEDIA_TYPES: Final = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
"""Indexes first: asked for a multi-platform tag, the registry answers with the index."""

DOCKER_HUB_API: Final = "registry-1.docker.io"
DOCKER_HUB_AUTH_KEY: Final = "https://index.docker.io/v1/"
"""The key ``docker login`` stores Docker Hub credentials under."""
_HUB_NAMES: Final = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_RETRY_STATUS: Final = frozenset({429, 500, 502, 503, 504})
_CHALLENGE_PARAM: Final = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))')
_LINK_NEXT: Final = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class RegistryError(Exception):
    """The registry cannot answer: unreachable, refused, not found. Safe to print."""


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "manifesto" / "registry"


def _docker_config_path() -> Path:
    directory = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return Path(directory) / "config.json"


@dataclass(frozen=True, slots=True)
class RegistryOptions:
    insecure_registries: frozenset[str] = frozenset()
    """Hosts (``host`` or ``host:port``) reached over plain HTTP besides the local ones."""
    timeout: float = 15.0
    """Seconds per request (connect and each read)."""
    retries: int = 2
    """Extra attempts after a connection error, 429 or 5xx."""
    backoff: float = 0.5
    """Seconds before the first retry; doubled each time."""
    cache_dir: Path | None = field(default_factory=default_cache_dir)
    """None: no cache."""
    cache_ttl: float = 6 * 3600
    read_cache: bool = True
    """False (``--refresh``): ask the registry, then store the fresh answers."""
    docker_config: Path | None = field(default_factory=_docker_config_path)
    page_size: int = 1000
    """Tags asked for per page (the registry may send fewer)."""
    max_tag_lookups: int = 200
    """Tags whose digest is looked up to name a floating reference, at most."""


def plain_http_allowed(host: str, insecure: frozenset[str] = frozenset()) -> bool:
    """Whether ``host`` (``name[:port]``) may be reached without TLS."""
    if host in insecure:
        return True
    name = host
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else name[1:]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name in insecure or name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    headers: Message
    body: bytes


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never carry credentials to another host."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)  # type: ignore[arg-type]
        if (
            new is not None
            and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc
        ):
            new.remove_header("Authorization")
        if new is not None:
            # urllib turns HEAD into GET on redirects; a manifest HEAD must stay HEAD.
            new.method = req.get_method()
        return new


class _Cache:
    """JSON files named by a hash of their key; best effort, never an error."""

    def __init__(self, directory: Path | None, ttl: float, read: bool) -> None:
        self.directory = directory
        self.ttl = ttl
        self.read = read

    def _path(self, key: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / (hashlib.sha256(key.encode()).hexdigest() + ".json")

    def get(self, key: str) -> object | None:
        path = self._path(key)
        if path is None or not self.read:
            return None
        try:
            entry = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        # Expiry is the reader's: entries keep when they were stored, so a shorter
        # cache-ttl takes effect on entries an earlier run wrote.
        stored = entry.get("stored")
        if not isinstance(stored, int | float) or not 0 <= time.time() - stored < self.ttl:
            return None
        return entry.get("value")

    def put(self, key: str, value: object) -> None:
        path = self._path(key)
        if path is None:
            return
        data = json.dumps({"key": key, "stored": time.time(), "value": value})
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(data)
                os.replace(temporary, path)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)


Opener = Callable[[urllib.request.Request, float], _Response]


class RegistryClient:
    """Talks to the registries of image references; safe to share between threads."""

    def __init__(self, options: RegistryOptions | None = None) -> None:
        self.options = options if options is not None else RegistryOptions()
        self._cache = _Cache(
            self.options.cache_dir, self.options.cache_ttl, self.options.read_cache
        )
        self._opener = urllib.request.build_opener(_SameHostRedirects())
        self._lock = threading.Lock()
        self._authorization: dict[tuple[str, str], str] = {}
        self.requests = 0
        """Requests sent (tests and the summary count round trips)."""

    # --- public -------------------------------------------------------------

    def resolve(self, ref: ImageRef) -> Pin:
        """The pin of a reference: for ``latest``/untagged the most specific version tag
        naming the same image and its digest; for a tag, its digest."""
        if ref.tag is None or ref.tag == "latest":
            digest = self.manifest_digest(ref.with_tag("latest").with_digest(None))
            return Pin(self.version_tag_for(ref, digest), digest)
        return Pin(None, self.manifest_digest(ref.with_digest(None)))

    def manifest_digest(self, ref: ImageRef) -> str:
        """The digest of what ``ref``'s tag (or digest) names: the index for multi-platform."""
        reference = ref.digest or ref.tag or "latest"
        key = f"digest {ref.domain}/{self._repository(ref)}:{reference}"
        cached = self._cache.get(key)
        if isinstance(cached, str):
            return cached
        url = f"{self._base(ref)}/manifests/{urllib.parse.quote(reference, safe=':')}"
        headers = {"Accept": ", ".join(MANIFEST_MEDIA_TYPES)}
        response = self._send("HEAD", url, headers, ref)
        digest = response.headers.get("Docker-Content-Digest")
        if not digest:
            response = self._send("GET", url, headers, ref)
            digest = response.headers.get("Docker-Content-Digest") or (
                "sha256:" + hashlib.sha256(response.body).hexdigest()
            )
        try:
            ImageRef(None, "x", None, digest)
        except ValueError:
            raise RegistryError(f"{ref.domain}: invalid digest for {ref}: {digest!r}") from None
        self._cache.put(key, digest)
        return digest

    def tags(self, ref: ImageRef) -> list[str]:
        """Every tag of ``ref``'s repository, following pagination."""
        key = f"tags {ref.domain}/{self._repository(ref)}"
        cached = self._cache.get(key)
        if isinstance(cached, list) and all(isinstance(t, str) for t in cached):
            return list(cached)
        url: str | None = f"{self._base(ref)}/tags/list?n={self.options.page_size}"
        found: list[str] = []
        seen_urls: set[str] = set()
        while url is not None and url not in seen_urls:
            seen_urls.add(url)
            response = self._send("GET", url, {"Accept": "application/json"}, ref)
            try:
                payload = json.loads(response.body)
                page = payload.get("tags") or []
            except (ValueError, AttributeError):
                raise RegistryError(f"{ref.domain}: the tag list of {ref} is not JSON") from None
            found.extend(t for t in page if isinstance(t, str))
            url = _next_page(url, response.headers.get("Link"))
        self._cache.put(key, found)
        return found

    def version_tag_for(self, ref: ImageRef, digest: str) -> str | None:
        """The most specific version tag of ``ref``'s repository that names ``digest``.

        Versions are tried from the highest down; the first version with a tag on
        the digest decides, and among that version's tags (``3.13.1``,
        ``3.13.1-bookworm``...) the most specific one that matches wins.
        """
        groups: dict[tuple[int, ...], list[str]] = {}
        for tag in self.tags(ref):
            version = version_of(tag)
            if version is not None:
                groups.setdefault(version, []).append(tag)
        budget = self.options.max_tag_lookups
        for version in sorted(groups, reverse=True):
            matching: list[str] = []
            for tag in sorted(groups[version]):
                if budget <= 0:
                    return None
                budget -= 1
                if self.manifest_digest(ref.with_tag(tag).with_digest(None)) == digest:
                    matching.append(tag)
            if matching:
                return most_specific_tag(matching)
        return None

    # --- HTTP ------------------------------------------------------------------

    def _repository(self, ref: ImageRef) -> str:
        return ref.normalized.path

    def _api_host(self, ref: ImageRef) -> str:
        return DOCKER_HUB_API if ref.domain == DEFAULT_REGISTRY else ref.domain

    def _base(self, ref: ImageRef) -> str:
        host = self._api_host(ref)
        scheme = "http" if plain_http_allowed(host, self.options.insecure_registries) else "https"
        return f"{scheme}://{host}/v2/{self._repository(ref)}"

    def _send(self, method: str, url: str, headers: Mapping[str, str], ref: ImageRef) -> _Response:
        host = self._api_host(ref)
        scope_key = (host, self._repository(ref))
        with self._lock:
            authorization = self._authorization.get(scope_key)
        response = self._with_retries(method, url, headers, authorization, host)
        if response.status == 401:
            challenge = response.headers.get("WWW-Authenticate") or ""
            authorization = self._authorize(challenge, host, ref)
            with self._lock:
                self._authorization[scope_key] = authorization
            response = self._with_retries(method, url, headers, authorization, host)
            if response.status == 401:
                raise RegistryError(
                    f"{host}: access to {ref.with_digest(None).with_tag(None)} was refused"
                    " (check the credentials in the docker configuration)"
                )
        if response.status == 404:
            raise RegistryError(f"{host}: {ref} not found")
        if response.status >= 400:
            raise RegistryError(f"{host}: {method} {_path_of(url)} answered HTTP {response.status}")
        return response

    def _with_retries(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        authorization: str | None,
        host: str,
    ) -> _Response:
        attempt = 0
        while True:
            request = urllib.request.Request(url, method=method, headers=dict(headers))
            if authorization is not None:
                request.add_unredirected_header("Authorization", authorization)
            problem: str
            try:
                response = self._open(request)
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                problem = f"cannot reach the registry ({_describe(reason)})"
            else:
                if response.status not in _RETRY_STATUS:
                    return response
                problem = f"HTTP {response.status}"
            if attempt >= self.options.retries:
                raise RegistryError(f"{host}: {problem}")
            time.sleep(self.options.backoff * (2**attempt))
            attempt += 1

    def _open(self, request: urllib.request.Request) -> _Response:
        with self._lock:
            self.requests += 1
        try:
            with self._opener.open(request, timeout=self.options.timeout) as raw:
                return _Response(raw.status, raw.headers, raw.read())
        except urllib.error.HTTPError as exc:
            with exc:
                body = exc.read() if exc.fp is not None else b""
            return _Response(exc.code, exc.headers, body)

    # --- authentication --------------------------------------------------------

    def _authorize(self, challenge: str, host: str, ref: ImageRef) -> str:
        scheme, _, rest = challenge.strip().partition(" ")
        params = {m[1].lower(): m[2] or m[3] for m in _CHALLENGE_PARAM.finditer(rest)}
        credentials = self._credentials(host)
        if scheme.lower() == "basic":
            if credentials is None:
                raise RegistryError(
                    f"{host}: the registry asks for a login and the docker configuration has none"
                )
            return "Basic " + _basic(*credentials)
        if scheme.lower() != "bearer" or "realm" not in params:
            raise RegistryError(f"{host}: unsupported authentication challenge {scheme!r}")
        return "Bearer " + self._token(params, host, ref, credentials)

    def _token(
        self,
        params: Mapping[str, str],
        host: str,
        ref: ImageRef,
        credentials: tuple[str, str] | None,
    ) -> str:
        realm = urllib.parse.urlsplit(params["realm"])
        if realm.scheme != "https" and not (
            realm.scheme == "http"
            and plain_http_allowed(realm.netloc, self.options.insecure_registries)
        ):
            raise RegistryError(f"{host}: refusing a token service that is not HTTPS")
        query = {"scope": params.get("scope") or f"repository:{self._repository(ref)}:pull"}
        if "service" in params:
            query["service"] = params["service"]
        separator = "&" if realm.query else "?"
        url = params["realm"] + separator + urllib.parse.urlencode(query)
        authorization = "Basic " + _basic(*credentials) if credentials is not None else None
        response = self._with_retries("GET", url, {}, authorization, realm.netloc)
        if response.status in (401, 403):
            raise RegistryError(f"{host}: the token service refused the credentials")
        if response.status >= 400:
            raise RegistryError(f"{host}: the token service answered HTTP {response.status}")
        try:
            payload = json.loads(response.body)
            token = payload.get("token") or payload.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"{host}: the token service sent no token")
        return token

    def _credentials(self, host: str) -> tuple[str, str] | None:
        path = self.options.docker_config
        if path is None:
            return None
        try:
            config = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(config, dict):
            return None
        hub = host in _HUB_NAMES
        helpers = config.get("credHelpers")
        if isinstance(helpers, dict):
            helper = next(
                (v for k, v in helpers.items() if _auth_key_matches(k, host, hub=hub)), None
            )
            if isinstance(helper, str):
                return _helper_credentials(helper, DOCKER_HUB_AUTH_KEY if hub else host)
        auths = config.get("auths")
        if isinstance(auths, dict):
            for key, entry in auths.items():
                if _auth_key_matches(key, host, hub=hub) and isinstance(entry, dict):
                    found = _entry_credentials(entry)
                    if found is not None:
                        return found
        store = config.get("credsStore")
        if isinstance(store, str) and store:
            return _helper_credentials(store, DOCKER_HUB_AUTH_KEY if hub else host)
        return None


def _auth_key_matches(key: str, host: str, *, hub: bool) -> bool:
    netloc = urllib.parse.urlsplit(key).netloc if "://" in key else key.split("/", 1)[0]
    return netloc in _HUB_NAMES if hub else netloc == host


def _entry_credentials(entry: Mapping[str, object]) -> tuple[str, str] | None:
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            user, sep, secret = base64.b64decode(auth).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return (user, secret) if sep else None
    username, password = entry.get("username"), entry.get("password")
    if isinstance(username, str) and isinstance(password, str):
        return username, password
    return None


def _helper_credentials(helper: str, server: str) -> tuple[str, str] | None:
    """``docker-credential-<helper> get``; None when it is missing or fails."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", helper):
        return None
    try:
        done = subprocess.run(
            [f"docker-credential-{helper}", "get"],
            input=server.encode(),
            capture_output=True,
            timeout=20,
            check=False,
        )
        payload = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    user, secret = payload.get("Username"), payload.get("Secret")
    if isinstance(user, str) and isinstance(secret, str) and secret:
        return user, secret
    return None


def _basic(user: str, secret: str) -> str:
    return base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")


def _next_page(url: str, link: str | None) -> str | None:
    if not link:
        return None
    match = _LINK_NEXT.search(link)
    return urllib.parse.urljoin(url, match[1]) if match else None


def _path_of(url: str) -> str:
    return urllib.parse.urlsplit(url).path


def _describe(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__
