"""``$patch: delete`` in strategic merge patches, as Talos reads and applies them (siderolabs/talos
pkg/machinery/config/configloader/internal/decoder delete.go and selector.go, v1.14.0-rc.1).

Reading a patch document takes its delete markers out (delete.go AppendDeletesTo): each becomes a selector,
placed before what is left of the document. A selector deletes a whole document, a field or map key (its
path), or the first item of a list whose field has a given text (a marker inside a list item: the item's first
other key and value). Applying one walks the document's Go types (merge_table.py): a struct field is cleared
even where it was never set, a map key or a pointer that is not there fails with "lookup failed", and a list
item is found only by a string field or one whose type has a String() method (meta.Prefix compares as
10.0.0.1/24), never by a number or a bool, as reflect's Value.String gives those no text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import PatchError
from .gomerge import ABSENT, value_of
from .merge_table import STRUCTS

DELETE_KEY = "$patch"
DELETE_VALUE = "delete"
_EMPTY_DOC_KEYS = {"version", "kind", "name"}  # delete.go isEmptyDoc: a document left with only these is dropped


@dataclass(frozen=True)
class Selector:
    """A delete selector (selector.go): what to delete, in which document."""

    api_version: str
    kind: str  # "v1alpha1" for the legacy document
    name: str
    path: tuple[str, ...]  # keys down to the deleted one; a list item's path ends with its "[i]"
    key: str = ""  # set for a list item: the field it is selected by, and its text
    value: str = ""

    @property
    def document_id(self) -> str:
        ident = f"{self.api_version}/{self.kind}"
        return f"{ident}/{self.name}" if self.name else ident

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


class _Lookup(Exception):
    """selector.go ErrLookupFailed."""


def _is_marker(key: Any, value: Any) -> bool:
    return bool(key == DELETE_KEY and value == DELETE_VALUE)


def _root_value(root: dict[str, Any], key: str, path: list[str]) -> str:
    value = root.get(key)
    if value is None or isinstance(value, dict | list):
        if not path:  # a whole-document delete needs both (delete.go findValue, required)
            raise PatchError(f"missing {key} in document for which $patch: delete is used")
        return ""
    return str(value)


def _selector(root: dict[str, Any], path: list[str], key: str = "", value: str = "") -> Selector:
    """delete.go makeSelector."""
    api_version = _root_value(root, "apiVersion", path)
    kind = _root_value(root, "kind", path)
    if not kind and not api_version:
        kind = "v1alpha1"
    elif not (kind and api_version):
        raise PatchError(f"kind and apiVersion must be both set for path {'.'.join(path)}")
    name = root.get("name")
    return Selector(api_version, kind, "" if name is None or isinstance(name, dict | list) else str(name),
                    tuple(path), key, value)


def _item_selector(root: dict[str, Any], path: list[str], item: dict[str, Any]) -> Selector:
    """delete.go makeSequenceSelector: the item's first key and value other than the marker."""
    for key, value in item.items():
        if _is_marker(key, value):
            continue
        text = "" if isinstance(value, dict | list) or value is None else \
            ("true" if value is True else "false" if value is False else str(value))
        return _selector(root, path, str(key), text)
    raise PatchError(f"no key:val found in sequence node for path {'.'.join(path)}")


def extract(document: dict[str, Any]) -> tuple[list[Selector], dict[str, Any] | None]:
    """delete.go AppendDeletesTo on one patch document: its selectors in document order, and what is left of
    the document (None when nothing is: a whole-document delete, or only version/kind/name keys)."""
    selectors: list[Selector] = []

    def visit(node: Any, path: list[str], parent_is_list: bool) -> bool:
        """processNode: True when `node` is to be removed from its parent."""
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if _is_marker(key, value):
                    if not path:
                        selectors.append(_selector(document, []))
                    elif parent_is_list:
                        selectors.append(_item_selector(document, path, node))
                    else:
                        if any(part.startswith("[") for part in path):
                            raise PatchError(f"cannot delete an inner key in '{'.'.join(path)}'")
                        selectors.append(_selector(document, path))
                    return True
                if visit(value, [*path, str(key)], False):
                    del node[key]
                    if not node:
                        return True
        elif isinstance(node, list):
            index = 0
            while index < len(node):
                if visit(node[index], [*path, f"[{index}]"], True):
                    del node[index]
                    if not node:
                        return True
                    continue
                index += 1
        return False

    if visit(document, [], False):
        return selectors, None
    if all(key in _EMPTY_DOC_KEYS and not isinstance(value, dict | list) for key, value in document.items()):
        return selectors, None
    return selectors, document


