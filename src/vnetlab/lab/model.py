"""The typed model of a lab file (pydantic v2, at the file boundary only).

A lab is data: nodes (network namespaces) with their setup command lines, links between them
(veth pairs, or a node's NIC wired to an external switch port with optional hairpin), and checks
with expected results. ``vnetlab schema`` prints the JSON Schema of ``Lab`` for editors;
``docs/lab.schema.json`` is that schema checked in (a test keeps the two equal).

    name: two-ns-bridge
    nodes:
      host:
        setup:
          - ip link add br0 type bridge
          - ip link set br0 up
      a:
        setup: [ip addr add 10.0.0.1/24 dev eth0, ip link set eth0 up]
    links:
      - veth: [a:eth0, host:veth-a]
      - wire: b:eth0
        switch: lan
        hairpin: true
    checks:
      - ping: {from: a, to: 10.0.0.2, expect: ok}
      - exec: {node: a, cmd: ip -br link show eth0, expect_exit: 0}
      - curl: {from: a, url: http://10.0.0.100/, repeat: 4, expect: [rs1, rs2]}
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import (AfterValidator, BaseModel, ConfigDict, Discriminator, Field, PrivateAttr,
                      Tag, field_validator, model_validator)

NAME_RE = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$"
IFNAME_RE = r"^[^/:\s]{1,15}$"
MAC_RE = r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$"
_ENDPOINT = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.-]{0,31}):([^/:\s]{1,15})$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Endpoint(str):
    """``NODE:IFNAME``."""

    @property
    def node(self) -> str:
        return self.split(":", 1)[0]

    @property
    def ifname(self) -> str:
        return self.split(":", 1)[1]


def _endpoint(v: str) -> str:
    if not isinstance(v, str) or not _ENDPOINT.match(v):
        raise ValueError(f"expected NODE:IFNAME (an interface name of at most 15 characters), "
                         f"got {v!r}")
    return v


EndpointStr = Annotated[str, AfterValidator(_endpoint), Field(
    json_schema_extra={"pattern": _ENDPOINT.pattern}, description="NODE:IFNAME")]


class Node(_Strict):
    """One network namespace and the command lines that set it up (run inside it, in order)."""

    setup: list[str] = Field(default_factory=list, description=(
        "command lines in the script command language (ip, sysctl, bridge, tc, "
        "echo N > /proc/sys/...), run inside this node's netns in order"))
    description: str | None = None


class VethLink(_Strict):
    """A veth pair: ``veth: [a:eth0, b:eth0]``."""

    veth: tuple[EndpointStr, EndpointStr] = Field(description="the two ends, NODE:IFNAME each")
    mtu: int | None = Field(default=None, ge=68, le=65535)

    @field_validator("veth")
    @classmethod
    def _ends(cls, v):
        if v[0] == v[1]:
            raise ValueError("the two ends of a veth must differ")
        return v

    def ends(self) -> tuple[Endpoint, Endpoint]:
        return Endpoint(self.veth[0]), Endpoint(self.veth[1])


class WireLink(_Strict):
    """A node's NIC cabled to a port of an external switch (a lab switch, a VMnet)."""

    wire: EndpointStr = Field(description="the NIC, NODE:IFNAME")
    switch: str = Field(pattern=NAME_RE, description="the switch's name (made on first use)")
    hairpin: bool = Field(default=False, description=(
        "reflective relay on this port (802.1Qbg): frames may go back out the port they "
        "came in on, as MACVLAN vepa needs"))
    mac: str | None = Field(default=None, pattern=MAC_RE, description="the NIC's MAC address")

    def nic(self) -> Endpoint:
        return Endpoint(self.wire)


def _key_tag(*keys: str):
    def tag(v):
        if isinstance(v, dict):
            for k in keys:
                if k in v:
                    return k
            return None
        for k in keys:
            if hasattr(v, k):
                return k
        return None
    return tag


Link = Annotated[Union[Annotated[VethLink, Tag("veth")], Annotated[WireLink, Tag("wire")]],
                 Discriminator(_key_tag("veth", "wire"), custom_error_type="link_kind",
                               custom_error_message="a link needs a 'veth' or a 'wire' key")]


_ATTACH_MODES = {"macvlan": ("private", "vepa", "bridge", "passthru", "source"),
                 "macvtap": ("private", "vepa", "bridge", "passthru", "source"),
                 "ipvlan": ("l2", "l3", "l3s")}


class AttachSpec(_Strict):
    """A named host device explicitly given to the lab (linux backend): ``{host: eth1, node:
    n1, type: macvlan, mode: bridge, name: mv0}`` makes ``ip link add link eth1 name mv0 netns
    n1 type macvlan mode bridge`` - created directly inside the node, so the host's own device
    list never changes."""

    host: str = Field(pattern=IFNAME_RE, description="the host's interface (e.g. eth1)")
    node: str = Field(pattern=NAME_RE, description="the node that gets the new device")
    type: Literal["macvlan", "macvtap", "ipvlan"] = "macvlan"
    mode: str | None = Field(default=None, description=(
        "macvlan/macvtap: private, vepa, bridge, passthru, source; ipvlan: l2, l3, l3s "
        "(default: the kernel's, vepa / l3)"))
    name: str = Field(pattern=IFNAME_RE, description="the new device's name in the node")

    @model_validator(mode="after")
    def _mode(self):
        if self.mode is not None and self.mode not in _ATTACH_MODES[self.type]:
            raise ValueError(f"mode {self.mode!r} is not a {self.type} mode (one of "
                             f"{', '.join(_ATTACH_MODES[self.type])})")
        return self


