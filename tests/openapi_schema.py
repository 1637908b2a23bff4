"""Validate JSON bodies against the schemas of the official OpenAPI spec.

The spec lives beside the checkout in ``../shared/contract/openapi.yaml`` (OpenAPI 3.1, but with
111 OpenAPI-3.0 style ``nullable: true`` flags, which JSON Schema ignores). We rewrite those into
``type: [T, "null"]`` / ``anyOf [..., null]`` once, cache the parsed spec as JSON, and validate with
jsonschema's Draft 2020-12 validator through a referencing registry, so ``$ref``s resolve as written.
"""

from __future__ import annotations

import functools
import json
import os
import pathlib
from typing import Any

import jsonschema
import referencing
import referencing.jsonschema

__all__ = [
    "SPEC_PATH",
    "declared_properties",
    "decode_multipart",
    "errors",
    "load_spec",
    "request_errors",
    "validate",
    "validator_for",
]

_ROOT = pathlib.Path(__file__).resolve().parents[1]
SPEC_PATH = pathlib.Path(
    os.environ.get("OAINB_OPENAPI", _ROOT.parent / "shared" / "contract" / "openapi.yaml")
)
_SPEC_URI = "urn:openai:openapi"
_CACHE_VERSION = 2  # bump when the rewriting below changes


def _fix_nullable(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: _fix_nullable(value) for key, value in node.items()}
        if "discriminator" in node and "oneOf" in node:
            # OpenAPI picks one branch by the discriminator; JSON Schema's oneOf instead fails
            # when an object fits two branches (an easy input message with a content list fits
            # both EasyInputMessage and InputMessage), so treat these unions as anyOf.
            node["anyOf"] = node.pop("oneOf")
        if node.pop("nullable", False) is True:
            kind = node.get("type")
            if isinstance(kind, str):
                node["type"] = [kind, "null"]
                if "enum" in node and None not in node["enum"]:
                    node["enum"] = [*node["enum"], None]
            elif isinstance(kind, list):
                if "null" not in kind:
                    node["type"] = [*kind, "null"]
            else:
                node = {"anyOf": [node, {"type": "null"}]}
        return node
    if isinstance(node, list):
        return [_fix_nullable(item) for item in node]
    return node


@functools.lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    """The spec as a dict, parsed once per process and cached on disk as JSON."""
    import yaml

    stat = SPEC_PATH.stat()
    cache_dir = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache"))
    cache = (
        cache_dir
        / "oainb-tests"
        / f"openapi-{_CACHE_VERSION}-{stat.st_size}-{int(stat.st_mtime)}.json"
    )
    if cache.exists():
        return json.loads(cache.read_text())
    text = SPEC_PATH.read_text()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec = json.loads(json.dumps(_fix_nullable(yaml.load(text, Loader=loader)), default=str))
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(spec, default=str))
    return spec


@functools.lru_cache(maxsize=1)
def _registry() -> referencing.Registry:
    resource = referencing.Resource.from_contents(
        load_spec(), default_specification=referencing.jsonschema.DRAFT202012
    )
    return referencing.Registry().with_resource(_SPEC_URI, resource)


@functools.cache
def validator_for(schema_name: str) -> jsonschema.Draft202012Validator:
    """A validator for ``#/components/schemas/<schema_name>``."""
    if schema_name not in load_spec()["components"]["schemas"]:
        raise KeyError(f"no schema {schema_name!r} in {SPEC_PATH}")
    schema = {"$ref": f"{_SPEC_URI}#/components/schemas/{schema_name}"}
    return jsonschema.Draft202012Validator(schema, registry=_registry())


def errors(schema_name: str, instance: Any) -> list[str]:
    """Every violation of the named schema, as readable one-line strings (empty when valid)."""
    found = validator_for(schema_name).iter_errors(instance)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}" for e in found]


def validate(schema_name: str, instance: Any) -> None:
    """Raise ``AssertionError`` listing every violation of the named schema."""
    problems = errors(schema_name, instance)
    if problems:
        raise AssertionError(f"{schema_name} violations:\n  " + "\n  ".join(problems[:20]))


def _resolve(node: Any) -> Any:
    ref = node.get("$ref") if isinstance(node, dict) else None
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        return load_spec()["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return node


@functools.cache
def declared_properties(schema_name: str) -> frozenset[str]:
    """Every top-level property the schema declares, collected across allOf/anyOf/oneOf and $refs.

    The spec's request schemas mostly do not forbid unknown keys, so `validate` alone would let
    a Chat Completions name such as ``max_completion_tokens`` through; this closes that gap.
    """
    found: set[str] = set()
    seen: set[int] = set()

    def walk(node: Any) -> None:
        node = _resolve(node)
        if not isinstance(node, dict) or id(node) in seen:
            return
        seen.add(id(node))
        found.update(node.get("properties", {}))
        for key in ("allOf", "anyOf", "oneOf"):
            for child in node.get(key, []):
                walk(child)

    walk(load_spec()["components"]["schemas"][schema_name])
    return frozenset(found)


def request_errors(schema_name: str, instance: Any) -> list[str]:
    """Schema violations plus top-level keys the schema does not declare."""
    problems = errors(schema_name, instance)
    if isinstance(instance, dict):
        unknown = sorted(set(instance) - declared_properties(schema_name))
        problems += [f"{key}: not a declared property of {schema_name}" for key in unknown]
    return problems


# Multipart values arrive as strings; these fields are numbers or booleans in the spec.
_FORM_NUMBERS = {"temperature", "threshold"}
_FORM_INTEGERS = {"prefix_padding_ms", "silence_duration_ms"}
_FORM_BOOLEANS = {"stream"}


def _form_value(name: str, value: str) -> Any:
    try:
        if name in _FORM_NUMBERS:
            return float(value)
        if name in _FORM_INTEGERS:
            return int(value)
    except ValueError:
        return value
    if name in _FORM_BOOLEANS:
        return {"true": True, "false": False}.get(value, value)
    return value


def decode_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """A multipart/form-data body as the JSON object the spec's schema describes.

    ``name[]`` fields become lists, ``name[key]`` fields nested objects, files the string
    ``"<binary>"``; numbers and booleans are converted for the fields the spec types so.
    """
    import email.parser
    import email.policy

    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    out: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename() is not None:
            out[str(name)] = "<binary>"
            continue
        payload = part.get_payload(decode=True)
        text = payload.decode() if isinstance(payload, bytes) else str(payload)
        key = str(name)
        if key.endswith("[]"):
            out.setdefault(key[:-2], []).append(text)
        elif "[" in key and key.endswith("]"):
            outer, inner = key[:-1].split("[", 1)
            nested = out.setdefault(outer, {})
            nested[inner] = _form_value(inner, text)
        else:
            out[key] = _form_value(key, text)
    return out
