"""A private Mosquitto for the MQTT tests: its own port, a password file, TLS with certificates made
here, persistence so that a stop and start keeps a subscriber's session; and a subscriber for it."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import subprocess
import threading
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from support import MosquittoProcess, free_port

USER = "sitmon"
PASSWORD = "correct horse battery staple"


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
          issuer_key: ec.EllipticCurvePrivateKey, ca: bool, server: bool = False) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer.subject if issuer else name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
            decipher_only=False), critical=True)
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


class Certificates:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        ca_key, server_key, client_key = _key(), _key(), _key()
        ca = _cert("sitmon test CA", ca_key, None, ca_key, ca=True)
        self.ca, self.server_cert, self.server_key = folder / "ca.pem", folder / "server.pem", folder / "server.key"
        self.client_cert, self.client_key = folder / "client.pem", folder / "client.key"
        self.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        for cert_path, key_path, key, server in ((self.server_cert, self.server_key, server_key, True),
                                                 (self.client_cert, self.client_key, client_key, False)):
            cert = _cert("127.0.0.1" if server else "sitmon-test-client", key, ca, ca_key, ca=False, server=server)
            cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            _write_key(key_path, key)


class PrivateBroker(MosquittoProcess):
    """mosquitto on a free port of 127.0.0.1 requiring a user/password, and TLS with client certificates."""

    def __init__(self, folder: Path, tls: bool = True) -> None:
        super().__init__()
        self.folder = folder
        self.port = free_port()
        self.tls = tls
        self.certs = Certificates(folder / "certs")
        passwords = folder / "passwd"
        subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwords), USER, PASSWORD], check=True,
                       capture_output=True)
        lines = [
            "per_listener_settings false", "allow_anonymous false", f"password_file {passwords}",
            "persistence true", f"persistence_location {folder}/", "user root", "log_dest stderr",
            "log_type error", "log_type warning", "log_type notice", "log_type information",
            f"listener {self.port} 127.0.0.1",
        ]
        if tls:
            lines += [f"cafile {self.certs.ca}", f"certfile {self.certs.server_cert}",
                      f"keyfile {self.certs.server_key}", "require_certificate true", "tls_version tlsv1.2"]
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text("\n".join(lines) + "\n")

    def mqtt_settings(self, **overrides: object) -> dict[str, object]:
        settings: dict[str, object] = {"host": "127.0.0.1", "port": self.port, "username": USER,
                                       "password": PASSWORD, "reconnect_min_seconds": 1,
                                       "reconnect_max_seconds": 2}
        if self.tls:
            settings |= {"tls": True, "ca_file": str(self.certs.ca), "cert_file": str(self.certs.client_cert),
                         "key_file": str(self.certs.client_key)}
        return settings | overrides

    def client(self, client_id: str | None = None, clean: bool = True) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or f"test-{uuid.uuid4().hex[:8]}",
                             protocol=MQTTProtocolVersion.MQTTv311, clean_session=clean)
        client.username_pw_set(USER, PASSWORD)
        if self.tls:
            context = ssl.create_default_context(cafile=str(self.certs.ca))
            context.load_cert_chain(str(self.certs.client_cert), str(self.certs.client_key))
            client.tls_set_context(context)
        client.reconnect_delay_set(1, 2)
        return client


class DurableSubscriber:
    """A persistent-session subscriber (clean_session off, QoS 1): it gets what was published while the
    broker restarted, in the order the broker received it."""

    def __init__(self, broker: PrivateBroker, topic: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._cond = threading.Condition()
        self._subscribed = threading.Event()
        self.client = broker.client(f"durable-{uuid.uuid4().hex[:8]}", clean=False)
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        assert self._subscribed.wait(20), "could not subscribe"

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append((msg.topic, bytes(msg.payload)))
            self._cond.notify_all()

    def wait_until(self, predicate: object, timeout: float = 60.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self.messages), timeout)  # type: ignore[operator]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
