"""Talos's checks of the v1.14 Kubernetes control plane documents (types/k8s).

Ports apiserver.go (Validate, validateArgs), controller_manager.go, scheduler.go, proxy.go, kubelet.go,
common.go (ResourcesConfig.Validate), aggregator_ca.go, apiserver_ca.go, service_account.go, authorization.go,
admission_control.go, etcd_encryption.go, flannel.go and kubeprism.go at v1.14.0-rc.1.

Image tags are checked against the Talos release the node runs (compatibility.ValidateKubernetesImageTag), as
Talos does when it applies a config; ``talosctl validate`` skips that check (validation.WithLocal), and so does a
context whose ``local`` attribute is true.
"""

from __future__ import annotations

from ..golang import clip, go_quote
from ..imageref import kubernetes_image_problem
from ..pemcheck import CERTIFICATE, assert_valid_pem, certificate_and_key_problem, key_problem
from ..registry import Context, Document, document_check
from .syscommon import Report, listing, mapping, text

# kubelet.ProtectedConfigurationFields (pkg/machinery/kubelet/kubelet.go)
KUBELET_PROTECTED_FIELDS = ("apiVersion", "authentication", "authorization", "cgroupRoot", "kind", "kubeletCgroups",
                            "port", "protectKernelDefaults", "resolvConf", "rotateCertificates", "systemCgroups",
                            "staticPodPath", "seccompDefault")
# apiserver.go validateArgs deniedPrefixes: what belongs in KubeAuthenticationConfig / KubeAuthorizationConfig
APISERVER_DENIED_PREFIXES = {"anonymous-auth": "use KubeAuthenticationConfig",
                             "authentication-config": "use KubeAuthenticationConfig",
                             "authorization-config": "use KubeAuthorizationConfig",
                             "authorization-mode": "use KubeAuthorizationConfig",
                             "authorization-webhook-": "use KubeAuthorizationConfig",
                             "oidc-": "use KubeAuthenticationConfig"}
AUTHORIZER_TYPES = ("Node", "RBAC", "Webhook")  # allowedAuthorizationAuthorizerTypes


def _image(report: Report, document: Document, component: str, rules: tuple[str, str]) -> None:
    """The image of a control plane pod: required, and (on the node) a Kubernetes version Talos supports."""
    image = text(document.get("image"))
    empty, invalid = rules
    if not image:
        report.fail(empty, f"{component} image cannot be empty")
    elif not getattr(report.ctx, "local", False) and (problem := kubernetes_image_problem(image, report.minor)):
        report.fail(invalid, f"{component} image is not valid: {problem}")


def _resources(report: Report, document: Document) -> None:
    """ResourcesConfig.Validate: requests and limits name only memory and cpu (the first other key fails)."""
    resources = mapping(document.get("resources"))
    for section in ("requests", "limits"):
        unsupported = sorted(str(key) for key in mapping(resources.get(section)) if key not in ("memory", "cpu"))
        if unsupported:
            report.fail("R166", f"unsupported pod resource {go_quote(unsupported[0])}")
            return


def _disabled(document: Document) -> bool:
    return document.get("enabled") is False


@document_check("KubeAPIServerConfig", "R147", "R148", "R149", "R166")
def kube_apiserver_config(document: Document, ctx: Context) -> None:
    """KubeAPIServerConfigV1Alpha1.Validate."""
    report = Report(ctx, document, "*k8s.KubeAPIServerConfigV1Alpha1")
    _image(report, document, "kube-apiserver", ("R147", "R148"))
    for prefix, advice in sorted(APISERVER_DENIED_PREFIXES.items()):
        for argument in sorted(map(str, mapping(document.get("extraArgs")))):
            if argument.startswith(prefix):
                report.fail("R149", f"kube-apiserver extra argument {go_quote(argument)} is not allowed: {advice}")
    _resources(report, document)


def _pod(report: Report, component: str, rules: tuple[str, str]) -> None:
    """A control plane pod that can be disabled: when enabled, its image and resources."""
    if not _disabled(report.document):
        _image(report, report.document, component, rules)
        _resources(report, report.document)


@document_check("KubeControllerManagerConfig", "R167", "R168")
def kube_controller_manager_config(document: Document, ctx: Context) -> None:
    """KubeControllerManagerConfigV1Alpha1.Validate (nothing when disabled)."""
    _pod(Report(ctx, document, "*k8s.KubeControllerManagerConfigV1Alpha1"), "kube-controller-manager",
         ("R167", "R168"))


@document_check("KubeSchedulerConfig", "R220", "R221")
def kube_scheduler_config(document: Document, ctx: Context) -> None:
    """KubeSchedulerConfigV1Alpha1.Validate (nothing when disabled)."""
    _pod(Report(ctx, document, "*k8s.KubeSchedulerConfigV1Alpha1"), "scheduler", ("R220", "R221"))


@document_check("KubeProxyConfig", "R216", "R217", "R218")
def kube_proxy_config(document: Document, ctx: Context) -> None:
    """KubeProxyConfigV1Alpha1.Validate (nothing when disabled, as Cilium's kube-proxy replacement has it)."""
    if _disabled(document):
        return
    report = Report(ctx, document, "*k8s.KubeProxyConfigV1Alpha1")
    _image(report, document, "proxy", ("R216", "R217"))
    mode = text(document.get("mode"))
    if mode not in ("", "nftables", "iptables", "ipvs"):
        report.fail("R218", f"invalid proxy mode {go_quote(mode)}: supported modes are iptables, ipvs and nftables")
    _resources(report, document)


