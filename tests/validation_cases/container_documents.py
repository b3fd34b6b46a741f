"""Cases for types/container (v1.14): ContainerConfig.

From Talos v1.14.0-rc.1 pkg/machinery/config/types/container/*_test.go, named in each case's source.
"""

from __future__ import annotations

from typing import Any

from . import Case

Document = dict[str, Any]
ERRORS_TEST = "container/container_config_test.go TestContainerConfigValidationErrors"


def container(**fields: Any) -> Document:
    fields.setdefault("name", "nginx")
    fields.setdefault("image", "nginx")
    return {"apiVersion": "v1alpha1", "kind": "ContainerConfig", **fields}


def tmpfs(destination: str = "/tmp", **fields: Any) -> Document:
    return {"tmpfs": {"destination": destination, **fields}}


CASES = [
    Case("R100", lambda: [container(name="")], "name is required", source=f"{ERRORS_TEST}/no name"),
    Case("R101", lambda: [container(name="n" * 64)], "must be 63 characters or fewer",
         source="container/container_config_test.go TestContainerConfigValidateName/name over max length"),
    Case("R102", lambda: [container(name="NGINX")],
         'name "NGINX": name can only contain lowercase ASCII letters, digits and hyphens',
         source=f"{ERRORS_TEST}/uppercase name"),
    Case("R096", lambda: [container(image="")], "image is required", source=f"{ERRORS_TEST}/no image"),
    Case("R095", lambda: [container(image="not a ref")],
         'invalid image reference "not a ref": could not parse reference: not a ref',
         source=f"{ERRORS_TEST}/unparseable image"),
    Case("R109", lambda: [container(runAs={"uid": -1})], "runAs.uid must be non-negative, got -1",
         source=f"{ERRORS_TEST}/negative uid"),
    Case("R110", lambda: [container(runAs={"gid": -1})], "runAs.gid must be non-negative, got -1",
         source=f"{ERRORS_TEST}/negative gid"),
    Case("R097", lambda: [container(environment=["BROKEN"])], 'environment[0]: "BROKEN" must be in KEY=value form',
         source=f"{ERRORS_TEST}/environment without ="),
    Case("R105", lambda: [container(mounts=[{}])],
         "mounts[0]: exactly one of userVolume, tmpfs or hostPath must be set",
         source=f"{ERRORS_TEST}/mount with no source"),
    Case("R104", lambda: [container(mounts=[tmpfs("tmp")])],
         'mounts[0]: tmpfs.destination "tmp" must be an absolute path',
         source=f"{ERRORS_TEST}/relative destination"),
    Case("R098", lambda: [container(mounts=[{"tmpfs": {"destination": "/tmp"}},
                                            {"hostPath": {"destination": "/dev"}}])],
         "mounts[1]: hostPath.source is required", source="container_config.go:295 wraps ContainerMount.Validate"),
    Case("R103", lambda: [container(mounts=[{"hostPath": {"destination": "/dev"}}])],
         "mounts[0]: hostPath.source is required",
         source="container/container_config_test.go TestValidateAbsPath/empty path"),
    Case("R106", lambda: [container(mounts=[{"userVolume": {"destination": "/data"}}])],
         "mounts[0]: userVolume.name is required",
         source="container/mounts_test.go TestUserVolumeMountValidate/missing name"),
    Case("R099", lambda: [container(mounts=[tmpfs(), tmpfs()])], 'mounts[1]: duplicate destination "/tmp"',
         source=f"{ERRORS_TEST}/duplicate destinations"),
    Case("R108", lambda: [container(mounts=[tmpfs(options=["ro", "rw"])])],
         "mounts[0]: mount options ro and rw are mutually exclusive", source=f"{ERRORS_TEST}/ro and rw together"),
    Case("R107", lambda: [container(mounts=[tmpfs(options=["sync"])])], 'mounts[0]: unsupported mount option "sync"',
         source=f"{ERRORS_TEST}/unknown mount option"),
    Case("R119", lambda: [container(security={"profile": "yolo"})],
         'unsupported security profile "yolo", expected restricted or privileged',
         source=f"{ERRORS_TEST}/unknown security profile"),
    Case("R123", lambda: [container(security={"capabilities": {"add": ["CAP_NET_ADMIN"]}})],
         'capabilities.add: capability "CAP_NET_ADMIN" must be given without the CAP_ prefix',
         source="container/security_test.go TestValidateCapabilityName/CAP_ prefix"),
    Case("R120", lambda: [container(security={"capabilities": {"add": ["ALL"]}})],
         "capabilities.add does not accept ALL, use profile: privileged instead", source=f"{ERRORS_TEST}/ALL in add"),
    Case("R121", lambda: [container(security={"capabilities": {"add": ["NET_ADMIN"], "drop": ["NET_ADMIN"]}})],
         'capability "NET_ADMIN" appears in both add and drop', source=f"{ERRORS_TEST}/capability in both lists"),
    Case("R122", lambda: [container(security={"capabilities": {"add": [""]}})],
         "capabilities.add: capability name must not be empty",
         source="container/security_test.go TestValidateCapabilityName/empty capability"),
    Case("R124", lambda: [container(security={"capabilities": {"drop": ["net_admin"]}})],
         'capabilities.drop: capability "net_admin" must be upper case',
         source="container/security_test.go TestValidateCapabilityName/lowercase"),
    Case("R125", lambda: [container(security={"capabilities": {"add": ["NET_ADMIN2"]}})],
         'capability "NET_ADMIN2" may only contain upper case letters and underscores',
         source="container/security_test.go TestValidateCapabilityName/invalid character digit"),
    Case("R111", lambda: [container(network={"mode": "bridge"})],
         'unsupported network mode "bridge", expected none or host', source=f"{ERRORS_TEST}/unknown network mode"),
    Case("R113", lambda: [container(resources={"limits": {"cpu": "2"}})],
         'limits.cpu "2" must be expressed in millicores, e.g. 1500m', source=f"{ERRORS_TEST}/cpu without millicores"),
    Case("R114", lambda: [container(resources={"limits": {"cpu": "1.5m"}})],
         'limits.cpu "1.5m" is not a valid millicore quantity: strconv.ParseUint: parsing "1.5": invalid syntax',
         source="container/runtime.go parseMillicores"),
    Case("R115", lambda: [container(resources={"limits": {"cpu": "0m"}})], 'limits.cpu "0m" must be greater than zero',
         source=f"{ERRORS_TEST}/zero cpu"),
    Case("R112", lambda: [container(resources={"limits": {"memory": "lots"}})],
         'limits.memory "lots" is not a valid size: strconv.ParseFloat: parsing "": invalid syntax',
         source=f"{ERRORS_TEST}/bad memory size"),
    Case("R116", lambda: [container(dependsOn={"networks": ["dns"]})],
         'unsupported dependsOn.networks condition "dns"', source=f"{ERRORS_TEST}/unknown network condition"),
    Case("R104", lambda: [container(dependsOn={"paths": ["var/mnt/data"]})],
         'dependsOn.paths entry "var/mnt/data" must be an absolute path',
         source=f"{ERRORS_TEST}/relative dependsOn path"),
    Case("R117", lambda: [container(dependsOn={"containers": [""]})], "dependsOn.containers entry must not be empty",
         source="container/runtime.go ContainerDependsOn.Validate"),
    Case("R118", lambda: [container(dependsOn={"containers": ["nginx"]})], 'container "nginx" cannot depend on itself',
         source=f"{ERRORS_TEST}/self dependency"),
]
