"""``python -m veo_desktop.sim``: serve the APIXO simulator until SIGINT or SIGTERM.

The first line on stdout is the base URL (``http://127.0.0.1:PORT/api/v1``), flushed at once,
so a parent process can start it with ``--port 0`` and read where it listens. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from veo_desktop.sim.contract import is_loopback_host
from veo_desktop.sim.server import Simulator

logger = logging.getLogger("veo_desktop.sim.cli")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m veo_desktop.sim",
        description="Serve a simulated APIXO Veo 3.1 API on loopback.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 = any (default)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--api-key", default=None, help="the only accepted key (default: any)")
    parser.add_argument(
        "--duration", type=float, default=30.0, help="seconds from submit to result (default 30)"
    )
    parser.add_argument("--balance", type=float, default=100.0, help="USD on the key (default 100)")
    parser.add_argument(
        "--clip-seconds", type=float, default=4.0, help="length of rendered clips (default 4)"
    )
    parser.add_argument(
        "--video",
        choices=("per_task", "shared"),
        default="per_task",
        help="render a clip per task, or one shared clip per aspect ratio",
    )
    parser.add_argument("--media-dir", default=None, help="keep clips here (default: temporary)")
    parser.add_argument(
        "--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR")
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    simulator = Simulator(
        api_key=args.api_key,
        duration=args.duration,
        balance=args.balance,
        host=args.host,
        port=args.port,
        clip_seconds=args.clip_seconds,
        video=args.video,
        media_dir=args.media_dir,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except NotImplementedError:  # Windows: Ctrl+C arrives as KeyboardInterrupt instead
            break
    base_url = await simulator.start()
    try:
        with contextlib.suppress(BrokenPipeError):
            sys.stdout.write(base_url + "\n")
            sys.stdout.flush()
        await stop.wait()
    finally:
        await simulator.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not is_loopback_host(args.host):
        logger.warning("binding %s: the simulator is reachable from other machines", args.host)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        logger.error("cannot serve on %s:%s: %s", args.host, args.port, exc)  # noqa: TRY400
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
