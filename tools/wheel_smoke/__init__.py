"""Smoke apps that ``tools/check_wheels.py`` runs inside a venv holding one built wheel.

One module per distribution, named after it (``asgikit_forms.py`` for asgikit-forms),
plus :mod:`.harness`, the helpers they share. The modules import asgikit, which the
venv has; they are never imported by the tools themselves (which stay standard library
plus ``packaging``). check_wheels copies this package into the venv's work directory
and runs ``python -E -s -m wheel_smoke.<module> info.json`` there.
"""
