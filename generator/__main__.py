"""Allow ``python -m generator`` as well as the ``cf-bluegreen`` console script."""

from generator.cli import main

if __name__ == "__main__":
    main()
