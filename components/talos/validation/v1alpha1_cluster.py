"""The cluster part of Talos's v1alpha1 Config.Validate: ``ClusterConfig.Validate`` and what it calls
(ValidateCNI, ExternalCloudProviderConfig, EtcdConfig, inline manifests, discovery, APIServerConfig,
ControllerManagerConfig, SchedulerConfig, ResourcesConfig, AuthorizationConfigAuthorizerConfig), as
siderolabs/talos pkg/machinery/config/types/v1alpha1 (v1alpha1_validation.go, v1alpha1_apiserverconfig.go,
v1alpha1_controllermanagerconfig.go, v1alpha1_schedulerconfig.go, v1alpha1_resourcesconfig.go,
v1alpha1_authorizaationconfigauthorizer.go at v1.14.0-rc.1) checks it, with Talos's wording.

Called by the registered v1alpha1 checks (v1alpha1.py), which own the rule ids.
"""

from __future__ import annotations

import re
from typing import Any

from . import goparse
from .registry import Context
from .values import dig, flag, items, mapping, present, quote, text

# v1alpha1_validation.go rxDNSNameRegexp
_DNS_NAME = re.compile(r"([a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})(\.[a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})*[._]?")
_CNI_NAMES = ("flannel", "custom", "none")  # constants.FlannelCNI, CustomCNI, NoneCNI
_AUTHORIZER_TYPES = ("Node", "RBAC", "Webhook")  # allowedAuthorizationAuthorizerTypes


def _valid_dns_name(name: str) -> bool:
    return bool(name) and len(name.encode()) - name.count(".") <= 255 and bool(_DNS_NAME.fullmatch(name))


def check_cluster(cluster: Any, control_plane: bool, ctx: Context) -> None:
    """ClusterConfig.Validate(isControlPlane)."""
    if cluster is None:
        ctx.fail("R483", "cluster instructions are required")
        return
    cluster = mapping(cluster)
    control = cluster.get("controlPlane")
    # v1.14 checks the endpoint only when .cluster.controlPlane is there (KubeClusterConfig may carry it);
    # before, the endpoint was required (v1.13.9 v1alpha1_validation.go:413)
    if control is not None or ctx.minor < 14:
        endpoint = mapping(control).get("endpoint")
        if endpoint is None:
            ctx.fail("R484", "cluster controlplane endpoint is required")
            return
        problem = goparse.endpoint_uri_error(text(endpoint))
        if problem:
            ctx.fail("R485", f"invalid controlplane endpoint: {problem}")
    domain = text(dig(cluster, "network", "dnsDomain"))
    if domain and not _valid_dns_name(domain):
        ctx.fail("R486", f"{quote(domain)} is not a valid DNS name")
    if cluster.get("externalCloudProvider") is not None:
        _check_external_cloud_provider(mapping(cluster.get("externalCloudProvider")), ctx)
    if cluster.get("etcd") is not None:
        if control_plane:
            _check_etcd(mapping(cluster.get("etcd")), ctx)
        else:
            ctx.fail("R487", "etcd config is only allowed on control plane machines")
    if cluster.get("ca") is not None and not control_plane and text(mapping(cluster.get("ca")).get("key")):
        ctx.fail("R488", "cluster CA key is not allowed on non-controlplane nodes (.cluster.ca)")
    _check_inline_manifests(items(cluster.get("inlineManifests")), ctx)
    check_discovery(cluster, ctx)
    if cluster.get("apiServer") is not None:
        _check_api_server(mapping(cluster.get("apiServer")), ctx)
    for field, rule, name in (("controllerManager", "R433", "controller-manager"), ("scheduler", "R441", "scheduler")):
        if cluster.get(field) is not None:
            problem = resources_error(dig(cluster, field, "resources"))
            if problem:
                ctx.fail(rule, f"{name} resource validation failed: {problem}", inner="R440")


def check_cni(cluster: dict[str, Any], ctx: Context) -> None:
    """ValidateCNI, for a control plane with .cluster.network (a missing cni is flannel)."""
    cni = mapping(dig(cluster, "network", "cni"))
    name = text(cni.get("name")) if dig(cluster, "network", "cni") is not None else "flannel"
    urls = [text(u) for u in items(cni.get("urls"))]
    flannel = mapping(cni.get("flannel"))
    extra_args = bool(items(flannel.get("extraArgs")))  # FlanneldExtraArgs []string
    policies = flag(flannel.get("kubeNetworkPoliciesEnabled"))
    if name not in _CNI_NAMES:
        ctx.fail("R495", 'cni name should be one of ["flannel", "custom", "none"]')
        return
    if name == "flannel":
        if urls:
            ctx.fail("R489", '"urls" field should be empty for "flannel" CNI')
        return
    if name == "none" and urls:
        ctx.fail("R490", '"urls" field should be empty for "none" CNI')
    if name == "custom" and not urls:
        ctx.warn("R482", '"urls" field should not be empty for "custom" CNI')
    if extra_args:
        ctx.fail("R491" if name == "none" else "R493", f'"flanneldExtraArgs" field should be empty for "{name}" CNI')
    if policies:
        ctx.fail("R492" if name == "none" else "R494",
                 f'"flannelKubeNetworkPoliciesEnabled" should not be enabled for "{name}" CNI')
    if name == "custom":
        for url in urls:
            problem = goparse.endpoint_uri_error(url)
            if problem:
                ctx.fail("X02", problem)