@document_check("KubeletConfig", "R183", "R184", "R185")
def kubelet_config(document: Document, ctx: Context) -> None:
    """KubeletConfigV1Alpha1.Validate: an image, and no override of the fields Talos manages."""
    report = Report(ctx, document, "*k8s.KubeletConfigV1Alpha1")
    _image(report, document, "kubelet", ("R183", "R184"))
    config = mapping(document.get("config"))
    for field in KUBELET_PROTECTED_FIELDS:
        if field in config:
            report.fail("R185", f"kubelet configuration field {go_quote(field)} can't be overridden")


@document_check("KubeFlannelCNIConfig", "R179")
def kube_flannel_cni_config(document: Document, ctx: Context) -> None:
    """KubeFlannelCNIConfigV1Alpha1.Validate."""
    report = Report(ctx, document, "*k8s.KubeFlannelCNIConfigV1Alpha1")
    if not text(document.get("backendType")):
        report.fail("R179", "flannel backend type must be specified")
    _resources(report, document)


@document_check("KubePrismConfig", "R187")
def kube_prism_config(document: Document, ctx: Context) -> None:
    """KubePrismConfigV1Alpha1.Validate."""
    port = document.get("port")
    port = 0 if port is None else port
    if isinstance(port, int) and not isinstance(port, bool) and not 1 <= port <= 65535:
        Report(ctx, document, "*k8s.KubePrismConfigV1Alpha1").fail(
            "R187", f"invalid port {port}: must be in range 1-65535")


def _accepted_cas(report: Report, document: Document, rule: str) -> None:
    for index, ca in enumerate(listing(document.get("acceptedCAs"))):
        if (problem := assert_valid_pem(text(ca), CERTIFICATE)) is not None:
            report.fail(rule, f"accepted CA #{index}: {problem}")


@document_check("KubeAggregatorCAConfig", "R143", "R144", "R145")
def kube_aggregator_ca_config(document: Document, ctx: Context) -> None:
    """KubeAggregatorCAConfigV1Alpha1.Validate: an issuing CA that loads, and PEM accepted CAs."""
    report = Report(ctx, document, "*k8s.KubeAggregatorCAConfigV1Alpha1")
    if document.get("issuingCA") is None:
        report.fail("R143", "issuing CA is not set")
    elif (problem := certificate_and_key_problem(document.get("issuingCA"), try_loading=True)) is not None:
        report.fail("R144", f"issuing CA: {problem}")
    _accepted_cas(report, document, "R145")


@document_check("KubeAPIServerCAConfig", "R152", "R153")
def kube_apiserver_ca_config(document: Document, ctx: Context) -> None:
    """KubeAPIServerCAConfigV1Alpha1.Validate: the issuing CA (if any) loads, accepted CAs are PEM."""
    report = Report(ctx, document, "*k8s.KubeAPIServerCAConfigV1Alpha1")
    problem = certificate_and_key_problem(document.get("issuingCA"), try_loading=True)
    if problem is not None:
        report.fail("R152", f"issuing CA: {problem}")
    _accepted_cas(report, document, "R153")


@document_check("KubeServiceAccountConfig", "R224", "R225", "R226")
def kube_service_account_config(document: Document, ctx: Context) -> None:
    """KubeServiceAccountConfigV1Alpha1.Validate: an issuer key that loads and an issuer URL."""
    report = Report(ctx, document, "*k8s.KubeServiceAccountConfigV1Alpha1")
    issuer = mapping(document.get("issuer"))
    private_key = text(issuer.get("privateKey"))
    if not private_key:
        report.fail("R224", "service issuer private key is required")
    elif (problem := key_problem(private_key, colon=False)) is not None:
        report.fail("R225", f"service issuer private key is invalid: {problem}")
    if report.url(issuer.get("issuerURL")) is None:
        report.fail("R226", "service issuer URL is required")
    for issuer_url in listing(mapping(document.get("accepted")).get("issuers")):
        report.url(issuer_url)


@document_check("KubeAuthorizerConfig", "R156", "R157", "R158", "R159")
def kube_authorizer_config(document: Document, ctx: Context) -> None:
    """KubeAuthorizerConfigV1Alpha1.Validate."""
    report = Report(ctx, document, "*k8s.KubeAuthorizerConfigV1Alpha1")
    if not text(document.get("name")):
        report.fail("R156", "authorizer name is required")
    kind = text(document.get("type"))
    if not kind:
        report.fail("R157", "authorizer type is required")
    if kind not in AUTHORIZER_TYPES:
        allowed = " ".join(AUTHORIZER_TYPES)
        report.fail("R158", f"authorizer type {clip(kind)} is not allowed, allowed types are [{allowed}]")
    if kind == "Webhook" and not mapping(document.get("webhook")):
        report.fail("R159", "authorizer webhook configuration is required for Webhook authorizer type")


@document_check("KubeAdmissionControlConfig", "R141")
def kube_admission_control_config(document: Document, ctx: Context) -> None:
    """KubeAdmissionControlConfigV1Alpha1.Validate."""
    if not text(document.get("name")):
        Report(ctx, document, "*k8s.KubeAdmissionControlConfigV1Alpha1").fail(
            "R141", "admission control plugin name is required")


@document_check("KubeEtcdEncryptionConfig", "R173")
def kube_etcd_encryption_config(document: Document, ctx: Context) -> None:
    """KubeEtcdEncryptionConfigV1Alpha1.Validate."""
    if not mapping(document.get("config")):
        Report(ctx, document, "*k8s.KubeEtcdEncryptionConfigV1Alpha1").fail(
            "R173", "etcd encryption config is required")
