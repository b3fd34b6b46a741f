"""Talos's checks of the v1.14 Kubernetes control plane documents (types/k8s).

Ports apiserver.go (Validate, validateArgs), controller_manager.go, scheduler.go, proxy.go, kubelet.go,
common.go (ResourcesConfig.Validate), aggregator_ca.go, apiserver_ca.go, service_account.go, authorization.go,
admission_control.go, etcd_encryption.go, flannel.go and kubeprism.go at v1.14.0-rc.1.

Image tags are checked against the Talos release the node runs (compatibility.ValidateKubernetesImageTag), as
Talos does when it applies a config; ``talosctl validate`` skips that check (validation.WithLocal: ``ctx.local``).
"""

from __future__ import annotations

from ...golang.strconv import clip, quote
from ..certificates import CERTIFICATE, certificate_and_key_error, key_problem, pem_error
from ..kubernetes import AUTHORIZER_TYPES, KUBELET_PROTECTED_FIELDS, image_version_error, resources_error
from ..registry import Context, Document, document_check
from ..values import items, mapping, number, text, url_of

# apiserver.go validateArgs deniedPrefixes: what belongs in KubeAuthenticationConfig / KubeAuthorizationConfig
APISERVER_DENIED_PREFIXES = {"anonymous-auth": "use KubeAuthenticationConfig",
                             "authentication-config": "use KubeAuthenticationConfig",
                             "authorization-config": "use KubeAuthorizationConfig",
                             "authorization-mode": "use KubeAuthorizationConfig",
                             "authorization-webhook-": "use KubeAuthorizationConfig",
                             "oidc-": "use KubeAuthenticationConfig"}


def _image(document: Document, ctx: Context, component: str, rules: tuple[str, str]) -> None:
    """The image of a control plane pod: required, and (on the node) a Kubernetes version Talos supports."""
    image = text(document.get("image"))
    empty, invalid = rules
    if not image:
        ctx.fail(empty, f"{component} image cannot be empty")
    elif not ctx.local and (problem := image_version_error(image, ctx.minor, ctx.talos_version)):
        ctx.fail(invalid, f"{component} image is not valid: {problem}")


def _resources(document: Document, ctx: Context) -> None:
    """ResourcesConfig.Validate (k8s/common.go)."""
    if problem := resources_error(document.get("resources")):
        ctx.fail("R166", problem)


def _disabled(document: Document) -> bool:
    return document.get("enabled") is False


@document_check("KubeAPIServerConfig", "R147", "R148", "R149", "R166")
def kube_apiserver_config(document: Document, ctx: Context) -> None:
    """KubeAPIServerConfigV1Alpha1.Validate."""
    _image(document, ctx, "kube-apiserver", ("R147", "R148"))
    for prefix, advice in sorted(APISERVER_DENIED_PREFIXES.items()):
        for argument in sorted(map(str, mapping(document.get("extraArgs")))):
            if argument.startswith(prefix):
                ctx.fail("R149", f"kube-apiserver extra argument {quote(argument)} is not allowed: {advice}")
    _resources(document, ctx)


def _pod(document: Document, ctx: Context, component: str, rules: tuple[str, str]) -> None:
    """A control plane pod that can be disabled: when enabled, its image and resources."""
    if not _disabled(document):
        _image(document, ctx, component, rules)
        _resources(document, ctx)


@document_check("KubeControllerManagerConfig", "R167", "R168")
def kube_controller_manager_config(document: Document, ctx: Context) -> None:
    """KubeControllerManagerConfigV1Alpha1.Validate (nothing when disabled)."""
    _pod(document, ctx, "kube-controller-manager", ("R167", "R168"))


@document_check("KubeSchedulerConfig", "R220", "R221")
def kube_scheduler_config(document: Document, ctx: Context) -> None:
    """KubeSchedulerConfigV1Alpha1.Validate (nothing when disabled)."""
    _pod(document, ctx, "scheduler", ("R220", "R221"))


@document_check("KubeProxyConfig", "R216", "R217", "R218")
def kube_proxy_config(document: Document, ctx: Context) -> None:
    """KubeProxyConfigV1Alpha1.Validate (nothing when disabled, as Cilium's kube-proxy replacement has it)."""
    if _disabled(document):
        return
    _image(document, ctx, "proxy", ("R216", "R217"))
    mode = text(document.get("mode"))
    if mode not in ("", "nftables", "iptables", "ipvs"):
        ctx.fail("R218", f"invalid proxy mode {quote(mode)}: supported modes are iptables, ipvs and nftables")
    _resources(document, ctx)


@document_check("KubeletConfig", "R183", "R184", "R185")
def kubelet_config(document: Document, ctx: Context) -> None:
    """KubeletConfigV1Alpha1.Validate: an image, and no override of the fields Talos manages."""
    _image(document, ctx, "kubelet", ("R183", "R184"))
    config = mapping(document.get("config"))
    for field in KUBELET_PROTECTED_FIELDS:
        if field in config:
            ctx.fail("R185", f"kubelet configuration field {quote(field)} can't be overridden")


