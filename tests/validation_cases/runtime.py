"""Cases for types/runtime: environment, /etc files, event sinks, extension services, kernel modules, kmsg log,
OOM, sysctl, sysfs, unattended install and watchdog documents.

From Talos v1.14.0-rc.1 pkg/machinery/config/types/runtime/**/*_test.go, named in each case's source.
"""

from __future__ import annotations

from typing import Any

from . import Case

Document = dict[str, Any]


def doc(kind: str, **fields: Any) -> Document:
    return {"apiVersion": "v1alpha1", "kind": kind, **fields}


def test(name: str) -> str:
    return f"runtime/{name}"


CASES = [
    Case("R367", lambda: [doc("EnvironmentConfig", variables={"INVALID-CHAR": "x"})],
         'invalid environment variable name: "INVALID-CHAR"', minor=13,
         source=test("environment_test.go TestEnvironmentValidate/invalid - contains invalid character")),
    Case("R368", lambda: [doc("EtcFileConfig", mode=0o644, contents="x")], "user etc file name cannot be empty",
         source=test("etc_file_test.go TestEtcFileValidate/empty")),
    Case("R369", lambda: [doc("EtcFileConfig", name="../passwd", mode=0o644, contents="x")],
         'user etc file "../passwd" must be a local path', source="runtime/etc_file.go validateEtcFilePath"),
    Case("R370", lambda: [doc("EtcFileConfig", name="resolv.conf", mode=0o644, contents="x")],
         'user etc file "resolv.conf" is managed by Talos',
         source=test("etc_file_test.go TestEtcFileValidate/resolv.conf")),
    Case("R371", lambda: [doc("EtcFileConfig", name="cri/conf.d/foo.part", mode=0o644, contents="x")],
         'user etc file "cri/conf.d/foo.part" is managed by Talos',
         source=test("etc_file_test.go TestEtcFileValidate/cri prefix")),
    Case("R372", lambda: [doc("EventSinkConfig", endpoint="10.0.0.1")],
         "event sink endpoint: address 10.0.0.1: missing port in address", minor=12,
         source=test("event_sink_test.go TestEventSinkValidate/just IP")),
    Case("R373", lambda: [doc("ExtensionServiceConfig", environment=["FOO=BAR"])], "name is required", minor=12,
         source="runtime/extensions/service_config.go Validate"),
    Case("R374", lambda: [doc("ExtensionServiceConfig", name="foo")], 'no config files found for extension "foo"',
         source="runtime/extensions/service_config.go Validate"),
    Case("R376", lambda: [doc("ExtensionServiceConfig", name="foo", configFiles=[{"mountPath": "/etc/foo"}])],
         'extension content is required for extension "foo"', source="runtime/extensions/service_config.go Validate"),
    Case("R377", lambda: [doc("ExtensionServiceConfig", name="foo", configFiles=[{"content": "hello"}])],
         'extension mount path is required for extension "foo"',
         source="runtime/extensions/service_config.go Validate"),
    Case("R378", lambda: [doc("KernelModuleConfig")], "name is required",
         source=test("kernel_module_test.go TestKernelModuleValidate/empty")),
    Case("R379", lambda: [doc("KmsgLogConfig", url="tcp://127.0.0.1:1234")], "name is required",
         source=test("kmsg_log_test.go TestKmsgLogValidate/empty")),
    Case("R380", lambda: [doc("KmsgLogConfig", name="sink")], "url is required",
         source=test("kmsg_log_test.go TestKmsgLogValidate/no URL")),
    Case("R381", lambda: [doc("KmsgLogConfig", name="sink", url="https://kmsglog.api/logs")],
         "url scheme must be tcp:// or udp://", source=test("kmsg_log_test.go TestKmsgLogValidate/wrong scheme")),
    Case("R382", lambda: [doc("KmsgLogConfig", name="sink", url="tcp://10.0.0.1:1234/logs")],
         "url path must be empty", source=test("kmsg_log_test.go TestKmsgLogValidate/extra path")),
    Case("R383", lambda: [doc("KmsgLogConfig", name="sink", url="udp://10.0.0.1")], "url port is required",
         source=test("kmsg_log_test.go TestKmsgLogValidate/no port")),
    Case("R384", lambda: [doc("OOMConfig", triggerExpression="memory_full_avg10 > 12")],
         "OOM trigger expression is invalid: ERROR: <input>:1:19: found no matching overload for '_>_' applied to "
         "'(double, int)'", source="runtime/oom.go Validate"),
    Case("R385", lambda: [doc("OOMConfig", cgroupRankingExpression="disk.transport")],
         "OOM cgroup scoring expression is invalid: ERROR: <input>:1:1: undeclared reference to 'disk' (in "
         "container '')\n | disk.transport\n | ^", source=test("oom_test.go TestOOMValidate/invalid expression")),
    Case("R386", lambda: [doc("OOMConfig", sampleInterval="-1s")], "OOM sample interval must be longer than 0",
         source="runtime/oom.go Validate"),
    Case("R387", lambda: [doc("SysctlConfig", params={"": "1"})], "sysctl key cannot be empty",
         source=test("sysctl_test.go TestSysctlValidate/invalid - empty key")),
    Case("R388", lambda: [doc("SysfsConfig", params={"": "1"})], "sysfs key cannot be empty",
         source=test("sysfs_test.go TestSysfsValidate/invalid - empty key")),
    Case("R389", lambda: [doc("UnattendedInstallConfig", installer={"image": "ghcr.io/x:latest"})],
         "provisioning.volumeSelector.match is required",
         source=test("unattended_install_test.go TestUnattendedInstallValidate/empty")),
    Case("R390", lambda: [doc("UnattendedInstallConfig", provisioning={"diskSelector": {"match": "1 + 2"}})],
         "provisioning.volumeSelector.match: expression output type is int, expected bool",
         source=test("unattended_install_test.go TestUnattendedInstallValidate/invalid match expression")),
    Case("R390", lambda: [doc("UnattendedInstallConfig", provisioning={"diskSelector": {"match": "volume.size > 0u"}})],
         "provisioning.volumeSelector.match: ERROR: <input>:1:1: undeclared reference to 'volume' (in container '')",
         source="runtime/unattended_install.go: disks are selected in the DiskLocator environment"),
    Case("R392", lambda: [doc("WatchdogTimerConfig")], "watchdog device: empty value",
         source=test("watchdog_timer_test.go TestWatchdogTimerValidate/empty")),
    Case("R393", lambda: [doc("WatchdogTimerConfig", device="/dev/watchdog1", timeout="-1m")],
         "watchdog timeout: minimum value is 10s",
         source=test("watchdog_timer_test.go TestWatchdogTimerValidate/negative timeout")),
    Case("R393", lambda: [doc("WatchdogTimerConfig", device="/dev/watchdog0", timeout="5s")],
         "watchdog timeout: minimum value is 10s",
         source=test("watchdog_timer_test.go TestWatchdogTimerValidate/small timeout")),
]
