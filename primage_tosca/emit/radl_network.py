"""Networks: Network nodes, the interfaces Port nodes bind, and the public
and private networks IM gives a Compute from its endpoints.

The rules follow IM's converter: every VM gets the shared private network
(unless it asks for a public address and no private one), a VM with a PUBLIC
endpoint gets a public network of its own (``public_net``, ``public_net_1``,
...), and the endpoint ports become that network's ``outports``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..functions import is_symbolic
from ..records import field, record
from .radl_context import NETWORK, PORT, Emission, as_int
from .radl_text import Block, check_identifier
from .urls import split_url

ENDPOINT = "tosca.capabilities.Endpoint"
NETWORK_PROPERTIES = frozenset({"network_type", "network_name", "cidr", "gateway_ip", "proxy_host", "proxy_credential"})
PORT_PROPERTIES = frozenset({"ip_address", "order", "dns_name", "additional_ip", "additional_dns_names", "tls"})
MOVED_TO_CLOUD_NET = ("provider_id", "cidr", "create", "router", "outports")
ENDPOINT_PROPERTIES = frozenset({"network_name", "dns_name", "additional_dns_names", "private_ip", "ports", "port",
                                 "protocol", "remote_cidr", "additional_ip", "tls"})


def is_public(block: Block) -> bool:
    return str(block.get("outbound") or "").lower() == "yes"


def unique_network_name(em: Emission, base: str) -> str:
    name, number = base, 1
    while em.doc.network(name) is not None:
        name = f"{base}_{number}"
        number += 1
    return name


# -- Network nodes ---------------------------------------------------------------------------------

def build_network(em: Emission, name: str) -> Block:
    properties = em.topology.node(name)["properties"]
    raw = em.topology.raw[name]
    block = Block("network", name)
    for prop in sorted(raw.written - NETWORK_PROPERTIES):
        em.unmapped(f"network property {prop!r} has no RADL feature", raw.path + ("properties", prop))
    values = {}
    for prop in NETWORK_PROPERTIES:
        value = properties.get(prop)
        if value is not None and not em.runtime(value, f"network property {prop!r}", raw.path + ("properties", prop)):
            values[prop] = value
    if str(values.get("network_type", "")).lower() == "public":
        block.set("outbound", "yes")  # otherwise unset: private, as IM writes it
    if values.get("network_name"):
        block.set("provider_id", str(values["network_name"]))
    if values.get("cidr"):
        block.set("cidr", str(values["cidr"]))
        block.set("create", "yes")  # a CIDR means: create this network
    if values.get("gateway_ip"):
        block.set("router", str(values["gateway_ip"]))
    if values.get("proxy_host"):
        _proxy(em, block, values["proxy_host"], values.get("proxy_credential"), raw.path)
    return block


def _proxy(em: Emission, block: Block, host: Any, credential: Any, path: tuple) -> None:
    if not isinstance(credential, dict) or not credential.get("user"):
        em.error("proxy_host needs a proxy_credential with a user", path + ("properties", "proxy_host"))
        return
    token_type = credential.get("token_type") or "password"
    token = credential.get("token")
    user = credential["user"]
    if token_type == "password" and token:
        block.set("proxy_host", f"{user}:{token}@{host}")
    else:
        block.set("proxy_host", f"{user}@{host}")
    if token_type == "private_key" and token:
        block.set("proxy_key", str(token))


# -- a Compute's interfaces --------------------------------------------------------------------

@record
class Endpoints:
    """What a Compute's endpoints (and those of the nodes on it) ask for."""

    public: bool = False
    private: bool = True
    provider_id: str | None = None
    pool: str | None = None
    dns_name: Any = None
    dns_names: list = field(default_factory=list)
    tls: bool = False
    additional_ip: Any = None
    ports: list[dict] = field(default_factory=list)


def endpoint_capabilities(em: Emission, compute: str) -> list[tuple[str, str]]:
    """(node, capability) of the endpoints that open ports on ``compute``:
    every Endpoint capability of the nodes hosted on it, then its own
    ``endpoint``."""
    types = em.topology.types
    found = []
    for node in em.topology.hosted_on(compute):
        if node == compute:
            continue
        for name, cap in em.topology.raw[node].capabilities.items():
            if cap.type and types.is_derived_from("capability_types", cap.type, ENDPOINT):
                found.append((node, name))
    if "endpoint" in em.topology.raw[compute].capabilities:
        found.append((compute, "endpoint"))
    return found