def _check_external_cloud_provider(provider: dict[str, Any], ctx: Context) -> None:
    manifests = [text(m) for m in items(provider.get("manifests"))]
    if not flag(provider.get("enabled")) and manifests:
        ctx.fail("R496", "external cloud provider is disabled, but manifests are provided")
        return
    for url in manifests:
        problem = goparse.endpoint_uri_error(url)
        if problem:
            ctx.fail("R497", f"invalid external cloud provider manifest url {quote(url)}: {problem}")


def _check_etcd(etcd: dict[str, Any], ctx: Context) -> None:
    """EtcdConfig.Validate."""
    if etcd.get("ca") is None:
        ctx.fail("X03", "key/cert combination should not be empty")
    subnet, advertised = text(etcd.get("subnet")), [text(s) for s in items(etcd.get("advertisedSubnets"))]
    listen = [text(s) for s in items(etcd.get("listenSubnets"))]
    if subnet and advertised:
        ctx.fail("R545", "etcd subnet can't be set when advertised subnets are set")
    # EtcdConfig.AdvertisedSubnets/ListenSubnets: the deprecated .subnet stands in for advertisedSubnets
    for cidr in advertised or ([subnet] if subnet else []):
        cidr = cidr.removeprefix("!")
        if goparse.parse_subnet_or_address(cidr):
            ctx.fail("R546", f"etcd advertised subnet is not valid: {quote(cidr)}")
    for cidr in listen or advertised:
        cidr = cidr.removeprefix("!")
        if goparse.parse_subnet_or_address(cidr):
            ctx.fail("R547", f"etcd listen subnet is not valid: {quote(cidr)}")


def _check_inline_manifests(manifests: list[Any], ctx: Context) -> None:
    seen: set[str] = set()
    for manifest in manifests:
        name = text(mapping(manifest).get("name"))
        if not name.strip():
            ctx.fail("R498", "inline manifest name can't be empty")
        if name in seen:
            ctx.fail("R499", f"inline manifest name {quote(name)} is duplicate")
        seen.add(name)


def discovery_service_enabled(cluster: dict[str, Any]) -> bool:
    """ClusterDiscoveryConfig.Enabled() and the service registry not disabled."""
    discovery = cluster.get("discovery")
    return discovery is not None and flag(mapping(discovery).get("enabled")) and \
        not flag(dig(discovery, "registries", "service", "disabled"))


def check_discovery(cluster: dict[str, Any], ctx: Context) -> None:
    """ClusterDiscoveryConfig.Validate."""
    if not discovery_service_enabled(cluster):
        return
    endpoint = text(dig(cluster, "discovery", "registries", "service", "endpoint")) or "https://discovery.talos.dev/"
    url, problem = goparse.parse_url(endpoint, request=True)
    if url is None:
        ctx.fail("R500", f"cluster discovery service registry endpoint is invalid: {problem}")
    elif url.path not in ("", "/"):
        ctx.fail("R501", "cluster discovery service path should be empty")
    for field, rule in (("id", "R502"), ("secret", "R503")):
        missing = (not present(cluster, field)) if ctx.placeholder_secrets else not text(cluster.get(field))
        if missing:
            ctx.fail(rule, f"cluster discovery service requires .cluster.{field}")


def resources_error(resources: Any) -> str | None:
    """ResourcesConfig.Validate: requests and limits name cpu and memory only."""
    for part in ("requests", "limits"):
        for key in mapping(mapping(resources).get(part)):
            if key not in ("memory", "cpu"):
                return f"unsupported pod resource {quote(str(key))}"
    return None


def _authorizer_error(authorizer: dict[str, Any]) -> tuple[str, str] | None:
    kind, name = text(authorizer.get("type")), text(authorizer.get("name"))
    if not kind:
        return "R430", "authorizer type must be set"
    if not name:
        return "R431", "authorizer name must be set"
    if kind not in _AUTHORIZER_TYPES:
        return "R432", f"authorizer type {kind} is not allowed, allowed types are [{' '.join(_AUTHORIZER_TYPES)}]"
    return None


def _check_api_server(api_server: dict[str, Any], ctx: Context) -> None:
    """APIServerConfig.Validate: the first problem only, as Talos returns it."""
    authorizers = items(api_server.get("authorizationConfig"))
    if api_server.get("authorizationConfig") is not None:
        for flag_name in mapping(api_server.get("extraArgs")):
            if flag_name == "authorization-mode":
                ctx.fail("R426", "authorization-mode cannot be used in conjunction with AuthorizationConfig, "
                                 "use eitherr AuthorizationConfig or authorization-mode")
                return
            if str(flag_name).startswith("authorization-webhook-"):
                ctx.fail("R427", "authorization-webhook-* flags cannot be used in conjunction with "
                                 "AuthorizationConfig, use either AuthorizationConfig or authorization-webhook-* flags")
                return
    for authorizer in authorizers:
        found = _authorizer_error(mapping(authorizer))
        if found:
            ctx.fail("R428", f"apiserver authorization config validation failed: {found[1]}", inner=found[0])
            return
    problem = resources_error(api_server.get("resources"))
    if problem:
        ctx.fail("R429", f"apiserver resource validation failed: {problem}", inner="R440")
