"""What an emulated node reads from the machine config it is given, with Talos's error wording."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from components.talos.documents import decode, is_legacy, kubespan_enabled
from components.talos.errors import TalosError


class ConfigRejected(Exception):
    """The config cannot be loaded (`parse`) or fails validation."""

    def __init__(self, message: str, parse: bool) -> None:
        super().__init__(message)
        self.parse = parse


def _validation_failed(problems: list[str]) -> ConfigRejected:
    # hashicorp/go-multierror formatting, as Talos prints it
    noun = "error" if len(problems) == 1 else "errors"
    body = "".join(f"\t* {problem}\n" for problem in problems)
    return ConfigRejected(f"configuration validation failed: {len(problems)} {noun} occurred:\n{body}\n", parse=False)


def _pem(value: Any) -> bytes:
    return base64.b64decode(value) if value else b""


@dataclass(frozen=True)
class ReceivedConfig:
    text: bytes
    machine_type: str
    os_ca_crt: bytes
    os_ca_key: bytes  # empty on workers: their API certificate comes from trustd on a control plane
    accepted_cas: tuple[bytes, ...]
    cluster_id: str
    cluster_name: str
    control_plane_endpoint: str
    cert_sans: tuple[str, ...]
    hostname: str | None
    kubespan: bool
    install_disk: str
    install_image: str

    @property
    def control_plane(self) -> bool:
        return self.machine_type in ("controlplane", "init")

    @property
    def ca_fingerprint(self) -> str:
        return hashlib.sha256(self.os_ca_crt).hexdigest()


def _install(unattended: dict[str, Any] | None, legacy: dict[str, Any]) -> dict[str, Any]:
    """{disk, image}: UnattendedInstallConfig (v1.14: installer.image, a dev_path disk selector), else
    machine.install."""
    if unattended is None:
        return legacy
    match = str(((unattended.get("provisioning") or {}).get("diskSelector") or {}).get("match") or "")
    disk = match.split('"')[1] if match.startswith("disk.dev_path ==") and match.count('"') == 2 else ""
    return {"disk": disk, "image": (unattended.get("installer") or {}).get("image", "")}


def parse(text: bytes) -> ReceivedConfig:
    try:
        documents = decode(text, "machine config")
    except TalosError as error:
        raise ConfigRejected(f"failed to parse config: {error}", parse=True) from None
    legacy = next((doc for doc in documents if is_legacy(doc)), None)
    if legacy is None:
        raise ConfigRejected("the applied machine configuration doesn't contain v1alpha1 config, did you mean to "
                             "patch the machine config instead?", parse=False)
    machine = legacy.get("machine") or {}
    cluster = legacy.get("cluster") or {}
    problems = []
    if legacy.get("version") != "v1alpha1":
        problems.append(f'unknown version "{legacy.get("version")}"')
    machine_type = machine.get("type")
    if machine_type not in ("controlplane", "init", "worker"):
        problems.append(f'invalid machine type "{machine_type or ""}"')
    ca = machine.get("ca") or {}
    if not ca.get("crt"):
        problems.append("machine.ca.crt is required")
    if machine_type in ("controlplane", "init") and not ca.get("key"):
        problems.append("machine.ca.key is required on control plane nodes")
    by_kind = {doc.get("kind"): doc for doc in documents if not is_legacy(doc)}
    # Talos v1.14 moved these into documents; its container reads the document where there is one
    # (siderolabs/talos v1.14.0-rc.1 pkg/machinery/config/container/container.go accessors)
    kube_cluster = by_kind.get("KubeClusterConfig") or {}
    endpoint = kube_cluster.get("endpoint") or (cluster.get("controlPlane") or {}).get("endpoint", "")
    if not endpoint:
        problems.append("cluster.controlPlane.endpoint is required")
    if problems:
        raise _validation_failed(problems)
    hostname = (by_kind.get("HostnameConfig") or {}).get("hostname") or (machine.get("network") or {}).get("hostname")
    install = _install(by_kind.get("UnattendedInstallConfig"), machine.get("install") or {})
    identity = by_kind.get("DiscoveryIdentityConfig") or {}
    return ReceivedConfig(
        text=text,
        machine_type=str(machine_type),
        os_ca_crt=_pem(ca.get("crt")),
        os_ca_key=_pem(ca.get("key")),
        accepted_cas=tuple(_pem(extra.get("crt")) for extra in machine.get("acceptedCAs") or []),
        cluster_id=str(identity.get("clusterID") or cluster.get("id", "")),
        cluster_name=str(kube_cluster.get("clusterName") or cluster.get("clusterName", "")),
        control_plane_endpoint=str(endpoint),
        cert_sans=tuple(str(san) for san in machine.get("certSANs") or []),
        hostname=str(hostname) if hostname else None,
        kubespan=kubespan_enabled(documents),
        install_disk=str(install.get("disk", "")),
        install_image=str(install.get("image", "")),
    )
