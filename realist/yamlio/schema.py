"""The YAML exchange format (docs/yaml-schema.md) as data, and a validator that names lines.

A spec is a small tree of `Field`s. Validation returns a normalised copy: optional keys filled with
their defaults, numbers given for text fields turned into text. Unknown keys are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from realist.domain import (
    CmocStatus,
    Direction,
    LinkKind,
    Reported,
    Role,
    Stage,
    TagGroup,
    values,
)
from realist.yamlio.reader import Path_, YamlDocument

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Field:
    """One key of a mapping: its type, whether required, allowed values, and nested fields."""

    type: str  # str | int | float | bool | strs | enum | map | maps | any
    required: bool = False
    choices: tuple[str, ...] = ()
    fields: dict[str, Field] = field(default_factory=dict)
    nullable: bool = True

    def default(self) -> Any:
        if self.type in {"strs", "maps"}:
            return []
        if self.type == "bool":
            return False
        if self.type == "map" and self.fields:
            return None
        return None


def S(required: bool = False, nullable: bool = True) -> Field:
    return Field("str", required=required, nullable=nullable)


def E(choices: list[str], required: bool = False) -> Field:
    return Field("enum", required=required, choices=tuple(choices))


SOURCE = Field(
    "map",
    fields={k: S() for k in ("citation", "doi", "license", "license_url", "note")},
)

REVIEW_FIELDS: dict[str, Field] = {
    "review": Field(
        "map",
        required=True,
        fields={
            "title": S(required=True, nullable=False),
            "question": S(),
            "registration": S(),
            "databases": Field("strs"),
            "reported_flow": Field(
                "map",
                fields={
                    k: Field("int")
                    for k in (
                        "identified",
                        "duplicates_removed",
                        "screened",
                        "excluded_title_abstract",
                        "full_text_assessed",
                        "full_text_excluded",
                        "included",
                    )
                },
            ),
            "highlight": Field("map", fields={"include": Field("strs"), "exclude": Field("strs")}),
        },
    ),
    "criteria": Field("map", fields={"inclusion": Field("strs"), "exclusion": Field("strs")}),
    "exclusion_reasons": Field(
        "maps",
        fields={
            "code": S(required=True, nullable=False),
            "label": S(required=True, nullable=False),
            "stages": Field("strs", choices=tuple(values(Stage))),
        },
    ),
    "tags": Field(
        "maps",
        fields={
            "code": S(required=True, nullable=False),
            "label": S(required=True, nullable=False),
            "group": E(values(TagGroup), required=True),
            "key": S(),
            "description": S(),
        },
    ),
    "reviewers": Field(
        "maps",
        fields={
            "name": S(required=True, nullable=False),
            "full_name": S(),
            "role": E(values(Role), required=True),
        },
    ),
    "rameses": Field(
        "maps",
        fields={
            "item": Field("int", required=True, nullable=False),
            "reported": E(values(Reported)),
            "pages": S(),
            "note": S(),
        },
    ),
}

STUDY_FIELDS: dict[str, Field] = {
    "ref": S(required=True, nullable=False),
    "authors": Field("strs"),
    "et_al": Field("bool"),
    "title": S(),
    "journal": S(),
    "year": Field("int"),
    "volume": S(),
    "issue": S(),
    "pages": S(),
    "doi": S(),
    "url": S(),
    "country": S(),
    "setting": S(),
    "design": S(),
    "document_type": S(),
    "population": S(),
    "intervention": S(),
    "focus": E(["gap", "targeted"]),
    "progress_plus": Field("strs"),
    "relevance": S(),
    "rigour": S(),
    "notes": S(),
}

STUDIES_FIELDS: dict[str, Field] = {"studies": Field("maps", required=True, fields=STUDY_FIELDS)}

CMOC_FIELDS: dict[str, Field] = {
    "id": S(required=True, nullable=False),
    "cluster": Field("int"),
    "context": S(),
    "mechanism": S(),
    "outcome": S(),
    "statement": S(),
    "direction": E(values(Direction)),
    "status": E(values(CmocStatus)),
    "plain_summary": S(),
    "documents": Field("strs"),
    "notes": S(),
}

REVISION_FIELDS: dict[str, Field] = {
    "cmoc": S(required=True, nullable=False),
    "at": S(required=True, nullable=False),
    "reviewer": S(),
    "changes": Field("any"),
    "rationale": S(),
}

CMOCS_FIELDS: dict[str, Field] = {
    "clusters": Field(
        "maps",
        fields={
            "number": Field("int", required=True, nullable=False),
            "name": S(required=True, nullable=False),
            "description": S(),
        },
    ),
    "cmocs": Field("maps", required=True, fields=CMOC_FIELDS),
    "links": Field(
        "maps",
        fields={
            "from": S(required=True, nullable=False),
            "to": S(required=True, nullable=False),
            "kind": E(values(LinkKind)),
            "note": S(),
        },
    ),
    "revisions": Field("maps", fields=REVISION_FIELDS),
}

KINDS: dict[str, dict[str, Field]] = {
    "review": REVIEW_FIELDS,
    "studies": STUDIES_FIELDS,
    "cmocs": CMOCS_FIELDS,
}


def register_kind(kind: str, fields: dict[str, Field]) -> None:
    """Add a document kind (used by later capabilities: records, screening, coding, audit)."""
    KINDS[kind] = fields


def _check(doc: YamlDocument, spec: Field, value: Any, path: Path_) -> Any:
    if value is None:
        if spec.required and not spec.nullable:
            raise doc.error(path, "is required and cannot be empty")
        return spec.default() if spec.type in {"strs", "maps", "bool"} else None
    t = spec.type
    if t == "any":
        return value
    if t == "str":
        if isinstance(value, (bool, dict | list)):
            raise doc.error(path, f"must be text, not {_describe(value)}")
        text = value if isinstance(value, str) else str(value)
        _check_characters(doc, text, path)
        if not text.strip() and spec.required and not spec.nullable:
            raise doc.error(path, "is required and cannot be empty")
        return text
    if t == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise doc.error(path, f"must be a whole number, not {_describe(value)}")
        return value
    if t == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise doc.error(path, f"must be a number, not {_describe(value)}")
        return float(value)
    if t == "bool":
        if not isinstance(value, bool):
            raise doc.error(path, f"must be true or false, not {_describe(value)}")
        return value
    if t == "enum":
        if not isinstance(value, str) or value not in spec.choices:
            raise doc.error(path, f"{value!r} is not one of {', '.join(spec.choices)}")
        return value
    if t == "strs":
        if not isinstance(value, list):
            raise doc.error(path, f"must be a list, not {_describe(value)}")
        out = []
        for i, item in enumerate(value):
            if item is None or isinstance(item, bool | dict | list):
                raise doc.error((*path, i), f"must be text, not {_describe(item)}")
            s = str(item)
            _check_characters(doc, s, (*path, i))
            if spec.choices and s not in spec.choices:
                raise doc.error((*path, i), f"{s!r} is not one of {', '.join(spec.choices)}")
            out.append(s)
        return out
    if t == "map":
        if not isinstance(value, dict):
            raise doc.error(path, f"must be a mapping (key: value), not {_describe(value)}")
        return validate_mapping(doc, spec.fields, value, path)
    if t == "maps":
        if not isinstance(value, list):
            raise doc.error(path, f"must be a list of mappings, not {_describe(value)}")
        items = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise doc.error(
                    (*path, i), f"must be a mapping (key: value), not {_describe(item)}"
                )
            items.append(validate_mapping(doc, spec.fields, item, (*path, i)))
        return items
    raise AssertionError(f"unknown field type {t}")


def _check_characters(doc: YamlDocument, text: str, path: Path_) -> None:
    # A "\ud83e" escape yields half a character that no database can store: say so here.
    for ch in text:
        if "\ud800" <= ch <= "\udfff":
            raise doc.error(path, f"contains an invalid character (lone surrogate U+{ord(ch):04X})")


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    return repr(value)


def validate_mapping(
    doc: YamlDocument, fields: dict[str, Field], value: dict[str, Any], path: Path_
) -> dict[str, Any]:
    """Check a mapping against its fields; return it normalised (every key present)."""
    unknown = [k for k in value if k not in fields]
    if unknown:
        key = unknown[0]
        raise doc.error((*path, str(key)), f"unknown key (expected one of: {', '.join(fields)})")
    out: dict[str, Any] = {}
    for name, spec in fields.items():
        if name not in value:
            if spec.required:
                raise doc.error(path, f"missing required key {name!r}")
            out[name] = spec.default()
            continue
        out[name] = _check(doc, spec, value[name], (*path, name))
    return out


def validate_document(doc: YamlDocument) -> tuple[str, dict[str, Any]]:
    """Validate a whole file: the header keys, then the body for its kind."""
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), "the file must be a mapping with schema_version and kind at the top")
    version = data.get("schema_version")
    if version is None:
        raise doc.error((), "missing schema_version (this tool writes schema_version: 1)")
    if isinstance(version, bool) or not isinstance(version, int):
        raise doc.error(("schema_version",), f"must be a whole number, not {_describe(version)}")
    if version > SCHEMA_VERSION:
        raise doc.error(
            ("schema_version",),
            f"version {version} is newer than this tool understands ({SCHEMA_VERSION}); upgrade realist",
        )
    if version < 1:
        raise doc.error(("schema_version",), f"unknown version {version}")
    kind = data.get("kind")
    if kind not in KINDS:
        raise doc.error(("kind",), f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    body_fields = {"schema_version": Field("int"), "kind": Field("str"), "source": SOURCE}
    body_fields.update(KINDS[kind])
    body = validate_mapping(doc, body_fields, data, ())
    return kind, body
