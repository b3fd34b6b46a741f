"""The OCI runtime spec as Go's encoding/json decodes it, for CRIBaseRuntimeSpecConfig's overrides.

Talos (types/cri/base_runtime_spec.go Validate) marshals the overrides to JSON and unmarshals them into
specs.Spec of github.com/opencontainers/runtime-spec v1.3.0 (Talos v1.14's go.mod). encoding/json ignores keys it
does not know and matches the others case-insensitively; a value of the wrong JSON type for its field fails with
an UnmarshalTypeError, the first one found being reported. ``STRUCTS`` is specs-go/config.go's structs at v1.3.0
(Go field types as spelled there; key "" lists embedded structs), ``NAMED`` its named string types.
"""

from __future__ import annotations

import json
import math
from typing import Any

STRUCTS: dict[str, dict[str, Any]] = {'Box': {'height': 'uint', 'width': 'uint'},
 'CPUAffinity': {'initial': 'string', 'final': 'string'},
 'FreeBSD': {'devices': '[]FreeBSDDevice', 'jail': '*FreeBSDJail'},
 'FreeBSDDevice': {'path': 'string', 'mode': '*os.FileMode'},
 'FreeBSDJail': {'parent': 'string',
                 'host': 'FreeBSDSharing',
                 'ip4': 'FreeBSDSharing',
                 'ip4Addr': '[]string',
                 'ip6': 'FreeBSDSharing',
                 'ip6Addr': '[]string',
                 'vnet': 'FreeBSDSharing',
                 'interface': 'string',
                 'vnetInterfaces': '[]string',
                 'sysvmsg': 'FreeBSDSharing',
                 'sysvsem': 'FreeBSDSharing',
                 'sysvshm': 'FreeBSDSharing',
                 'enforceStatfs': '*int',
                 'allow': '*FreeBSDJailAllow'},
 'FreeBSDJailAllow': {'setHostname': 'bool',
                      'rawSockets': 'bool',
                      'chflags': 'bool',
                      'mount': '[]string',
                      'quotas': 'bool',
                      'socketAf': 'bool',
                      'mlock': 'bool',
                      'reservedPorts': 'bool',
                      'suser': 'bool'},
 'HWConfig': {'deviceTree': 'string',
              'vcpus': '*uint32',
              'memory': '*uint64',
              'dtdevs': '[]string',
              'iomems': '[]IOMems',
              'irqs': '[]uint32'},
 'Hook': {'path': 'string', 'args': '[]string', 'env': '[]string', 'timeout': '*int'},
 'Hooks': {'prestart': '[]Hook',
           'createRuntime': '[]Hook',
           'createContainer': '[]Hook',
           'startContainer': '[]Hook',
           'poststart': '[]Hook',
           'poststop': '[]Hook'},
 'IOMems': {'firstGFN': '*uint64', 'firstMFN': '*uint64', 'nrMFNs': '*uint64'},
 'Linux': {'uidMappings': '[]LinuxIDMapping',
           'gidMappings': '[]LinuxIDMapping',
           'sysctl': 'map[string]string',
           'resources': '*LinuxResources',
           'cgroupsPath': 'string',
           'namespaces': '[]LinuxNamespace',
           'devices': '[]LinuxDevice',
           'netDevices': 'map[string]LinuxNetDevice',
           'seccomp': '*LinuxSeccomp',
           'rootfsPropagation': 'string',
           'maskedPaths': '[]string',
           'readonlyPaths': '[]string',
           'mountLabel': 'string',
           'intelRdt': '*LinuxIntelRdt',
           'memoryPolicy': '*LinuxMemoryPolicy',
           'personality': '*LinuxPersonality',
           'timeOffsets': 'map[string]LinuxTimeOffset'},
 'LinuxBlockIO': {'weight': '*uint16',
                  'leafWeight': '*uint16',
                  'weightDevice': '[]LinuxWeightDevice',
                  'throttleReadBpsDevice': '[]LinuxThrottleDevice',
                  'throttleWriteBpsDevice': '[]LinuxThrottleDevice',
                  'throttleReadIOPSDevice': '[]LinuxThrottleDevice',
                  'throttleWriteIOPSDevice': '[]LinuxThrottleDevice'},
 'LinuxBlockIODevice': {'major': 'int64', 'minor': 'int64'},
 'LinuxCPU': {'shares': '*uint64',
              'quota': '*int64',
              'burst': '*uint64',
              'period': '*uint64',
              'realtimeRuntime': '*int64',
              'realtimePeriod': '*uint64',
              'cpus': 'string',
              'mems': 'string',
              'idle': '*int64'},
 'LinuxCapabilities': {'bounding': '[]string',
                       'effective': '[]string',
                       'inheritable': '[]string',
                       'permitted': '[]string',
                       'ambient': '[]string'},
 'LinuxDevice': {'path': 'string',
                 'type': 'string',
                 'major': 'int64',
                 'minor': 'int64',
                 'fileMode': '*os.FileMode',
                 'uid': '*uint32',
                 'gid': '*uint32'},
 'LinuxDeviceCgroup': {'allow': 'bool',
                       'type': 'string',
                       'major': '*int64',
                       'minor': '*int64',
                       'access': 'string'},
 'LinuxHugepageLimit': {'pageSize': 'string', 'limit': 'uint64'},
 'LinuxIDMapping': {'containerID': 'uint32', 'hostID': 'uint32', 'size': 'uint32'},
 'LinuxIOPriority': {'class': 'IOPriorityClass', 'priority': 'int'},
 'LinuxIntelRdt': {'closID': 'string',
                   'schemata': '[]string',
                   'l3CacheSchema': 'string',
                   'memBwSchema': 'string',
                   'enableMonitoring': 'bool'},
 'LinuxInterfacePriority': {'name': 'string', 'priority': 'uint32'},
 'LinuxMemory': {'limit': '*int64',
                 'reservation': '*int64',
                 'swap': '*int64',
                 'kernel': '*int64',
                 'kernelTCP': '*int64',
                 'swappiness': '*uint64',
                 'disableOOMKiller': '*bool',
                 'useHierarchy': '*bool',
                 'checkBeforeUpdate': '*bool'},
 'LinuxMemoryPolicy': {'mode': 'MemoryPolicyModeType', 'nodes': 'string', 'flags': '[]MemoryPolicyFlagType'},
 'LinuxNamespace': {'type': 'LinuxNamespaceType', 'path': 'string'},
 'LinuxNetDevice': {'name': 'string'},
 'LinuxNetwork': {'classID': '*uint32', 'priorities': '[]LinuxInterfacePriority'},
 'LinuxPersonality': {'domain': 'LinuxPersonalityDomain', 'flags': '[]LinuxPersonalityFlag'},
 'LinuxPids': {'limit': '*int64'},
 'LinuxRdma': {'hcaHandles': '*uint32', 'hcaObjects': '*uint32'},
 'LinuxResources': {'devices': '[]LinuxDeviceCgroup',
                    'memory': '*LinuxMemory',
                    'cpu': '*LinuxCPU',
                    'pids': '*LinuxPids',
                    'blockIO': '*LinuxBlockIO',
                    'hugepageLimits': '[]LinuxHugepageLimit',
                    'network': '*LinuxNetwork',
                    'rdma': 'map[string]LinuxRdma',
                    'unified': 'map[string]string'},
 'LinuxSeccomp': {'defaultAction': 'LinuxSeccompAction',
                  'defaultErrnoRet': '*uint',
                  'architectures': '[]Arch',
                  'flags': '[]LinuxSeccompFlag',
                  'listenerPath': 'string',
                  'listenerMetadata': 'string',
                  'syscalls': '[]LinuxSyscall'},
 'LinuxSeccompArg': {'index': 'uint', 'value': 'uint64', 'valueTwo': 'uint64', 'op': 'LinuxSeccompOperator'},
 'LinuxSyscall': {'names': '[]string',
                  'action': 'LinuxSeccompAction',
                  'errnoRet': '*uint',
                  'args': '[]LinuxSeccompArg'},
 'LinuxThrottleDevice': {'rate': 'uint64', '': ('LinuxBlockIODevice',)},
 'LinuxTimeOffset': {'secs': 'int64', 'nanosecs': 'uint32'},
 'LinuxWeightDevice': {'weight': '*uint16', 'leafWeight': '*uint16', '': ('LinuxBlockIODevice',)},
 'Mount': {'destination': 'string',
           'type': 'string',
           'source': 'string',
           'options': '[]string',
           'uidMappings': '[]LinuxIDMapping',
           'gidMappings': '[]LinuxIDMapping'},
 'POSIXRlimit': {'type': 'string', 'hard': 'uint64', 'soft': 'uint64'},
 'Process': {'terminal': 'bool',
             'consoleSize': '*Box',
             'user': 'User',
             'args': '[]string',
             'commandLine': 'string',
             'env': '[]string',
             'cwd': 'string',
             'capabilities': '*LinuxCapabilities',
             'rlimits': '[]POSIXRlimit',
             'noNewPrivileges': 'bool',
             'apparmorProfile': 'string',
             'oomScoreAdj': '*int',
             'scheduler': '*Scheduler',
             'selinuxLabel': 'string',
             'ioPriority': '*LinuxIOPriority',
             'execCPUAffinity': '*CPUAffinity'},
 'Root': {'path': 'string', 'readonly': 'bool'},
 'Scheduler': {'policy': 'LinuxSchedulerPolicy',
               'nice': 'int32',
               'priority': 'int32',
               'flags': '[]LinuxSchedulerFlag',
               'runtime': 'uint64',
               'deadline': 'uint64',
               'period': 'uint64'},
 'Solaris': {'milestone': 'string',
             'limitpriv': 'string',
             'maxShmMemory': 'string',
             'anet': '[]SolarisAnet',
             'cappedCPU': '*SolarisCappedCPU',
             'cappedMemory': '*SolarisCappedMemory'},
 'SolarisAnet': {'linkname': 'string',
                 'lowerLink': 'string',
                 'allowedAddress': 'string',
                 'configureAllowedAddress': 'string',
                 'defrouter': 'string',
                 'linkProtection': 'string',
                 'macAddress': 'string'},
 'SolarisCappedCPU': {'ncpus': 'string'},
 'SolarisCappedMemory': {'physical': 'string', 'swap': 'string'},
 'Spec': {'ociVersion': 'string',
          'process': '*Process',
          'root': '*Root',
          'hostname': 'string',
          'domainname': 'string',
          'mounts': '[]Mount',
          'hooks': '*Hooks',
          'annotations': 'map[string]string',
          'linux': '*Linux',
          'solaris': '*Solaris',
          'windows': '*Windows',
          'vm': '*VM',
          'zos': '*ZOS',
          'freebsd': '*FreeBSD'},
 'User': {'uid': 'uint32',
          'gid': 'uint32',
          'umask': '*uint32',
          'additionalGids': '[]uint32',
          'username': 'string'},
 'VM': {'hypervisor': 'VMHypervisor', 'kernel': 'VMKernel', 'image': 'VMImage', 'hwconfig': '*HWConfig'},
 'VMHypervisor': {'path': 'string', 'parameters': '[]string'},
 'VMImage': {'path': 'string', 'format': 'string'},
 'VMKernel': {'path': 'string', 'parameters': '[]string', 'initrd': 'string'},
 'Windows': {'layerFolders': '[]string',
             'devices': '[]WindowsDevice',
             'resources': '*WindowsResources',
             'credentialSpec': 'interface{}',
             'servicing': 'bool',
             'ignoreFlushesDuringBoot': 'bool',
             'hyperv': '*WindowsHyperV',
             'network': '*WindowsNetwork'},
 'WindowsCPUGroupAffinity': {'mask': 'uint64', 'group': 'uint32'},
 'WindowsCPUResources': {'count': '*uint64',
                         'shares': '*uint16',
                         'maximum': '*uint16',
                         'affinity': '[]WindowsCPUGroupAffinity'},
 'WindowsDevice': {'id': 'string', 'idType': 'string'},
 'WindowsHyperV': {'utilityVMPath': 'string'},
 'WindowsMemoryResources': {'limit': '*uint64'},
 'WindowsNetwork': {'endpointList': '[]string',
                    'allowUnqualifiedDNSQuery': 'bool',
                    'DNSSearchList': '[]string',
                    'networkSharedContainerName': 'string',
                    'networkNamespace': 'string'},
 'WindowsResources': {'memory': '*WindowsMemoryResources',
                      'cpu': '*WindowsCPUResources',
                      'storage': '*WindowsStorageResources'},
 'WindowsStorageResources': {'iops': '*uint64', 'bps': '*uint64', 'sandboxSize': '*uint64'},
 'ZOS': {'namespaces': '[]ZOSNamespace'},
 'ZOSNamespace': {'type': 'ZOSNamespaceType', 'path': 'string'}}
