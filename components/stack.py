"""The stack's settings, read once from Pulumi config and checked before any resource exists.

Every error names the config key (``talos-cluster:definition``, ``proxmoxve:endpoint``, …) and says what
was expected, so `pulumi preview` fails with something a user can act on.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from .cluster import ClusterOptions
from .talos.definition.load import load_definition
from .talos.definition.model import ClusterDefinition
from .talos.errors import TalosError
from .talos.secrets import SecretsBundle
from .talos.stackconfig import StackConfigError, parse_bool, parse_talos_options

PROJECT = "talos-cluster"
ROOT = Path(__file__).resolve().parent.parent
_VERSION = re.compile(r"^v?\d+\.\d+\.\d+$")


__all__ = ["StackConfigError", "StackSettings", "load_settings"]


@dataclass(frozen=True)
class ProxmoxSettings:
    endpoint: str
    api_token: pulumi.Output[str]
    insecure: bool = False


@dataclass(frozen=True)
class VultrSettings:
    api_key: pulumi.Output[str]
    admin_networks: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CiliumSettings:
    version: str
    values: dict[str, Any] = field(default_factory=dict)  # merged over the Talos values


@dataclass(frozen=True)
class StackSettings:
    definition: ClusterDefinition
    options: ClusterOptions
    imported_secrets: pulumi.Output[str] | None
    proxmox: ProxmoxSettings | None
    vultr: VultrSettings | None
    cilium: CiliumSettings | None


def _object(config: pulumi.Config, key: str, expected: str) -> Any:
    try:
        return config.get_object(key)
    except Exception:
        raise StackConfigError(f"stack config {config.name}:{key}: not valid JSON/YAML; expected {expected}") \
            from None


def _cidrs(values: Any, key: str) -> list[str]:
    if not isinstance(values, list) or not values:
        raise StackConfigError(f"stack config {key}: expected a list of CIDRs allowed to reach the Talos API "
                               "(50000/tcp), e.g. [\"203.0.113.7/32\"]")
    for value in values:
        try:
            ipaddress.ip_network(str(value), strict=False)
        except ValueError:
            raise StackConfigError(f"stack config {key}: {value!r} is not a CIDR such as 203.0.113.7/32") from None
    return [str(value) for value in values]


def _definition(config: pulumi.Config) -> ClusterDefinition:
    path = config.get("definition")
    if not path:
        raise StackConfigError(f"stack config {PROJECT}:definition is required: the cluster definition file, e.g. "
                               f"`pulumi config set {PROJECT}:definition config/homelab.yaml`")
    resolved = (ROOT / path) if not Path(path).is_absolute() else Path(path)
    if not resolved.is_file():
        raise StackConfigError(f"stack config {PROJECT}:definition: {path} does not exist (relative to {ROOT})")
    return load_definition(resolved)


def _options(config: pulumi.Config) -> ClusterOptions:
    raw = _object(config, "talos", "an object with applyMode, timeouts, resetOnDestroy")
    return ClusterOptions(**parse_talos_options(raw, f"{PROJECT}:talos"))


def _imported_secrets(config: pulumi.Config) -> pulumi.Output[str] | None:
    """An imported bundle, checked here so a bad one fails before any resource; empty is never "generate"."""
    key = f"{PROJECT}:secrets"
    text = pulumi.runtime.get_config(key)  # the plain value, read once; it never reaches an error or a log
    if text is None:
        return None
    if not str(text).strip():
        raise StackConfigError(f"stack config {key} is set but empty; expected the secrets.yaml text "
                               f"(`pulumi config set --secret {key} \"$(cat talsecret.yaml)\"`), or remove it "
                               f"(`pulumi config rm {key}`) to generate new secrets")
    try:
        SecretsBundle.from_yaml(str(text), f"stack config {key}")
    except TalosError as error:
        raise StackConfigError(str(error)) from None
    return config.get_secret("secrets")


def _cilium(config: pulumi.Config) -> CiliumSettings | None:
    raw = _object(config, "cilium", "an object with version (and optional values), or {enabled: false}")
    if raw is None or (isinstance(raw, dict) and raw.get("enabled") is False):
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("version"), str) or not _VERSION.match(raw["version"]):
        raise StackConfigError(f"stack config {PROJECT}:cilium.version: expected a pinned chart version such as "
                               "1.20.0")
    values = raw.get("values") or {}
    if not isinstance(values, dict):
        raise StackConfigError(f"stack config {PROJECT}:cilium.values: expected an object of Helm values")
    return CiliumSettings(raw["version"].removeprefix("v"), values)


def _proxmox(definition: ClusterDefinition) -> ProxmoxSettings | None:
    if not any(node.proxmox for node in definition.nodes):
        return None
    config = pulumi.Config("proxmoxve")
    endpoint = config.get("endpoint")
    if not endpoint or not endpoint.startswith("https://"):
        raise StackConfigError("stack config proxmoxve:endpoint is required for the Proxmox nodes in "
                               f"{definition.source}: the PVE API URL, e.g. https://pve1.lan:8006/")
    token = config.get_secret("apiToken")
    if token is None:
        raise StackConfigError("stack config proxmoxve:apiToken is required (a secret): `pulumi config set --secret "
                               "proxmoxve:apiToken 'user@pam!pulumi=<uuid>'`")
    insecure = config.get("insecure")
    return ProxmoxSettings(endpoint, token, parse_bool(insecure, "proxmoxve:insecure") if insecure else False)


def _vultr(definition: ClusterDefinition, config: pulumi.Config) -> VultrSettings | None:
    if not any(node.vultr for node in definition.nodes):
        return None
    key = pulumi.Config("vultr").get_secret("apiKey")
    if key is None:
        raise StackConfigError("stack config vultr:apiKey is required (a secret) for the Vultr nodes in "
                               f"{definition.source}: `pulumi config set --secret vultr:apiKey <key>`")
    networks = _cidrs(_object(config, "adminNetworks", "a list of CIDRs"), f"{PROJECT}:adminNetworks")
    return VultrSettings(key, networks)


def load_settings() -> StackSettings:
    config = pulumi.Config(PROJECT)
    definition = _definition(config)
    cilium = _cilium(config)
    return StackSettings(definition=definition, options=_options(config), imported_secrets=_imported_secrets(config),
                         proxmox=_proxmox(definition), vultr=_vultr(definition, config), cilium=cilium)
