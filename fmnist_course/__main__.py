"""`python -m fmnist_course` runs the `fmnist-course` command line."""

from fmnist_course.cli.main import main

raise SystemExit(main())
