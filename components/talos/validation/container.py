"""Talos's checks across documents: ``container.New`` (siderolabs/talos pkg/machinery/config/container/
container.go) and ``Container.validateContainer`` (validate.go, container_deps.go) at v1.14.0-rc.1, with
Talos's wording. container.New stops at its first error; validateContainer reports all.

The accessors below stand in for the Container methods validateContainer calls: each reads the typed
document first and falls back to the v1alpha1 document where Talos's does (container.go).
"""

from __future__ import annotations

from typing import Any

from ..errors import shorten
from .registry import Context, Document, Phase, config_check, first_release, kind_of, not_applicable
from .v1alpha1 import is_control_plane
from .v1alpha1_cluster import discovery_service_enabled
from .values import dig, flag, items, mapping, present, quote, text

not_applicable("unreachable: two v1alpha1 documents share the decoder's id /v1alpha1/, which the decoder refuses "
               "first (R005, decoder.go:128)", "R012")
not_applicable("unreachable: documents with the same kind and name share the decoder's apiVersion/kind/name id "
               "(every kind takes apiVersion v1alpha1 only), which the decoder refuses first (R005)", "R013")
not_applicable("unreachable: every ConflictsWithKinds list is symmetric (the link kinds of network/link.go "
               "conflictingLinkKinds, UserVolumeConfig/ExistingVolumeConfig, Layer2VIPConfig/HCloudVIPConfig), so "
               "the later document always meets container.go:81 (R014) first", "R015")

first_release(11, "R014")  # container.New's ConflictsWithKinds check (git grep of the v1.5.5 ... v1.11.6 tags)

# network/link.go conflictingLinkKinds: each link kind conflicts with the others by name
_LINK_KINDS = ("BondConfig", "BridgeConfig", "DummyLinkConfig", "LinkConfig", "VethConfig", "VLANConfig", "VRFConfig",
               "WireguardConfig")
_CONFLICTS = {**{kind: tuple(k for k in _LINK_KINDS if k != kind) for kind in _LINK_KINDS},
              "UserVolumeConfig": ("ExistingVolumeConfig",), "ExistingVolumeConfig": ("UserVolumeConfig",),
              "Layer2VIPConfig": ("HCloudVIPConfig",), "HCloudVIPConfig": ("Layer2VIPConfig",)}
# the kinds implementing ControlplaneOnlyDocument (types/k8s)
_CONTROL_PLANE_ONLY = ("KubeAPIServerConfig", "KubeAdmissionControlConfig", "KubeAggregatorCAConfig",
                       "KubeAuditPolicyConfig", "KubeAuthenticationConfig", "KubeAuthorizerConfig",
                       "KubeControllerManagerConfig", "KubeCoreDNSConfig", "KubeEtcdEncryptionConfig",
                       "KubeFlannelCNIConfig", "KubeProxyConfig", "KubeSchedulerConfig", "KubeServiceAccountConfig",
                       "KubeTalosAPIAccessConfig")


def _document_id(document: Document) -> str:
    """container.New's documentID: ``Kind/`` plus the name of a named document."""
    return f"{kind_of(document)}/{text(document.get('name'))}"


@config_check("R014", "R016", phase=Phase.NEW)
def documents_fit_together(ctx: Context) -> None:
    """container.New: documents that conflict by kind and name, and two documents configuring one link."""
    conflicting: dict[str, str] = {}
    claimed: dict[str, str] = {}
    for document in ctx.documents:
        kind = kind_of(document)
        if kind == "v1alpha1":
            continue
        ident = _document_id(document)
        if ident in conflicting:
            ctx.fail("R014", f"conflicting documents: {shorten(conflicting[ident])} and {shorten(ident)}")
            return
        for other in _CONFLICTS.get(kind, ()):
            conflicting[f"{other}/{text(document.get('name'))}"] = ident
        if kind in _LINK_KINDS:
            links = [text(document.get("name"))]
            if kind == "VethConfig":  # AdditionalLinkConfigs: the peer end is a link too
                links.append(text(dig(document, "peer", "name")))
            for link in links:
                if link in claimed:
                    ctx.fail("R016", f"conflicting link configurations: {shorten(claimed[link])} and {shorten(ident)} "
                                     f"both configure {quote(link)}")
                    return
                claimed[link] = ident


