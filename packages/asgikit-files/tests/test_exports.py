"""asgikit.files lists exactly its public names, and nothing of it lives outside it."""

from __future__ import annotations

import inspect
import pathlib

import asgikit.files as files


def test_all_lists_the_public_names() -> None:
    exported = set(files.__all__)
    assert all(hasattr(files, name) for name in exported)
    public = {
        name
        for name, value in vars(files).items()
        if not name.startswith("_") and (inspect.isclass(value) or inspect.isfunction(value))
    }
    assert public == exported - {
        "DEFAULT_CHUNK_SIZE",
        "DEFAULT_MAX_RANGES",
        "DEFAULT_MEDIA_TYPE",
        "MEDIA_TYPES",
    }


def test_the_namespace_has_no_init_of_ours() -> None:
    src = pathlib.Path(files.__file__).parent.parent
    assert not (src / "__init__.py").exists()
    assert (src / "files" / "py.typed").exists()


def test_errors_are_in_the_tree() -> None:
    from asgikit.errors import AsgikitError

    assert issubclass(files.FileChangedError, AsgikitError)
    assert issubclass(files.FileChangedError, RuntimeError)
