"""`masked_config` is stored in plain text and shown in previews and pull-request comments: no secret may
reach it, wherever a definition puts one — substituted or decrypted values, file contents, environment
maps, manifests and their headers, registry auth, extension service environments, and the bundle's keys."""

from __future__ import annotations

import copy
import functools
import string
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from components.talos.definition import load
from components.talos.definition.render import render_node_text
from components.talos.documents import decode, encode
from components.talos.masking import masked_config
from components.talos.secrets import SecretsBundle
from components.talos.versions import parse_contract

from .emulated import example_definition, fresh_subnet

SECRET = st.text(alphabet=string.ascii_letters + string.digits + "+/=_-", min_size=8, max_size=40)


@functools.cache
def rendered_worker() -> tuple[dict[str, Any], ...]:
    definition = load.parse_definition(example_definition("homelab", fresh_subnet()), "homelab.yaml", environ={})
    bundle = SecretsBundle.generate(parse_contract(definition.talos_version))
    return tuple(decode(render_node_text(definition, definition.workers[0], bundle), "worker"))


def with_secrets(secrets: list[str]) -> list[dict[str, Any]]:
    documents = copy.deepcopy(list(rendered_worker()))
    legacy = next(document for document in documents if "machine" in document)
    machine, cluster = legacy["machine"], legacy["cluster"]
    machine["files"] = [{"content": f"token = {secrets[0]}\n", "path": "/var/etc/app.conf", "op": "create",
                         "permissions": 0o600}]
    machine["env"] = {"HTTPS_PROXY": f"http://user:{secrets[1]}@proxy.lan:3128"}
    cluster["inlineManifests"] = [{"name": "creds", "contents": f"kind: Secret\nstringData:\n  key: {secrets[2]}\n"}]
    cluster["extraManifestHeaders"] = {"Authorization": f"Bearer {secrets[3]}"}
    machine["registries"] = {"config": {"ghcr.io": {"auth": {"username": secrets[4], "password": secrets[5]}}}}
    documents.append({"apiVersion": "v1alpha1", "kind": "ExtensionServiceConfig", "name": "tailscale",
                      "environment": [f"TS_AUTHKEY={secrets[6]}"],
                      "configFiles": [{"content": secrets[7], "mountPath": "/etc/ts"}]})
    machine["nodeLabels"] = {**(machine.get("nodeLabels") or {}), "owner": secrets[8]}  # from ${OWNER}
    machine["network"] = {**(machine.get("network") or {}), "hostname": f"edge-{secrets[9]}"}  # from ${SITE}
    return documents


@functools.cache
def masked_without_secrets() -> str:
    """The masked text with placeholders: a random "secret" that occurs in it anyway (a field name such as
    nodeLabels, a hostname) proves nothing about masking."""
    placeholders = [f"placeholder-{index}" for index in range(10)]
    return masked_config(encode(with_secrets(placeholders)), sensitive=set(placeholders[8:]))


@settings(max_examples=40, deadline=None)
@given(st.lists(SECRET, min_size=10, max_size=10, unique=True))
def test_no_secret_reaches_the_masked_config_wherever_the_definition_puts_it(secrets):
    assume(not any(secret in masked_without_secrets() for secret in secrets))
    masked = masked_config(encode(with_secrets(secrets)), sensitive={secrets[8], secrets[9]})
    leaked = [secret for secret in secrets if secret in masked]
    assert not leaked, leaked


def test_the_bundles_own_secrets_never_reach_the_masked_config():
    documents = list(rendered_worker())
    masked = masked_config(encode(documents))
    legacy = next(document for document in documents if "machine" in document)
    for value in (legacy["machine"]["token"], legacy["machine"]["ca"]["crt"], legacy["cluster"]["secret"],
                  legacy["cluster"]["token"], legacy["cluster"]["ca"]["crt"]):
        assert value not in masked


def test_masking_keeps_what_a_reviewer_needs_to_see():
    masked = masked_config(encode(with_secrets([f"s{index:08d}" for index in range(10)])), sensitive={"s00000008"})
    assert "HTTPS_PROXY" in masked and "/var/etc/app.conf" in masked and "creds" in masked and "owner" in masked
    assert "s00000008" not in masked and "tailscale" in masked
