"""Talos's checks of runtime documents (types/runtime and types/runtime/extensions).

Ports environment.go, etc_file.go (Validate, validateEtcFilePath), event_sink.go, extensions/service_config.go,
kernel_module.go, kmsg_log.go, oom.go (CEL trigger and ranking expressions), sysctl.go, sysfs.go,
unattended_install.go and watchdog_timer.go at v1.14.0-rc.1 (v1.12.9 and v1.13.9 have the same checks where they
have the document).
"""

from __future__ import annotations

import re

from ...golang.durations import SECOND
from ...golang.filepath import is_local
from ...golang.netip import split_host_port
from ...golang.strconv import quote
from ..cel import compile_selector
from ..registry import Context, Document, document_check, not_applicable
from ..values import duration, items, mapping, text, url_of

MIN_WATCHDOG_TIMEOUT = 10 * SECOND  # runtime.MinWatchdogTimeout
_POSIX_ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # runtime.POSIX1EnvKeyRegex
# etc_file.go managedEtcFiles and managedEtcPrefixes: what Talos itself writes under /etc
MANAGED_ETC_FILES = ("resolv.conf", "hosts", "machine-id", "extensions.yaml", "localtime", "os-release", "xattr.conf")
MANAGED_ETC_PREFIXES = ("apparmor.d/", "apparmor/", "ca-certificates/", "cni/", "cri/", "iscsi/", "kubernetes/",
                        "lvm/", "nvme/", "pki/", "selinux/", "ssl/")


@document_check("EnvironmentConfig", "R367")
def environment_config(document: Document, ctx: Context) -> None:
    """EnvironmentV1Alpha1.Validate: POSIX variable names."""
    for key in sorted(map(str, mapping(document.get("variables")))):
        if not _POSIX_ENV_KEY.fullmatch(key):
            ctx.fail("R367", f"invalid environment variable name: {quote(key)}")


def etc_file_path_problem(path: str) -> tuple[str, str] | None:
    """validateEtcFilePath: a local path that Talos does not manage."""
    if not is_local(path) or path.startswith("."):
        return "R369", f"user etc file {quote(path)} must be a local path"
    if path in MANAGED_ETC_FILES:
        return "R370", f"user etc file {quote(path)} is managed by Talos"
    if any(path == prefix.rstrip("/") or path.startswith(prefix) for prefix in MANAGED_ETC_PREFIXES):
        return "R371", f"user etc file {quote(path)} is managed by Talos"
    return None


@document_check("EtcFileConfig", "R368", "R369", "R370", "R371")
def etc_file_config(document: Document, ctx: Context) -> None:
    """EtcFileConfigV1Alpha1.Validate."""
    name = text(document.get("name"))
    if not name:
        ctx.fail("R368", "user etc file name cannot be empty")
    elif problem := etc_file_path_problem(name):
        ctx.fail(*problem)


@document_check("EventSinkConfig", "R372")
def event_sink_config(document: Document, ctx: Context) -> None:
    """EventSinkV1Alpha1.Validate: a host:port endpoint."""
    try:
        split_host_port(text(document.get("endpoint")))
    except ValueError as error:
        ctx.fail("R372", f"event sink endpoint: {error}")


@document_check("ExtensionServiceConfig", "R373", "R374", "R376", "R377")
def extension_service_config(document: Document, ctx: Context) -> None:
    """extensions.ServiceConfigV1Alpha1.Validate: the first problem only, as Talos returns it."""
    name = text(document.get("name"))
    files = items(document.get("configFiles"))
    if not name:
        ctx.fail("R373", "name is required")
    elif not files and not items(document.get("environment")):
        ctx.fail("R374", f"no config files found for extension {quote(name)}")
    else:
        for file in map(mapping, files):
            if not text(file.get("content")):
                ctx.fail("R376", f"extension content is required for extension {quote(name)}")
                return
            if not text(file.get("mountPath")):
                ctx.fail("R377", f"extension mount path is required for extension {quote(name)}")
                return


@document_check("KernelModuleConfig", "R378")
def kernel_module_config(document: Document, ctx: Context) -> None:
    """KernelModuleConfigV1Alpha1.Validate."""
    if not text(document.get("name")):
        ctx.fail("R378", "name is required")


@document_check("KmsgLogConfig", "R379", "R380", "R381", "R382", "R383")
def kmsg_log_config(document: Document, ctx: Context) -> None:
    """KmsgLogV1Alpha1.Validate: a tcp:// or udp:// URL with a port and no path (the first problem only)."""
    url = url_of(document.get("url"))
    if not text(document.get("name")):
        ctx.fail("R379", "name is required")
    elif url is None:
        ctx.fail("R380", "url is required")
    elif url.scheme not in ("tcp", "udp"):
        ctx.fail("R381", "url scheme must be tcp:// or udp://")
    elif url.path not in ("", "/"):
        ctx.fail("R382", "url path must be empty")
    elif not url.port:
        ctx.fail("R383", "url port is required")


@document_check("OOMConfig", "R384", "R385", "R386")
def oom_config(document: Document, ctx: Context) -> None:
    """OOMV1Alpha1.Validate: the CEL trigger (bool) and ranking (double) expressions, a sample interval >= 0."""
    if problem := compile_selector(text(document.get("triggerExpression")), "OOMTrigger", ctx.minor):
        ctx.fail("R384", f"OOM trigger expression is invalid: {problem}")
    ranking = text(document.get("cgroupRankingExpression"))
    if problem := compile_selector(ranking, "OOMCgroupScoring", ctx.minor, output="double"):
        ctx.fail("R385", f"OOM cgroup scoring expression is invalid: {problem}")
    if duration(document.get("sampleInterval")) < 0:
        ctx.fail("R386", "OOM sample interval must be longer than 0")


@document_check("SysctlConfig", "R387")
def sysctl_config(document: Document, ctx: Context) -> None:
    """SysctlConfigV1Alpha1.Validate."""
    if "" in map(text, mapping(document.get("params"))):
        ctx.fail("R387", "sysctl key cannot be empty")


@document_check("SysfsConfig", "R388")
def sysfs_config(document: Document, ctx: Context) -> None:
    """SysfsConfigV1Alpha1.Validate."""
    if "" in map(text, mapping(document.get("params"))):
        ctx.fail("R388", "sysfs key cannot be empty")


@document_check("UnattendedInstallConfig", "R389", "R390")
def unattended_install_config(document: Document, ctx: Context) -> None:
    """UnattendedInstallConfigV1Alpha1.Validate: a disk selector (Talos words it volumeSelector)."""
    match = text(mapping(mapping(document.get("provisioning")).get("diskSelector")).get("match"))
    if not match:
        ctx.fail("R389", "provisioning.volumeSelector.match is required")
    elif problem := compile_selector(match, "DiskLocator", ctx.minor):
        ctx.fail("R390", f"provisioning.volumeSelector.match: {problem}")


@document_check("WatchdogTimerConfig", "R392", "R393")
def watchdog_timer_config(document: Document, ctx: Context) -> None:
    """WatchdogTimerV1Alpha1.Validate."""
    if not text(document.get("device")):
        ctx.fail("R392", "watchdog device: empty value")
        return
    timeout = duration(document.get("timeout"))
    if timeout and timeout < MIN_WATCHDOG_TIMEOUT:
        ctx.fail("R393", "watchdog timeout: minimum value is 10s")


not_applicable("unreachable in Talos: extensions/service_config.go reports R374 first under the same condition "
               "(no config files and no environment)", "R375")
