"""Client configs generated locally from the secrets bundle: talosconfig and the admin kubeconfig."""

from __future__ import annotations

import base64
import datetime
from typing import TYPE_CHECKING, Any

import yaml

from . import yamlio
from .api.tls import Credentials
from .errors import EXCERPT, terminal_safe
from .secrets import SecretsBundle

if TYPE_CHECKING:  # pki (cryptography) loads when a certificate is issued, never at program registration
    from . import pki

ADMIN_ROLE = "os:admin"
READER_ROLE = "os:reader"
TALOS_ROLES = ("os:admin", "os:operator", "os:reader", "os:etcd:backup")  # pkg/machinery/role/role.go
TALOS_ADMIN_CERT_TTL = datetime.timedelta(hours=8760)  # talosctl gen config --crt-ttl default
KUBERNETES_ADMIN_CERT_TTL = datetime.timedelta(days=365)
KUBERNETES_ALLOWED_SKEW = datetime.timedelta(seconds=10)
# siderolabs/talos pkg/kubernetes/kubernetes.go NewTemporaryClientFromPKI mints its client certificate with
# NotBefore(time.Now().Add(-time.Minute)) "to allow for a minute for the time to be not in sync across nodes";
# siderolabs/crypto x509.NewDefaultOptions would set NotBefore to time.Now(), and Talos's own admin certificate
# (pkg/machinery/config/generate/secrets/ca.go NewAdminCertificateAndKey) is not backdated at all, so a node
# one second behind the machine that minted it refuses it. Ours are minted where Pulumi runs and used at
# once against nodes with their own clocks: backdated as Talos's temporary client is.
TALOS_CLIENT_ALLOWED_SKEW = datetime.timedelta(minutes=1)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def talos_client_certificate(bundle: SecretsBundle, roles: list[str] | None = None,
                             ttl: datetime.timedelta = TALOS_ADMIN_CERT_TTL,
                             now: datetime.datetime | None = None) -> pki.CertificateAndKey:
    """Ed25519 client certificate signed by the OS CA; roles in the Organization (default os:admin),
    valid from TALOS_CLIENT_ALLOWED_SKEW before `now`."""
    for role in roles or []:
        if role not in TALOS_ROLES:
            raise ValueError(f"Talos role {role!r}: expected one of {', '.join(TALOS_ROLES)}")
    from . import pki

    return pki.issue_certificate(bundle.os.load("certs.os"), organizations=roles or [ADMIN_ROLE],
                                 lifetime=ttl, now=now, backdate=TALOS_CLIENT_ALLOWED_SKEW)


def client_credentials(bundle: SecretsBundle, role: str = ADMIN_ROLE,
                       ttl: datetime.timedelta = TALOS_ADMIN_CERT_TTL) -> Credentials:
    """A fresh client certificate with one role, for one operation: os:reader for what only reads
    (siderolabs/talos internal/app/machined/pkg/system/services/machined.go `rules`), os:admin for writes."""
    client = talos_client_certificate(bundle, [role], ttl)
    return Credentials(bundle.os.crt, client.crt_pem, client.key_pem)


def talosconfig(bundle: SecretsBundle, context: str, endpoints: list[str], nodes: list[str] | None = None,
                roles: list[str] | None = None, ttl: datetime.timedelta = TALOS_ADMIN_CERT_TTL,
                now: datetime.datetime | None = None) -> str:
    """A talosconfig as ``talosctl gen config`` writes it (endpoints not omitempty, nodes omitempty)."""
    client = talos_client_certificate(bundle, roles, ttl, now)
    entry: dict[str, Any] = {"endpoints": list(endpoints)}
    if nodes:
        entry["nodes"] = list(nodes)
    entry.update(ca=_b64(bundle.os.crt), crt=_b64(client.crt_pem), key=_b64(client.key_pem))
    return yamlio.dump({"context": context, "contexts": {context: entry}})


def admin_kubeconfig(bundle: SecretsBundle, cluster_name: str, endpoint: str,
                     ttl: datetime.timedelta = KUBERNETES_ADMIN_CERT_TTL,
                     now: datetime.datetime | None = None) -> str:
    """The admin kubeconfig Talos's Kubeconfig API returns (CN=admin, O=system:masters, ECDSA)."""
    from . import pki

    client = pki.issue_certificate(
        bundle.k8s.load("certs.k8s"), organizations=["system:masters"], common_name="admin",
        lifetime=ttl, now=now, backdate=KUBERNETES_ALLOWED_SKEW, key_encipherment=True,
    )
    user = f"admin@{cluster_name}"
    config = {
        "apiVersion": "v1",
        "clusters": [{"cluster": {"certificate-authority-data": _b64(bundle.k8s.crt), "server": endpoint},
                      "name": cluster_name}],
        "contexts": [{"context": {"cluster": cluster_name, "namespace": "default", "user": user}, "name": user}],
        "current-context": user,
        "kind": "Config",
        "users": [{"name": user, "user": {"client-certificate-data": _b64(client.crt_pem),
                                          "client-key-data": _b64(client.key_pem)}}],
    }
    # client-go writes 2-space YAML with sorted keys; PyYAML's default emitter matches it.
    return yaml.safe_dump(config, sort_keys=True, default_flow_style=False, width=1 << 20)


def read_talosconfig(text: str, source: str, context: str | None = None) -> dict[str, Any]:
    """Parse a talosconfig and return a context's entry (the current one by default; ca/crt/key as PEM bytes).
    Every problem is a ConfigError naming `source` and the field (siderolabs/talos pkg/machinery/client/config
    Config: context, contexts: {name: {endpoints, nodes, ca, crt, key}})."""
    from .errors import ConfigError

    try:
        data = yamlio.load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not YAML: {yamlio.describe_error(error)}") from None
    if not isinstance(data, dict) or not isinstance(data.get("contexts"), dict):
        raise ConfigError(f"{source}: not a talosconfig; expected context and contexts")
    name = context or data.get("context")
    entry = data["contexts"].get(name) if isinstance(name, str) else None
    if not isinstance(entry, dict):
        raise ConfigError(f"{source}: context {terminal_safe(repr(name), EXCERPT)} is not defined under contexts")
    result = dict(entry)
    for key in ("endpoints", "nodes"):
        value = entry.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
            raise ConfigError(f"{source}: contexts.{name}.{key}: expected a list of addresses")
    for key in ("ca", "crt", "key"):
        if entry.get(key):
            try:
                result[key] = base64.b64decode(str(entry[key]))
            except ValueError:
                raise ConfigError(f"{source}: contexts.{name}.{key} is not base64") from None
    result["context"] = name
    return result
