"""A small REST client for the Infrastructure Manager (IM 1.x/2.x REST API).

Every call asks for JSON, has connect and read timeouts, and verifies TLS
unless ``verify=False`` (``--insecure``). Only idempotent calls (GET,
DELETE) are retried, with exponential backoff, on connection failures and
502/503/504. Errors are typed: :class:`IMBadRequest` carries IM's own
message, :class:`IMAuthError` names the refused credential (never its
secret), :class:`IMNotFound` says the infrastructure is gone,
:class:`IMUnreachable` names the URL.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from .auth import Auth

log = logging.getLogger(__name__)

CONTENT_TYPES = {"radl": "text/plain", "tosca": "text/yaml", "json": "application/json"}
RETRY_STATUS = {502, 503, 504}
IDEMPOTENT = {"GET", "HEAD", "DELETE"}


class IMError(Exception):
    """An IM call failed."""

    status: int | None = None

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class IMUnreachable(IMError):
    """No answer from the IM URL (refused, DNS, timeout)."""


class IMBadRequest(IMError):
    """IM refused the payload (400); the message is IM's own parser's."""


class IMAuthError(IMError):
    """IM refused the credentials (401) or the infrastructure is not this user's (403)."""


class IMNotFound(IMError):
    """The infrastructure (or VM) does not exist (any more) on IM."""


def check_url(url: str) -> str:
    """``url`` when it can name an IM REST endpoint (http or https, a host, a
    valid port); else ValueError saying what is wrong."""
    text = (url or "").strip()
    if not text:
        raise ValueError("the IM URL is empty")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"{text!r} is not an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError(f"{text!r} names no host")
    try:
        parts.port
    except ValueError:
        raise ValueError(f"{text!r} has a port that is not a number from 1 to 65535") from None
    return text


def infrastructure_id(uri: str) -> str:
    return uri.rstrip("/").rsplit("/infrastructures/", 1)[-1].split("/")[0]


