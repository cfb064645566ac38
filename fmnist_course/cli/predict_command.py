"""`fmnist-course predict MODEL_PATH IMAGE...`: classify garment photos."""

from __future__ import annotations

import argparse
import sys

from fmnist_course.errors import UserError
from fmnist_course.predict import load_garment_image, predict_top_k
from fmnist_course.runs import load_model


def add_parser(subparsers) -> None:
    """Register the `predict` subcommand."""
    parser = subparsers.add_parser(
        "predict",
        help="classify image files with a trained model",
        description="Classify PNG/JPEG photos of garments: each is made "
        "Fashion-MNIST-like (grayscale, 28x28, light garment on dark) and the "
        "top-3 classes are printed.",
    )
    parser.add_argument("model_path", help="a .keras file or a run directory")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    parser.add_argument(
        "--top", type=int, default=3, help="classes to show (default 3)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the top classes of each image; exit 1 if any image failed."""
    try:
        model = load_model(args.model_path)
    except ValueError as error:  # a file that is not a Keras model
        raise UserError(str(error)) from None
    num_failed = 0
    for path in args.images:
        try:
            image = load_garment_image(path)
        except (FileNotFoundError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            num_failed += 1
            continue
        ranked = predict_top_k(model, image, k=args.top)
        shown = ", ".join(f"{name} {probability:.1%}" for name, probability in ranked)
        print(f"{path}: {shown}")
    return 1 if num_failed else 0
