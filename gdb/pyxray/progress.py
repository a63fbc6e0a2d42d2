"""A progress line on a terminal, for work that takes more than a second
(the referrer index, --all-heap over millions of objects)."""

__all__ = ["ProgressLine"]


class ProgressLine:
    """Program.on_progress for a terminal: write(text) puts text on it.
    Shows nothing for work shorter than delay seconds; rewrites one line
    with a carriage return, and erases it when the work ends."""

    def __init__(self, write, delay=1.0):
        self.write = write
        self.delay = delay
        self.shown = 0

    def __call__(self, what, done, total, elapsed):
        if what is None:
            if self.shown:
                self.write("\r%s\r" % (" " * self.shown))
                self.shown = 0
            return
        if elapsed < self.delay:
            return
        self.write("\r" + self.text(what, done, total).ljust(self.shown))
        self.shown = max(self.shown, len(self.text(what, done, total)))

    @staticmethod
    def text(what, done, total):
        if total:
            return "pyxray: %s: %s of %s (%d%%)" % (what, "{:,}".format(done),
                                                   "{:,}".format(total),
                                                   100 * done // total)
        return "pyxray: %s: %s so far" % (what, "{:,}".format(done))
