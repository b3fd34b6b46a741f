"""TalosCluster: the Talos layer of a stack as one ComponentResource.

Secrets → one rendered config per node → apply (all nodes in parallel) → bootstrap on the first control
plane → health → talosconfig and kubeconfig. Configs are rendered here, deterministically, from the
definition and the secrets, so a preview shows exactly which node a change touches.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from .providers.bootstrap import TalosBootstrap
from .providers.client_configs import Kubeconfig, Talosconfig
from .providers.cluster_secrets import TalosSecrets
from .providers.health import ClusterHealth
from .providers.kubernetes_upgrade import KubernetesUpgrade
from .providers.machine_config import MachineConfigApply
from .talos.definition.model import ClusterDefinition, NodeDefinition
from .talos.definition.render import image_platform, render_node_text
from .talos.documents import decode, kubespan_enabled
from .talos.errors import ConfigError
from .talos.masking import masked_config
from .talos.rollout import waves
from .talos.secrets import SecretsBundle


@dataclass(frozen=True)
class ClusterOptions:
    """How the Talos layer behaves; defaults suit a homelab."""

    apply_mode: str = "auto"
    apply_timeout: float = 600.0
    bootstrap_timeout: float = 900.0
    health_timeout: float = 1200.0
    reset_on_destroy: bool = False
    renew_before_days: float = 30.0
    protect_secrets: bool = True  # `pulumi destroy` or a refactor never loses the cluster's CA by accident
    worker_batch: int = 1  # workers updated at once, after every control plane (components/talos/rollout.py)
    # hostname → the maintenance certificate fingerprints its first, insecure apply accepts (--cert-fingerprint)
    cert_fingerprints: Mapping[str, Sequence[str]] = field(default_factory=dict)


def _rendered(definition: ClusterDefinition, node: NodeDefinition,
              bundle: pulumi.Output[SecretsBundle]) -> pulumi.Output[str]:
    """The node's machine config, a secret like the bundle it embeds."""
    return pulumi.Output.secret(bundle.apply(lambda secrets: render_node_text(definition, node, secrets)))


def _kubespan_on(config: str) -> bool:
    return kubespan_enabled(decode(config, "machine config"))


def _machine_id(resources: Sequence[pulumi.Resource]) -> pulumi.Output[str]:
    """The ids of the machine a node runs on (a VM, an instance); "" for a machine the stack does not create.
    Another id is another machine, in maintenance mode: its node resource is replaced, trusting it first."""
    ids = [resource.id for resource in resources if isinstance(resource, pulumi.CustomResource)]
    return pulumi.Output.all(*ids).apply(lambda values: ",".join(str(v) for v in values)) if ids else \
        pulumi.Output.from_input("")


