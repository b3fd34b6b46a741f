"""Test support: a stack file read as the engine reads it, and the whole program run under mocks with the
real provider SDK classes (cloud resources get plausible outputs; pure Talos providers really run)."""

from __future__ import annotations

import json
from typing import Any

from components.program import build

from .engine import ProgramRun, Registration, run_program
from .paths import ROOT
from .talos_layer import OfflineOutputs

PROJECT = "talos-cluster"
TEST_SECRETS = {"proxmoxve:apiToken": "root@pam!pulumi=11111111-2222-3333-4444-555555555555",
                "vultr:apiKey": "VULTRTESTKEY0000000000000000000000000"}


def stack_config(stack: str) -> dict[str, str]:
    """`config:` of Pulumi.<stack>.yaml as the engine passes it: namespaced keys, JSON for objects."""
    import yaml

    data = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()) or {}
    config = {}
    for key, value in (data.get("config") or {}).items():
        name = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(value, dict) and "secure" in value:
            continue  # encrypted values need the stack's passphrase; tests supply TEST_SECRETS instead
        if isinstance(value, bool):
            config[name] = "true" if value else "false"
        elif isinstance(value, dict | list):
            config[name] = json.dumps(value)
        else:
            config[name] = str(value)
    return config


class CloudOutputs(OfflineOutputs):
    """What the cloud providers would return: ids, a guest-agent address, an instance IP."""

    def __init__(self) -> None:
        super().__init__()
        self.instances = 0

    def __call__(self, registration: Registration) -> tuple[str, dict[str, Any]]:
        kind = registration.type
        inputs = dict(registration.inputs)
        if kind.startswith("pulumi-python:dynamic") or kind.startswith("talos-cluster:"):
            return super().__call__(registration)
        if kind == "proxmoxve:download/file:File":
            return f"{inputs['datastoreId']}:iso/{inputs['fileName']}", inputs
        if kind == "proxmoxve:index/vmLegacy:VmLegacy":
            return str(int(inputs.get("vmId") or 100)), {
                **inputs, "networkInterfaceNames": ["lo", "eth0"], "ipv4Addresses": [["127.0.0.1"], ["10.9.8.7"]]}
        if kind == "vultr:index/instance:Instance":
            self.instances += 1
            return f"instance-{self.instances}", {**inputs, "mainIp": f"198.51.100.{self.instances}"}
        return f"{registration.name}-id", inputs


def run_stack(stack: str, overrides: dict[str, str | None] | None = None,
              secrets: dict[str, str] | None = None, secret_keys: tuple[str, ...] = ()) -> ProgramRun:
    """The whole program on a stack file's config with `overrides`; `secret_keys` are also stored as secrets."""
    config = {**stack_config(stack), **(TEST_SECRETS if secrets is None else secrets)}
    for key, value in (overrides or {}).items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    secret = [key for key in config if key in TEST_SECRETS or key == f"{PROJECT}:secrets" or key in secret_keys]
    return run_program(build, CloudOutputs(), stack=stack, config=config, secret_keys=secret)
