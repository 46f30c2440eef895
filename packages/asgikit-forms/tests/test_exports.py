"""The public surface of asgikit.forms."""

from __future__ import annotations

import inspect

import asgikit.forms as forms
import asgikit.forms.multipart as multipart
from asgikit.forms import FormData
from asgikit.multivalue import MultiValueDict
from asgikit.query import DEFAULT_MAX_FIELDS
from asgikit.requests import DEFAULT_MAX_BODY_SIZE


def test_all_is_complete_and_exact() -> None:
    exported = set(forms.__all__)
    assert len(exported) == len(forms.__all__), "a name is listed twice"
    missing = {name for name in exported if not hasattr(forms, name)}
    assert not missing, f"in __all__ but not defined: {missing}"
    defined = {
        name
        for name, value in vars(forms).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__.startswith("asgikit.forms")
    }
    assert defined <= exported, f"public but not in __all__: {defined - exported}"
    # Nothing else public either: no helper or constant leaks from the private modules.
    public = {name for name in vars(forms) if not name.startswith("_")}
    assert public - {"annotations"} == exported
    # The one public submodule is listed too: the sans-IO multipart layer.
    assert inspect.ismodule(forms.multipart) and "multipart" in exported


def test_multipart_layer_all_is_exact() -> None:
    exported = set(multipart.__all__)
    assert len(exported) == len(multipart.__all__), "a name is listed twice"
    public = {
        name
        for name, value in vars(multipart).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", "asgikit.forms.multipart") == "asgikit.forms.multipart"
    }
    # Event is a type alias (a union, whose __module__ is "types"), listed by hand.
    assert public - {"annotations"} == exported - {"Event"}
    assert multipart.Event == (
        multipart.PartStart
        | multipart.PartData
        | multipart.PartEnd
        | multipart.BodyEnd
        | multipart.NeedData
    )
    assert {
        "MultipartParser",
        "PartStart",
        "PartData",
        "PartEnd",
        "BodyEnd",
        "NEED_DATA",
    } <= exported


def test_defaults_are_the_documented_ones() -> None:
    # One default for every field count in asgikit (query strings, urlencoded bodies).
    assert forms.DEFAULT_MAX_FIELDS == 1000 == DEFAULT_MAX_FIELDS
    assert forms.DEFAULT_MAX_FILES == 100
    assert forms.DEFAULT_MAX_FIELD_SIZE == 1024 * 1024
    assert forms.DEFAULT_MAX_FILE_SIZE == 1024**3
    assert forms.DEFAULT_MAX_MULTIPART_SIZE == 2 * 1024**3
    assert forms.DEFAULT_MAX_PART_HEADERS == 8
    assert forms.DEFAULT_MAX_PART_HEADER_SIZE == 8 * 1024
    assert forms.DEFAULT_MAX_BOUNDARY_LENGTH == 256
    assert forms.DEFAULT_SPOOL_THRESHOLD == 1024 * 1024
    # The most a buffered read holds, so that a form holds no more than a body would.
    assert forms.DEFAULT_MAX_MEMORY_SIZE == 10 * 1024 * 1024 == DEFAULT_MAX_BODY_SIZE


def test_form_data_is_a_multi_value_dict() -> None:
    form = FormData()
    form.add("a", "1")
    form.add("a", "2")
    assert isinstance(form, MultiValueDict) and isinstance(form, dict)
    assert form == {"a": ["1", "2"]}
    assert form.files() == []
