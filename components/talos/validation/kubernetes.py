"""What Talos checks alike about Kubernetes in the v1alpha1 document and the v1.14 k8s documents: pod resources,
authorizer types, the kubelet fields Talos manages, and image tags against the Kubernetes versions a Talos release
supports (compatibility.ValidateKubernetesImageTag)."""

from __future__ import annotations

from typing import Any

from ..golang import semver
from ..golang.strconv import quote
from ..versions import kubernetes_minor_range
from .values import mapping

# kubelet.ProtectedConfigurationFields (pkg/machinery/kubelet/kubelet.go)
KUBELET_PROTECTED_FIELDS = ("apiVersion", "authentication", "authorization", "cgroupRoot", "kind", "kubeletCgroups",
                            "port", "protectKernelDefaults", "resolvConf", "rotateCertificates", "systemCgroups",
                            "staticPodPath", "seccompDefault")
AUTHORIZER_TYPES = ("Node", "RBAC", "Webhook")  # allowedAuthorizationAuthorizerTypes


def resources_error(resources: Any) -> str | None:
    """ResourcesConfig.Validate (v1alpha1_resourcesconfig.go, k8s/common.go): requests and limits name cpu and
    memory only; the first other key, in the order Go's map iteration cannot promise, sorted here."""
    for part in ("requests", "limits"):
        unsupported = sorted(str(key) for key in mapping(mapping(resources).get(part)) if key not in ("memory", "cpu"))
        if unsupported:
            return f"unsupported pod resource {quote(unsupported[0])}"
    return None


def image_version_error(image: str, minor: int, talos_version: str = "") -> str | None:
    """compatibility.ValidateKubernetesImageTag on a node running Talos 1.`minor` (`talos_version` when known): the
    tag after the image's last ":v" is a Kubernetes version that release supports."""
    index = image.rfind(":v")
    if index < 0:
        return f"failed to parse Kubernetes version from image reference {quote(image)}: invalid image reference: " \
               f"{quote(image)}"
    try:  # KubernetesVersionFromImageRef: the tag up to a digest
        version = semver.parse_tolerant(image[index + 2:].partition("@")[0])
    except ValueError as error:
        return f"failed to parse Kubernetes version from image reference {quote(image)}: {error}"
    low, high = kubernetes_minor_range(1, minor)
    talos = talos_version.removeprefix("v") or f"1.{minor}.0"
    if version.core < (1, low, 0):  # compatibility/talosXY MinimumKubernetesVersion 1.<low>.0
        return f"version of Kubernetes {version} is too old to be used with Talos {talos}"
    if version.core >= (1, high, 99):  # MaximumKubernetesVersion 1.<high>.99
        return f"version of Kubernetes {version} is too new to be used with Talos {talos}"
    return None


def talos_roles(minor: int) -> tuple[str, ...]:
    """role.All (pkg/machinery/role/role.go): the Talos API roles a Kubernetes workload may be granted; v1.14
    added os:image:verifier and os:meta:writer."""
    roles = ("os:admin", "os:operator", "os:reader", "os:etcd:backup", "os:impersonator")
    return roles + (("os:image:verifier", "os:meta:writer") if minor >= 14 else ())
