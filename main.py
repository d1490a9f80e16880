"""Unrolled: a visual simulator for recurrent neural networks.

python main.py                      open the window on the default scenario
python main.py --screenshot out.png [--set key=value ...]
python main.py train --task adding --cell lstm --seq-len 50 --json out.json
python main.py render [--lesson NAME | --scenario FILE] [--set key=value ...] --plot NAME --out PATH
python main.py lessons              list the lesson names
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a headless command or the window."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "train":
        from simulator.train_cli import main as train_main

        return train_main(argv[1:])
    if argv and argv[0] == "render":
        from ui.render_cli import main as render_main

        return render_main(argv[1:])
    if argv and argv[0] == "lessons":
        from ui.render_cli import lessons_main

        return lessons_main(argv[1:])
    from ui.app import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    sys.exit(main())
