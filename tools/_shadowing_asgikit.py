"""A regular package named asgikit, not ours.

tools/check_install.py ships this file as ``asgikit/__init__.py`` in a stand-in for the
unrelated PyPI project named asgikit, and checks that asgikit-core refuses to be shadowed
by it.
"""
