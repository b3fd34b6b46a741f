"""The API subset speaks Talos's wire format: generated code matches the .proto files, and every call the
client makes exists in the service descriptors with the right message types."""

from __future__ import annotations

import filecmp

import pytest
from google.protobuf import descriptor_pool

from components.talos.api import methods
from components.talos.api.proto.machine import machine_pb2
from scripts.gen_api_protos import PROTO_ROOT, generate

pytest.importorskip("grpc_tools", reason="grpcio-tools (requirements-dev.txt) regenerates the modules")


def test_committed_modules_are_exactly_what_the_generator_makes_from_the_proto_files(tmp_path):
    written = generate(tmp_path)
    assert written, "the generator wrote nothing"
    for path in written:
        committed = PROTO_ROOT / path.relative_to(tmp_path)
        assert committed.exists(), f"{committed} is missing: run python scripts/gen_api_protos.py"
        assert filecmp.cmp(path, committed, shallow=False), f"{committed} is stale: run scripts/gen_api_protos.py"


@pytest.mark.parametrize("method", methods.ALL, ids=lambda m: m.path)
def test_every_call_matches_its_service_descriptor(method):
    pool = descriptor_pool.Default()
    service = pool.FindServiceByName(method.service)
    descriptor = service.methods_by_name[method.name]
    assert descriptor.input_type.full_name == method.request.DESCRIPTOR.full_name
    assert descriptor.output_type.full_name == method.reply.DESCRIPTOR.full_name
    assert descriptor.server_streaming == method.streaming
    assert descriptor.client_streaming == method.uploads


def test_field_numbers_are_talos_numbers():
    fields = machine_pb2.ApplyConfigurationRequest.DESCRIPTOR.fields_by_name
    assert {name: fields[name].number for name in fields} == {"data": 1, "mode": 4, "dry_run": 5,
                                                               "try_mode_timeout": 6}
    assert machine_pb2.EtcdMember.DESCRIPTOR.fields_by_name["id"].number == 2
    assert machine_pb2.ApplyConfigurationRequest.REBOOT == 0 and machine_pb2.ApplyConfigurationRequest.TRY == 4
