"""Entry of Hearth's Python runtime inside a gVisor (runsc) container that can be checkpointed and restored
(snapshot/, docs/faasnap.md).

runsc hands a container only its stdio, and a restore re-attaches exactly those three descriptors to the
restored process, so the runtime channel rides on them: requests arrive on stdin, replies leave on stdout,
framed as hearth_runtime.py frames them (docs/runtimes.md). The channel is moved to fds 3/4 (where
hearth_runtime serves it) and fds 0/1 are pointed at /dev/null and stderr, so a function that prints or
reads stdin cannot corrupt the channel.
"""
import os
import sys

os.dup2(0, 3)
os.dup2(1, 4)
null = os.open("/dev/null", os.O_RDONLY)
os.dup2(null, 0)
os.close(null)
os.dup2(2, 1)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hearth_runtime  # noqa: E402  (after the descriptors are in place: it counts its channels on import)

hearth_runtime.serve(3, 4, None)
