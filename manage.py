#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    # Django answers `manage.py version` itself with its own version; the
    # operator wants the product's release (pims/ops/management/commands/release.py).
    argv = [*sys.argv[:1], "release", *sys.argv[2:]] if sys.argv[1:2] == ["version"] else sys.argv
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
