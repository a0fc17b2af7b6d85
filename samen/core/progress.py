"""A progress bar for long management commands, shown on a terminal only.

On a terminal a person sees how far the command has come; under cron (no terminal) the bar is off,
so the mail cron sends carries only the command's closing counts.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress_bar(stream, description: str, unit: str) -> Iterator[Callable[[int, int], None]]:
    """Yield `progress(done, total)`, which moves the bar; the total may change as work is found."""
    bar = tqdm(
        file=stream,
        unit=unit,
        desc=description,
        dynamic_ncols=True,
        mininterval=0.2,
        leave=False,
        disable=None,  # None: on a terminal only
    )

    def progress(done: int, total: int) -> None:
        if bar.total != total:
            bar.reset(total=total)
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        bar.close()