def _typed(ctx: Context, kind: str) -> Document | None:
    return next(iter(ctx.of_kind(kind)), None)


def host_dns(ctx: Context) -> dict[str, Any] | None:
    """Container.NetworkHostDNSConfig: ResolverConfig's hostDNS if enabled, else v1alpha1 features.hostDNS."""
    resolver = _typed(ctx, "ResolverConfig")
    if resolver is not None and flag(dig(resolver, "hostDNS", "enabled")):
        return mapping(resolver.get("hostDNS"))
    legacy = ctx.legacy
    return mapping(dig(legacy, "machine", "features", "hostDNS")) \
        if legacy is not None and present(legacy, "machine", "features", "hostDNS") else None


def _has_secret(document: Any, *path: str, ctx: Context) -> bool:
    """A secret field is set; a shape-only render (empty secrets) only has to carry the field."""
    return present(document, *path) if ctx.placeholder_secrets else bool(text(dig(document, *path)))


def discovery_enabled(ctx: Context) -> bool:
    """len(Container.DiscoveryServiceConfigs()) > 0: the v1alpha1 discovery service, or a typed document."""
    legacy = ctx.legacy
    if legacy is not None and discovery_service_enabled(mapping(legacy.get("cluster"))):
        return True
    return bool(ctx.of_kind("DiscoveryServiceConfig"))


def _identity(ctx: Context) -> tuple[bool, bool]:
    """Container.DiscoveryIdentityConfig: (cluster ID set, cluster secret set)."""
    cluster = mapping((ctx.legacy or {}).get("cluster"))
    legacy = (_has_secret(cluster, "id", ctx=ctx), _has_secret(cluster, "secret", ctx=ctx))
    if any(legacy):
        return legacy
    typed = _typed(ctx, "DiscoveryIdentityConfig")
    if typed is None:
        return False, False
    return _has_secret(typed, "clusterID", ctx=ctx), _has_secret(typed, "clusterSecret", ctx=ctx)


def kubespan_enabled(ctx: Context) -> bool:
    """Container.NetworkKubeSpanConfig().Enabled(): the KubeSpanConfig document, else machine.network.kubespan."""
    typed = _typed(ctx, "KubeSpanConfig")
    if typed is not None:
        return flag(typed.get("enabled"))
    return flag(dig(ctx.legacy, "machine", "network", "kubespan", "enabled"))


@config_check("R019", "R020", "R021", "R022", phase=Phase.CONTAINER)
def dns(ctx: Context) -> None:
    """validateContainer: host DNS in container mode, and for DNS over TLS or HTTPS."""
    if ctx.mode.in_container:
        config = host_dns(ctx)
        if config is None:
            ctx.fail("R019", "hostDNS config is required in container mode")
        else:
            if not flag(config.get("enabled")):
                ctx.fail("R020", "hostDNS must be enabled in container mode")
            if not flag(config.get("forwardKubeDNSToHost")):
                ctx.fail("R021", "forwardKubeDNSToHost must be enabled in container mode")
    resolver = _typed(ctx, "ResolverConfig")  # v1alpha1 nameservers are always plain DNS
    protocols = [text(mapping(ns).get("protocol")).lower() for ns in items((resolver or {}).get("nameservers"))]
    if any(p not in ("", "do53") for p in protocols):
        config = host_dns(ctx)
        if config is None or not flag(config.get("enabled")):
            ctx.fail("R022", "hostDNS must be enabled when using non-default DNS protocols")


