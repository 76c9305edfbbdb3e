"""DNS-rebinding protection (a Host-header check), data for our own page only, and security headers."""
from __future__ import annotations

import ipaddress
import re

from flask import Flask, jsonify, request

# Names under which a browser on this machine reaches a server bound to the loopback interface.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Binding to these means "every interface": the user asked for remote access, like --bind-all.
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})

# No inline or eval'd script anywhere: the page loads only its own files. plotly.js sets style
# attributes and injects <style> rules while drawing, hence 'unsafe-inline' for styles only.
CSP_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)
CONTENT_SECURITY_POLICY = "; ".join(CSP_DIRECTIVES)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Other sites may not embed our JSON, images or scripts in their pages.
    "Cross-Origin-Resource-Policy": "same-origin",
}


# What `--allow-framing-by` takes: 'self', a scheme (`vscode-webview:`) or an origin whose host
# and port may be `*` (`http://localhost:*`); never a bare `*`, which would let any site frame it.
_FRAMING_SOURCE = re.compile(
    r"'self'|[a-z][a-z0-9+.-]*:|[a-z][a-z0-9+.-]*://((\*\.)?[a-z0-9.-]+|\[[0-9a-f:]+\])(:(\d+|\*))?")


def framing_sources(origins: list[str]) -> list[str]:
    """`origins` checked as CSP frame-ancestors sources (lower case); ValueError names a bad one."""
    out = []
    for origin in origins:
        source = origin.strip().lower().rstrip("/")
        if not _FRAMING_SOURCE.fullmatch(source):
            raise ValueError(
                f"cannot allow framing by {origin!r}: expected an origin such as "
                "http://localhost:8888 or http://localhost:*, a scheme such as vscode-webview:, "
                "or 'self'")
        out.append(source)
    return out


def headers(frame_ancestors: list[str] | None = None) -> dict[str, str]:
    """The security headers of every response. By default no page may frame flowboard;
    `frame_ancestors` (checked by `framing_sources`) lets those pages show it in an iframe, as
    a notebook does, and drops X-Frame-Options, which cannot name them."""
    if not frame_ancestors:
        return dict(SECURITY_HEADERS)
    ancestors = "frame-ancestors " + " ".join(framing_sources(frame_ancestors))
    csp = "; ".join(ancestors if d.startswith("frame-ancestors ") else d for d in CSP_DIRECTIVES)
    out = {k: v for k, v in SECURITY_HEADERS.items() if k != "X-Frame-Options"}
    out["Content-Security-Policy"] = csp
    return out


def host_name(host: str) -> str:
    """The host part of a `Host` header or host name: port and IPv6 brackets removed, lower case.

    `"[::1]:6006"` -> `"::1"`, `"LocalHost.:80"` -> `"localhost"`, `"127.0.0.1"` -> `"127.0.0.1"`.
    """
    host = host.strip().lower()
    if host.startswith("["):  # [v6] or [v6]:port
        end = host.find("]")
        if end > 0 and _is_port(host[end + 1:]):
            return host[1:end]
        return host  # malformed: matches no allowed name
    if host.count(":") == 1:  # name:port or v4:port; a bare IPv6 address has several colons
        name, port = host.split(":")
        host = name if _is_port(":" + port) else host
    return host.rstrip(".")


def _is_port(suffix: str) -> bool:
    """Whether `suffix` is empty or `:digits`: what may follow a host name in a Host header."""
    return suffix == "" or (suffix[:1] == ":" and suffix[1:].isascii() and suffix[1:].isdigit())


def _display(name: str) -> str:
    """`name` as a user writes it in a URL: IPv6 addresses in brackets."""
    try:
        if ipaddress.ip_address(name).version == 6:
            return f"[{name}]"
    except ValueError:
        pass
    return name


def allowed_host_names(host: str, allowed_hosts: list[str] | None) -> frozenset[str]:
    """Every host name a request may name when the server is bound to `host`."""
    return LOCAL_HOSTS | {host_name(host)} | {host_name(h) for h in allowed_hosts or ()}


def init_app(
    app: Flask,
    allowed_hosts: list[str] | None = None,
    bind_all: bool = False,
    host: str = "127.0.0.1",
    frame_ancestors: list[str] | None = None,
) -> None:
    """Reject requests for foreign host names (403) and add security headers to every response.

    A web page on another site can make a browser resolve its own domain to 127.0.0.1 (DNS
    rebinding) and then read this server as same-origin; the browser still sends that domain in
    the `Host` header, so only requests naming `host`, `localhost`, `127.0.0.1` or `[::1]` (or a
    name in `allowed_hosts`) are served. `bind_all`, or binding to a wildcard address such as
    `0.0.0.0`, turns the check off: the user asked for the server to be reached by any name.
    `frame_ancestors` names the pages allowed to show flowboard in a frame (see `headers`).
    """
    response_headers = headers(frame_ancestors)
    check = not bind_all and host_name(host) not in WILDCARD_HOSTS
    names = allowed_host_names(host, allowed_hosts)
    app.config["FLOWBOARD_ALLOWED_HOSTS"] = sorted(names) if check else None

    if check:
        @app.before_request
        def _check_host():
            header = request.headers.get("Host")
            if header is None:  # HTTP/1.0 without Host: no browser, nothing to rebind
                return None
            name = host_name(header)
            if name in names:
                return None
            shown = ", ".join(_display(n) for n in sorted(names))
            response = jsonify(error=(
                f"Host {header!r} is not allowed: this server answers only requests for "
                f"{shown} (DNS-rebinding protection). To reach it under another name, start "
                f"flowboard with --allow-host {_display(name) or 'NAME'} or --bind-all."))
            response.status_code = 403
            return response

    @app.before_request
    def _same_origin_data():
        # A page on another site (or another port of this host) can make the browser send
        # requests here without reading the answers ("no-cors"), and so still make the
        # server build large answers. Browsers say where a request comes from; scripts and
        # the command line send no such header, and typed URLs say "none".
        origin = request.headers.get("Sec-Fetch-Site", "")
        if request.path.startswith("/data/") and origin in ("cross-site", "same-site"):
            response = jsonify(error=(
                f"{request.path} answers only flowboard's own page (this request came from a "
                f"{origin} page: Sec-Fetch-Site: {origin})"))
            response.status_code = 403
            return response
        return None

    @app.after_request
    def _security_headers(response):
        for key, value in response_headers.items():
            response.headers.setdefault(key, value)
        return response
