"""The public names of asgikit.forms, pinned; its defaults agree with core's."""

from __future__ import annotations

from pathlib import Path

import asgikit.forms as forms
from asgikit.forms import FormData
from asgikit.multivalue import MultiValueDict
from asgikit.query import DEFAULT_MAX_FIELDS
from asgikit.requests import DEFAULT_MAX_BODY_SIZE
from asgikit.testing import portion_problems

PUBLIC: dict[str, list[str]] = {
    "asgikit.forms": [
        "DEFAULT_MAX_BOUNDARY_LENGTH",
        "DEFAULT_MAX_FIELDS",
        "DEFAULT_MAX_FIELD_SIZE",
        "DEFAULT_MAX_FILES",
        "DEFAULT_MAX_FILE_SIZE",
        "DEFAULT_MAX_MEMORY_SIZE",
        "DEFAULT_MAX_MULTIPART_SIZE",
        "DEFAULT_MAX_PART_HEADERS",
        "DEFAULT_MAX_PART_HEADER_SIZE",
        "DEFAULT_SPOOL_THRESHOLD",
        "FormData",
        "FormOptions",
        "PartsOptions",
        "Part",
        "UploadedFile",
        "iter_parts",
        "multipart",
        "read_form",
        "safe_filename",
    ],
    # The sans-IO multipart layer; Event is a type alias of the event union.
    "asgikit.forms.multipart": [
        "NEED_DATA",
        "BodyEnd",
        "Event",
        "MultipartParser",
        "NeedData",
        "PartData",
        "PartEnd",
        "PartStart",
    ],
}

SRC = Path(__file__).resolve().parent.parent / "src" / "asgikit"


def test_every_public_module_is_pinned_with_its_names() -> None:
    assert portion_problems(SRC, PUBLIC) == []


def test_nothing_else_is_public() -> None:
    # Stricter than export_problems: no constant or helper of the private modules leaks.
    public = {name for name in vars(forms) if not name.startswith("_")}
    assert public - {"annotations"} == set(forms.__all__)


def test_defaults_agree_with_core() -> None:
    # One default for every field count in asgikit (query strings, urlencoded bodies), and
    # a form held in memory holds no more than a buffered body would.
    assert forms.DEFAULT_MAX_FIELDS == DEFAULT_MAX_FIELDS
    assert forms.DEFAULT_MAX_MEMORY_SIZE == DEFAULT_MAX_BODY_SIZE


def test_form_data_is_a_multi_value_dict() -> None:
    form = FormData()
    form.add("a", "1")
    form.add("a", "2")
    assert isinstance(form, MultiValueDict) and isinstance(form, dict)
    assert form == {"a": ["1", "2"]}
    assert form.files() == []
