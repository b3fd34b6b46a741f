"""Talos's merge of one config document into another: siderolabs/talos pkg/machinery/config/merge/merge.go
(v1.14.0-rc.1) on plain data, driven by the Go types in merge_table.py.

A Go value is a dict/list/scalar here; an absent key is the Go zero value (nil pointer, nil slice or map, "",
0). merge.go's rules, by type code (merge_table.py's header):

- a scalar is taken unless it is zero; a plain bool always (even when the patch leaves it out: false);
- a pointer is taken when set, even to a zero value; a set pointer to a struct is merged into the base's;
- a list is appended, or replaced where the field is tagged ``merge:"replace"``; ``[]byte`` is replaced;
- a map is merged key by key; a struct field by field; an ``Unstructured`` (free-form YAML) like a
  ``map[string]any``, refusing a key whose value changes type;
- a type with a ``Merge`` method merges its own way: ``=keyed`` lists by a field, network interfaces by name or
  device selector, ``=rules`` lists replace a matching item whole, ``=args`` copy each key, ``=always`` takes
  the patch's value even when the patch leaves it out (block.ByteSize: a VolumeConfig patch without
  ``minSize`` clears it, as Talos does).
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from ..errors import PatchError
from .merge_table import STRUCTS

ABSENT: Any = object()  # the Go zero value of a field the document leaves out


def value_of(mapping: Any, key: str) -> Any:
    """A field's value, or ABSENT (YAML null decodes to the zero value too)."""
    if not isinstance(mapping, dict):
        return ABSENT
    value = mapping.get(key, ABSENT)
    return ABSENT if value is None else value


def _is_zero(value: Any) -> bool:
    """reflect.Value.IsZero for what YAML decodes into a scalar field."""
    if value is ABSENT or value is None:
        return True
    if isinstance(value, bool):
        return value is False
    return value == "" or (isinstance(value, int | float) and value == 0) or value == {} or value == []


def _is_zero_struct(value: Any, code: str) -> bool:
    if value is ABSENT or not isinstance(value, dict):
        return True
    fields = STRUCTS.get(code[1:], {})
    return all(_is_zero(item) if key not in fields or not fields[key][1].startswith("@")
               else _is_zero_struct(item, fields[key][1]) for key, item in value.items())