@document_check("KubeFlannelCNIConfig", "R179")
def kube_flannel_cni_config(document: Document, ctx: Context) -> None:
    """KubeFlannelCNIConfigV1Alpha1.Validate."""
    if not text(document.get("backendType")):
        ctx.fail("R179", "flannel backend type must be specified")
    _resources(document, ctx)


@document_check("KubePrismConfig", "R187")
def kube_prism_config(document: Document, ctx: Context) -> None:
    """KubePrismConfigV1Alpha1.Validate."""
    port = number(document.get("port"))
    if not 1 <= port <= 65535:
        ctx.fail("R187", f"invalid port {port}: must be in range 1-65535")


def _issuing_ca(document: Document, ctx: Context, rule: str) -> None:
    """``issuing CA: %w`` of CertificateAndKey.Validate(tryLoading: true); a shape-only render has none to load."""
    issuing = mapping(document.get("issuingCA"))
    if ctx.secret_unknown(issuing.get("cert")) and ctx.secret_unknown(issuing.get("key")):
        return
    if found := certificate_and_key_error(document.get("issuingCA"), try_loading=True):
        ctx.fail(rule, f"issuing CA: {found[1]}", inner=(found[0], *found[2]))


def _accepted_cas(document: Document, ctx: Context, rule: str) -> None:
    """``accepted CA #%d: %w`` of meta.AssertValidPEM for each accepted CA."""
    for index, ca in enumerate(items(document.get("acceptedCAs"))):
        if not ctx.secret_unknown(ca) and (problem := pem_error(text(ca), CERTIFICATE)):
            ctx.fail(rule, f"accepted CA #{index}: {problem[1]}", inner=problem[0])


_CA_RULES = ("R234", "R235", "R236", "R237", "R238", "R239", "R240", "R241")  # the sites these CA checks wrap


@document_check("KubeAggregatorCAConfig", "R143", "R144", "R145", *_CA_RULES)
def kube_aggregator_ca_config(document: Document, ctx: Context) -> None:
    """KubeAggregatorCAConfigV1Alpha1.Validate: an issuing CA that loads, and PEM accepted CAs."""
    if document.get("issuingCA") is None:
        ctx.fail("R143", "issuing CA is not set")
    else:
        _issuing_ca(document, ctx, "R144")
    _accepted_cas(document, ctx, "R145")


@document_check("KubeAPIServerCAConfig", "R152", "R153", *_CA_RULES)
def kube_apiserver_ca_config(document: Document, ctx: Context) -> None:
    """KubeAPIServerCAConfigV1Alpha1.Validate: the issuing CA (if any) loads, accepted CAs are PEM."""
    _issuing_ca(document, ctx, "R152")
    _accepted_cas(document, ctx, "R153")


@document_check("KubeServiceAccountConfig", "R224", "R225", "R226")
def kube_service_account_config(document: Document, ctx: Context) -> None:
    """KubeServiceAccountConfigV1Alpha1.Validate: an issuer key that loads and an issuer URL."""
    issuer = mapping(document.get("issuer"))
    private_key = issuer.get("privateKey")
    if not ctx.has_secret(private_key):
        ctx.fail("R224", "service issuer private key is required")
    elif not ctx.secret_unknown(private_key) and (problem := key_problem(text(private_key), colon=False)):
        ctx.fail("R225", f"service issuer private key is invalid: {problem}")
    if url_of(issuer.get("issuerURL")) is None:
        ctx.fail("R226", "service issuer URL is required")


@document_check("KubeAuthorizerConfig", "R156", "R157", "R158", "R159")
def kube_authorizer_config(document: Document, ctx: Context) -> None:
    """KubeAuthorizerConfigV1Alpha1.Validate."""
    if not text(document.get("name")):
        ctx.fail("R156", "authorizer name is required")
    kind = text(document.get("type"))
    if not kind:
        ctx.fail("R157", "authorizer type is required")
    if kind not in AUTHORIZER_TYPES:
        allowed = " ".join(AUTHORIZER_TYPES)
        ctx.fail("R158", f"authorizer type {clip(kind)} is not allowed, allowed types are [{allowed}]")
    if kind == "Webhook" and not mapping(document.get("webhook")):
        ctx.fail("R159", "authorizer webhook configuration is required for Webhook authorizer type")


@document_check("KubeAdmissionControlConfig", "R141")
def kube_admission_control_config(document: Document, ctx: Context) -> None:
    """KubeAdmissionControlConfigV1Alpha1.Validate."""
    if not text(document.get("name")):
        ctx.fail("R141", "admission control plugin name is required")


@document_check("KubeEtcdEncryptionConfig", "R173")
def kube_etcd_encryption_config(document: Document, ctx: Context) -> None:
    """KubeEtcdEncryptionConfigV1Alpha1.Validate."""
    if not mapping(document.get("config")):
        ctx.fail("R173", "etcd encryption config is required")
