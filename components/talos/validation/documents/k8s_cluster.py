"""Talos's checks of the v1.14 Kubernetes cluster-wide and node documents (types/k8s).

Ports cluster.go (with siderolabs/net ValidateEndpointURI), network.go (Validate, validateSubnets,
validateSubnet, validatePodSubnetSize, validateServiceSubnetSize), node.go (with siderolabs/net
ParseSubnetOrAddress and pkg/machinery/labels), external_manifest.go, inline_manifest.go, static_pod.go and
talos_api_access.go at v1.14.0-rc.1.

A problem is reported under the site Talos returns it from; the listed sites its message wraps (Talos's ``%w``,
e.g. "pod subnets: " around validateSubnet's error) are the problem's ``inner`` rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...golang import error_of, netip
from ...golang.multierror import format_errors
from ...golang.strconv import quote
from ...golang.url import endpoint_uri_error
from ..kubernetes import talos_roles
from ..labels import annotation_errors, dns1123_subdomain_error, label_errors, taint_errors
from ..registry import Context, Document, document_check
from ..values import items, mapping, number, prefix, text, url_of

MIN_SUBNET_HOST_BITS = 4  # network.go minSubnetHostBits
MAX_SERVICE_HOST_BITS = 20  # constants.MaxHostBitsForServiceSubnet
POD_SUBNET_NODE_MASK_MAX_DIFF = 16  # constants.PodSubnetNodeMaskMaxDiff
DEFAULT_NODE_MASK = {4: 24, 6: 64}  # constants.DefaultNodeCIDRMaskSizeIPv4 / IPv6
Masks = dict[int, tuple[int, bool]]


@document_check("KubeClusterConfig", "R161", "R162", "R163")
def kube_cluster_config(document: Document, ctx: Context) -> None:
    """KubeClusterConfigV1Alpha1.Validate."""
    if not text(document.get("clusterName")):
        ctx.fail("R161", "clusterName must be specified")
    if url_of(document.get("endpoint")) is None:
        ctx.fail("R162", "endpoint must be specified")
    # ValidateEndpointURI parses URL.String() again; the decoded text reads the same
    elif problem := endpoint_uri_error(text(document.get("endpoint"))):
        ctx.fail("R163", f"cluster endpoint is invalid: {problem}")


def _node_mask(document: Document, key: str, family: int, rule: str, ctx: Context) -> tuple[int, bool]:
    """A per-node pod CIDR mask size: the value (default when 0) and whether it is valid."""
    value = number(document.get(key))
    limit = 32 if family == 4 else 128
    valid = value == 0 or 1 <= value <= limit
    if not valid:
        ctx.fail(rule, f"{key} must be between 1 and {limit}")
    return (value or DEFAULT_NODE_MASK[family]), valid


def _pod_size_problem(network: netip.IPNetwork, masks: Masks) -> tuple[str, str] | None:
    """validatePodSubnetSize: the subnet holds at least one node's CIDR and at most 2^16 of them."""
    mask, valid = masks[network.version]
    if not valid:
        return None
    if network.prefixlen > mask:
        return "R194", f"invalid subnet: {network} is smaller than the per-node pod CIDR mask size /{mask}"
    if mask - network.prefixlen > POD_SUBNET_NODE_MASK_MAX_DIFF:
        return "R195", (f"invalid subnet: {network} is too large for the per-node pod CIDR mask size /{mask}, the "
                        f"difference must be at most {POD_SUBNET_NODE_MASK_MAX_DIFF} bits")
    return None


def _service_size_problem(network: netip.IPNetwork, _: Masks) -> tuple[str, str] | None:
    """validateServiceSubnetSize: at most 2^20 service addresses."""
    bits = network.max_prefixlen
    if bits - network.prefixlen > MAX_SERVICE_HOST_BITS:
        return "R196", (f"invalid subnet: {network} is too large, it must be at least /{bits - MAX_SERVICE_HOST_BITS}"
                        f" (at most {MAX_SERVICE_HOST_BITS} host identifier bits)")
    return None


SizeProblem = Callable[[netip.IPNetwork, Masks], tuple[str, str] | None]


