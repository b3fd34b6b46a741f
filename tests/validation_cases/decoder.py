"""Cases for the decoder's rules (configloader/internal/decoder/decoder.go), from decoder_test.go TestDecoder and
TestDoubleV1Alpha1 (testdata/double/v1alpha1.yaml) where they exist."""

from __future__ import annotations

from . import Case
from ._configs import typed, with_, worker

_SOURCE = "configloader/internal/decoder/decoder_test.go"

CASES: list[Case] = [
    Case("R001", list, "decode error: line 5", source=f"{_SOURCE} TestDecoder/tab instead of spaces",
         text="---\nkind: mock\napiVersion: v1alpha1\nspec:\n\ttest: true\n"),
    Case("R001", list, "decode error: not UTF-8 text", source=f"{_SOURCE} TestDecoder/internal error",
         text=b":   \xea"),
    Case("R004", list, "expected a YAML document at line 2", text="---\n- machine: {}\n"),
    Case("R004", list, "expected a YAML document at line 1", text="just text\n"),
    Case("R005", lambda: [worker(), worker()], "duplicate document /v1alpha1/ is not allowed",
         source=f"{_SOURCE} TestDoubleV1Alpha1"),
    Case("R005", list, "duplicate document v1alpha1/LinkConfig/eth0 is not allowed (line 5)",
         text="apiVersion: v1alpha1\nkind: LinkConfig\nname: eth0\n---\napiVersion: v1alpha1\nkind: LinkConfig\n"
              "name: eth0\n"),
    Case("R006", lambda: [{"apiVersion": "v1alpha2", "test": True}],
         "error decoding document v1alpha2/v1alpha1/: missing kind", source=f"{_SOURCE} TestDecoder/missing kind"),
    Case("R006", list, "error decoding document v1alpha2/v1alpha1/ (line 2): missing kind",
         source=f"{_SOURCE} TestDecoder/empty kind", text="---\nkind:\napiVersion: v1alpha2\ntest: true\n"),
    Case("R006", lambda: [{"apiversion": "v1alpha1", "kind": "ExtensionServiceConfig", "name": "nut-client"}],
         "error decoding document /ExtensionServiceConfig/nut-client: missing apiVersion",
         source=f"{_SOURCE} TestDecoder/misspelled apiVersion"),
    Case("R006", lambda: [typed("KubeSpanEndpoints", extraAnnouncedEndpoints=["1.2.3.4:5"])],
         '"KubeSpanEndpoints" "v1alpha1": not registered'),
    Case("R006", lambda: [typed("ImageVerificationConfig")], '"ImageVerificationConfig" "v1alpha1": not registered',
         minor=12),
    Case("R006", lambda: [{"apiVersion": "v1alpha2", "kind": "LinkConfig", "name": "eth0"}],
         '"LinkConfig" "v1alpha2": not registered'),
    Case("R006", lambda: [with_(worker(), "machine.install.diskk", "/dev/sda")],
         "unknown keys found during decoding: machine.install.diskk: unknown field; did you mean 'disk'?",
         source=f"{_SOURCE} TestDecoder/extra fields in map"),
    Case("R008", lambda: [{"apiVersion": "v1alpha1", "kind": {"name": "LinkConfig"}}],
         "kind decode: yaml: unmarshal errors: cannot unmarshal !!map into string"),
    Case("R010", lambda: [{"apiVersion": ["v1alpha1"], "kind": "LinkConfig"}],
         "version decode: yaml: unmarshal errors: cannot unmarshal !!seq into string"),
    Case("R011", lambda: [with_(worker(), "machine.kubelet.extraArgs", ["--foo"])],
         "error decoding  to *v1alpha1.Config: yaml: unmarshal errors: machine.kubelet.extraArgs: expected a mapping"),
    Case("R444", lambda: [with_(worker(), "machine.install.diskSelector.size", ">= 10 XB")],
         "failed to parse disk size  10 XB: unhandled size name: xb"),
]
