"""`set pyxray show-location on`: the Python location at every stop.

After gdb prints where a thread stopped in C, pyxray adds where that
thread is in Python:

    Python: File "app.py", line 42, in handle
        result = parse(payload)
"""
import gdb

from pyxray.errors import Error
from pyxray.render import frame_lines

from . import params, session


def on_stop(event):
    """gdb has printed where the thread stopped; add where it is in Python."""
    if not params.value("show-location"):
        return
    from . import breaks
    if breaks.is_own_stop(event):
        return  # py-break's own stops say it themselves
    try:
        text = location_text()
    except (Error, gdb.error) as e:
        text = "Python: (%s)" % e
    except Exception as e:  # never get between the user and the prompt
        text = "Python: (pyxray internal error: %s: %s)" % (type(e).__name__, e)
    if text:
        gdb.write(text + "\n")


def location_text():
    thread = gdb.selected_thread()
    if thread is None:
        return None
    prog = session.program()
    data = prog.stack(thread=thread.ptid[1] or thread.ptid[0])
    frames = data["threads"][0]["frames"] if data["threads"] else []
    if not frames:
        return "Python: (this thread runs no Python code)"
    lines = frame_lines(frames[-1])
    return "\n".join(["Python: " + lines[0].lstrip()] + lines[1:])


def install():
    gdb.events.stop.connect(on_stop)
