"""The front door: the listeners of an Application Load Balancer, in local mode.

In local mode the ECS task runner (``ecs_runner``) starts a service's tasks as real
processes on loopback addresses, registers them with the load balancer's target group
and records their health in ``targets``. The front door is the load balancer in front
of them. It runs in the emulator process (a few threads) and serves each listener the
emulator holds, the way an ALB does:

* an HTTPS listener terminates TLS 1.2 or later with the listener's certificate (the
  ACM certificate, its imported chain and private key);
* ``forward``: each request goes to the next routable target of the target group,
  round-robin. Routable is what ``targets.routable`` says: the healthy targets, or, when
  none is healthy, the unhealthy ones (ELB fails open); never a draining one, whose
  requests in flight still finish. No target: ``503``; a target that refuses the
  connection or breaks it off before answering: ``502``; one that does not answer within
  the idle timeout (or cannot be reached within 10 s): ``504``; the bodies are ALB's
  pages. ``X-Forwarded-For`` (the client's address appended), ``X-Forwarded-Proto`` and
  ``X-Forwarded-Port`` (the real listener port, e.g. 443) are set. Bodies, with a
  Content-Length or chunked, are copied both ways as their bytes arrive: streamed
  answers (SSE) stream. ``Upgrade: websocket`` is forwarded and, on ``101``, the two
  connections are relayed both ways until either closes;
* ``redirect`` (RedirectConfig with ``#{protocol}``, ``#{host}``, ``#{port}``,
  ``#{path}``, ``#{query}``) and ``fixed-response`` answer without a target;
* a client connection (or websocket) with no byte either way for the load balancer's
  ``idle_timeout.timeout_seconds`` is closed; a client connection is otherwise kept alive.

How it differs from an ALB:

* each listener is served on 127.0.0.1 and a local port of its own (443 and 80 cannot be
  bound here): a redirect to port 443 of the same load balancer goes to the local port
  of the listener that stands for 443; ``FrontDoor.listing()`` tells which local URL
  stands for which listener;
* HTTP/1.1 only (ALPN offers ``http/1.1``: no HTTP/2 or gRPC); one new connection to a
  target per request, closed after its answer (an ALB keeps connections to targets
  open); an answer without a length is passed on until the target closes, then the
  client connection is closed too;
* only the default action of a listener (no listener rules; a listener with an
  authenticate action is not served), the first target group of a weighted forward, no
  stickiness, no ``X-Amzn-Trace-Id``, no access logs; the
  security policy is "TLS 1.2 or later" whatever its name; a load balancer is served in
  any state (also ``provisioning``).

``FrontDoor`` is the core and knows nothing of moto; ``sync_from_moto`` makes it serve
the load balancers of the emulator's in-process backends, and ``MotoFrontDoor().sync()``
does that for every account and region (the task runner calls it every second or so).
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import re
import selectors
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import ClassVar

from . import targets

LOG = logging.getLogger(__name__)

DEFAULT_IDLE_TIMEOUT = 60.0  # an ALB's idle_timeout.timeout_seconds
CONNECT_TIMEOUT = 10.0  # an ALB gives up connecting to a target after 10 s
ACCEPT_POLL = 0.2  # how often an accepting thread looks whether its listener was closed
JOIN_TIMEOUT = 2.0
MAX_LINE = 65536
BLOCK = 65536
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "upgrade"})
SET_BY_LOAD_BALANCER = frozenset({"x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "expect"})
REASONS = {
    301: "Moved Permanently",
    302: "Found",
    400: "Bad Request",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}
DEFAULT_PORTS = {"http": 80, "https": 443}


class BadMessage(ValueError):
    """A request or an answer that is not HTTP/1.x as this proxy reads it."""


# -- Actions (a listener's default action) ---------------------------------------------


@dataclass(frozen=True)
class Forward:
    target_group_arn: str
    kind: ClassVar[str] = "forward"


@dataclass(frozen=True)
class Redirect:
    """ALB's RedirectConfig; its defaults are ALB's."""

    kind: ClassVar[str] = "redirect"
    status_code: str = "HTTP_301"
    protocol: str = "#{protocol}"
    host: str = "#{host}"
    port: str = "#{port}"
    path: str = "/#{path}"
    query: str = "#{query}"


@dataclass(frozen=True)
class FixedResponse:
    kind: ClassVar[str] = "fixed-response"
    status_code: str
    content_type: str = "text/plain"
    message_body: str = ""


Action = Forward | Redirect | FixedResponse

_REDIRECT_FIELDS = {
    "StatusCode": "status_code",
    "Protocol": "protocol",
    "Host": "host",
    "Port": "port",
    "Path": "path",
    "Query": "query",
}
_FIXED_RESPONSE_FIELDS = {"StatusCode": "status_code", "ContentType": "content_type", "MessageBody": "message_body"}


def renamed(config: Mapping, names: Mapping[str, str]) -> dict[str, str]:
    return {name: str(config[key]) for key, name in names.items() if key in config}


def parse_action(data: Mapping) -> Action:
    """An action as ELB's API writes it (``{"Type": "redirect", "RedirectConfig": {...}}``)."""
    kind = str(data.get("Type", "")).lower()
    if kind == "forward":
        groups = data.get("ForwardConfig", {}).get("TargetGroups", [])
        arn = data.get("TargetGroupArn") or (groups[0].get("TargetGroupArn") if groups else None)
        if not arn:
            raise ValueError("a forward action without a target group")
        return Forward(arn)
    if kind == "redirect":
        return Redirect(**renamed(data.get("RedirectConfig", {}), _REDIRECT_FIELDS))
    if kind == "fixed-response":
        return FixedResponse(**renamed(data.get("FixedResponseConfig", {}), _FIXED_RESPONSE_FIELDS))
    raise ValueError(f"action type {data.get('Type')!r} is not served locally")