def read_endpoints(em: Emission, compute: str) -> Endpoints:
    wanted = Endpoints()
    public_ip = em.topology.node(compute)["properties"].get("public_ip")
    wanted.public = bool(public_ip) and not is_symbolic(public_ip)
    for node, capability in endpoint_capabilities(em, compute):
        values = em.topology.node(node)["capabilities"][capability]["properties"]
        raw = em.topology.raw[node].capabilities[capability]
        _endpoint(em, wanted, values, raw.path + ("properties",))
        if capability not in em.referenced.get(node, ()):
            for prop in sorted(raw.written - ENDPOINT_PROPERTIES):
                em.unmapped(f"endpoint property {prop!r} of {node!r} has no RADL feature and no operation reads it",
                            raw.path + ("properties", prop))
    return wanted


def _endpoint(em: Emission, wanted: Endpoints, values: dict, path: tuple) -> None:
    usable = {k: v for k, v in values.items()
              if v is not None and not (is_symbolic(v) and em.runtime(v, f"endpoint property {k!r}", path + (k,)))}
    if "network_name" in usable:
        _network_name(wanted, str(usable["network_name"]))
    if "dns_name" in usable:
        wanted.dns_name = usable["dns_name"]
    if isinstance(usable.get("additional_dns_names"), list):
        wanted.dns_names = usable["additional_dns_names"]
    if "private_ip" in usable:
        wanted.private = bool(usable["private_ip"])
    if "ports" in usable:
        ports = usable["ports"]
        wanted.ports.extend(p for p in (ports.values() if isinstance(ports, dict) else ports) if isinstance(p, dict))
    if "port" in usable:
        single = {"protocol": usable.get("protocol") or "tcp", "source": usable["port"]}
        if usable.get("remote_cidr"):
            single["remote_cidr"] = usable["remote_cidr"]
        wanted.ports.append(single)
    if "additional_ip" in usable:
        wanted.additional_ip = usable["additional_ip"]
    if "tls" in usable:
        wanted.tls = bool(usable["tls"])


def _network_name(wanted: Endpoints, name: str) -> None:
    """PUBLIC, PRIVATE, ``<provider id>.PUBLIC``, ``<provider id>.PRIVATE``,
    ``<network>,<pool>`` (OpenStack) or a private network's provider id."""
    parts = name.split(",")
    if len(parts) > 1:
        name, wanted.pool, wanted.public = parts[0].strip(), parts[1].strip(), True
    if name == "PUBLIC":
        wanted.public = True
    elif name.endswith(".PUBLIC"):
        wanted.public, wanted.provider_id = True, name[: -len(".PUBLIC")]
    elif name.endswith(".PRIVATE"):
        wanted.provider_id = name[: -len(".PRIVATE")]
    elif name != "PRIVATE":
        wanted.provider_id = name


def attach_networks(em: Emission, compute: str, system: Block, ports_of: dict[str, list[str]]) -> None:
    wanted = read_endpoints(em, compute)
    if wanted.dns_name:
        system.set("net_interface.0.dns_name", str(wanted.dns_name))
        system.set("net_interface.0.dns.0.name", str(wanted.dns_name))
        if wanted.tls:
            system.set("net_interface.0.dns.0.tls", "true")
    if wanted.additional_ip:
        system.set("net_interface.0.additional_ip", str(wanted.additional_ip))
    outports = format_outports(em, wanted.ports, em.topology.raw[compute].path)
    if ports_of.get(compute):
        _bound_ports(em, compute, system, ports_of[compute], outports)
    else:
        _endpoint_networks(em, system, wanted, outports)


