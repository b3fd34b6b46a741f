"""Inputs of machine-config generation: the options of Talos's ``generate.NewInput``."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlparse

from ..errors import ConfigError
from ..secrets import SecretsBundle
from ..versions import Contract

Role = Literal["controlplane", "worker"]
ROLES: tuple[Role, ...] = ("controlplane", "worker")

DEFAULT_POD_SUBNETS = ["10.244.0.0/16"]
DEFAULT_SERVICE_SUBNETS = ["10.96.0.0/12"]
DISCOVERY_SERVICE_ENDPOINT = "https://discovery.talos.dev/"


@dataclass
class CNI:
    name: str
    urls: list[str] = field(default_factory=list)


@dataclass
class GenerateInput:
    """Everything ``talosctl gen config`` feeds to the generator, minus patches."""

    cluster_name: str
    endpoint: str
    kubernetes_version: str
    secrets: SecretsBundle
    contract: Contract
    additional_sans: list[str] = field(default_factory=list)
    # Input.AdditionalMachineCertSANs; talosctl sets it to --additional-sans, talhelper to additionalMachineCertSans
    additional_machine_cert_sans: list[str] | None = None
    allow_scheduling_on_control_planes: bool = False
    dns_domain: str = "cluster.local"
    install_disk: str = ""
    install_image: str = ""
    install_extra_kernel_args: list[str] = field(default_factory=list)
    local_api_server_port: int = 0
    sysctls: dict[str, str] = field(default_factory=dict)
    cni: CNI | None = None
    registry_mirrors: dict[str, list[str]] = field(default_factory=dict)
    discovery_enabled: bool = True
    kubespan_enabled: bool = False
    pod_subnets: list[str] = field(default_factory=lambda: list(DEFAULT_POD_SUBNETS))
    service_subnets: list[str] = field(default_factory=lambda: list(DEFAULT_SERVICE_SUBNETS))

    def __post_init__(self) -> None:
        parsed = urlparse(self.endpoint)
        if parsed.scheme != "https" or not parsed.hostname:
            raise ConfigError(
                f"endpoint {self.endpoint!r}: expected an https URL such as https://192.168.1.80:6443"
            )

    @property
    def endpoint_host(self) -> str:
        host = urlparse(self.endpoint).hostname
        assert host is not None
        return host

    @property
    def machine_cert_sans(self) -> list[str]:
        return list(self.additional_sans if self.additional_machine_cert_sans is None
                    else self.additional_machine_cert_sans)

    @property
    def kubelet_image(self) -> str:
        return f"ghcr.io/siderolabs/kubelet:v{self.kubernetes_version}"

    def kubernetes_image(self, component: str) -> str:
        return f"registry.k8s.io/kube-{component}:v{self.kubernetes_version}"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