class IMClient:
    def __init__(self, url: str, auth: Auth, *, verify: bool = True, connect_timeout: float = 5.0,
                 read_timeout: float = 120.0, retries: int = 3, backoff: float = 0.5,
                 session: requests.Session | None = None):
        try:
            self.url = check_url(url).rstrip("/")
        except ValueError as exc:
            raise IMUnreachable(f"cannot use IM at {url!r}: {exc}") from None
        self.auth = auth
        self.verify = verify
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.session = session or requests.Session()
        self._header = auth.header()

    def __repr__(self) -> str:
        return f"IMClient({self.url!r}, auth={self.auth.path or 'inline'!r})"

    # -- transport -------------------------------------------------------------------

    def request(self, method: str, path: str, *, body: str | None = None, content_type: str | None = None,
                params: dict | None = None, what: str = "") -> requests.Response:
        url = f"{self.url}{path}"
        headers = {"Authorization": self._header, "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        attempts = 1 + (self.retries if method in IDEMPOTENT else 0)
        for attempt in range(attempts):
            try:
                response = self.session.request(method, url, data=body.encode("utf-8") if body is not None else None,
                                                headers=headers, params=params, timeout=self.timeout,
                                                verify=self.verify)
            except requests.exceptions.SSLError as exc:
                raise IMUnreachable(f"TLS verification failed for {self.url} ({type(exc).__name__}); "
                                    "pass --insecure only if you trust this server") from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt + 1 < attempts:
                    time.sleep(self.backoff * 2 ** attempt)
                    continue
                kind = "timed out" if isinstance(exc, requests.Timeout) else "connection refused or unreachable"
                raise IMUnreachable(f"cannot reach IM at {self.url}: {kind}") from None
            except requests.RequestException as exc:  # a URL requests cannot use, a redirect loop...
                raise IMUnreachable(f"cannot reach IM at {self.url}: {type(exc).__name__}") from None
            if response.status_code in RETRY_STATUS and attempt + 1 < attempts:
                time.sleep(self.backoff * 2 ** attempt)
                continue
            log.debug("%s %s -> %s", method, path, response.status_code)
            if response.status_code >= 400:
                raise self._error(response, what or f"{method} {path}")
            return response
        raise AssertionError("unreachable")

    def _error(self, response: requests.Response, what: str) -> IMError:
        message = self._message(response)
        status = response.status_code
        if status == 400:
            return IMBadRequest(f"IM refused {what}: {message}", status)
        if status == 401:
            return IMAuthError(f"IM at {self.url} refused the credential {self.auth.describe()}: {message}", status)
        if status == 403:
            return IMAuthError(f"IM at {self.url} refused {what} for the credential {self.auth.describe()} "
                               f"(not this user's infrastructure, or not allowed): {message}", status)
        if status == 404:
            return IMNotFound(f"{what}: not found on IM at {self.url} (the deployment is gone): {message}", status)
        return IMError(f"IM at {self.url} failed {what} (HTTP {status}): {message}", status)

    @staticmethod
    def _message(response: requests.Response) -> str:
        try:
            data = response.json()
            if isinstance(data, dict) and "message" in data:
                return str(data["message"]).strip()
        except ValueError:
            pass
        return response.text.strip()[:2000] or response.reason or ""

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            return response.text

    # -- calls -----------------------------------------------------------------------

    def version(self) -> str:
        data = self._json(self.request("GET", "/version", what="the version"))
        return data.get("version", str(data)) if isinstance(data, dict) else str(data)

    def list(self) -> list[str]:
        data = self._json(self.request("GET", "/infrastructures", what="the list"))
        items = data.get("uri-list", []) if isinstance(data, dict) else []
        return [infrastructure_id(item["uri"] if isinstance(item, dict) else item) for item in items]

    def create(self, payload: str, kind: str = "radl", *, wait: bool = False) -> str:
        params = None if wait else {"async": "1"}
        response = self.request("POST", "/infrastructures", body=payload, content_type=CONTENT_TYPES[kind],
                                params=params, what=f"the {kind.upper()} description")
        data = self._json(response)
        return infrastructure_id(data.get("uri", "") if isinstance(data, dict) else str(data))

    def state(self, inf: str) -> dict:
        data = self._json(self.request("GET", f"/infrastructures/{inf}/state", what=f"infrastructure {inf}"))
        state = data.get("state", {}) if isinstance(data, dict) else {}
        return {"state": state.get("state", "unknown"), "vm_states": dict(state.get("vm_states") or {})}

    def vms(self, inf: str) -> list[str]:
        data = self._json(self.request("GET", f"/infrastructures/{inf}", what=f"infrastructure {inf}"))
        items = data.get("uri-list", []) if isinstance(data, dict) else []
        return [str(item["uri"] if isinstance(item, dict) else item).rstrip("/").rsplit("/", 1)[-1]
                for item in items]

    def vm_info(self, inf: str, vm: str) -> list[dict]:
        data = self._json(self.request("GET", f"/infrastructures/{inf}/vms/{vm}",
                                       what=f"VM {vm} of infrastructure {inf}"))
        radl = data.get("radl", data) if isinstance(data, dict) else data
        return radl if isinstance(radl, list) else []

    def contmsg(self, inf: str) -> str:
        data = self._json(self.request("GET", f"/infrastructures/{inf}/contmsg", what=f"infrastructure {inf}"))
        return str(data.get("contmsg", "")) if isinstance(data, dict) else str(data)

    def radl(self, inf: str) -> Any:
        data = self._json(self.request("GET", f"/infrastructures/{inf}/radl", what=f"infrastructure {inf}"))
        return data.get("radl", data) if isinstance(data, dict) else data

    def tosca(self, inf: str) -> str:
        data = self._json(self.request("GET", f"/infrastructures/{inf}/tosca", what=f"infrastructure {inf}"))
        return str(data.get("tosca", data)) if isinstance(data, dict) else str(data)

    def outputs(self, inf: str) -> dict:
        data = self._json(self.request("GET", f"/infrastructures/{inf}/outputs", what=f"infrastructure {inf}"))
        return data.get("outputs", {}) if isinstance(data, dict) else {}

    def add_resources(self, inf: str, payload: str, kind: str = "radl") -> list[str]:
        data = self._json(self.request("POST", f"/infrastructures/{inf}", body=payload,
                                       content_type=CONTENT_TYPES[kind], what=f"new resources for {inf}"))
        items = data.get("uri-list", []) if isinstance(data, dict) else []
        return [str(item["uri"] if isinstance(item, dict) else item).rstrip("/").rsplit("/", 1)[-1]
                for item in items]

    def remove_vm(self, inf: str, vm: str) -> None:
        self.request("DELETE", f"/infrastructures/{inf}/vms/{vm}", what=f"VM {vm} of infrastructure {inf}")

    def reconfigure(self, inf: str, payload: str | None = None, kind: str = "radl") -> None:
        self.request("PUT", f"/infrastructures/{inf}/reconfigure", body=payload or "",
                     content_type=CONTENT_TYPES[kind], what=f"the reconfiguration of {inf}")

    def destroy(self, inf: str) -> None:
        self.request("DELETE", f"/infrastructures/{inf}", what=f"infrastructure {inf}")


__all__ = ["IMAuthError", "IMBadRequest", "IMClient", "IMError", "IMNotFound", "IMUnreachable", "RETRY_STATUS",
           "check_url", "infrastructure_id"]