def _endpoint_networks(em: Emission, system: Block, wanted: Endpoints, outports: str) -> None:
    private_net = None
    interface = 0
    if not wanted.public or wanted.private:
        private_net = em.first_private
        if private_net is None:
            private_net = em.doc.add_network(Block("network", unique_network_name(em, "private_net")))
            private_net.set("outbound", "no")
            em.first_private = private_net
        if not wanted.public and outports:
            add_outports(private_net, outports)
        system.set(f"net_interface.{interface}.connection", private_net.name)
        interface += 1
    public_net = None
    if wanted.public:
        public_net = em.doc.add_network(Block("network", unique_network_name(em, "public_net")))
        public_net.set("outbound", "yes")
        if outports:
            add_outports(public_net, outports)
        system.set(f"net_interface.{interface}.connection", public_net.name)
        for number, dns in enumerate(wanted.dns_names):
            system.set(f"net_interface.{interface}.dns.{number}.name", str(dns))
            if wanted.tls:
                system.set(f"net_interface.{interface}.dns.{number}.tls", "true")
    if wanted.provider_id:
        if private_net is not None:
            private_net.set("provider_id", wanted.provider_id)
        if public_net is not None and (wanted.pool or private_net is None):
            public_net.set("provider_id", wanted.pool or wanted.provider_id)
    elif public_net is not None and wanted.pool:
        public_net.set("provider_id", wanted.pool)


def add_outports(network: Block, outports: str) -> None:
    existing = network.get("outports")
    network.set("outports", f"{existing},{outports}" if existing else outports)


# -- Port nodes ----------------------------------------------------------------------------------------

def ports_by_compute(em: Emission) -> dict[str, list[str]]:
    """Compute -> the Port nodes bound to it, in template order."""
    found: dict[str, list[str]] = {}
    for name in em.topology.nodes:
        if not em.is_a(name, PORT):
            continue
        binding = _end(em, name, "binding", "BindsTo")
        if binding is not None:
            found.setdefault(binding, []).append(name)
        else:
            em.unmapped(f"Port {name!r} is bound to no node; left out", em.topology.raw[name].path)
    return found


def _end(em: Emission, port: str, requirement: str, kind: str) -> str | None:
    for target, edge in em.topology.edges_from(port):
        if edge["requirement"] == requirement or edge["kind"] == kind:
            return target
    return None


def _bound_ports(em: Emission, compute: str, system: Block, ports: list[str], outports: str) -> None:
    port_net = None
    orders = []
    for port in ports:
        raw = em.topology.raw[port]
        values = em.topology.node(port)["properties"]
        for prop in sorted(raw.written - PORT_PROPERTIES):
            em.unmapped(f"Port property {prop!r} has no RADL feature", raw.path + ("properties", prop))
        link = _end(em, port, "link", "LinksTo")
        network = em.doc.network(link) if link else None
        if network is None or not em.is_a(link, NETWORK):
            em.error(f"Port {port!r} links to no Network node", raw.path)
            continue
        order = as_int(values.get("order", 0))
        if order is None:
            em.error(f"Port {port!r}: order must be a non-negative integer", raw.path + ("properties", "order"))
            continue
        orders.append(order)
        _port_features(em, system, order, link, values, raw.path)
        if is_public(network) or port_net is None:
            port_net = network  # the outports go to a public network, else the first
    if sorted(set(orders)) != list(range(len(set(orders)))):
        em.error(f"the Ports bound to {compute!r} must have orders 0, 1, 2... without gaps (they are "
                 f"{sorted(orders)})", em.topology.raw[compute].path)
    if port_net is not None and outports:
        add_outports(port_net, outports)


def _port_features(em: Emission, system: Block, order: int, link: str, values: dict, path: tuple) -> None:
    prefix = f"net_interface.{order}."
    system.set(prefix + "connection", link)
    usable = {k: v for k, v in values.items()
              if v is not None and not em.runtime(v, f"Port property {k!r}", path + ("properties", k))}
    if usable.get("ip_address"):
        system.set(prefix + "ip", str(usable["ip_address"]))
    if usable.get("dns_name"):
        system.set(prefix + "dns.0.name", str(usable["dns_name"]))
        if usable.get("tls"):
            system.set(prefix + "dns.0.tls", "true")
    if usable.get("additional_ip"):
        system.set(prefix + "additional_ip", str(usable["additional_ip"]))
    for number, dns in enumerate(usable.get("additional_dns_names") or []):
        system.set(f"{prefix}dns.{number}.name", str(dns))
        if usable.get("tls"):
            system.set(f"{prefix}dns.{number}.tls", "true")


