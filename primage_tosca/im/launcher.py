"""Run an IM server from a config file, every Dummy VM interface on 127.0.0.1.

Run by IM's own python (``python launcher.py CONFIG``), never imported by
primage_tosca: it imports only IM and the standard library. IM reads its
config at import from fixed places; this sets ``IM.config.Config`` from
CONFIG's ``[im]`` section first. The Dummy connector gives its VMs
10.0.0.1 on interface 0 only; a local server must never reach beyond
loopback, so each launched VM gets 127.0.0.1 on every interface.
"""

import configparser
import sys


def _loopback_everywhere(connector_class):
    launch = connector_class.launch

    def launch_on_loopback(self, inf, radl, requested_radl, num_vm, auth_data):
        results = launch(self, inf, radl, requested_radl, num_vm, auth_data)
        for ok, vm in results:
            if not ok:
                continue
            for system in vm.info.systems:
                count = max(system.getNumNetworkIfaces(), 1)
                for index in range(count):
                    system.setValue(f"net_interface.{index}.ip", "127.0.0.1")
        return results

    connector_class.launch = launch_on_loopback


def main(argv):
    if len(argv) != 2:
        print("usage: launcher.py CONFIG", file=sys.stderr)
        return 2
    parser = configparser.ConfigParser()
    if not parser.read(argv[1]):
        print(f"cannot read {argv[1]}", file=sys.stderr)
        return 2
    from IM.config import Config, parse_options

    parse_options(parser, "im", Config)
    from IM.connectors import Dummy

    _loopback_everywhere(Dummy.DummyCloudConnector)
    from IM import im_service

    sys.argv = [sys.argv[0]]
    im_service.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
