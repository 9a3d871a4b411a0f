"""Run IM's own TOSCA-to-RADL converter on TOSCA files and print the RADL.

Run it with the python of the IM venv (tools/im_venv.sh makes .venv-im):

    .venv-im/bin/python tools/im_convert.py FILE            # RADL text of one file
    .venv-im/bin/python tools/im_convert.py --json FILE...  # JSON report for many

IM (GPL-3.0) is used here as a separate program and a test peer only: this
script imports it and calls its public converter class, ``IM.tosca.Tosca``:
``Tosca(yaml_text)`` parses and checks the template with tosca-parser, and
``.to_radl()`` returns ``(removal_list, RADL)``; ``str(RADL)`` is RADL text.

It never touches the network: every outbound connection other than to
127.0.0.0/8 is refused, so a template whose imports or artifact URLs were not
rewritten to local files fails quickly with an error instead of fetching.
tests/im_equivalence.py rewrites them before calling this script.

JSON output (``--json``)::

    {"im_version": "2.0.0",
     "results": {"<file as given>": {"radl": "...", "seconds": 0.05}
                                  | {"error": "...", "error_type": "...", "seconds": 0.01}}}

The time is the wall time of ``Tosca(text)`` plus ``.to_radl()``, the whole
conversion as IM does it for a request.

Options: ``--artifacts-path DIR`` points IM at a local copy of the artifacts
folder it would otherwise fetch from its remote repository (relative
``implementation`` names); ``--timeout S`` bounds each file (default 60 s);
``--warmup`` converts the first file once untimed, as a running IM server has
its imports and caches warm; ``--repeat N`` converts each file N times and
reports the shortest time.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time


# IM names the system of a container application `<node>-<first 8 characters
# of the infrastructure id>`; the id is a fresh uuid1 unless fixed, as here.
INFRASTRUCTURE_ID = "imconvrt-0000-0000-0000-000000000000"


def _refuse_network() -> None:
    """Refuse every IPv4/IPv6 connection that is not to a loopback address."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def allowed(sock, address) -> bool:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return True
        try:
            return ipaddress.ip_address(address[0]).is_loopback
        except ValueError:
            return address[0] == "localhost"

    def connect(sock, address):
        if not allowed(sock, address):
            raise ConnectionRefusedError(f"im_convert: no network; refused {address!r}")
        return real_connect(sock, address)

    def connect_ex(sock, address):
        if not allowed(sock, address):
            raise ConnectionRefusedError(f"im_convert: no network; refused {address!r}")
        return real_connect_ex(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        # Name lookups would leave the machine too; loopback names only.
        if host not in (None, "localhost") and not _is_ip_loopback(host):
            raise socket.gaierror(f"im_convert: no network; refused to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    real_getaddrinfo = socket.getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo


def _is_ip_loopback(host) -> bool:
    try:
        return ipaddress.ip_address(host if isinstance(host, str) else host.decode()).is_loopback
    except ValueError:
        return False


class _Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Timeout("IM's converter took too long")


def _clean_message(message: str) -> str:
    """tosca-parser's collected errors carry a stack trace per error (lines
    indented by two tabs or more): keep the messages, drop the traces."""
    lines = [line.rstrip() for line in message.splitlines() if not line.startswith("\t\t")]
    return "\n".join(line for line in lines if line.strip())


def _convert(tosca_class, path: str, timeout: float, repeat: int = 1) -> dict:
    """Convert one file; with ``repeat`` > 1 convert it that many times and
    keep the shortest time (the least disturbed by other load)."""
    result = _convert_once(tosca_class, path, timeout)
    for _ in range(repeat - 1):
        if "error" in result:
            break
        again = _convert_once(tosca_class, path, timeout)
        result["seconds"] = min(result["seconds"], again["seconds"])
    return result


def _convert_once(tosca_class, path: str, timeout: float) -> dict:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    started = time.perf_counter()
    if timeout and hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        tosca = tosca_class(text)
        tosca.id = INFRASTRUCTURE_ID  # IM names pods after it; a fixed one makes the RADL repeatable
        _, radl = tosca.to_radl()
        result = {"radl": str(radl)}
    except _Timeout as exc:
        result = {"error": f"{exc} (over {timeout:g} s)", "error_type": "Timeout"}
    except Exception as exc:  # IM raises plain Exception, tosca-parser anything
        result = {"error": _clean_message(str(exc) or repr(exc)), "error_type": type(exc).__name__}
    finally:
        if timeout and hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)
    result["seconds"] = time.perf_counter() - started
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", help="TOSCA files (URLs already rewritten to local files)")
    parser.add_argument("--json", action="store_true", help="print a JSON report for all files")
    parser.add_argument("--artifacts-path", help="local folder for IM's relative artifact names")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds allowed per file (0: none)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="convert each file N times and report the shortest time")
    parser.add_argument("--warmup", action="store_true",
                        help="convert the first file once, untimed, before the timed runs "
                             "(a running IM server has its imports and caches warm)")
    args = parser.parse_args(argv)

    _refuse_network()
    logging.disable(logging.CRITICAL)  # IM and tosca-parser log every step
    files = [os.path.abspath(f) for f in args.files]

    # IM's converter opens a requests-cache database in the working directory:
    # keep it out of the caller's tree.
    workdir = tempfile.mkdtemp(prefix="im-convert-")
    old_cwd = os.getcwd()
    os.chdir(workdir)
    try:
        from importlib.metadata import version

        from IM.tosca.Tosca import Tosca

        if args.artifacts_path:
            Tosca.ARTIFACTS_PATH = os.path.abspath(args.artifacts_path)
        # Never fetch from IM's remote artifacts repository.
        Tosca.ARTIFACTS_REMOTE_REPO = "http://127.0.0.1:9/im-convert-offline/"
        signal.signal(signal.SIGALRM, _on_alarm)
        if args.warmup:
            _convert(Tosca, files[0], args.timeout)
        results = {given: _convert(Tosca, path, args.timeout, max(1, args.repeat))
                   for given, path in zip(args.files, files)}
        im_version = version("im")
    finally:
        os.chdir(old_cwd)
        shutil.rmtree(workdir, ignore_errors=True)

    if args.json:
        json.dump({"im_version": im_version, "results": results}, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    status = 0
    for given, result in results.items():
        if "error" in result:
            print(f"{given}: IM rejects: {result['error_type']}: {result['error']}", file=sys.stderr)
            status = 1
        else:
            if len(results) > 1:
                print(f"# {given}")
            print(result["radl"])
    return status


if __name__ == "__main__":
    sys.exit(main())
