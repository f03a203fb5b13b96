"""Run one command and report its own wall time, CPU time and peak RSS (used by harness.run_process).

Usage: python -I -S launch.py RESULT_FD -- COMMAND [ARGS...]

Why a launcher: on Linux a process's peak RSS (ru_maxrss) survives exec, so a command started straight from
the benchmark (which may hold an emulator with 10,000 Items) reports the benchmark's peak whenever its own is
lower. This launcher is a bare interpreter (no site, nothing imported but os/sys/time), so what carries over
into the command is only the launcher's own few megabytes, which it reports as the floor: peaks below it
cannot be seen, and every Python program peaks above it. The command inherits stdin, stdout and stderr; the
result goes, as one JSON line, to RESULT_FD. The launcher's exit status is the command's.
"""

import os
import sys
import time


def own_peak_kib() -> int:
    # VmHWM is this address space's own high-water mark, unlike ru_maxrss which carried our parent's over.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> int:
    result_fd = int(sys.argv[1])
    if sys.argv[2] != "--" or len(sys.argv) < 4:
        sys.stderr.write("usage: launch.py RESULT_FD -- COMMAND [ARGS...]\n")
        return 2
    command = sys.argv[3:]
    floor_kib = own_peak_kib()
    started = time.perf_counter()
    try:
        pid = os.posix_spawnp(command[0], command, os.environ)
    except OSError as exc:
        sys.stderr.write(f"launch.py: cannot run {command[0]}: {exc}\n")
        return 127
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    peak_kib = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    returncode = os.waitstatus_to_exitcode(status)
    line = (
        f'{{"seconds": {seconds!r}, "cpu_seconds": {usage.ru_utime + usage.ru_stime!r}, '
        f'"peak_rss_kib": {peak_kib}, "floor_rss_kib": {floor_kib}, "returncode": {returncode}}}\n'
    )
    os.write(result_fd, line.encode())
    return returncode if returncode >= 0 else 128 - returncode


if __name__ == "__main__":
    sys.exit(main())