# -- What a listener serves --------------------------------------------------------------


@dataclass(frozen=True)
class LoadBalancer:
    arn: str
    name: str = ""
    dns_name: str = ""
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT


@dataclass(frozen=True)
class ListenerSettings:
    load_balancer: LoadBalancer
    protocol: str  # HTTP or HTTPS
    port: int  # the real listener port (443), not the local one
    action: Action
    certificate: str | None = None  # PEM: the certificate, then its chain
    private_key: str | None = None  # PEM


def tls_context(certificate: str, private_key: str) -> ssl.SSLContext:
    """A server context for TLS 1.2+ and HTTP/1.1 with this certificate chain and key (read
    from a private temporary file, mode 0600, deleted at once)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])
    handle, path = tempfile.mkstemp(prefix="front-door-", suffix=".pem")
    try:
        with os.fdopen(handle, "w", encoding="ascii") as pem:
            pem.write(certificate.strip() + "\n" + private_key.strip() + "\n")
        context.load_cert_chain(path)
    finally:
        os.unlink(path)
    return context


# -- HTTP/1.1 messages -------------------------------------------------------------------


class Stream:
    """Reads a socket through a buffer of its own, so that the bytes read ahead of a
    message's head can be relayed (``take_buffer``)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""

    def _take(self, count: int) -> bytes:
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def take_buffer(self) -> bytes:
        return self._take(len(self.buffer))

    def read_some(self, limit: int = BLOCK) -> bytes:
        """What is buffered, else what one receive brings (b"": the peer closed)."""
        return self._take(limit) if self.buffer else self.sock.recv(limit)

    def readline(self, limit: int = MAX_LINE) -> bytes:
        """A line with its end, at most ``limit`` bytes; what is left at the peer's close."""
        while True:
            end = self.buffer.find(b"\n", 0, limit)
            if end >= 0:
                return self._take(end + 1)
            if len(self.buffer) >= limit:
                return self._take(limit)
            data = self.sock.recv(BLOCK)
            if not data:
                return self.take_buffer()
            self.buffer += data


def header_tokens(headers: http.client.HTTPMessage, name: str) -> set[str]:
    return {token.strip().lower() for value in headers.get_all(name, []) for token in value.split(",")}


