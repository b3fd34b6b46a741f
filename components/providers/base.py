"""What every Talos dynamic provider shares: input access, unknown values, credentials, deadlines."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from pulumi.dynamic import CheckFailure
from pulumi.runtime.rpc import UNKNOWN

from ..talos.clientconfig import ADMIN_ROLE, client_credentials
from ..talos.errors import TalosError
from ..talos.secrets import SecretsBundle

if TYPE_CHECKING:
    from ..talos.api.operations import Target
    from ..talos.api.tls import Credentials
    from ..talos.kube.client import KubeCredentials

T = TypeVar("T")
PROVIDER_KEY = "__provider"


def inputs_of(props: dict[str, Any]) -> dict[str, Any]:
    """The resource's own inputs: never hand the serialized provider to anything else."""
    return {key: value for key, value in props.items() if key != PROVIDER_KEY}


def is_unknown(value: Any) -> bool:
    """A value not known during preview (e.g. the address of a VM that does not exist yet)."""
    if value == UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(is_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(is_unknown(item) for item in value)
    return False


def changed(olds: dict[str, Any], news: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    """The keys whose new value differs from the old one (unknown counts as changed)."""
    return [key for key in keys if is_unknown(news.get(key)) or olds.get(key) != news.get(key)]


def require(news: dict[str, Any], fields: tuple[str, ...], resource: str) -> list[CheckFailure]:
    return [CheckFailure(field, f"{resource}: {field} is required") for field in fields
            if not is_unknown(news.get(field)) and news.get(field) in (None, "", [])]


def seconds(value: Any, default: float) -> float:
    """Numbers arrive as floats through protobuf Structs; missing means the default."""
    return float(value) if value not in (None, "") else default


def target_of(inputs: dict[str, Any]) -> Target:
    """The node a resource acts on: its address, an optional endpoint in front of it, the API port."""
    from ..talos.api.operations import Target

    return Target(str(inputs["address"]), str(inputs.get("endpoint") or ""), int(seconds(inputs.get("port"), 50000)))


def bundle_from(bundle_yaml: str) -> SecretsBundle:
    """The cluster's secrets as stack state holds them (validated once, when they were created or imported)."""
    return SecretsBundle.from_yaml(bundle_yaml, "cluster secrets (stack state)", from_state=True)


def credentials_from(bundle_yaml: str, role: str = ADMIN_ROLE) -> Credentials:
    """A fresh client certificate from the cluster's OS CA, for this operation only: `role` os:reader for
    operations that only read (health, refresh), os:admin (the default) for those that write."""
    return client_credentials(bundle_from(bundle_yaml), role)


def kube_credentials_from(bundle_yaml: str) -> KubeCredentials:
    """Kubernetes admin credentials (system:masters) from the cluster's CA, for this operation only."""
    from ..talos.kube.client import admin_credentials

    return admin_credentials(bundle_from(bundle_yaml), "admin")


def fingerprint(text: str) -> str:
    """A short stable id for state (never of secret material alone)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run(coroutine: Coroutine[Any, Any, T], node: str = "") -> T:
    """Providers are synchronous; each operation runs its own event loop (the host calls from threads).
    Failures are raised as one line that starts with the node's hostname, which Pulumi shows as is."""
    try:
        return asyncio.run(coroutine)
    except TalosError as error:
        raise TalosError(f"{node}: {error}" if node else str(error)) from None
