"""Test support for the Kubernetes layer: an emulated cluster configured, bootstrapped, with its API up."""

from __future__ import annotations

import asyncio
import time

from components.talos.api import operations
from components.talos.api.operations import Target
from components.talos.kube.client import KubeClient, KubeCredentials, admin_credentials, server_for

from .emulated import RenderedCluster, configure
from .emulator import EmulatedCluster


def kube_credentials(cluster: RenderedCluster) -> KubeCredentials:
    """The admin kubeconfig the program makes from the secrets (clientconfig.admin_kubeconfig)."""
    return admin_credentials(cluster.bundle, cluster.definition.cluster_name)


def kube_client(cluster: RenderedCluster, address: str | None = None) -> KubeClient:
    """A client on one API server: `address`'s, or every control plane's, starting with the first."""
    servers = [server_for(address)] if address else [server_for(a) for a in cluster.control_planes]
    return KubeClient(servers, kube_credentials(cluster))


def bootstrapped(cluster: RenderedCluster, emulated: EmulatedCluster, *, cni: bool = True) -> None:
    """Configure every node, bootstrap the first control plane, and wait until every kubelet registered."""
    configure(cluster)
    asyncio.run(operations.bootstrap(Target(cluster.control_planes[0]), cluster.credentials, deadline=30))
    emulated.kubernetes.cni_installed = cni
    deadline = time.monotonic() + 20
    while len(emulated.kubernetes.registered) < len(cluster.addresses):
        assert time.monotonic() < deadline, "kubelets did not register"
        time.sleep(0.02)