def body_framing(headers: http.client.HTTPMessage) -> tuple[str, int]:
    """("chunked", 0), ("length", n) or ("none", 0) as a message's headers say."""
    if "chunked" in header_tokens(headers, "Transfer-Encoding"):
        return "chunked", 0
    length = headers.get("Content-Length")
    if length is None:
        return "none", 0
    if not length.strip().isdigit():
        raise BadMessage(f"Content-Length {length!r}")
    return "length", int(length)


@dataclass
class Request:
    method: str
    target: str  # the request-target: path and query
    version: str
    headers: http.client.HTTPMessage

    @property
    def keep_alive(self) -> bool:
        return self.version == "HTTP/1.1" and "close" not in header_tokens(self.headers, "Connection")

    @property
    def wants_websocket(self) -> bool:
        upgrade = self.headers.get("Upgrade", "").lower() == "websocket"
        return upgrade and "upgrade" in header_tokens(self.headers, "Connection")

    @property
    def has_body(self) -> bool:
        kind, length = body_framing(self.headers)
        return kind == "chunked" or length > 0

    @property
    def keep_alive_unread(self) -> bool:
        """Whether the connection can go on after an answer that leaves the body unread."""
        return self.keep_alive and not self.has_body


def read_request(stream: Stream) -> Request | None:
    """The next request's head; None when the client closed the connection."""
    line = stream.readline()
    while line in (b"\r\n", b"\n"):  # a stray line end between requests is allowed
        line = stream.readline()
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3 or parts[2] not in ("HTTP/1.0", "HTTP/1.1") or not line.endswith(b"\n"):
        raise BadMessage(f"request line {line[:80]!r}")
    return Request(parts[0], parts[1], parts[2], http.client.parse_headers(stream))


def read_answer_head(stream: Stream) -> tuple[int, str, http.client.HTTPMessage]:
    line = stream.readline()
    if not line:
        raise ConnectionError("the target closed the connection before answering")
    parts = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise BadMessage(f"status line {line[:80]!r}")
    return int(parts[1]), parts[2] if len(parts) > 2 else "", http.client.parse_headers(stream)


