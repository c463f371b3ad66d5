"""``python -m citygeo.demo [--out DIR] [--seed N]``: write the fictional demo city's files."""

from citygeo.demo.files import main

if __name__ == "__main__":
    raise SystemExit(main())
