"""The public surface of asgikit.forms."""

from __future__ import annotations

import asgikit.forms as forms
from asgikit.forms import FormData
from asgikit.multivalue import MultiValueDict
from asgikit.requests import DEFAULT_MAX_BODY_SIZE


def test_all_is_complete_and_exact() -> None:
    public = {name for name in dir(forms) if not name.startswith("_")}
    modules = {"annotations"}
    assert set(forms.__all__) == public - modules
    for name in forms.__all__:
        assert getattr(forms, name) is not None


def test_defaults_are_the_documented_ones() -> None:
    assert forms.DEFAULT_MAX_FIELDS == 1000
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
