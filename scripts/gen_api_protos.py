"""Regenerate the Python message modules of the Talos API subset from the .proto files next to them.

    python scripts/gen_api_protos.py [OUTPUT_DIR]   (default: components/talos/api/proto, in place)

protoc writes imports by proto path (``from common import common_pb2``); they are rewritten to the
package path so the modules import from anywhere. tests/test_api_protos.py regenerates into a temporary
directory and requires byte-identical output, so the committed modules never drift from the .proto files.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "components" / "talos" / "api" / "proto"
PACKAGE = "components.talos.api.proto"
_LOCAL_IMPORT = re.compile(r"^from (common|machine|storage|cosi) import ", re.MULTILINE)


def proto_files() -> list[Path]:
    return sorted(PROTO_ROOT.rglob("*.proto"))


def generate(output: Path) -> list[Path]:
    """Run protoc (from grpcio-tools) over every .proto file; return the files written."""
    import google.rpc
    from grpc_tools import protoc

    googleapis = Path(next(iter(google.rpc.__path__))).parent.parent  # ships google/rpc/status.proto
    well_known = Path(protoc.__file__).parent / "_proto"
    sources = [str(path.relative_to(PROTO_ROOT)) for path in proto_files()]
    arguments = ["protoc", f"-I{PROTO_ROOT}", f"-I{googleapis}", f"-I{well_known}",
                 f"--python_out={output}", f"--pyi_out={output}", *sources]
    if protoc.main(arguments) != 0:
        raise SystemExit("protoc failed; see the messages above")
    written = []
    for path in sorted(output.rglob("*_pb2.py*")):
        text = _LOCAL_IMPORT.sub(lambda m: f"from {PACKAGE}.{m.group(1)} import ", path.read_text())
        path.write_text(text)
        written.append(path)
    for directory in {path.parent for path in written}:
        (directory / "__init__.py").touch()
    return written


def main() -> int:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else PROTO_ROOT
    for path in generate(output):
        print(path.relative_to(output))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