def message_head(start_line: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [start_line, *(f"{name}: {' '.join(value.splitlines())}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def end_to_end(headers: http.client.HTTPMessage, drop: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """The headers without the hop-by-hop ones (and those ``Connection`` names) and ``drop``."""
    skip = HOP_BY_HOP | header_tokens(headers, "Connection") | drop
    return [(name, value) for name, value in headers.items() if name.lower() not in skip]


def copy_exactly(source: Stream, sink: socket.socket, count: int) -> None:
    while count > 0:
        data = source.read_some(min(count, BLOCK))
        if not data:
            raise ConnectionError("the connection closed inside a body")
        sink.sendall(data)
        count -= len(data)


def copy_line(source: Stream, sink: socket.socket) -> bytes:
    line = source.readline()
    if not line.endswith(b"\n"):
        raise ConnectionError("the connection closed inside a chunked body")
    sink.sendall(line)
    return line


def copy_chunked(source: Stream, sink: socket.socket) -> None:
    """Relay a chunked body as it is, chunk by chunk as they arrive, trailers included."""
    while True:
        size_field = copy_line(source, sink).split(b";", 1)[0].strip()
        try:
            size = int(size_field, 16)
        except ValueError:
            raise BadMessage(f"chunk size {size_field[:20]!r}") from None
        if size == 0:
            break
        copy_exactly(source, sink, size + 2)  # the chunk and its CRLF
    while copy_line(source, sink) not in (b"\r\n", b"\n"):
        pass


def copy_until_close(source: Stream, sink: socket.socket) -> None:
    while data := source.read_some():
        sink.sendall(data)


def copy_body(source: Stream, sink: socket.socket, framing: tuple[str, int]) -> None:
    kind, length = framing
    if kind == "chunked":
        copy_chunked(source, sink)
    elif kind == "length":
        copy_exactly(source, sink, length)
    elif kind == "close":
        copy_until_close(source, sink)


def answer_framing(method: str, status: int, headers: http.client.HTTPMessage) -> tuple[str, int]:
    if method == "HEAD" or status < 200 or status in (204, 304):
        return "none", 0
    kind, length = body_framing(headers)
    return ("close", 0) if kind == "none" else (kind, length)


def receive(sock: socket.socket) -> bytes:
    """One receive, with what TLS already decrypted (a selector does not see that)."""
    data = sock.recv(BLOCK)
    while data and isinstance(sock, ssl.SSLSocket) and sock.pending():
        data += sock.recv(sock.pending())
    return data


def relay(client: Stream, upstream: Stream, idle_timeout: float) -> None:
    """Copy bytes both ways until either side closes or none moves for ``idle_timeout``."""
    for source, sink in ((client, upstream), (upstream, client)):
        if source.buffer:
            sink.sock.sendall(source.take_buffer())
    with selectors.DefaultSelector() as selector:
        selector.register(client.sock, selectors.EVENT_READ, upstream.sock)
        selector.register(upstream.sock, selectors.EVENT_READ, client.sock)
        last_byte = time.monotonic()
        while (remaining := last_byte + idle_timeout - time.monotonic()) > 0:
            for key, _mask in selector.select(remaining):
                data = receive(key.fileobj)
                if not data:
                    return
                key.data.sendall(data)
                last_byte = time.monotonic()


def status_line(status: int, reason: str | None = None) -> str:
    """``HTTP/1.1 <status> <reason>`` (the load balancer's own reason phrase if none is given)."""
    if reason is None:
        reason = REASONS.get(status, "")
        with contextlib.suppress(ValueError):
            reason = reason or HTTPStatus(status).phrase
    return f"HTTP/1.1 {status} {reason}".rstrip()


def alb_page(status: int) -> bytes:
    """The body of an answer the load balancer gives itself."""
    title = status_line(status).split(" ", 1)[1]
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    ).encode()


def substitute(template: str, values: Mapping[str, str]) -> str:
    return re.sub(r"#\{(protocol|host|port|path|query)\}", lambda match: values[match.group(1)], template)


def redirect_location(
    redirect: Redirect, request: Request, settings: ListenerSettings, local_port: Callable[[int], int | None]
) -> str:
    """Where a redirect sends the client: ALB's substitution, then the local port that stands
    for the target port on this load balancer (``local_port(real_port)``, None if none)."""
    path, _mark, query = request.target.partition("?")
    host = request.headers.get("Host", "") or settings.load_balancer.dns_name
    values = {
        "protocol": settings.protocol.lower(),
        "host": re.sub(r":\d+$", "", host),
        "port": str(settings.port),
        "path": path.lstrip("/"),
        "query": query,
    }
    scheme = substitute(redirect.protocol, values).lower()
    port = int(substitute(redirect.port, values))
    port = local_port(port) or port
    authority = substitute(redirect.host, values) + ("" if DEFAULT_PORTS.get(scheme) == port else f":{port}")
    query = substitute(redirect.query, values)
    return f"{scheme}://{authority}{substitute(redirect.path, values)}{'?' if query else ''}{query}"


# -- Connections -------------------------------------------------------------------------


def shut(sock: socket.socket | None) -> None:
    """Wake a thread blocked on ``sock`` (the plain socket's shutdown: on a TLS socket it
    leaves the TLS state to the thread that uses it)."""
    if sock is not None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class ClientConnection:
    """One client's connection to a listener: its requests, one after the other."""

    def __init__(self, listener: Listener, sock: socket.socket, address: tuple[str, int]):
        self.listener = listener
        self.sock = sock
        self.client_ip = address[0]
        self.upstream: socket.socket | None = None
        self.thread = threading.Thread(target=self.run, name=f"front-door-{address[0]}:{address[1]}", daemon=True)

    def abort(self) -> None:
        shut(self.sock)
        shut(self.upstream)

    def run(self) -> None:
        try:
            self.serve()
        except OSError as error:  # the idle timeout, resets, TLS errors: the connection ends
            LOG.debug("front door: connection from %s ended: %s", self.client_ip, error)
        except Exception:
            LOG.exception("front door: connection from %s failed", self.client_ip)
        finally:
            self.sock.close()
            self.listener.forget(self)

    def serve(self) -> None:
        self.sock.settimeout(self.listener.settings.load_balancer.idle_timeout)
        context = self.listener.context
        if context is not None:
            self.sock = context.wrap_socket(self.sock, server_side=True, do_handshake_on_connect=False)
            self.sock.do_handshake()  # on the wrapped socket, so that abort() can wake it
        stream = Stream(self.sock)
        while self.serve_one(stream):
            pass

    def serve_one(self, stream: Stream) -> bool:
        """Serve the next request; False: close the connection."""
        settings = self.listener.settings
        self.sock.settimeout(settings.load_balancer.idle_timeout)
        try:
            request = read_request(stream)
            if request is None:
                return False
            keep_alive = request.keep_alive_unread
        except (BadMessage, http.client.HTTPException):
            return self.answer(400, keep_alive=False)
        action = settings.action
        if isinstance(action, Forward):
            return self.forward(request, stream, settings, action)
        if isinstance(action, Redirect):
            location = redirect_location(action, request, settings, self.listener.local_port_of)
            status = 302 if action.status_code == "HTTP_302" else 301
            return self.answer(status, keep_alive=keep_alive, headers=[("Location", location)])
        body = action.message_body.encode()
        return self.answer(int(action.status_code), keep_alive=keep_alive, body=body, content_type=action.content_type)

    def answer(
        self,
        status: int,
        *,
        keep_alive: bool,
        body: bytes | None = None,
        content_type: str = "text/html",
        headers: Sequence[tuple[str, str]] = (),
    ) -> bool:
        """An answer of the load balancer's own (by default its page for ``status``);
        returns ``keep_alive``."""
        body = alb_page(status) if body is None else body
        fields = [
            ("Server", "awselb/2.0"),
            ("Date", formatdate(usegmt=True)),
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            *headers,
        ]
        if not keep_alive:
            fields.append(("Connection", "close"))
        self.sock.sendall(message_head(status_line(status), fields) + body)
        return keep_alive

    def upstream_head(self, request: Request, settings: ListenerSettings) -> bytes:
        forwarded_for = ", ".join([*request.headers.get_all("X-Forwarded-For", []), self.client_ip])
        headers = [
            *end_to_end(request.headers, SET_BY_LOAD_BALANCER),
            ("X-Forwarded-For", forwarded_for),
            ("X-Forwarded-Proto", settings.protocol.lower()),
            ("X-Forwarded-Port", str(settings.port)),
        ]
        if request.wants_websocket:
            headers += [("Connection", "Upgrade"), ("Upgrade", "websocket")]
        else:
            headers.append(("Connection", "close"))
        return message_head(f"{request.method} {request.target} HTTP/1.1", headers)

    def forward(self, request: Request, stream: Stream, settings: ListenerSettings, action: Forward) -> bool:
        idle_timeout = settings.load_balancer.idle_timeout
        target = self.listener.front_door.pick_target(action.target_group_arn)
        if target is None:
            return self.answer(503, keep_alive=request.keep_alive_unread)
        try:
            upstream = socket.create_connection(target, timeout=min(CONNECT_TIMEOUT, idle_timeout))
        except TimeoutError:
            return self.answer(504, keep_alive=request.keep_alive_unread)
        except OSError:
            return self.answer(502, keep_alive=request.keep_alive_unread)
        self.upstream = upstream
        with upstream:
            upstream.settimeout(idle_timeout)
            upstream_stream = Stream(upstream)
            # The request: a failure here (either side) ends the client's connection.
            upstream.sendall(self.upstream_head(request, settings))
            if request.has_body and "100-continue" in header_tokens(request.headers, "Expect"):
                self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            copy_body(stream, upstream, body_framing(request.headers))
            try:
                status, reason, headers = self.final_answer_head(upstream_stream)
            except TimeoutError:
                return self.answer(504, keep_alive=False)
            except (OSError, BadMessage, http.client.HTTPException):
                return self.answer(502, keep_alive=False)
            if status == 101 and request.wants_websocket:
                self.sock.sendall(message_head(status_line(101, reason), headers.items()))
                relay(stream, upstream_stream, idle_timeout)
                return False
            framing = answer_framing(request.method, status, headers)
            keep_alive = request.keep_alive and framing[0] != "close"
            fields = end_to_end(headers) + ([] if keep_alive else [("Connection", "close")])
            self.sock.sendall(message_head(status_line(status, reason), fields))
            copy_body(upstream_stream, self.sock, framing)
            return keep_alive

    def final_answer_head(self, upstream: Stream) -> tuple[int, str, http.client.HTTPMessage]:
        """The target's answer head, passing interim (1xx) answers other than 101 on."""
        status, reason, headers = read_answer_head(upstream)
        while 100 <= status < 200 and status != 101:
            self.sock.sendall(message_head(status_line(status, reason), end_to_end(headers)))
            status, reason, headers = read_answer_head(upstream)
        return status, reason, headers


# -- Listeners ---------------------------------------------------------------------------


def bind(host: str, port_hint: int | None) -> socket.socket:
    """A listening socket on ``port_hint`` if it is free, else on a free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port_hint or 0))
        except OSError:
            if not port_hint:
                raise
            sock.bind((host, 0))  # the port wanted is taken
        sock.listen(64)
    except OSError:
        sock.close()
        raise
    sock.settimeout(ACCEPT_POLL)
    return sock


class Listener:
    """One listener: a local port, its settings (replaceable while it serves), its clients."""

    def __init__(self, front_door: FrontDoor, settings: ListenerSettings, port_hint: int | None):
        self.front_door = front_door
        self.settings = settings
        self.context = tls_context(settings.certificate, settings.private_key) if settings.protocol == "HTTPS" else None
        self.sock = bind(front_door.host, port_hint)
        self.port = self.sock.getsockname()[1]
        self.closed = threading.Event()
        self.lock = threading.Lock()
        self.connections: set[ClientConnection] = set()
        self.thread = threading.Thread(target=self.accept_loop, name=f"front-door-listener-{self.port}", daemon=True)
        self.thread.start()

    def update(self, settings: ListenerSettings) -> None:
        """New settings for the next connections and requests (a new certificate: the next
        handshakes use it)."""
        if (settings.protocol, settings.certificate, settings.private_key) != (
            self.settings.protocol,
            self.settings.certificate,
            self.settings.private_key,
        ):
            https = settings.protocol == "HTTPS"
            self.context = tls_context(settings.certificate, settings.private_key) if https else None
        self.settings = settings

    def local_port_of(self, real_port: int) -> int | None:
        return self.front_door.local_port(self.settings.load_balancer.arn, real_port)

    def accept_loop(self) -> None:
        while not self.closed.is_set():
            try:
                sock, address = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            connection = ClientConnection(self, sock, address)
            with self.lock:
                if self.closed.is_set():
                    sock.close()
                    break
                self.connections.add(connection)
            connection.thread.start()

    def forget(self, connection: ClientConnection) -> None:
        with self.lock:
            self.connections.discard(connection)

    def close(self) -> None:
        """Stop accepting, end every connection (and its request in flight), wait for them."""
        self.closed.set()
        self.thread.join(JOIN_TIMEOUT)
        self.sock.close()
        with self.lock:
            connections = list(self.connections)
        for connection in connections:
            connection.abort()
        for connection in connections:
            connection.thread.join(JOIN_TIMEOUT)


class FrontDoor:
    """The listeners of the local load balancers, each on a local port of ``host``."""

    def __init__(self, host: str = "127.0.0.1"):
        if not host.startswith("127."):
            raise ValueError(f"the front door listens on loopback addresses only, not {host!r}")
        self.host = host
        self._lock = threading.RLock()
        self._listeners: dict[str, Listener] = {}
        self._turns: dict[str, int] = {}

    def open_listener(
        self,
        key: str,
        load_balancer: LoadBalancer,
        protocol: str,
        port: int,
        action: Action,
        *,
        certificate: str | None = None,
        private_key: str | None = None,
        port_hint: int | None = None,
    ) -> int:
        """Serve a listener (``port``: its real port) on a local port and return that port;
        an open listener of this ``key`` keeps its local port and takes the new settings.
        ``port_hint``: the local port wanted, if it is free."""
        protocol = protocol.upper()
        if protocol not in ("HTTP", "HTTPS"):
            raise ValueError(f"listener protocol {protocol!r}: an ALB listener is HTTP or HTTPS")
        if protocol == "HTTPS" and not (certificate and private_key):
            raise ValueError("an HTTPS listener needs a certificate and its private key")
        settings = ListenerSettings(load_balancer, protocol, int(port), action, certificate, private_key)
        with self._lock:
            listener = self._listeners.get(key)
            if listener is None:
                listener = self._listeners[key] = Listener(self, settings, port_hint)
            elif listener.settings != settings:
                listener.update(settings)
            return listener.port

    def close_listener(self, key: str) -> None:
        with self._lock:
            listener = self._listeners.pop(key, None)
        if listener is not None:
            listener.close()

    def listener_keys(self) -> list[str]:
        with self._lock:
            return list(self._listeners)

    def local_port(self, load_balancer_arn: str, real_port: int) -> int | None:
        """The local port of the load balancer's listener on ``real_port`` (None: none)."""
        with self._lock:
            for listener in self._listeners.values():
                if (listener.settings.load_balancer.arn, listener.settings.port) == (load_balancer_arn, real_port):
                    return listener.port
        return None

    def pick_target(self, target_group_arn: str) -> tuple[str, int] | None:
        """The next routable target of the group, round-robin; None when there is none."""
        candidates = targets.routable(target_group_arn)
        if not candidates:
            return None
        with self._lock:
            turn = self._turns.get(target_group_arn, 0)
            self._turns[target_group_arn] = turn + 1
        return candidates[turn % len(candidates)]

    def listing(self) -> list[dict]:
        """Each load balancer served, with its listeners and the local URL of each (JSON)."""
        balancers: dict[str, dict] = {}
        with self._lock:
            listeners = list(self._listeners.items())
        for key, listener in listeners:
            settings = listener.settings
            balancer = settings.load_balancer
            entry = balancers.setdefault(
                balancer.arn,
                {
                    "name": balancer.name,
                    "arn": balancer.arn,
                    "dns_name": balancer.dns_name,
                    "idle_timeout": balancer.idle_timeout,
                    "listeners": [],
                },
            )
            entry["listeners"].append(
                {
                    "key": key,
                    "protocol": settings.protocol,
                    "port": settings.port,
                    "local_port": listener.port,
                    "url": f"{settings.protocol.lower()}://{self.host}:{listener.port}",
                    "action": settings.action.kind,
                }
            )
        for entry in balancers.values():
            entry["listeners"].sort(key=lambda item: item["port"])
        return sorted(balancers.values(), key=lambda item: (item["name"], item["arn"]))

    def stop(self) -> None:
        """Close every listener and its connections."""
        with self._lock:
            listeners = list(self._listeners.values())
            self._listeners.clear()
        for listener in listeners:
            listener.closed.set()  # all stop accepting at once; then each is closed
        for listener in listeners:
            listener.close()


# -- The emulator's load balancers -------------------------------------------------------


def acm_certificate_pem(acm_backend, arn: str) -> tuple[str, str]:
    """(certificate and imported chain, private key) of an ACM certificate, PEM. moto keeps
    its own root CA after an imported chain (without the project's fix): left out, as an
    ALB serves the certificate and the chain that was imported."""
    from moto.acm.models import AWS_ROOT_CA

    bundle = acm_backend.get_certificate(arn)
    chain = bundle.chain.replace(AWS_ROOT_CA, b"").strip()
    certificate = bundle.cert.strip() + (b"\n" + chain if chain else b"")
    return certificate.decode("ascii"), bundle.key.decode("ascii")


def load_balancer_of(balancer) -> LoadBalancer:
    idle = balancer.attrs.get("idle_timeout.timeout_seconds", DEFAULT_IDLE_TIMEOUT)
    return LoadBalancer(balancer.arn, balancer.name, balancer.dns_name, float(idle))


def serve_moto_listener(front_door: FrontDoor, load_balancer: LoadBalancer, listener, acm_backend, port_hint) -> int:
    certificate = private_key = None
    if listener.protocol == "HTTPS":
        certificate, private_key = acm_certificate_pem(acm_backend, listener.certificate)
    # The last action is the one that answers; one before it would authenticate: not served.
    actions = [parse_action(action.data) for action in listener.default_actions]
    return front_door.open_listener(
        listener.arn,
        load_balancer,
        listener.protocol,
        int(listener.port),
        actions[-1],
        certificate=certificate,
        private_key=private_key,
        port_hint=port_hint,
    )


_REPORTED: dict[str, str] = {}  # listener ARN -> the problem last logged


def report_once(key: str, problem: str) -> None:
    """Log a listener's problem when it is new (the sync runs every second)."""
    if _REPORTED.get(key) != problem:
        _REPORTED[key] = problem
        LOG.warning("front door: %s", problem)


def in_scope(listener_arn: str, account_id: str | None, region: str | None) -> bool:
    """Whether a listener ARN (``arn:aws:elasticloadbalancing:<region>:<account>:...``) is of
    this account and region (None: any)."""
    parts = listener_arn.split(":")
    return len(parts) > 5 and account_id in (None, parts[4]) and region in (None, parts[3])


def sync_from_moto(
    front_door: FrontDoor,
    account_id: str | None = None,
    region: str | None = None,
    port_hints: Mapping[int, int] | None = None,
) -> list[dict]:
    """Make ``front_door`` serve the listeners of the application load balancers that the
    in-process moto backends hold, of ``account_id`` and ``region`` (None: every one): new
    ones opened, changed ones updated in place, gone ones closed; return
    ``front_door.listing()``. Idempotent: call it periodically. ``port_hints``: real
    listener port -> local port wanted (e.g. {443: 8443}). A listener that cannot be served
    (a certificate missing from ACM, an authenticate action) is logged and left closed."""
    from moto.acm.models import acm_backends
    from moto.elbv2.models import elbv2_backends

    served = set()
    for account, regions in list(elbv2_backends.items()):
        for name, elbv2_backend in list(regions.items()):
            if account_id in (None, account) and region in (None, name):
                served |= serve_moto_backend(front_door, elbv2_backend, acm_backends[account][name], port_hints or {})
    for key in front_door.listener_keys():
        if key not in served and in_scope(key, account_id, region):
            front_door.close_listener(key)
    return front_door.listing()


def serve_moto_backend(front_door: FrontDoor, elbv2_backend, acm_backend, port_hints: Mapping[int, int]) -> set[str]:
    """Serve the listeners of one account's region; return the ARNs of those served."""
    served = set()
    for balancer in list(elbv2_backend.load_balancers.values()):
        if balancer.type != "application":
            continue
        load_balancer = load_balancer_of(balancer)
        for listener in list(balancer.listeners.values()):
            port_hint = port_hints.get(int(listener.port))
            try:
                serve_moto_listener(front_door, load_balancer, listener, acm_backend, port_hint)
            except Exception as error:  # one listener's problem must not stop the others
                report_once(listener.arn, f"listener {listener.arn} (port {listener.port}) is not served: {error}")
                continue
            _REPORTED.pop(listener.arn, None)
            served.add(listener.arn)
    return served


class MotoFrontDoor(FrontDoor):
    """The emulator's front door: ``sync()`` follows every load balancer moto holds."""

    def __init__(self, host: str = "127.0.0.1", port_hints: Mapping[int, int] | None = None):
        super().__init__(host)
        self.port_hints = dict(port_hints or {})

    def sync(self) -> list[dict]:
        return sync_from_moto(self, port_hints=self.port_hints)
