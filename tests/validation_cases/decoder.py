"""Cases for the decoder's rules (configloader/internal/decoder/decoder.go), from decoder_test.go TestDecoder and
TestDoubleV1Alpha1 (testdata/double/v1alpha1.yaml) where they exist; and for the values each Go type refuses while
decoding (decoder_values.py, per decoded_fields.py), in every kind that has the type."""

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
         "error decoding  to *v1alpha1.Config: yaml: construct errors: machine.kubelet.extraArgs: expected a mapping"),
    Case("R444", lambda: [with_(worker(), "machine.install.diskSelector.size", ">= 10 XB")],
         "failed to parse disk size  10 XB: unhandled size name: xb"),
    # what passed every check before the decoder read Go's types (the values of issue 18's integration brief)
    Case("R011", lambda: [typed("VLANConfig", name="eth0.10", vlanID=10, parent="eth0", vlanMode="802.1x")],
         "error decoding VLANConfig to *network.VLANConfigV1Alpha1: yaml: construct errors: vlanMode: 802.1x does not "
         "belong to VLANProtocol values", source="nethelpers vlanprotocol enumer: 802.1q and 802.1ad"),
    Case("R011", lambda: [typed("LinkConfig", name="eth0", addresses=[{"address": "bogus"}])],
         """addresses[0].address: netip.ParsePrefix("bogus"): no '/'""", source="netip.Prefix.UnmarshalText"),
    Case("R011", lambda: [typed("ResolverConfig", nameservers=[{"address": "1.1.1.1", "protocol": "DoQ"}])],
         "nameservers[0].protocol: DoQ does not belong to DNSProtocol values", source="nethelpers DNSProtocolString"),
    Case("R011", lambda: [typed("BGPInstanceConfig", name="fabric", localASN=65001, neighbors=[
        {"address": "10.5.0.1", "peerASN": 65000, "holdTime": 5}])],
         "neighbors[0].holdTime: cannot construct !!int `5` into time.Duration",
         source="go-yaml v4 constructor.go: an integer duration is refused unless 0"),
    Case("R011", lambda: [typed("ResolverConfig", nameservers=[{"address": "1.1.1.300"}])],
         'nameservers[0].address: ParseAddr("1.1.1.300"): IPv4 field has value >255', source="netip.ParseAddr"),
    Case("R011", lambda: [typed("KubeSpanEndpointsConfig", extraAnnouncedEndpoints=["192.0.2.1"])],
         "extraAnnouncedEndpoints[0]: not an ip:port", source="netip.ParseAddrPort"),
    Case("R011", lambda: [typed("BondConfig", name="bond0", links=["eth0"], bondMode="802.3ad",
                                hardwareAddr="00:1g:2b:3c:4d:5e")],
         "hardwareAddr: encoding/hex: invalid byte: U+0067 'g'", source="nethelpers.HardwareAddr.UnmarshalText"),
    Case("R011", lambda: [typed("BondConfig", name="bond0", links=["eth0"], bondMode="802.3ad", failOverMac="3")],
         "failOverMac: invalid fail_over_mac value 3", source="nethelpers/failovermac.go UnmarshalText"),
    Case("R011", lambda: [typed("VLANConfig", name="eth0.10", vlanID=70000, parent="eth0")],
         "vlanID: cannot construct !!int `70000` into uint16", source="go-yaml v4: an integer out of its Go type"),
    Case("R011", lambda: [typed("SideroLinkConfig", apiUrl="https://[::1")],
         """apiUrl: parse "https://[::1": missing ']' in host""", source="meta.URL.UnmarshalYAML (url.Parse)"),
    Case("R011", lambda: [with_(worker(), "machine.ca", {"crt": "not base64!"})],
         "machine.ca.crt: illegal base64 data at input byte 3",
         source="siderolabs/crypto x509 PEMEncodedCertificateAndKey.UnmarshalYAML"),
    Case("R011", lambda: [with_(worker(), "machine.time.bootTimeout", "2 minutes")],
         "machine.time.bootTimeout: cannot unmarshal !!str `2 minutes` into time.Duration", minor=12,
         source="go-yaml v4.0.0-rc.3 (Talos v1.12): unmarshal errors"),
]