class TalosCluster(pulumi.ComponentResource):
    """A Talos cluster on machines that already have addresses (from a platform component or the definition)."""

    talosconfig: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    health: ClusterHealth
    applies: dict[str, MachineConfigApply]
    addresses: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, definition: ClusterDefinition, addresses: Mapping[str, pulumi.Input[str]], *,
                 machines: Mapping[str, Sequence[pulumi.Resource]] | None = None,
                 imported_secrets: pulumi.Input[str] | None = None, options: ClusterOptions = ClusterOptions(),
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("talos-cluster:index:TalosCluster", name, {}, opts)
        missing = [node.hostname for node in definition.nodes if node.hostname not in addresses]
        if missing:
            raise ConfigError(f"{definition.source}: no machine gives an address for node(s) {', '.join(missing)}")
        child = pulumi.ResourceOptions(parent=self)
        self.secrets = TalosSecrets(f"{name}-secrets", definition.talos_version, imported_secrets,
                                    opts=pulumi.ResourceOptions(parent=self, protect=options.protect_secrets))
        bundle = self.secrets.bundle
        self.addresses = {node.hostname: pulumi.Output.from_input(addresses[node.hostname])
                          for node in definition.nodes}
        parsed = bundle.apply(lambda text: SecretsBundle.from_yaml(text, "cluster secrets", from_state=True))
        configs = {node.hostname: _rendered(definition, node, parsed) for node in definition.nodes}
        # The rollout policy as dependencies: each wave starts once the one before it is done, so the engine
        # updates (and upgrades) control planes one at a time, each healthy before the next, then workers in
        # batches. Creation is a quick insecure apply, so the chain costs seconds while installs overlap.
        order = waves(((node.hostname, node.role) for node in definition.nodes), options.worker_batch)
        kubernetes = KubernetesUpgrade(
            f"{name}-kubernetes", kubernetes_version=definition.kubernetes_version,
            first_control_plane=definition.control_planes[0].hostname,
            control_planes=pulumi.Output.all(*(self.addresses[n.hostname] for n in definition.control_planes)),
            kubelet_order=pulumi.Output.all(*(self.addresses[h] for wave in order for h in wave.hostnames)),
            secrets=bundle, timeout=options.apply_timeout, opts=child)
        applies: dict[str, MachineConfigApply] = {}
        previous: list[pulumi.Resource] = [kubernetes]  # a version bump runs upgrade-k8s before any new config
        for wave in order:
            current: list[pulumi.Resource] = []
            for hostname in wave.hostnames:
                node = definition.node(hostname)
                machine = list((machines or {}).get(hostname, []))
                applies[hostname] = MachineConfigApply(
                    f"{name}-{hostname}", hostname=hostname, role=node.role, address=self.addresses[hostname],
                    machine=_machine_id(machine), config=configs[hostname],
                    # masking removed every secret, so the masked YAML may be shown in a preview
                    masked_config=pulumi.Output.unsecret(configs[hostname].apply(
                        lambda text: masked_config(text, sensitive=definition.sensitive_values))),
                    secrets=bundle, control_plane_count=len(definition.control_planes),
                    apply_mode=options.apply_mode, timeout=options.apply_timeout,
                    reset_on_destroy=options.reset_on_destroy,
                    cert_fingerprints=list(options.cert_fingerprints.get(hostname, ())),
                    validation={"platform": image_platform(node), "talos_version": definition.talos_version,
                                "source": definition.source},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=machine + previous))
                current.append(applies[hostname])
            previous = current
        self.applies = {node.hostname: applies[node.hostname] for node in definition.nodes}
        first = definition.control_planes[0]
        bootstrap = TalosBootstrap(
            f"{name}-bootstrap", hostname=first.hostname, address=self.addresses[first.hostname], secrets=bundle,
            timeout=options.bootstrap_timeout,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.applies[first.hostname]]))
        control_planes = pulumi.Output.all(*(self.addresses[n.hostname] for n in definition.control_planes))
        workers = pulumi.Output.all(*(self.addresses[n.hostname] for n in definition.workers))
        self._health = functools.partial(
            ClusterHealth, control_planes=control_planes, workers=workers, secrets=bundle,
            kubespan=pulumi.Output.unsecret(configs[first.hostname].apply(_kubespan_on)),
            applied=pulumi.Output.all(*(apply.id for apply in self.applies.values())), timeout=options.health_timeout)
        self.health = self._health(f"{name}-health", opts=pulumi.ResourceOptions(
            parent=self, depends_on=[bootstrap, *self.applies.values()]))
        self.talosconfig = Talosconfig(
            f"{name}-talosconfig", secrets=bundle, cluster_name=definition.cluster_name, endpoints=control_planes,
            nodes=pulumi.Output.all(*self.addresses.values()), renew_before_days=options.renew_before_days,
            opts=child).text
        self.kubeconfig = Kubeconfig(
            f"{name}-kubeconfig", secrets=bundle, cluster_name=definition.cluster_name,
            kubernetes_endpoint=definition.endpoint, renew_before_days=options.renew_before_days, opts=child).text
        self.nodes = {node.hostname: {"address": self.addresses[node.hostname], "role": node.role}
                      for node in definition.nodes}
        self.masked_configs = {hostname: apply.masked_config for hostname, apply in self.applies.items()}
        self._name = name
        self.register_outputs({"talosconfig": self.talosconfig, "kubeconfig": self.kubeconfig,
                               "nodes": self.nodes, "masked_configs": self.masked_configs})

    def ready_after(self, cni: Sequence[pulumi.Resource]) -> ClusterHealth:
        """The last stage of `talosctl health`, once the CNI is installed: every node Ready (and schedulable)."""
        return self._health(f"{self._name}-nodes-ready", nodes_ready=True,
                            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.health, *cni]))
