"""The front door (tools/local_services/front_door.py): ALB listeners on local ports.

Real sockets on loopback addresses only: small threaded HTTP servers on 127.0.0.2 and
127.0.0.3 stand for the tasks (one also echoes websocket messages), registered in
``targets`` as the ECS task runner would; the clients speak TLS to the front door and
verify its certificate. The last test drives the adapter from moto's in-process backends.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import http.client
import json
import os
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto import mock_aws
from moto.acm.models import acm_backends

from tools.local_services import front_door as fd
from tools.local_services import targets
from tools.local_services.util import free_port

HOST = "chat.example.test"
GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
BALANCER_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/0123456789abcdef"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WAIT = 5.0  # the longest any single step may take


# -- A certificate -----------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    pem: str
    key: str
    ca_file: Path


def make_certificate(directory: Path) -> Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    ca_file = directory / "ca.pem"
    ca_file.write_text(pem)
    return Certificate(pem, key_pem, ca_file)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("front-door"))


def client_context(certificate: Certificate) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate.ca_file))


def https_client(certificate: Certificate) -> httpx.Client:
    """A client that trusts only the test certificate and names the certificate's host
    (SNI and verification) whatever address the URL has."""
    return httpx.Client(verify=client_context(certificate), timeout=WAIT)


def get(client: httpx.Client, url: str, **kwargs) -> httpx.Response:
    return client.get(url, extensions={"sni_hostname": HOST}, **kwargs)


def tls_socket(port: int, certificate: Certificate) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    return client_context(certificate).wrap_socket(raw, server_hostname=HOST)


# -- Targets: small HTTP servers on their own loopback addresses -------------------------


def read_chunked(rfile) -> bytes:
    body = b""
    while size := int(rfile.readline().split(b";")[0], 16):
        body += rfile.read(size)
        rfile.readline()
    rfile.readline()  # the blank line after the last chunk (no trailers)
    return body


def ws_frame(opcode: int, payload: bytes, mask: bytes = b"") -> bytes:
    """One final websocket frame (payloads under 64 KiB); a client masks, a server does not."""
    length = len(payload)
    mask_bit = 0x80 if mask else 0
    head = bytes([0x80 | opcode])
    if length < 126:
        head += bytes([mask_bit | length])
    else:
        head += bytes([mask_bit | 126]) + length.to_bytes(2, "big")
    if mask:
        payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return head + mask + payload


def read_ws_frame(read) -> tuple[int, bytes]:
    first, second = read(2)
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(read(2), "big")
    mask = read(4) if second & 0x80 else b""
    payload = read(length)
    if mask:
        payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return first & 0x0F, payload


def ws_accept(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode(), usedforsecurity=False).digest()).decode()


class Handler(BaseHTTPRequestHandler):
    """``/stream``: a chunked event stream whose second event waits for ``server.release``
    (set by a client that got the first one: after 2 s it says nobody did);
    ``/slow``: answers after ``server.release`` (or 3 s); ``/ws``: websocket echo; POST:
    echoes the body; anything else: who answered and what it got (JSON)."""

    protocol_version = "HTTP/1.1"
    server: Backend

    def log_message(self, format, *args):
        """Quiet."""

    def do_GET(self):
        self.server.requests += 1
        if self.path == "/stream":
            self.stream()
        elif self.path == "/ws":
            self.websocket()
        else:
            if self.path == "/slow":
                self.server.release.wait(3)
            self.send_body(json.dumps({"server": self.server.name, "path": self.path, "headers": dict(self.headers)}))

    def do_POST(self):
        self.server.requests += 1
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            body = read_chunked(self.rfile)
        else:
            body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_body(body.decode(), "text/plain")

    def send_body(self, text: str, content_type: str = "application/json"):
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def write_chunk(self, data: bytes):
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.write_chunk(b"data: one\n\n")
        released = self.server.release.wait(2)
        self.write_chunk(b"data: two\n\n" if released else b"data: nobody got the first event\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def websocket(self):
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", ws_accept(self.headers["Sec-WebSocket-Key"]))
        self.end_headers()
        self.close_connection = True
        while True:
            opcode, payload = read_ws_frame(self.rfile.read)
            self.wfile.write(ws_frame(opcode, payload))
            if opcode == 8:  # close
                return


class Backend(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, name: str, ip: str):
        super().__init__((ip, 0), Handler)
        self.name = name
        self.ip, self.port = self.server_address[:2]
        self.release = threading.Event()
        self.requests = 0
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def stop(self):
        self.release.set()
        self.shutdown()
        self.server_close()


@pytest.fixture
def backends():
    servers = {"a": Backend("a", "127.0.0.2"), "b": Backend("b", "127.0.0.3")}
    yield servers
    for server in servers.values():
        server.stop()


def make_healthy(server: Backend, group: str = GROUP) -> None:
    targets.register(group, server.ip, server.port)
    state = targets.record_check(
        group, server.ip, server.port, True, "", "", healthy_threshold=1, unhealthy_threshold=2
    )
    assert state == "healthy"


def make_unhealthy(server: Backend) -> None:
    make_healthy(server)
    reason, description = "Target.ResponseCodeMismatch", "Health checks failed"
    state = targets.record_check(GROUP, server.ip, server.port, False, reason, description, 1, 1)
    assert state == "unhealthy"


@pytest.fixture
def door():
    targets.clear()
    front_door = fd.FrontDoor()
    yield front_door
    front_door.stop()
    targets.clear()


def balancer(idle_timeout: float = WAIT) -> fd.LoadBalancer:
    return fd.LoadBalancer(BALANCER_ARN, "web", "web-1.us-east-1.elb.amazonaws.com", idle_timeout)


def open_https(door: fd.FrontDoor, certificate: Certificate, idle_timeout: float = WAIT) -> int:
    return door.open_listener(
        "https",
        balancer(idle_timeout),
        "HTTPS",
        443,
        fd.Forward(GROUP),
        certificate=certificate.pem,
        private_key=certificate.key,
    )


def refused(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(WAIT)
        return sock.connect_ex(("127.0.0.1", port)) != 0


# -- The core ----------------------------------------------------------------------------


def test_https_listener_terminates_tls_with_its_certificate(door, certificate, backends):
    make_healthy(backends["a"])
    port = open_https(door, certificate)
    with https_client(certificate) as client:
        response = get(client, f"https://127.0.0.1:{port}/hello?x=1")
        tls = response.extensions["network_stream"].get_extra_info("ssl_object")
        assert response.status_code == 200
        assert response.json()["server"] == "a"
        assert response.json()["path"] == "/hello?x=1"
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
        assert dict(field[0] for field in tls.getpeercert()["subject"])["commonName"] == HOST
    # The certificate served is the listener's: a client that trusts only the system's CAs refuses it.
    with httpx.Client(timeout=WAIT) as client, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        get(client, f"https://127.0.0.1:{port}/")


def test_requests_go_round_robin_to_the_healthy_targets(door, certificate, backends):
    make_healthy(backends["a"])
    make_healthy(backends["b"])
    port = open_https(door, certificate)
    with https_client(certificate) as client:
        served = [get(client, f"https://127.0.0.1:{port}/").json()["server"] for index in range(6)]
    assert sorted(set(served)) == ["a", "b"]
    assert served[0::2] == [served[0]] * 3
    assert served[1::2] == [served[1]] * 3


def test_unhealthy_and_draining_targets_get_no_new_requests(door, certificate, backends):
    draining = Backend("c", "127.0.0.4")
    try:
        make_healthy(backends["a"])
        make_unhealthy(backends["b"])
        make_healthy(draining)
        targets.deregister(GROUP, draining.ip, draining.port, delay=60)
        port = open_https(door, certificate)
        with https_client(certificate) as client:
            served = {get(client, f"https://127.0.0.1:{port}/").json()["server"] for index in range(4)}
            assert served == {"a"}
            # With no healthy target left, an ALB fails open to the unhealthy ones; never a draining one.
            targets.deregister(GROUP, backends["a"].ip, backends["a"].port, delay=60)
            served = {get(client, f"https://127.0.0.1:{port}/").json()["server"] for index in range(4)}
            assert served == {"b"}
        assert draining.requests == 0
    finally:
        draining.stop()


def test_a_request_in_flight_to_a_target_that_starts_draining_finishes(door, certificate, backends):
    target = backends["a"]
    make_healthy(target)
    port = open_https(door, certificate)
    with https_client(certificate) as client:
        with client.stream("GET", f"https://127.0.0.1:{port}/stream", extensions={"sni_hostname": HOST}) as response:
            pieces = response.iter_raw()
            assert next(pieces) == b"data: one\n\n"
            targets.deregister(GROUP, target.ip, target.port, delay=60)
            target.release.set()
            assert b"".join(pieces) == b"data: two\n\n"
        response = get(client, f"https://127.0.0.1:{port}/")
        assert response.status_code == 503  # the draining target was the only one


def test_a_streamed_answer_arrives_in_pieces_before_it_ends(door, certificate, backends):
    target = backends["a"]
    make_healthy(target)
    port = open_https(door, certificate)
    with (
        https_client(certificate) as client,
        client.stream("GET", f"https://127.0.0.1:{port}/stream", extensions={"sni_hostname": HOST}) as response,
    ):
        assert response.headers["content-type"] == "text/event-stream"
        assert response.headers["transfer-encoding"] == "chunked"
        pieces = response.iter_raw()
        # The target sends the second event only once the first one has reached the client.
        first = next(pieces)
        assert not target.release.is_set()
        target.release.set()
        assert first == b"data: one\n\n"
        assert b"".join(pieces) == b"data: two\n\n"


def test_no_routable_target_answers_503_a_refusing_one_502(door, certificate):
    port = open_https(door, certificate)
    with https_client(certificate) as client:
        response = get(client, f"https://127.0.0.1:{port}/")
        assert (response.status_code, response.reason_phrase) == (503, "Service Temporarily Unavailable")
        assert "<h1>503 Service Temporarily Unavailable</h1>" in response.text
        assert response.headers["server"] == "awselb/2.0"
        nobody = ("127.0.0.5", free_port())  # nothing listens there
        targets.register(GROUP, *nobody)
        targets.record_check(GROUP, *nobody, True, "", "", healthy_threshold=1, unhealthy_threshold=2)
        response = get(client, f"https://127.0.0.1:{port}/")
        assert (response.status_code, response.reason_phrase) == (502, "Bad Gateway")


def test_a_target_silent_for_the_idle_timeout_gives_504(door, certificate, backends):
    make_healthy(backends["a"])
    port = open_https(door, certificate, idle_timeout=0.5)
    with https_client(certificate) as client:
        started = time.monotonic()
        response = get(client, f"https://127.0.0.1:{port}/slow")
        elapsed = time.monotonic() - started
    assert (response.status_code, response.reason_phrase) == (504, "Gateway Time-out")
    assert 0.4 < elapsed < 2.5


def test_http_listener_redirects_to_the_local_port_of_the_https_listener(door, certificate):
    https_port = open_https(door, certificate)
    http_port = door.open_listener("http", balancer(), "HTTP", 80, fd.Redirect(protocol="HTTPS", port="443"))
    assert door.local_port(BALANCER_ARN, 443) == https_port
    with httpx.Client(timeout=WAIT) as client:
        response = client.get(f"http://127.0.0.1:{http_port}/c/chat?x=1&y=2", headers={"Host": f"{HOST}:{http_port}"})
    assert (response.status_code, response.reason_phrase) == (301, "Moved Permanently")
    assert response.headers["location"] == f"https://{HOST}:{https_port}/c/chat?x=1&y=2"


def test_forwarded_headers_name_the_client_and_the_real_listener(door, certificate, backends):
    make_healthy(backends["a"])
    https_port = open_https(door, certificate)
    http_port = door.open_listener("http", balancer(), "HTTP", 80, fd.Forward(GROUP))
    with https_client(certificate) as client:
        seen = get(client, f"https://127.0.0.1:{https_port}/", headers={"X-Forwarded-For": "203.0.113.7"}).json()
        plain = client.get(f"http://127.0.0.1:{http_port}/").json()
    assert seen["headers"]["X-Forwarded-For"] == "203.0.113.7, 127.0.0.1"
    assert (seen["headers"]["X-Forwarded-Proto"], seen["headers"]["X-Forwarded-Port"]) == ("https", "443")
    assert seen["headers"]["Host"] == f"127.0.0.1:{https_port}"
    assert plain["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert (plain["headers"]["X-Forwarded-Proto"], plain["headers"]["X-Forwarded-Port"]) == ("http", "80")


def test_request_bodies_reach_the_target(door, certificate, backends):
    make_healthy(backends["a"])
    port = open_https(door, certificate)
    url = f"https://127.0.0.1:{port}/echo"
    with https_client(certificate) as client:
        sized = client.post(url, content=b"x" * 100_000, extensions={"sni_hostname": HOST})
        chunked = client.post(url, content=iter([b"first,", b"second"]), extensions={"sni_hostname": HOST})
    assert sized.text == "x" * 100_000
    assert chunked.text == "first,second"


def test_websocket_echo_then_the_idle_timeout_closes_it(door, certificate, backends):
    make_healthy(backends["a"])
    port = open_https(door, certificate, idle_timeout=1.0)
    key = base64.b64encode(os.urandom(16)).decode()
    with tls_socket(port, certificate) as sock, sock.makefile("rb") as reader:
        sock.sendall(
            (
                f"GET /ws HTTP/1.1\r\nHost: {HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        status = reader.readline()
        headers = http.client.parse_headers(reader)
        assert status.startswith(b"HTTP/1.1 101")
        assert headers["Sec-WebSocket-Accept"] == ws_accept(key)
        for text in (b"hello", b"again " * 30):
            sock.sendall(ws_frame(1, text, mask=os.urandom(4)))
            assert read_ws_frame(reader.read) == (1, text)
        started = time.monotonic()
        assert reader.read(1) == b""  # nothing either way for the idle timeout: closed
        assert 0.8 < time.monotonic() - started < 3


def test_an_idle_client_connection_is_closed_after_the_idle_timeout(door, certificate, backends):
    make_healthy(backends["a"])
    port = open_https(door, certificate, idle_timeout=0.5)
    request = f"GET / HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
    with tls_socket(port, certificate) as sock:
        for pause in (0, 0.25):  # kept alive while it is not idle too long
            time.sleep(pause)
            sock.sendall(request)
            response = http.client.HTTPResponse(sock)
            response.begin()
            assert (response.status, json.loads(response.read())["server"]) == (200, "a")
        started = time.monotonic()
        assert sock.recv(1) == b""
        assert 0.4 < time.monotonic() - started < 2.5


def test_open_listener_again_keeps_the_port_and_takes_the_new_action(door, certificate, backends):
    make_healthy(backends["a"])
    port = open_https(door, certificate)
    assert open_https(door, certificate) == port
    fixed = fd.FixedResponse("418", "text/plain", "local")
    again = door.open_listener(
        "https", balancer(), "HTTPS", 443, fixed, certificate=certificate.pem, private_key=certificate.key
    )
    assert again == port
    with https_client(certificate) as client:
        response = get(client, f"https://127.0.0.1:{port}/")
    assert (response.status_code, response.text, response.headers["content-type"]) == (418, "local", "text/plain")
    assert door.listing()[0]["listeners"] == [
        {
            "key": "https",
            "protocol": "HTTPS",
            "port": 443,
            "local_port": port,
            "url": f"https://127.0.0.1:{port}",
            "action": "fixed-response",
        }
    ]
    door.close_listener("https")
    assert refused(port)
    assert door.listing() == []


def test_stop_ends_the_listeners_and_their_connections(door, certificate, backends):
    make_healthy(backends["a"])
    port = open_https(door, certificate)
    with (
        tls_socket(port, certificate) as idle,
        https_client(certificate) as client,
        client.stream("GET", f"https://127.0.0.1:{port}/stream", extensions={"sni_hostname": HOST}) as response,
    ):
        pieces = response.iter_raw()
        assert next(pieces) == b"data: one\n\n"
        started = time.monotonic()
        door.stop()
        assert time.monotonic() - started < 1.5
        assert [thread.name for thread in threading.enumerate() if thread.name.startswith("front-door")] == []
        assert refused(port)
        assert idle.recv(1) == b""
        with pytest.raises(httpx.RemoteProtocolError):
            b"".join(pieces)


def test_parse_action_reads_elb_actions():
    assert fd.parse_action({"Type": "forward", "TargetGroupArn": GROUP}) == fd.Forward(GROUP)
    weighted = {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": GROUP, "Weight": 1}]}}
    assert fd.parse_action(weighted) == fd.Forward(GROUP)
    redirect = {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_302"}}
    assert fd.parse_action(redirect) == fd.Redirect(status_code="HTTP_302", protocol="HTTPS", port="443")
    with pytest.raises(ValueError, match="authenticate-cognito"):
        fd.parse_action({"Type": "authenticate-cognito"})


# -- The adapter: moto's load balancers --------------------------------------------------

ACCOUNT, REGION = "123456789012", "us-east-1"


def test_sync_from_moto_serves_the_emulators_load_balancers(door, certificate, backends):
    wanted_https_port = free_port()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        elbv2 = boto3.client("elbv2", region_name=REGION)
        acm = boto3.client("acm", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=f"{REGION}{zone}")
            for index, zone in ((1, "a"), (2, "b"))
        ]
        lb = elbv2.create_load_balancer(Name="web", Subnets=[s["Subnet"]["SubnetId"] for s in subnets])
        lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
        group = elbv2.create_target_group(Name="web", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")
        group_arn = group["TargetGroups"][0]["TargetGroupArn"]
        cert_arn = acm.import_certificate(Certificate=certificate.pem, PrivateKey=certificate.key)["CertificateArn"]
        elbv2.create_listener(
            LoadBalancerArn=lb_arn,
            Protocol="HTTPS",
            Port=443,
            Certificates=[{"CertificateArn": cert_arn}],
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group_arn}],
        )
        redirect = {"Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}", "StatusCode": "HTTP_301"}
        http_arn = elbv2.create_listener(
            LoadBalancerArn=lb_arn,
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "redirect", "RedirectConfig": redirect}],
        )["Listeners"][0]["ListenerArn"]
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=lb_arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "30"}]
        )
        make_healthy(backends["a"], group=group_arn)

        listing = fd.sync_from_moto(door, ACCOUNT, REGION, port_hints={443: wanted_https_port})
        assert fd.sync_from_moto(door, ACCOUNT, REGION) == listing  # idempotent: same ports
        assert fd.sync_from_moto(door, ACCOUNT, "eu-west-1") == listing  # another region's sync leaves them
        assert json.loads(json.dumps(listing)) == listing
        [entry] = listing
        assert (entry["name"], entry["arn"], entry["idle_timeout"]) == ("web", lb_arn, 30.0)
        assert entry["dns_name"] == lb["LoadBalancers"][0]["DNSName"]
        http_entry, https_entry = entry["listeners"]
        assert (https_entry["protocol"], https_entry["port"], https_entry["action"]) == ("HTTPS", 443, "forward")
        assert https_entry["url"] == f"https://127.0.0.1:{wanted_https_port}"
        assert (http_entry["protocol"], http_entry["port"], http_entry["action"]) == ("HTTP", 80, "redirect")

        # Served with the imported certificate (moto's root CA left out of its chain), to the target group.
        pem, key = fd.acm_certificate_pem(acm_backends[ACCOUNT][REGION], cert_arn)
        assert (pem.strip(), key.strip()) == (certificate.pem.strip(), certificate.key.strip())
        with https_client(certificate) as client:
            assert get(client, f"{https_entry['url']}/").json()["server"] == "a"
            moved = client.get(f"{http_entry['url']}/x?y=1", headers={"Host": HOST})
        assert moved.headers["location"] == f"https://{HOST}:{wanted_https_port}/x?y=1"

        # Changes are followed: a new idle timeout, a listener deleted, the load balancer deleted.
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=lb_arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "7"}]
        )
        elbv2.delete_listener(ListenerArn=http_arn)
        [entry] = fd.sync_from_moto(door, ACCOUNT, REGION)
        assert entry["idle_timeout"] == 7.0
        assert [item["port"] for item in entry["listeners"]] == [443]
        assert refused(http_entry["local_port"])
        elbv2.delete_load_balancer(LoadBalancerArn=lb_arn)
        assert fd.sync_from_moto(door, ACCOUNT, REGION) == []
        assert refused(wanted_https_port)


def test_moto_front_door_follows_every_region():
    door = fd.MotoFrontDoor()
    try:
        with mock_aws():
            ec2 = boto3.client("ec2", region_name="eu-west-1")
            elbv2 = boto3.client("elbv2", region_name="eu-west-1")
            vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
            subnets = [
                ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{index}.0/24", AvailabilityZone=f"eu-west-1{zone}")
                for index, zone in ((1, "a"), (2, "b"))
            ]
            lb = elbv2.create_load_balancer(Name="other", Subnets=[s["Subnet"]["SubnetId"] for s in subnets])
            fixed = {"StatusCode": "200", "ContentType": "text/plain", "MessageBody": "ok"}
            elbv2.create_listener(
                LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"],
                Protocol="HTTP",
                Port=8080,
                DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": fixed}],
            )
            [entry] = door.sync()
            [listener] = entry["listeners"]
            assert (entry["name"], listener["port"], listener["action"]) == ("other", 8080, "fixed-response")
            assert httpx.get(listener["url"], timeout=WAIT).text == "ok"
    finally:
        door.stop()
