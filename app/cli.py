"""The `toonify` command: `toonify apply` renders a file, `toonify serve` runs the service."""

from __future__ import annotations

import argparse
import json
import sys


def _param(text: str) -> tuple[str, object]:
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected name=value, got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw  # choices such as palette=neon need no quotes
    return name.strip(), value


def cmd_apply(args: argparse.Namespace) -> int:
    import effects
    from effects import io

    try:
        image = io.read_image(args.input, max_pixels=args.max_pixels)
        io.format_for(args.output)  # fail on a bad output name before the work
        out = effects.apply(image, args.style, dict(args.param))
        io.write_image(args.output, out, quality=args.quality)
    except (effects.EffectsError, OSError) as exc:
        print(f"toonify: error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.output}: {out.shape[1]}x{out.shape[0]} {effects.style_name(args.style)}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from app.server.run import serve

    return serve(host=args.host, port=args.port, workers=args.workers)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toonify", description="Turn photos into cartoons.")
    sub = parser.add_subparsers(dest="command", required=True)

    apply = sub.add_parser("apply", help="apply a style to an image file")
    apply.add_argument("input", help="JPEG, PNG or WebP file")
    apply.add_argument("output", help="output file; .jpg, .png or .webp")
    apply.add_argument(
        "--style", default="cartoon", help="one of the styles in effects.STYLES (cartoon, sketch, manga, ...)"
    )
    apply.add_argument("--param", action="append", type=_param, default=[], metavar="NAME=VALUE")
    apply.add_argument("--quality", type=int, default=92, help="JPEG/WebP quality (default 92)")
    apply.add_argument("--max-pixels", type=int, default=100_000_000, help=argparse.SUPPRESS)
    apply.set_defaults(func=cmd_apply)

    serve = sub.add_parser("serve", help="run the web service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=None, help="process-pool size (default: number of cores)")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