NAMED = {'Arch': 'string',
 'FreeBSDSharing': 'string',
 'IOPriorityClass': 'string',
 'LinuxNamespaceType': 'string',
 'LinuxPersonalityDomain': 'string',
 'LinuxPersonalityFlag': 'string',
 'LinuxSchedulerFlag': 'string',
 'LinuxSchedulerPolicy': 'string',
 'LinuxSeccompAction': 'string',
 'LinuxSeccompFlag': 'string',
 'LinuxSeccompOperator': 'string',
 'MemoryPolicyFlagType': 'string',
 'MemoryPolicyModeType': 'string',
 'ZOSNamespaceType': 'string'}

_INTEGERS = {"int": (-(1 << 63), (1 << 63) - 1), "int32": (-(1 << 31), (1 << 31) - 1),
             "int64": (-(1 << 63), (1 << 63) - 1), "uint": (0, (1 << 64) - 1), "uint8": (0, 255),
             "uint16": (0, 65535), "uint32": (0, (1 << 32) - 1), "uint64": (0, (1 << 64) - 1),
             "os.FileMode": (0, (1 << 32) - 1)}
_FLOATS = ("float32", "float64")


def marshal_problem(value: Any) -> str | None:
    """json.Marshal of the decoded YAML: a mapping with a non-string key, or a NaN/Inf, cannot be encoded."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if any(not isinstance(key, str) for key in item):
                return "json: unsupported type: map[interface {}]interface {}"
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float) and not math.isfinite(item):
            return f"json: unsupported value: {'NaN' if math.isnan(item) else '+Inf' if item > 0 else '-Inf'}"
    return None


def unmarshal_problem(overrides: dict[str, Any]) -> str | None:
    """json.Unmarshal(overrides, &specs.Spec{}): the first UnmarshalTypeError's message, or None."""
    return _decode(overrides, "Spec", "Spec", [])


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _go_type(spelled: str) -> str:
    """reflect.Type.String() of a spec field type (pointers dereferenced, as json reports them)."""
    base = spelled.lstrip("*")
    if base.startswith("[]"):
        return "[]" + _go_type(base[2:])
    if base.startswith("map[string]"):
        return "map[string]" + _go_type(base[len("map[string]"):])
    if base == "os.FileMode":
        return "fs.FileMode"
    if base in STRUCTS or base in NAMED:
        return "specs." + base
    return base


