"""Die in a C extension that trusts its argument, while handling an error.

    python3 bad_argument.py EXTENSION_DIR

The settings are not JSON, so load_settings() falls back to KEY=VALUE
lines and hands the list of them to _pyxray_crasher.first_item(), which
assumes a non-empty list.  There are no such lines: it reads item 0 of an
empty list and dies of SIGSEGV, inside the except block, so py-triage
also shows the JSONDecodeError being handled.
"""
import json
import os
import sys

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))
import _pyxray_crasher  # noqa: E402
from expect import expect  # noqa: E402


def load_settings(text):
    try:
        return json.loads(text)
    except ValueError:
        return fallback(text)


def fallback(text):
    pairs = [line.split("=", 1) for line in text.splitlines() if "=" in line]
    expect("first_item", _pyxray_crasher)
    return _pyxray_crasher.first_item(pairs)


if __name__ == "__main__":
    load_settings("no settings here")
