"""A progress line on a terminal, for work that takes more than a second
(the referrer index, --all-heap over millions of objects).
PYXRAY_PROGRESS_DELAY sets that second (the tests use 0)."""
import os

__all__ = ["ProgressLine"]


class ProgressLine:
    """Program.on_progress for a terminal: write(text) puts text on it.
    Shows nothing for work shorter than delay seconds; rewrites one line
    with a carriage return, and erases it when the work ends."""

    def __init__(self, write, delay=None):
        self.write = write
        if delay is None:
            try:
                delay = float(os.environ.get("PYXRAY_PROGRESS_DELAY", "1"))
            except ValueError:
                delay = 1.0
        self.delay = delay
        self.shown = 0
        self.last = None

    def __call__(self, what, done, total, elapsed):
        if what is None:
            if self.shown:
                self.write("\r%s\r" % (" " * self.shown))
                self.shown = 0
                self.last = None
            return
        if elapsed < self.delay:
            return
        text = self.text(what, done, total)
        if text == self.last:
            return
        self.last = text
        self.write("\r" + text.ljust(self.shown))
        self.shown = max(self.shown, len(text))

    @staticmethod
    def text(what, done, total):
        if total:
            return "pyxray: %s: %s of %s (%d%%)" % (what, "{:,}".format(done),
                                                   "{:,}".format(total),
                                                   100 * done // total)
        return "pyxray: %s: %s so far" % (what, "{:,}".format(done))
