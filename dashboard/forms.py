"""The settings form, drawn from the same pydantic models that validate the configuration file.

A setting added to a live section appears on the page without touching the template; its help
text is the comment above it in config/default.toml.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

from dashboard.control import editable_fields, live_sections
from monitor.config import Settings

DEFAULT_TOML = Path(__file__).resolve().parent.parent / "config" / "default.toml"
SECTION_TITLES = {"tracker": "Sitting and prompts", "schedule": "Working and quiet hours",
                  "slump": "Slump nudges", "notify": "Notifications", "dashboard": "Dashboard"}
Kind = Literal["checkbox", "number", "select", "text", "lines"]


@dataclass(frozen=True, slots=True)
class FormField:
    section: str
    name: str
    label: str
    kind: Kind
    value: str
    help: str
    options: tuple[str, ...] = ()
    minimum: str = ""
    maximum: str = ""
    step: str = "any"

    @property
    def input_name(self) -> str:
        return f"{self.section}.{self.name}"


@cache
def _help_texts() -> dict[tuple[str, str], str]:
    """Comment lines above each `key = value` in default.toml, by (section, key)."""
    texts: dict[tuple[str, str], str] = {}
    try:
        lines = DEFAULT_TOML.read_text(encoding="utf-8").splitlines()
    except OSError:
        return texts
    section, comment = "", list[str]()
    for line in lines:
        stripped = line.strip()
        if match := re.fullmatch(r"\[+([a-z_]+)\]+", stripped):
            section, comment = match[1], []
        elif stripped.startswith("#"):
            text = stripped.lstrip("#").strip()
            if re.match(r"^[a-z_]+ = ", text):  # a commented-out example key
                texts.setdefault((section, text.split(" ")[0]), " ".join(comment))
                comment = []
            else:
                comment.append(text)
        elif match := re.match(r"^([a-z_]+)\s*=", stripped):
            texts[(section, match[1])] = " ".join(comment)
            comment = []
        else:
            comment = []
    return texts


def _bounds(info: Any) -> tuple[str, str]:
    low = high = ""
    for meta in info.metadata:
        if isinstance(meta, Ge | Gt):
            low = str(meta.ge if isinstance(meta, Ge) else meta.gt)
        if isinstance(meta, Le | Lt):
            high = str(meta.le if isinstance(meta, Le) else meta.lt)
    return low, high


def _kind(annotation: Any) -> tuple[Kind, tuple[str, ...]] | None:
    if annotation is bool:
        return "checkbox", ()
    if annotation in (int, float):
        return "number", ()
    if annotation is str:
        return "text", ()
    if get_origin(annotation) is Literal:
        return "select", tuple(str(a) for a in get_args(annotation))
    if get_origin(annotation) is list and get_args(annotation) == (str,):
        return "lines", ()
    return None


def _display(kind: Kind, value: Any) -> str:
    if kind == "checkbox":
        return "on" if value else ""
    if kind == "lines":
        return "\n".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def settings_form(settings: Settings, submitted: Mapping[str, str] | None = None) -> dict[str, list[FormField]]:
    """The form's fields by section, filled with the settings in force or with what the user submitted."""
    helps = _help_texts()
    sections: dict[str, list[FormField]] = {}
    for section, model in live_sections(settings).items():
        current = getattr(settings, section)
        fields = []
        for name in editable_fields(model):
            info = model.model_fields[name]
            kind = _kind(info.annotation)
            if kind is None:
                continue
            value = _display(kind[0], getattr(current, name))
            key = f"{section}.{name}"
            if submitted is not None:
                value = submitted.get(key, "") if kind[0] != "checkbox" else ("on" if key in submitted else "")
            low, high = _bounds(info)
            fields.append(FormField(section, name, name.replace("_", " ").capitalize(), kind[0], value,
                                    helps.get((section, name), ""), kind[1], low, high,
                                    "1" if info.annotation is int else "any"))
        if fields:
            sections[section] = fields
    return sections


def changes_from_form(settings: Settings, form: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Submitted form values as settings changes (strings: pydantic converts and checks them)."""
    changes: dict[str, dict[str, Any]] = {}
    for section, fields in settings_form(settings).items():
        for f in fields:
            key = f.input_name
            if f.kind == "checkbox":
                changes.setdefault(section, {})[f.name] = key in form
            elif key in form:
                raw = form[key]
                value: Any = [line.strip() for line in raw.splitlines() if line.strip()] if f.kind == "lines" \
                    else raw.strip()
                changes.setdefault(section, {})[f.name] = value
    return changes


def model_of(settings: Settings, section: str) -> type[BaseModel] | None:
    return live_sections(settings).get(section)
