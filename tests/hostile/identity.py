"""Certificates for hostile servers: a CA standing in for a cluster's OS or Kubernetes CA, the leaves it signs,
and the client files (talosconfig, kubeconfig) that trust it. Built with the project's own pki, as the
emulator's are (tests/emulator/node.py)."""

from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass

import yaml

from components.talos import pki
from components.talos.api.tls import Credentials

LIFETIME = datetime.timedelta(hours=1)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class Authority:
    ca: pki.CertificateAndKey

    @classmethod
    def new(cls, key_type: pki.KeyType = "ed25519") -> Authority:
        made = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
        return cls(pki.new_certificate_authority("hostile-test", key_type, made, True))

    def server(self, address: str) -> pki.CertificateAndKey:
        """A serving certificate for `address` (an IP SAN), as Talos's apid or kube-apiserver has."""
        return pki.issue_certificate(self.ca, organizations=[], common_name=address, lifetime=LIFETIME,
                                     backdate=datetime.timedelta(minutes=1), server=True, client=False,
                                     ip_addresses=[address])

    def credentials(self, role: str = "os:admin") -> Credentials:
        client = pki.issue_certificate(self.ca, organizations=[role], lifetime=LIFETIME,
                                       backdate=datetime.timedelta(minutes=1))
        return Credentials(self.ca.crt_pem, client.crt_pem, client.key_pem)

    def talosconfig(self, endpoint: str) -> str:
        credentials = self.credentials()
        context = {"endpoints": [endpoint], "nodes": [endpoint], "ca": _b64(credentials.ca),
                   "crt": _b64(credentials.crt), "key": _b64(credentials.key)}
        return yaml.safe_dump({"context": "hostile", "contexts": {"hostile": context}})

    def kubeconfig(self, server: str) -> str:
        credentials = self.credentials("system:masters")
        return yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "admin@hostile",
            "clusters": [{"name": "hostile", "cluster": {"server": server,
                                                         "certificate-authority-data": _b64(credentials.ca)}}],
            "contexts": [{"name": "admin@hostile", "context": {"cluster": "hostile", "user": "admin@hostile"}}],
            "users": [{"name": "admin@hostile", "user": {"client-certificate-data": _b64(credentials.crt),
                                                         "client-key-data": _b64(credentials.key)}}],
        })


def self_signed(address: str) -> pki.CertificateAndKey:
    """What a node in maintenance mode serves (an ephemeral CA per boot; tests/emulator/node.py), or what an
    attacker holds: a certificate nobody can verify, only pin."""
    return Authority.new().server(address)
