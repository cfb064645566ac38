"""The `fmnist-course` command line: a thin layer over the library."""