# ------------------------------------------------------------------ applying a selector


def apply(selector: Selector, document: dict[str, Any], type_code: str) -> bool:
    """selector.go ApplyTo on the document it names; False when the whole document is to go."""
    if not selector.path:
        return False  # ErrZeroedDocument
    try:
        _delete(document, type_code, list(selector.path), selector.key, selector.value)
    except _Lookup:
        reason = f"failed to delete path '{selector.dotted}': lookup failed"
    except PatchError as error:
        reason = f"failed to delete path '{selector.dotted}': {error}"
    else:
        return True
    if selector.name:
        raise PatchError(f"named patch delete: document {selector.api_version}/{selector.kind}: {reason}")
    raise PatchError(f"patch delete: path '{selector.dotted}' in document "
                     f"'{selector.api_version}/{selector.kind}': {reason}")


def _delete(value: Any, code: str, path: list[str], key: str, want: str) -> bool:
    """selector.go deleteForPath: `value` (a dict or list, or ABSENT) is of Go type `code`. True when a map or
    list it deleted from is left empty: Talos's encoder omits it (omitempty), so the caller drops it."""
    if code.startswith("*") or code == "?":
        if value is ABSENT or value is None:
            raise _Lookup
        code = code.lstrip("*")
    segment, rest = path[0], path[1:]
    if code.startswith("@") and code[1:] in STRUCTS:
        fields = STRUCTS[code[1:]]
        if segment not in fields:
            raise _Lookup
        if not rest:
            if isinstance(value, dict):
                value.pop(segment, None)  # SetZero: no error where the field was never set
            return False
        child = value_of(value, segment) if isinstance(value, dict) else ABSENT
        if _delete(child, fields[segment][1], rest, key, want) and isinstance(value, dict):
            value.pop(segment, None)
        return False
    if code.startswith(("{", "=args")) or code in ("u", "?"):
        if not isinstance(value, dict) or segment not in value:
            raise _Lookup
        if rest:
            element = code[1:] if code.startswith("{") else "?"
            if not _delete(value[segment], element, rest, key, want):
                return False
        del value[segment]
        return not value
    if code.startswith(("[", "=keyed", "=devices", "=rules")):
        return _delete_item(value, code.rsplit(":", 1)[-1].lstrip("[") if code.startswith("=") else code[1:],
                            segment, rest, key, want)
    raise _Lookup  # a scalar has no fields


def _delete_item(items: Any, element: str, segment: str, rest: list[str], key: str, want: str) -> bool:
    """selector.go deleteStructFrom: the first struct item whose field `key` reads `want`."""
    if rest:
        raise PatchError("searching for complex paths in slices is not supported")
    if segment == "":
        raise PatchError("searching for '' in a slice is not supported")
    if not segment.startswith("["):
        raise PatchError("searching for non-integer keys in slices is not supported")
    element = element.lstrip("*")
    fields = STRUCTS.get(element[1:]) if element.startswith("@") else None
    if not isinstance(items, list) or fields is None or key not in fields:
        raise _Lookup  # items that are not structs (strings, free-form maps) are never matched
    field_code = fields[key][1].lstrip("*")
    for index, item in enumerate(items):
        if isinstance(item, dict) and _text(value_of(item, key), field_code) == want:
            del items[index]
            return not items
    raise _Lookup


def _text(value: Any, code: str) -> str | None:
    """reflect's String() of a field, or its String() method's: a string's text, a Stringer's canonical text;
    a number or bool is "<int Value>" to reflect, which no selector matches."""
    if code not in ("s", "o"):
        return None
    if value is ABSENT:
        return ""
    if code == "o":
        return _canonical(str(value))
    return str(value)


def _canonical(text: str) -> str:
    """netip's String(): addresses and prefixes in canonical form (10.0.42.136/24, 2001:db8::1)."""
    import ipaddress

    try:
        if "/" in text:
            return str(ipaddress.ip_interface(text))
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text
