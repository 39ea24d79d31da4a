"""Check the system libraries WeasyPrint needs and say how to install them when missing."""

import ctypes.util
import sys

# library name -> Debian package
REQUIRED = {
    "pango-1.0": "libpango-1.0-0",
    "pangoft2-1.0": "libpangoft2-1.0-0",
    "harfbuzz": "libharfbuzz0b",
    # Font subsetting: without it WeasyPrint embeds whole fonts and warns on every render.
    "harfbuzz-subset": "libharfbuzz-subset0",
    "fontconfig": "libfontconfig1",
}


def missing_packages() -> list[str]:
    return [
        package
        for library, package in REQUIRED.items()
        if ctypes.util.find_library(library) is None
    ]


def main() -> int:
    missing = missing_packages()
    if sys.argv[1:] == ["--packages"]:
        # For the Makefile: the Debian packages to install, nothing else.
        print(" ".join(missing))
        return 0
    if missing:
        print(
            "WeasyPrint (the PDF renderer) needs system libraries that are missing; install them with: "
            f"sudo apt-get install {' '.join(missing)}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