# -- outports ------------------------------------------------------------------------------------------

def format_outports(em: Emission, ports: list[dict], path: tuple, mirror: bool = True) -> str:
    """PortSpecs as RADL outports: ``80/tcp-80/tcp`` (remote-local), ranges
    ``5000:5010/udp``, a ``remote_cidr`` in front. A port given on one side
    only is the same on the other, unless ``mirror`` is false (then 0, as IM
    writes a pod's ports: the node port or the container port left open)."""
    written = []
    for port in ports:
        text = outport(port, mirror)
        if text is None:
            em.unmapped(f"port {port!r} needs a source or target port number (and a tcp, udp or icmp "
                        "protocol, an IPv4 remote_cidr); left out", path)
        else:
            written.append(text)
    return ",".join(written)


def outport(port: dict, mirror: bool = True) -> str | None:
    """One PortSpec as an outport (see format_outports); None when it cannot be one."""
    protocol = str(port.get("protocol") or "tcp").lower()
    if protocol not in ("tcp", "udp", "icmp"):
        return None
    cidr = port.get("remote_cidr")
    prefix = ""
    if cidr:
        try:
            network = ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            return None
        if network.version != 4:
            return None
        prefix = f"{cidr}-"
    if port.get("source_range"):
        bounds = port["source_range"]
        if not isinstance(bounds, list) or len(bounds) != 2 or any(as_int(b) is None for b in bounds):
            return None
        return f"{prefix}{as_int(bounds[0])}:{as_int(bounds[1])}/{protocol}"
    remote, local = as_int(port.get("source")) or 0, as_int(port.get("target")) or 0
    if mirror:
        remote, local = remote or local, local or remote
    if not remote and not local:
        return None
    return f"{prefix}{remote}/{protocol}-{local}/{protocol}"


# -- IM's finishing touches ---------------------------------------------------------------------------

def complete_networks(em: Emission) -> None:
    """At least one network, and every system connected on interface 0."""
    if not em.doc.networks:
        public = em.doc.add_network(Block("network", "public"))
        public.set("outbound", "yes")
    fallback = next((n for n in em.doc.networks if is_public(n)), em.doc.networks[-1])
    for system in em.systems.values():
        if not system.has("net_interface.0.connection"):
            system.set("net_interface.0.connection", fallback.name)


def split_private_networks(em: Emission, deployed: list[str]) -> None:
    """A private network cannot span two clouds: when systems whose images
    come from different cloud sites share one, IM gives each later site a
    network ``private.<site>`` (moving the provider id, CIDR and outports to
    it). Done here the same way, in deploy order."""
    site_of: dict[str, str] = {}
    for name in deployed:
        system = em.systems[name]
        site = _image_site(system.get("disk.0.image.url"))
        if site is None:
            continue
        number = 0
        while system.has(f"net_interface.{number}.connection"):
            net_id = system.get(f"net_interface.{number}.connection")
            network = em.doc.network(net_id)
            if network is not None and not is_public(network):
                _place(em, system, network, site, site_of)
            number += 1


def _image_site(url: Any) -> str | None:
    if not isinstance(url, str) or "://" not in url:
        return None
    parts = split_url(url)
    if parts is None:  # reported where the image is written (radl_system)
        return None
    return f"{parts.scheme}://{parts.netloc.split(':')[0]}"


def _place(em: Emission, system: Block, network: Block, site: str, site_of: dict[str, str]) -> None:
    if network.name not in site_of:
        site_of[network.name] = site
        return
    if site_of[network.name] == site:
        return
    other = next((net for net, where in site_of.items() if where == site), None)
    if other is None:
        host = site.split("://", 1)[1]
        base = f"private.{host}" if check_identifier(f"private.{host}") is None else "private_site"
        new = em.doc.add_network(Block("network", unique_network_name(em, base)))
        new.set("outbound", "no")
        for feature in MOVED_TO_CLOUD_NET:
            if network.get(feature):
                new.set(feature, network.get(feature))
                network.remove(feature)
        other = new.name
    number = 0
    while system.has(f"net_interface.{number}.connection"):
        if system.get(f"net_interface.{number}.connection") == network.name:
            system.set(f"net_interface.{number}.connection", other)
        number += 1
    site_of[other] = site
