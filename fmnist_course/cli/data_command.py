"""`fmnist-course data`: where the data is, whether it verifies, class counts."""

from __future__ import annotations

import argparse

import numpy as np

from fmnist_course.data import CLASS_NAMES, find_data_dir, load_fashion_mnist


def add_parser(subparsers) -> None:
    """Register the `data` subcommand."""
    parser = subparsers.add_parser(
        "data",
        help="find, verify and summarise the Fashion-MNIST files",
        description="Find the Fashion-MNIST files, verify their content "
        "(IDX headers and SHA-256), and print class counts.",
    )
    parser.add_argument("--data-dir", help="directory holding the four .gz files")
    parser.add_argument(
        "--fetch",
        action="store_true",
        help="download through Keras when no local copy exists",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the data source, the verification result and class counts."""
    source = find_data_dir(args.data_dir, download=args.fetch)
    print(f"source: {source}")
    data = load_fashion_mnist(source)
    print("verified: IDX headers and SHA-256 of all four files match")
    print(f"train: {data.x_train.shape}  test: {data.x_test.shape}")
    train_counts = np.bincount(data.y_train, minlength=len(CLASS_NAMES))
    test_counts = np.bincount(data.y_test, minlength=len(CLASS_NAMES))
    print(f"{'label':>5}  {'class':<12} {'train':>6} {'test':>6}")
    for label, name in enumerate(CLASS_NAMES):
        print(
            f"{label:>5}  {name:<12} {train_counts[label]:>6} {test_counts[label]:>6}"
        )
    return 0
