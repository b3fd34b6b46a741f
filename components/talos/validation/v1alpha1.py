"""What Talos's own validation requires of a rendered machine config, checked before anything is written or
applied, so a patch that breaks it fails at `genconfig`, `gen config` or preview instead of on a node.

Follows siderolabs/talos pkg/machinery/config/types/v1alpha1/v1alpha1_validation.go (Config.Validate,
ClusterConfig.Validate, ValidateCNI, ClusterDiscoveryConfig.Validate) for the checks that apply to a
config as rendered, with Talos's wording; endpoint URLs as siderolabs/net ValidateEndpointURI checks them.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError, shorten

Document = dict[str, Any]

# v1alpha1_validation.go rxDNSNameRegexp / isValidDNSName
_DNS_NAME = re.compile(r"([a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})(\.[a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})*[._]?")
_MACHINE_TYPES = ("init", "controlplane", "worker")  # machine.ParseType
_CNI_NAMES = ("flannel", "custom", "none")  # constants.FlannelCNI, CustomCNI, NoneCNI


def endpoint_problem(value: Any) -> str | None:
    """siderolabs/net ValidateEndpointURI: parseable, IPv6 in brackets, a host, a port in 1-65535."""
    if not isinstance(value, str) or not value:
        return "expected a URL such as https://192.168.1.80:6443"
    try:
        parts = urlsplit(value)
        if parts.netloc.count(":") > 2 and ("[" not in parts.netloc or "]" not in parts.netloc):
            return "IPv6 addresses MUST be enclosed by square brackets"
        if not parts.hostname:
            return "hostname must not be blank"
        port = parts.port
    except ValueError as error:
        text = str(error)
        return "port number must be between 1 and 65535" if "port" in text.lower() else text
    if port is not None and not 1 <= port <= 65535:
        return "port number must be between 1 and 65535"
    return None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _v1alpha1(documents: list[Document]) -> Document | None:
    return next((doc for doc in documents if "apiVersion" not in doc and "kind" not in doc), None)


def config_problems(documents: list[Document], *, placeholder_secrets: bool = False) -> list[str]:
    """Talos's validation errors for this config, as Talos words them (field paths as .machine.ca).

    With `placeholder_secrets` (a shape-only render, secrets empty) only the presence of secret fields is
    checked, not their values.
    """
    config = _v1alpha1(documents)
    if config is None:
        return []  # a multi-document config without v1alpha1 (Talos 1.14+ style) has no such rules here
    machine = config.get("machine")
    if not isinstance(machine, dict):
        return ["machine instructions are required"]
    problems: list[str] = []
    machine_type = machine.get("type")
    control_plane = machine_type in ("init", "controlplane")
    cluster = config.get("cluster")
    if not isinstance(cluster, dict):
        problems.append("cluster instructions are required")
        cluster = {}
    else:
        control = cluster.get("controlPlane")
        if control is not None:
            endpoint = _mapping(control).get("endpoint")
            if endpoint is None:
                problems.append("cluster controlplane endpoint is required")
            else:
                reason = endpoint_problem(endpoint)
                if reason:
                    problems.append(f"invalid controlplane endpoint: {reason}")
        network = _mapping(cluster.get("network"))
        domain = network.get("dnsDomain")
        if domain and not (isinstance(domain, str) and len(domain) - domain.count(".") <= 255
                           and _DNS_NAME.fullmatch(domain)):
            problems.append(f"{_quote(domain)} is not a valid DNS name")
        if cluster.get("etcd") is not None and machine_type == "worker":
            problems.append("etcd config is only allowed on control plane machines")
    ca = machine.get("ca")
    accepted = machine.get("acceptedCAs")
    if not isinstance(ca, dict) and not accepted:
        problems.append("issuing CA or some accepted CAs are required (.machine.ca, machine.acceptedCAs)")
    ca = _mapping(ca)
    has_key = "key" in ca if placeholder_secrets else bool(ca.get("key"))
    if machine_type not in _MACHINE_TYPES:
        problems.append(f"unknown machine type {_quote(machine_type)}")
    elif control_plane:
        cni = _mapping(_mapping(cluster.get("network")).get("cni"))
        if cni:
            problems += _cni_problems(cni)
        if not isinstance(machine.get("ca"), dict):
            problems.append("issuing CA is required (.machine.ca)")
        elif not has_key:
            problems.append("issuing CA key is required for controlplane nodes (.machine.ca.key)")
    else:
        if ca.get("key"):
            problems.append("issuing Talos API CA key is not allowed on non-controlplane nodes (.machine.ca)")
        if isinstance(machine.get("ca"), dict) and "crt" not in ca and not accepted:
            problems.append("trusted CA certificates are required on non-controlplane nodes (.machine.ca.crt, "
                            ".machine.acceptedCAs)")
        if _mapping(cluster.get("ca")).get("key"):
            problems.append("issuing Kubernetes API CA key is not allowed on non-controlplane nodes (.cluster.ca)")
    install = machine.get("install")
    if isinstance(install, dict) and not install.get("disk") and not install.get("diskSelector"):
        problems.append("either install disk or diskSelector should be defined")
    problems += _discovery_problems(cluster, placeholder_secrets)
    return problems


def _cni_problems(cni: dict[str, Any]) -> list[str]:
    name, urls = cni.get("name"), cni.get("urls") or []
    if name not in _CNI_NAMES:
        return ['cni name should be one of ["flannel", "custom", "none"]']
    if name in ("flannel", "none") and urls:
        return [f'"urls" field should be empty for "{name}" CNI']
    if name == "custom":
        return [f"cni url {_quote(url)}: {reason}" for url in (urls if isinstance(urls, list) else [urls])
                if (reason := endpoint_problem(url))]
    return []


def _discovery_problems(cluster: dict[str, Any], placeholder_secrets: bool) -> list[str]:
    discovery = _mapping(cluster.get("discovery"))
    if discovery.get("enabled") is not True:
        return []
    service = _mapping(_mapping(discovery.get("registries")).get("service"))
    if service.get("disabled") is True:
        return []
    problems = []
    endpoint = service.get("endpoint")
    if endpoint is not None:
        try:
            parts = urlsplit(str(endpoint))
        except ValueError:  # e.g. "Invalid IPv6 URL"
            parts = urlsplit("")
        if not parts.scheme or not parts.netloc:
            problems.append("cluster discovery service registry endpoint is invalid")
        elif parts.path not in ("", "/"):
            problems.append("cluster discovery service path should be empty")
    for field in ("id", "secret"):
        if (field not in cluster) if placeholder_secrets else not cluster.get(field):
            problems.append(f"cluster discovery service requires .cluster.{field}")
    return problems


def _quote(value: Any) -> str:
    return f'"{shorten(str(value))}"'


class MachineConfigInvalid(ConfigError):
    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{source}: {describe(problems)}")


def describe(problems: list[str]) -> str:
    return f"the rendered config fails Talos's validation: {'; '.join(problems[:3])}"


def check_machine_config(documents: list[Document], source: str, *, placeholder_secrets: bool = False) -> None:
    """Raise one error naming `source` and Talos's first complaint(s) about the rendered config."""
    problems = config_problems(documents, placeholder_secrets=placeholder_secrets)
    if problems:
        raise MachineConfigInvalid(source, problems)