class PingSpec(_Strict):
    src: str = Field(alias="from", pattern=NAME_RE, description="the node that pings")
    to: str = Field(description="an IPv4 address, or a node name (its first global address)")
    expect: Literal["ok", "fail"] = "ok"
    count: int = Field(default=1, ge=1, le=100)
    timeout: int = Field(default=1, ge=1, le=60, description="ping -W, seconds")
    size: int | None = Field(default=None, ge=0, le=65507, description="ping -s, data bytes")


class ExecSpec(_Strict):
    node: str = Field(pattern=NAME_RE)
    cmd: str = Field(min_length=1, description="one command line, run inside the node")
    expect_stdout: str | None = Field(default=None, description=(
        "the whole standard output (trailing newlines ignored)"))
    expect_stdout_contains: str | None = None
    expect_exit: int | None = Field(default=None, ge=0, le=255)

    @model_validator(mode="after")
    def _some_expectation(self):
        if self.expect_stdout is None and self.expect_exit is None and \
                self.expect_stdout_contains is None:
            self.expect_exit = 0
        return self


class CurlSpec(_Strict):
    src: str = Field(alias="from", pattern=NAME_RE)
    url: str = Field(min_length=1)
    repeat: int | None = Field(default=None, ge=1, le=1000, description=(
        "how many requests (default: one per expected body)"))
    expect: list[str] = Field(min_length=1, description=(
        "the response bodies in order (trailing newlines ignored); request i must answer "
        "expect[i % len(expect)]"))


class PingCheck(_Strict):
    ping: PingSpec


class ExecCheck(_Strict):
    exec: ExecSpec


class CurlCheck(_Strict):
    curl: CurlSpec


Check = Annotated[Union[Annotated[PingCheck, Tag("ping")], Annotated[ExecCheck, Tag("exec")],
                        Annotated[CurlCheck, Tag("curl")]],
                  Discriminator(_key_tag("ping", "exec", "curl"), custom_error_type="check_kind",
                                custom_error_message="a check needs one of the keys 'ping', "
                                                     "'exec', 'curl'")]


class Lab(_Strict):
    """A vnetlab lab file."""

    name: str | None = None
    description: str | None = None
    nodes: dict[Annotated[str, Field(pattern=NAME_RE)], Node] = Field(
        min_length=1, description="network namespaces, by name, set up in this order")
    links: list[Link] = Field(default_factory=list)
    attach: list[AttachSpec] = Field(default_factory=list, description=(
        "host devices this lab may use (linux backend only): each gets a macvlan, macvtap or "
        "ipvlan created directly inside a node; the host's own interfaces are never touched"))
    checks: list[Check] = Field(default_factory=list)
    _filename: str = PrivateAttr("<lab>")
    _positions: dict = PrivateAttr(default_factory=dict)

    def references(self) -> list[tuple[tuple, str]]:
        """Cross-references the field types cannot check: (location, message) per problem."""
        names = set(self.nodes)
        errs: list[tuple[tuple, str]] = []
        seen: dict[str, str] = {}

        def known(ep: Endpoint, loc: tuple):
            if ep.node not in names:
                errs.append((loc, f"unknown node {ep.node!r} (nodes: "
                                  f"{', '.join(sorted(names))})"))
            elif str(ep) in seen:
                errs.append((loc, f"interface {ep} is already made by {seen[str(ep)]}"))
            else:
                seen[str(ep)] = _loc_text(loc)

        for i, link in enumerate(self.links):
            if isinstance(link, VethLink):
                for j, ep in enumerate(link.ends()):
                    known(ep, ("links", i, "veth", j))
            else:
                known(link.nic(), ("links", i, "wire"))
                if link.switch in names:
                    errs.append((("links", i, "switch"),
                                 f"switch {link.switch!r} has the name of a node"))
        for i, att in enumerate(self.attach):
            if att.node not in names:
                errs.append((("attach", i, "node"), f"unknown node {att.node!r} (nodes: "
                                                    f"{', '.join(sorted(names))})"))
            else:
                known(Endpoint(f"{att.node}:{att.name}"), ("attach", i, "name"))
        for i, chk in enumerate(self.checks):
            kind = check_kind(chk)
            spec = getattr(chk, kind)
            key = "node" if kind == "exec" else "from"
            node = spec.node if kind == "exec" else spec.src
            if node not in names:
                errs.append((("checks", i, kind, key), f"unknown node {node!r}"))
            if kind == "ping" and not _is_ipv4(spec.to) and spec.to not in names:
                errs.append((("checks", i, kind, "to"),
                             f"{spec.to!r} is neither an IPv4 address nor a node"))
        return errs

    def switches(self) -> list[str]:
        out: list[str] = []
        for link in self.links:
            if isinstance(link, WireLink) and link.switch not in out:
                out.append(link.switch)
        return out


def _is_ipv4(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def _loc_text(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def check_kind(chk) -> str:
    return "ping" if isinstance(chk, PingCheck) else "exec" if isinstance(chk, ExecCheck) \
        else "curl"


def json_schema() -> dict:
    s = Lab.model_json_schema(by_alias=True)
    s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    s["$id"] = "https://vnetlab.invalid/lab.schema.json"
    return s