def _subnets_problem(values: list[Any], size_problem: SizeProblem, masks: Masks) -> tuple[str, str] | None:
    """validateSubnets and validateSubnet: (rule, message) of the first problem."""
    if not values:
        return "R197", "at least one subnet must be specified"
    if len(values) > 2:
        return "R198", "at most two subnets can be specified for dual-stack clusters"
    families: list[int] = []
    for value in values:
        subnet = prefix(value)
        if subnet is None:
            return "R200", "invalid subnet: invalid Prefix"  # netip.Prefix{}.String()
        if not subnet.masked:
            return "R201", f"invalid subnet: {subnet} is not a valid CIDR"
        network = subnet.network
        if network.max_prefixlen - network.prefixlen < MIN_SUBNET_HOST_BITS:
            return "R202", (f"invalid subnet: /{network.prefixlen} is too small, it must be larger than "
                            f"/{network.prefixlen - MIN_SUBNET_HOST_BITS}")
        if problem := size_problem(network, masks):
            return problem
        families.append(network.version)
    if families.count(4) > 1 or families.count(6) > 1:
        return "R199", "at most one IPv4 and one IPv6 subnet can be specified for dual-stack clusters"
    return None


@document_check("KubeNetworkConfig", "R189", "R190", "R191", "R192", "R193", "R194", "R195", "R196", "R197", "R198",
                "R199", "R200", "R201", "R202")
def kube_network_config(document: Document, ctx: Context) -> None:
    """KubeNetworkConfigV1Alpha1.Validate."""
    masks = {4: _node_mask(document, "nodeCIDRMaskSizeIPv4", 4, "R189", ctx),
             6: _node_mask(document, "nodeCIDRMaskSizeIPv6", 6, "R190", ctx)}
    pods, services = items(document.get("podSubnets")), items(document.get("serviceSubnets"))
    for wrapper, label, values, size_problem in (("R191", "pod subnets", pods, _pod_size_problem),
                                                 ("R192", "service subnets", services, _service_size_problem)):
        if problem := _subnets_problem(values, size_problem, masks):
            ctx.fail(wrapper, f"{label}: {problem[1]}", inner=problem[0])
    if len(pods) != len(services):
        ctx.fail("R193", "the number of pod subnets must match the number of service subnets")


@document_check("KubeNodeConfig", "R204", "R205", "R206", "R207")
def kube_node_config(document: Document, ctx: Context) -> None:
    """KubeNodeConfigV1Alpha1.Validate."""
    for subnet in items(mapping(document.get("nodeIP")).get("validSubnets")):
        cidr = text(subnet).removeprefix("!")
        if error_of(netip.parse_subnet_or_address, cidr):
            ctx.fail("R204", f"nodeIP subnet is not valid: {quote(cidr)}")
    for key, check, rule in (("labels", label_errors, "R205"), ("annotations", annotation_errors, "R206"),
                             ("taints", taint_errors, "R207")):
        if problems := check(mapping(document.get(key))):
            ctx.fail(rule, f"invalid node {key}: {format_errors(problems)}")


def _manifest_name(document: Document, ctx: Context, noun: str, rules: tuple[str, str]) -> None:
    name = text(document.get("name"))
    required, invalid = rules
    if not name:
        ctx.fail(required, f"{noun} name is required")
    elif (problem := dns1123_subdomain_error(name)) is not None:
        ctx.fail(invalid, f"{noun} name is invalid: {problem}")


@document_check("KubeExternalManifestConfig", "R175", "R176", "R177", "R178")
def kube_external_manifest_config(document: Document, ctx: Context) -> None:
    """KubeExternalManifestConfigV1Alpha1.Validate: a DNS-1123 name and an http(s) URL."""
    _manifest_name(document, ctx, "manifest", ("R175", "R176"))
    url = url_of(document.get("url"))
    if url is None:
        ctx.fail("R177", "manifest URL is required")
    elif url.scheme not in ("http", "https"):
        ctx.fail("R178", f"manifest URL scheme must be http or https: {quote(url.scheme)}")


@document_check("KubeInlineManifestConfig", "R181", "R182")
def kube_inline_manifest_config(document: Document, ctx: Context) -> None:
    """KubeInlineManifestConfigV1Alpha1.Validate."""
    _manifest_name(document, ctx, "manifest", ("R181", "R182"))


@document_check("KubeStaticPodConfig", "R228", "R229", "R230")
def kube_static_pod_config(document: Document, ctx: Context) -> None:
    """KubeStaticPodConfigV1Alpha1.Validate."""
    _manifest_name(document, ctx, "static pod", ("R228", "R229"))
    if not mapping(document.get("pod")):
        ctx.fail("R230", "static pod spec is required")


@document_check("KubeTalosAPIAccessConfig", "R231")
def kube_talos_api_access_config(document: Document, ctx: Context) -> None:
    """KubeTalosAPIAccessConfigV1Alpha1.Validate: allowed roles are Talos's roles."""
    for role in map(text, items(document.get("allowedRoles"))):
        if role not in talos_roles(ctx.minor):
            ctx.fail("R231", f"invalid role {quote(role)} in .allowedRoles")