def _go_type(value: Any) -> str:
    """The Go type YAML decodes a free-form value into (go.yaml.in/yaml/v4 into interface{})."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    return "<nil>"


@functools.cache
def absent_sensitive(code: str) -> bool:
    """Whether merging a field the patch leaves out can change the base: a plain bool, an =always value, or a
    struct value holding one (merge.go walks every field of a struct, set or not)."""
    if code in ("b", "=always"):
        return True
    if code.startswith("@"):
        return any(absent_sensitive(child) for _, child, _ in STRUCTS.get(code[1:], {}).values())
    return False


def _wrap(owner: str, go_field: str, error: PatchError) -> PatchError:
    """merge.go: ``merge field %v.%v: %w`` per struct (an embedded struct's field wraps twice)."""
    if ">" in go_field:
        embedded, inner = go_field.split(">", 1)
        return PatchError(f"merge field {owner}.{embedded}: merge field {inner}: {error}")
    return PatchError(f"merge field {owner}.{go_field}: {error}")


def merge(left: Any, right: Any, code: str, replace: bool = False, overwrite: bool = False) -> Any:
    """merge.go merge(): the base value `left` with `right` merged in (ABSENT: the field is left out)."""
    if code.startswith("="):
        return _merge_method(left, right, code)
    if code.startswith("*"):
        if right is ABSENT:
            return left
        if left is ABSENT:
            return copy.deepcopy(right)
        return merge(left, right, code[1:], replace, overwrite=True)
    if code.startswith("["):
        if right is ABSENT or not isinstance(right, list):
            return left if right is ABSENT else copy.deepcopy(right)
        if replace:
            return copy.deepcopy(right)
        base = left if isinstance(left, list) else []
        return [*base, *copy.deepcopy(right)]
    if code == "u":  # meta.Unstructured: a struct around its map[string]any
        try:
            return _merge_map(left, right, "?", replace)
        except PatchError as error:
            raise PatchError(f"merge field meta.Unstructured.Object: {error}") from None
    if code.startswith("{"):
        return _merge_map(left, right, code[1:], replace)
    if code.startswith("@"):
        return _merge_struct(left, right, code, replace)
    if code == "b":
        return right if right is not ABSENT else ABSENT  # false and absent are one value here
    if code == "?":
        return _merge_any(left, right)
    # s, i, o, B: taken unless zero (a pointer's target always)
    if right is ABSENT or (_is_zero(right) and not overwrite):
        return left
    return copy.deepcopy(right)


def _merge_struct(left: Any, right: Any, code: str, replace: bool) -> Any:
    if replace:
        return left if _is_zero_struct(right, code) else copy.deepcopy(right)
    fields = STRUCTS.get(code[1:])
    if fields is None or (right is not ABSENT and not isinstance(right, dict)):
        return left if right is ABSENT else copy.deepcopy(right)
    target: dict[str, Any] = left if isinstance(left, dict) else {}
    patch: dict[str, Any] = right if isinstance(right, dict) else {}
    for name, (go_field, child, child_replace) in fields.items():
        value = value_of(patch, name)
        if value is ABSENT and not (absent_sensitive(child) and name in target):
            continue
        try:
            merged = merge(value_of(target, name), value, child, child_replace)
        except PatchError as error:
            raise _wrap(code[1:], go_field, error) from None
        if merged is ABSENT:
            target.pop(name, None)
        else:
            target[name] = merged
    for name, value in patch.items():
        if name not in fields and value is not None:  # not a field of this release: the decoder refuses it
            target[name] = copy.deepcopy(value)
    if not target and left is ABSENT:
        return ABSENT
    return target


def _merge_map(left: Any, right: Any, element: str, replace: bool) -> Any:
    if right is ABSENT or not isinstance(right, dict):
        return left if right is ABSENT else copy.deepcopy(right)
    if replace:
        return copy.deepcopy(right)
    target: dict[Any, Any] = left if isinstance(left, dict) else {}
    for key, value in right.items():
        current = target.get(key)
        if current is None:  # isNilOrZero: a missing key, or one holding nil
            target[key] = copy.deepcopy(value)
            continue
        try:
            if element == "?":
                merged = _merge_any(current, value)
            else:
                merged = merge(current, ABSENT if value is None else value, element)
        except PatchError as error:
            # merge.go names the map's Go type; a typed map's element type is not in the table, so only its key
            where = f"map[string]interface {{}}[{key}]" if element == "?" else f"[{key}]"
            raise PatchError(f"merge map key {where}: {error}") from None
        target[key] = merged if merged is not ABSENT else current
    return target


def _merge_any(left: Any, right: Any) -> Any:
    """A value of map[string]any: both sides must decode to the same Go type, then merge as that type."""
    if left is None or left is ABSENT:
        return copy.deepcopy(right)
    if right is None:
        return left
    left_type, right_type = _go_type(left), _go_type(right)
    if left_type != right_type:
        raise PatchError(f"merge type mismatch left {left_type} right {right_type}")
    if isinstance(left, dict):
        return _merge_map(left, right, "?", False)
    if isinstance(left, list):
        return [*left, *copy.deepcopy(right)]
    if isinstance(left, bool):
        return right
    return left if _is_zero(right) else right


# ------------------------------------------------------------------ the types' own Merge methods


def _field_equal(left: Any, right: Any, name: str) -> bool:
    """Go's == on one string or number field of two list items (absent: the zero value)."""
    a, b = value_of(left, name), value_of(right, name)
    zero_a, zero_b = _is_zero(a), _is_zero(b)
    if zero_a or zero_b:
        return zero_a and zero_b
    return str(a) == str(b)


def _selector_equal(left: Any, right: Any) -> bool:
    """NetworkDeviceSelector ==: its string fields equal; `physical` is a *bool, so two selectors that set
    it are never equal (two pointers), and one that sets it never equals one that does not."""
    if value_of(left, "physical") is not ABSENT or value_of(right, "physical") is not ABSENT:
        return False
    return all(_field_equal(left, right, name) for name in ("busPath", "hardwareAddr", "permanentAddr", "pciID",
                                                              "driver"))


def _merge_method(left: Any, right: Any, code: str) -> Any:
    behaviour, _, rest = code.partition(":")
    if behaviour == "=always":
        return right if right is ABSENT else copy.deepcopy(right)
    if behaviour == "=args":
        if right is ABSENT or not isinstance(right, dict) or not right:
            return left
        target = left if isinstance(left, dict) else {}
        target.update(copy.deepcopy(right))  # meta/args.go: maps.Copy, each value replaced whole
        return target
    if right is ABSENT or not isinstance(right, list):
        return left if right is ABSENT else copy.deepcopy(right)
    key, _, element = rest.partition(":") if behaviour != "=devices" else ("", "", rest)
    items: list[Any] = list(left) if isinstance(left, list) else []
    for item in right:
        index = _matching(items, item, behaviour, key)
        if index is None:
            items.append(copy.deepcopy(item))
        elif behaviour == "=rules":
            items[index] = copy.deepcopy(item)  # security/image_verification.go: (*r)[i] = otherRule
        else:
            items[index] = merge(items[index], item, element.lstrip("[").lstrip("*"), overwrite=True)
    return items if items or left is not ABSENT else ABSENT


def _matching(items: list[Any], item: Any, behaviour: str, key: str) -> int | None:
    """The first base item a patch item merges into (each Merge method's loop), or None (appended)."""
    if behaviour == "=devices":  # v1alpha1_types.go NetworkDeviceList.mergeDevice
        if not _is_zero(value_of(item, "interface")):
            return next((i for i, d in enumerate(items) if _field_equal(d, item, "interface")), None)
        if value_of(item, "deviceSelector") is not ABSENT:
            return next((i for i, d in enumerate(items) if value_of(d, "deviceSelector") is not ABSENT
                         and _selector_equal(d["deviceSelector"], item["deviceSelector"])), None)
        return None
    return next((i for i, d in enumerate(items) if _field_equal(d, item, key)), None)