@config_check("R023", "R024", phase=Phase.CONTAINER)
def discovery_identity(ctx: Context) -> None:
    if not discovery_enabled(ctx):
        return
    has_id, has_secret = _identity(ctx)
    if not has_id:
        ctx.fail("R023", "cluster ID (.cluster.id or DiscoveryIdentityConfig) should be set when cluster "
                         "discovery (DiscoveryServiceConfig) is enabled")
    if not has_secret:
        ctx.fail("R024", "cluster secret (.cluster.secret or DiscoveryIdentityConfig) should be set when cluster "
                         "discovery (DiscoveryServiceConfig) is enabled")


@config_check("R017", "R018", phase=Phase.CONTAINER)
def container_dependencies(ctx: Context) -> None:
    """container_deps.go: every dependsOn.containers name is configured, and the graph has no cycle."""
    configs = ctx.of_kind("ContainerConfig")
    if not configs:
        return
    names = {text(c.get("name")) for c in configs}
    edges: dict[str, list[str]] = {}
    for config in configs:
        name = text(config.get("name"))
        deps = [text(d) for d in items(dig(config, "dependsOn", "containers"))]
        for dep in deps:
            if dep not in names:
                ctx.fail("R018", f"container {quote(name)} depends on container {quote(dep)}, which is not configured")
        edges[name] = deps
    cycles = sorted(set(_cycles(sorted(names), edges, names)))
    if cycles:
        ctx.fail("R017", f"container dependsOn cycle detected: {', '.join(cycles)}")


@config_check("R025", phase=Phase.CONTAINER)
def kubespan_needs_discovery(ctx: Context) -> None:
    if kubespan_enabled(ctx) and not discovery_enabled(ctx):
        ctx.fail("R025", "KubeSpan requires cluster discovery to be enabled")


def _control_plane(ctx: Context) -> bool:
    """The machine type of the v1alpha1 document is init or controlplane (no v1alpha1: unknown)."""
    legacy = ctx.legacy
    return legacy is not None and present(legacy, "machine") and is_control_plane(mapping(legacy["machine"]))


@config_check("R026", "R027", phase=Phase.CONTAINER)
def control_plane_documents(ctx: Context) -> None:
    """An API server needs etcd encryption; control-plane-only documents need a control plane."""
    control_plane = _control_plane(ctx)
    if control_plane and _api_server_ca(ctx):
        cluster = mapping(dig(ctx.legacy, "cluster"))
        legacy_encryption = _has_secret(cluster, "secretboxEncryptionSecret", ctx=ctx) or \
            _has_secret(cluster, "aescbcEncryptionSecret", ctx=ctx)
        if not legacy_encryption and not ctx.of_kind("KubeEtcdEncryptionConfig"):
            ctx.fail("R026", "etcd encryption config is required for control plane machines running kube-apiserver")
    only = sorted({kind_of(d) for d in ctx.documents if kind_of(d) in _CONTROL_PLANE_ONLY})
    if only and not control_plane:
        ctx.fail("R027", f"the following document kinds are only allowed on control plane machines: [{' '.join(only)}]")


def _api_server_ca(ctx: Context) -> bool:
    """Container.K8sAPIServerCAConfig() != nil: the typed document, or v1alpha1 .cluster.ca/.acceptedCAs."""
    if ctx.of_kind("KubeAPIServerCAConfig"):
        return True
    cluster = dig(ctx.legacy, "cluster")
    return present(cluster, "ca") or present(cluster, "acceptedCAs")


def _cycles(ordered: list[str], edges: dict[str, list[str]], names: set[str]) -> list[str]:
    """containerDependencyCycleWalker: each cycle as "a -> b -> a", from where it closes."""
    visiting: set[str] = set()
    done: set[str] = set()
    stack: list[str] = []
    found: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            if name in stack:
                found.append(" -> ".join([*stack[stack.index(name):], name]))
            return
        visiting.add(name)
        stack.append(name)
        for dep in edges.get(name, []):
            if dep in names:
                visit(dep)
        stack.pop()
        visiting.discard(name)
        done.add(name)

    for name in ordered:
        visit(name)
    return found
