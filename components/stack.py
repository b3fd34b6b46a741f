"""The stack's settings, read once from Pulumi config and checked before any resource exists.

Every error names the config key (``talos-cluster:definition``, ``proxmoxve:endpoint``, …) and says what
was expected, so `pulumi preview` fails with something a user can act on.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pulumi

from .cilium_values import talos_capabilities
from .cluster import ClusterOptions
from .talos.backups.settings import (
    BACKUPS_KEY,
    RESTORE_KEY,
    EtcdBackups,
    parse_etcd_backups,
    parse_restore_text,
)
from .talos.definition.load import load_definition
from .talos.definition.model import ClusterDefinition
from .talos.errors import ConfigError, TalosError
from .talos.secrets import SecretsBundle
from .talos.stackconfig import StackConfigError, parse_bool, parse_talos_options
from .talos.talsecret import read_talsecret, talsecret_text

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
    return load_definition(resolved, env_files=_env_files(config))


def _stack_path(config: pulumi.Config, key: str, value: str) -> Path:
    resolved = (ROOT / value) if not Path(value).is_absolute() else Path(value)
    if not resolved.is_file():
        raise StackConfigError(f"stack config {PROJECT}:{key}: {value} does not exist (relative to {ROOT})")
    return resolved


def _env_files(config: pulumi.Config) -> list[Path]:
    """``talos-cluster:envFiles``: talhelper env files (talenv.yaml, SOPS-encrypted or not) for ``${VAR}``."""
    raw = config.get("envFiles")
    if not raw:
        return []
    try:
        names = json.loads(raw)
    except ValueError:
        names = raw.split(",")  # a plain value, comma-separated like talhelper's --env-file
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise StackConfigError(f"stack config {PROJECT}:envFiles: expected a list of env file paths")
    return [_stack_path(config, "envFiles", name.strip()) for name in names if name.strip()]


def _imported_secrets(config: pulumi.Config) -> pulumi.Output[str] | None:
    """``talos-cluster:secrets`` (the bundle's text) or ``talos-cluster:secretsFile`` (a talsecret file);
    either may be SOPS-encrypted and is decrypted here, at run time, into a secret Output. The bundle is
    checked here so a bad one fails before any resource; empty is never "generate new secrets"."""
    # Read here rather than through get_secret's Output, so that a bundle that cannot be decrypted fails
    # before any resource; the plain value never reaches an error or a log.
    key = f"{PROJECT}:secrets"
    text, path = pulumi.runtime.get_config(key), config.get("secretsFile")
    if text is not None and path:
        raise StackConfigError(f"stack config {key} and {PROJECT}:secretsFile: set one of them")
    if text is not None and not str(text).strip():
        raise StackConfigError(f"stack config {key} is set but empty; expected the secrets.yaml text "
                               f"(`pulumi config set --secret {key} \"$(cat talsecret.yaml)\"`), or remove it "
                               f"(`pulumi config rm {key}`) to generate new secrets")
    try:
        if path:
            bundle = read_talsecret(_stack_path(config, "secretsFile", path))
        elif text is None:
            return None
        else:
            bundle = talsecret_text(str(text), key)
        SecretsBundle.from_yaml(bundle, str(path) if path else key)
    except TalosError as error:
        name = "secretsFile" if path else "secrets"
        raise StackConfigError(f"stack config {PROJECT}:{name}: {str(error).removeprefix(f'{key}: ')}") from None
    return pulumi.Output.secret(bundle)


def _cert_fingerprints(config: pulumi.Config, definition: ClusterDefinition) -> dict[str, list[str]]:
    """``talos-cluster:certFingerprints``: hostname → the maintenance certificate fingerprints (talosctl
    --cert-fingerprint) its first apply accepts; read them from the node's console."""
    raw = _object(config, "certFingerprints", "an object of hostname: [fingerprint, ...]")
    if raw is None:
        return {}
    hostnames = {node.hostname for node in definition.nodes}
    if not isinstance(raw, dict):
        raise StackConfigError(f"stack config {PROJECT}:certFingerprints: expected an object of hostname: "
                               "[fingerprint, ...]")
    pins: dict[str, list[str]] = {}
    for hostname, fingerprints in raw.items():
        key = f"stack config {PROJECT}:certFingerprints.{str(hostname)[:60]}"
        if hostname not in hostnames:
            raise StackConfigError(f"{key}: no such node in {definition.source}")
        if isinstance(fingerprints, str):
            fingerprints = [fingerprints]
        if not isinstance(fingerprints, list) or not all(isinstance(f, str) and f for f in fingerprints):
            raise StackConfigError(f"{key}: expected a list of fingerprints (base64 of a SHA-256 digest)")
        pins[hostname] = fingerprints
    return pins


def _options(config: pulumi.Config) -> ClusterOptions:
    raw = _object(config, "talos", "an object with applyMode, timeouts, resetOnDestroy")
    return ClusterOptions(**parse_talos_options(raw, f"{PROJECT}:talos"))


def _cilium(config: pulumi.Config) -> CiliumSettings | None:
    raw = _object(config, "cilium", "an object with version (and optional values), or {enabled: false}")
    if raw is None or (isinstance(raw, dict) and raw.get("enabled") is False):
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("version"), str) or not _VERSION.match(raw["version"]):
        raise StackConfigError(f"stack config {PROJECT}:cilium.version: expected a pinned chart version such as "
                               "1.20.0")
    try:
        talos_capabilities(raw["version"])
    except ConfigError as error:
        raise StackConfigError(f"stack config {PROJECT}:cilium.version: {error}") from None
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


def default_backups_folder(stack: str) -> Path:
    """Snapshots of a stack stay out of the project (they hold every Kubernetes secret): the XDG data folder."""
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "talos-cluster" / "etcd-backups" / stack


def _etcd_backups(config: pulumi.Config) -> EtcdBackups | None:
    """``talos-cluster:etcdBackups``: a local folder by default; S3 keys only as secrets."""
    raw = _object(config, "etcdBackups", "an object with folder, keep, ageRecipients, s3, schedule")
    return parse_etcd_backups(raw, default_folder=default_backups_folder(pulumi.get_stack()), root=ROOT,
                              secret=pulumi.runtime.is_config_secret(BACKUPS_KEY))


def _etcd_restore() -> None:
    """Checked here, read by the bootstrap only (providers/bootstrap.py): said aloud while it is set."""
    restore = parse_restore_text(pulumi.runtime.get_config(RESTORE_KEY), ROOT)
    if restore is None:
        return
    if not Path(restore.snapshot).is_file():
        raise StackConfigError(f"stack config {RESTORE_KEY}.from: {restore.snapshot} does not exist; expected the "
                               "etcd snapshot to restore")
    pulumi.log.warn(f"{RESTORE_KEY} is set: a bootstrap in this run restores etcd from {restore.snapshot}; remove "
                    f"it (`pulumi config rm {RESTORE_KEY}`) once the cluster is back")


def load_settings() -> StackSettings:
    config = pulumi.Config(PROJECT)
    definition = _definition(config)
    cilium = _cilium(config)
    _etcd_restore()
    options = replace(_options(config), cert_fingerprints=_cert_fingerprints(config, definition),
                      etcd_backups=_etcd_backups(config))
    return StackSettings(definition=definition, options=options, imported_secrets=_imported_secrets(config),
                         proxmox=_proxmox(definition), vultr=_vultr(definition, config), cilium=cilium)
