"""The `studienav` console script: Django's management command line with our settings.

Our own commands are spelled with hyphens (`studienav demo-data`); their modules use
underscores, so a hyphenated command name is translated before Django looks it up.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studienav.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