def _mismatch(value: Any, spelled: str, struct: str, path: list[str]) -> str:
    kind = _json_kind(value)
    if kind == "number":
        kind = "number " + json.dumps(value)
    return f"json: cannot unmarshal {kind} into Go struct field {struct}.{'.'.join(path)} of type {_go_type(spelled)}"


def _field(struct: str, key: str) -> tuple[str, str] | None:
    """The (JSON name, type) of `key` in a struct, promoted embedded fields included; exact match first."""
    fields = dict(STRUCTS[struct])
    for embedded in fields.pop("", ()):
        fields.update({name: kind for name, kind in STRUCTS[embedded].items() if name})
    if key in fields:
        return key, fields[key]
    folded = [name for name in fields if name.lower() == key.lower()]
    return (folded[0], fields[folded[0]]) if folded else None


def _decode(value: Any, spelled: str, struct: str, path: list[str]) -> str | None:
    if value is None or spelled == "interface{}":
        return None
    base = spelled.lstrip("*")
    base = NAMED.get(base, base) if base not in STRUCTS else base
    if base.startswith("[]"):
        if not isinstance(value, list):
            return _mismatch(value, spelled, struct, path)
        return next((p for item in value if (p := _decode(item, base[2:], struct, path))), None)
    if base.startswith("map[string]"):
        if not isinstance(value, dict):
            return _mismatch(value, spelled, struct, path)
        element = base[len("map[string]"):]
        return next((p for item in value.values() if (p := _decode(item, element, struct, path))), None)
    if base in STRUCTS:
        if not isinstance(value, dict):
            return _mismatch(value, spelled, struct, path)
        for key, item in value.items():
            field = _field(base, str(key))
            if field and (problem := _decode(item, field[1], base, [*path, field[0]])):
                return problem
        return None
    return _scalar_problem(value, spelled, base, struct, path)


def _scalar_problem(value: Any, spelled: str, base: str, struct: str, path: list[str]) -> str | None:
    if base == "string":
        ok = isinstance(value, str)
    elif base == "bool":
        ok = isinstance(value, bool)
    elif base in _INTEGERS:
        low, high = _INTEGERS[base]
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer() \
            and low <= value <= high
    elif base in _FLOATS:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = True  # a type this table does not describe: never refused here
    return None if ok else _mismatch(value, spelled, struct, path)
