"""Talos's checks of the v1.14 Kubernetes cluster-wide and node documents (types/k8s).

Ports cluster.go (with siderolabs/net ValidateEndpointURI), network.go (Validate, validateSubnets,
validateSubnet, validatePodSubnetSize, validateServiceSubnetSize), node.go (with siderolabs/net
ParseSubnetOrAddress and pkg/machinery/labels), external_manifest.go, inline_manifest.go, static_pod.go and
talos_api_access.go at v1.14.0-rc.1.

A Talos error wrapped by another site ("pod subnets: %w") is reported under the inner rule with the wrapper's
prefix, as Talos prints it.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..golang import URL, go_quote, parse_url
from ..k8slabels import annotations_problem, dns1123_subdomain_problem, labels_problem, taints_problem
from ..registry import Context, Document, document_check, not_applicable
from .syscommon import Report, listing, mapping, parse_prefix, text

MIN_SUBNET_HOST_BITS = 4  # network.go minSubnetHostBits
MAX_SERVICE_HOST_BITS = 20  # constants.MaxHostBitsForServiceSubnet
POD_SUBNET_NODE_MASK_MAX_DIFF = 16  # constants.PodSubnetNodeMaskMaxDiff
DEFAULT_NODE_MASK = {4: 24, 6: 64}  # constants.DefaultNodeCIDRMaskSizeIPv4 / IPv6
# role.All (pkg/machinery/role/role.go)
TALOS_ROLES = ("os:admin", "os:operator", "os:reader", "os:etcd:backup", "os:image:verifier", "os:meta:writer",
               "os:impersonator")


def endpoint_uri_problem(url: URL) -> str | None:
    """siderolabs/net ValidateEndpointURI of a parsed URL."""
    if url.host.count(":") > 2 and ("[" not in url.host or "]" not in url.host):
        return "IPv6 addresses MUST be enclosed by square brackets"
    host = url.host
    colon = host.rfind(":")
    if (colon >= 0 and host[colon + 1:].isdigit()) or host.endswith(":"):
        host = host[:colon]
    if not host.removeprefix("[").removesuffix("]"):
        return "hostname must not be blank"
    if url.port:
        if len(url.port) > 18:
            return "port number must be numeric"  # strconv.Atoi overflows
        if not 1 <= int(url.port) <= 65535:
            return "port number must be between 1 and 65535"
    return None


@document_check("KubeClusterConfig", "R161", "R162", "R163")
def kube_cluster_config(document: Document, ctx: Context) -> None:
    """KubeClusterConfigV1Alpha1.Validate."""
    report = Report(ctx, document, "*k8s.KubeClusterConfigV1Alpha1")
    if not text(document.get("clusterName")):
        report.fail("R161", "clusterName must be specified")
    endpoint = report.url(document.get("endpoint"))
    if endpoint is None:
        report.fail("R162", "endpoint must be specified")
    elif endpoint:
        try:  # ValidateEndpointURI parses URL.String() again; the decoded text reads the same
            problem = endpoint_uri_problem(parse_url(text(document.get("endpoint"))))
        except ValueError as error:
            problem = str(error)
        if problem:
            report.fail("R163", f"cluster endpoint is invalid: {problem}")


def _node_mask(document: Document, key: str, family: int, rule: str, report: Report) -> tuple[int, bool]:
    """A per-node pod CIDR mask size: the value (default when 0) and whether it is valid."""
    value = document.get(key) or 0
    value = value if isinstance(value, int) and not isinstance(value, bool) else 0
    limit = 32 if family == 4 else 128
    valid = value == 0 or 1 <= value <= limit
    if not valid:
        report.fail(rule, f"{key} must be between 1 and {limit}")
    return (value or DEFAULT_NODE_MASK[family]), valid


def _pod_size_problem(network: Any, masks: dict[int, tuple[int, bool]]) -> tuple[str, str] | None:
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


def _service_size_problem(network: Any, _: dict[int, tuple[int, bool]]) -> tuple[str, str] | None:
    """validateServiceSubnetSize: at most 2^20 service addresses."""
    bits = network.max_prefixlen
    if bits - network.prefixlen > MAX_SERVICE_HOST_BITS:
        return "R196", (f"invalid subnet: {network} is too large, it must be at least /{bits - MAX_SERVICE_HOST_BITS}"
                        f" (at most {MAX_SERVICE_HOST_BITS} host identifier bits)")
    return None


def _subnets_problem(report: Report, values: list[Any], size_problem: Any,
                     masks: dict[int, tuple[int, bool]]) -> tuple[str, str] | None:
    """validateSubnets and validateSubnet: (rule, message) of the first problem."""
    if not values:
        return "R197", "at least one subnet must be specified"
    if len(values) > 2:
        return "R198", "at most two subnets can be specified for dual-stack clusters"
    families: list[int] = []
    for value in values:
        parsed = report.prefix(value)
        if parsed is None:
            return None  # the decoder refused it, reported already
        interface, written = parsed
        if interface is None:
            return "R200", f"invalid subnet: {written}"
        if interface.ip != interface.network.network_address:
            return "R201", f"invalid subnet: {written} is not a valid CIDR"
        network = interface.network
        if network.max_prefixlen - network.prefixlen < MIN_SUBNET_HOST_BITS:
            return "R202", (f"invalid subnet: /{network.prefixlen} is too small, it must be larger than "
                            f"/{network.prefixlen - MIN_SUBNET_HOST_BITS}")
        if problem := size_problem(network, masks):
            return problem  # type: ignore[no-any-return]
        families.append(network.version)
    if families.count(4) > 1 or families.count(6) > 1:
        return "R199", "at most one IPv4 and one IPv6 subnet can be specified for dual-stack clusters"
    return None


@document_check("KubeNetworkConfig", "R189", "R190", "R193", "R194", "R195", "R196", "R197", "R198", "R199", "R200",
                "R201", "R202")
def kube_network_config(document: Document, ctx: Context) -> None:
    """KubeNetworkConfigV1Alpha1.Validate."""
    report = Report(ctx, document, "*k8s.KubeNetworkConfigV1Alpha1")
    masks = {4: _node_mask(document, "nodeCIDRMaskSizeIPv4", 4, "R189", report),
             6: _node_mask(document, "nodeCIDRMaskSizeIPv6", 6, "R190", report)}
    pods, services = listing(document.get("podSubnets")), listing(document.get("serviceSubnets"))
    for label, values, size_problem in (("pod subnets", pods, _pod_size_problem),
                                        ("service subnets", services, _service_size_problem)):
        problem = _subnets_problem(report, values, size_problem, masks)
        if problem:
            report.fail(problem[0], f"{label}: {problem[1]}")  # R191/R192 prefix the inner error
    if len(pods) != len(services):
        report.fail("R193", "the number of pod subnets must match the number of service subnets")


def _subnet_or_address_ok(value: str) -> bool:
    # siderolabs/net ParseSubnetOrAddress: netip.ParsePrefix, else a bare netip.ParseAddr
    if parse_prefix(value)[0] is None:
        return True
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


@document_check("KubeNodeConfig", "R204", "R205", "R206", "R207")
def kube_node_config(document: Document, ctx: Context) -> None:
    """KubeNodeConfigV1Alpha1.Validate."""
    report = Report(ctx, document, "*k8s.KubeNodeConfigV1Alpha1")
    for subnet in listing(mapping(document.get("nodeIP")).get("validSubnets")):
        cidr = text(subnet).removeprefix("!")
        if not _subnet_or_address_ok(cidr):
            report.fail("R204", f"nodeIP subnet is not valid: {go_quote(cidr)}")
    for key, check, rule, label in (("labels", labels_problem, "R205", "labels"),
                                    ("annotations", annotations_problem, "R206", "annotations"),
                                    ("taints", taints_problem, "R207", "taints")):
        if (problem := check(mapping(document.get(key)))) is not None:
            report.fail(rule, f"invalid node {label}: {problem}")


def _manifest_name(report: Report, noun: str, rules: tuple[str, str]) -> None:
    name = text(report.document.get("name"))
    required, invalid = rules
    if not name:
        report.fail(required, f"{noun} name is required")
    elif (problem := dns1123_subdomain_problem(name)) is not None:
        report.fail(invalid, f"{noun} name is invalid: {problem}")


@document_check("KubeExternalManifestConfig", "R175", "R176", "R177", "R178")
def kube_external_manifest_config(document: Document, ctx: Context) -> None:
    """KubeExternalManifestConfigV1Alpha1.Validate: a DNS-1123 name and an http(s) URL."""
    report = Report(ctx, document, "*k8s.KubeExternalManifestConfigV1Alpha1")
    _manifest_name(report, "manifest", ("R175", "R176"))
    url = report.url(document.get("url"))
    if url is None:
        report.fail("R177", "manifest URL is required")
    elif url and url.scheme not in ("http", "https"):
        report.fail("R178", f"manifest URL scheme must be http or https: {go_quote(url.scheme)}")


@document_check("KubeInlineManifestConfig", "R181", "R182")
def kube_inline_manifest_config(document: Document, ctx: Context) -> None:
    """KubeInlineManifestConfigV1Alpha1.Validate."""
    _manifest_name(Report(ctx, document, "*k8s.KubeInlineManifestConfigV1Alpha1"), "manifest", ("R181", "R182"))


@document_check("KubeStaticPodConfig", "R228", "R229", "R230")
def kube_static_pod_config(document: Document, ctx: Context) -> None:
    """KubeStaticPodConfigV1Alpha1.Validate."""
    report = Report(ctx, document, "*k8s.KubeStaticPodConfigV1Alpha1")
    _manifest_name(report, "static pod", ("R228", "R229"))
    if not mapping(document.get("pod")):
        report.fail("R230", "static pod spec is required")


@document_check("KubeTalosAPIAccessConfig", "R231")
def kube_talos_api_access_config(document: Document, ctx: Context) -> None:
    """KubeTalosAPIAccessConfigV1Alpha1.Validate: allowed roles are Talos's roles."""
    report = Report(ctx, document, "*k8s.KubeTalosAPIAccessConfigV1Alpha1")
    for role in map(text, listing(document.get("allowedRoles"))):
        if role not in TALOS_ROLES:
            report.fail("R231", f"invalid role {go_quote(role)} in .allowedRoles")


not_applicable("a wrapper, not a check of its own: it prefixes 'pod subnets: ' / 'service subnets: ' to the errors "
               "of R194-R202, which are reported under their own rule with that prefix", "R191", "R192")
