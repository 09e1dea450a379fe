"""The demo's content: an MSP and two customers, one of them running OT plants.

CVE facts (scores, vectors, CISA KEV dates, EPSS, ExploitDB entries) are copied from
the public NVD, CISA KEV, FIRST EPSS (model v2026.06.15) and Exploit-DB records of
those CVEs. Times are offsets from :data:`DEMO_NOW`, the instant the overview is
computed at, so every run prints the same breach flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DEMO_NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def ago(**delta: float) -> datetime:
    return DEMO_NOW - timedelta(**delta)


@dataclass(frozen=True)
class Cve:
    cve_id: str
    published: str
    status: str
    score: float
    severity: str
    vector: str
    kev: tuple[str, str] | None  # (date added, due date)
    epss: float
    percentile: float
    description: str

    @property
    def version(self) -> str:
        return self.vector.split("/")[0].removeprefix("CVSS:")


CVES = [
    Cve("CVE-2024-3400", "2024-04-12", "Awaiting Analysis", 10.0, "CRITICAL",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", ("2024-04-12", "2024-04-19"),
        0.99999, 1.0, "A command injection vulnerability in the GlobalProtect feature of Palo "
        "Alto Networks PAN-OS software for specific PAN-OS versions and distinct feature "
        "configurations may enable an unauthenticated attacker to execute arbitrary code with "
        "root privileges on the firewall."),
    Cve("CVE-2023-20198", "2023-10-16", "Analyzed", 10.0, "CRITICAL",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", ("2023-10-16", "2023-10-20"),
        0.99571, 0.99946, "Observed exploitation of the web UI feature in Cisco IOS XE "
        "Software when exposed to the internet or to untrusted networks."),
    Cve("CVE-2021-44228", "2021-12-10", "Analyzed", 10.0, "CRITICAL",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", ("2021-12-10", "2021-12-24"),
        0.99999, 1.0, "Apache Log4j2 2.0-beta9 through 2.15.0 JNDI features used in "
        "configuration, log messages, and parameters do not protect against attacker "
        "controlled LDAP and other JNDI related endpoints."),
    Cve("CVE-2022-40684", "2022-10-18", "Analyzed", 9.8, "CRITICAL",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", ("2022-10-11", "2022-11-01"),
        0.99984, 0.99983, "An authentication bypass using an alternate path or channel in "
        "Fortinet FortiOS version 7.2.0 through 7.2.1 and 7.0.0 through 7.0.6, FortiProxy and "
        "FortiSwitchManager allows an attacker to perform operations on the administrative "
        "interface via specially crafted HTTP or HTTPS requests."),
    Cve("CVE-2023-3595", "2023-07-12", "Awaiting Analysis", 9.8, "CRITICAL",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", None, 0.05526, 0.92541,
        "Where this vulnerability exists in the Rockwell Automation 1756 EN2* and 1756 EN3* "
        "ControlLogix communication products, it could allow a malicious user to perform "
        "remote code execution with persistence on the target system through maliciously "
        "crafted CIP messages."),
    Cve("CVE-2023-27407", "2023-05-09", "Analyzed", 9.9, "CRITICAL",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", None, 0.01297, 0.69262,
        "A vulnerability has been identified in SCALANCE LPE9403 (All versions < V2.1). The "
        "web based management of affected device does not properly validate user input."),
    Cve("CVE-2021-22779", "2021-07-14", "Analyzed", 9.1, "CRITICAL",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N", None, 0.01023, 0.62072,
        "Authentication Bypass by Spoofing vulnerability exists in EcoStruxure Control Expert "
        "(all versions prior to V15.0 SP1) and Modicon M580 and M340 controllers."),
    Cve("CVE-2024-9137", "2024-10-14", "Undergoing Analysis", 8.8, "HIGH",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:H/SC:N/SI:N/SA:N", None, 0.00501,
        0.40497, "The affected Moxa product lacks an authentication check when sending "
        "commands to the server via the Moxa service."),
    Cve("CVE-2020-37216", "2026-04-03", "Awaiting Analysis", 8.7, "HIGH",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N", None, 0.00921,
        0.58758, "Hirschmann HiOS devices versions prior to 08.1.00 and 07.1.01 contain a "
        "denial of service vulnerability in the EtherNet/IP stack."),
    Cve("CVE-2021-44221", "2022-07-12", "Modified", 7.5, "HIGH",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", None, 0.01425, 0.71885,
        "A vulnerability has been identified in SIMATIC eaSie Core Package (All versions < "
        "V22.00). The affected systems do not properly validate input."),
    Cve("CVE-2023-27410", "2023-05-09", "Analyzed", 2.7, "LOW",
        "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:N/I:N/A:L", None, 0.00556, 0.44134,
        "A vulnerability has been identified in SCALANCE LPE9403 (All versions < V2.1). A "
        "heap-based buffer overflow vulnerability was found in the edgebox web server."),
]

# (edb_id, file, description, published, author, type, platform, cve)
EXPLOITS = [
    (50592, "exploits/java/remote/50592.py", "Apache Log4j 2 - Remote Code Execution (RCE)",
     "2021-12-14", "kozmer", "remote", "java", "CVE-2021-44228"),
    (50590, "exploits/java/remote/50590.py", "Apache Log4j2 2.14.1 - Information Disclosure",
     "2021-12-14", "leonjza", "remote", "java", "CVE-2021-44228"),
]

SEVERITY_RANK = {"critical": 3, "high": 2, "medium": 1, "low": 0}
LEVEL_RANK = {"high": 2, "medium": 1, "low": 0}
# priority -> (response minutes, resolve minutes)
SLA = {"P1": (15, 240), "P2": (30, 480), "P3": (240, 1440), "P4": (480, 4320)}


def priority(severity: str, impact: str, urgency: str) -> str:
    """The demo tenants' matrix: the higher the sum of the three ranks, the higher."""
    score = SEVERITY_RANK[severity] + LEVEL_RANK[impact] + LEVEL_RANK[urgency]
    return "P1" if score >= 6 else "P2" if score >= 4 else "P3" if score >= 2 else "P4"


@dataclass(frozen=True)
class AssetDemo:
    name: str
    type: str
    producer: str
    model: str
    firmware: str | None = None
    cpe: str | None = None
    ip: str | None = None
    criticality: str = "medium"
    vlans: tuple[int, ...] = ()
    cves: tuple[str, ...] = ()


@dataclass(frozen=True)
class SiteDemo:
    name: str
    address: str
    zones: tuple[tuple[str, tuple[tuple[int, str, str], ...]], ...]  # zone, (vlan, name, cidr)
    assets: tuple[AssetDemo, ...]


@dataclass(frozen=True)
class IncidentDemo:
    title: str
    severity: str
    impact: str
    urgency: str
    created: datetime
    steps: tuple[tuple[str, datetime], ...] = ()  # (status, at)
    comment: str | None = None
    asset: str | None = None  # the asset's name; the incident is at its site


@dataclass(frozen=True)
class TenantDemo:
    slug: str
    name: str
    plan: str
    features: tuple[str, ...]
    domain: str
    sites: tuple[SiteDemo, ...]
    incidents: tuple[IncidentDemo, ...] = ()
    vulnerability_moves: tuple[tuple[str, str, str], ...] = ()  # (asset, cve, status)
    devices: tuple[tuple[str, str], ...] = ()  # (name, site)
    problems: bool = False


def _ios(name: str, model: str, ip: str, vlans: tuple[int, ...]) -> AssetDemo:
    return AssetDemo(name, "switch", "Cisco", model, "17.9.3",
                     "cpe:2.3:o:cisco:ios_xe:17.9.3:*:*:*:*:*:*:*", ip, "high", vlans,
                     ("CVE-2023-20198",))


ROTTERDAM = SiteDemo(
    "Rotterdam Plant", "Waalhaven Z.z. 12, Rotterdam",
    (("Enterprise DMZ (L3.5)", ((10, "DMZ", "10.10.0.0/24"),)),
     ("Operations (L3)", ((30, "Operations", "10.30.0.0/24"),)),
     ("Control (L2)", ((20, "Control", "10.20.0.0/24"),)),
     ("Field devices (L0-1)", ((40, "Field", "10.40.0.0/24"),))),
    (AssetDemo("RTM-FW-01", "firewall", "Palo Alto Networks", "PA-3220", "10.2.9",
               "cpe:2.3:o:paloaltonetworks:pan-os:10.2.9:*:*:*:*:*:*:*", "10.10.0.1",
               "critical", (10,), ("CVE-2024-3400",)),
     _ios("RTM-SW-CORE", "IE-3400-8P2S", "10.30.0.2", (30, 20)),
     _ios("RTM-SW-CELL1", "IE-3300-8T2S", "10.20.0.3", (20,)),
     AssetDemo("RTM-PLC-01", "plc", "Rockwell Automation", "ControlLogix 1756-L83E", "33.011",
               "cpe:2.3:o:rockwellautomation:1756-l83e_firmware:33.011:*:*:*:*:*:*:*",
               "10.20.0.10", "critical", (20,)),
     AssetDemo("RTM-PLC-01-EN2T", "gateway", "Rockwell Automation",
               "ControlLogix 1756-EN2T communication module", "11.002",
               "cpe:2.3:o:rockwellautomation:1756-en2t_firmware:11.002:*:*:*:*:*:*:*",
               "10.20.0.11", "critical", (20,), ("CVE-2023-3595",)),
     AssetDemo("RTM-PLC-02", "plc", "Siemens", "SIMATIC S7-1500 CPU 1516-3 PN/DP", "2.9.4",
               "cpe:2.3:o:siemens:simatic_s7-1500_cpu_1516-3_pn\\/dp_firmware:2.9.4:*:*:*:*:*:*:*",
               "10.20.0.12", "critical", (20,)),
     AssetDemo("RTM-HMI-01", "hmi", "Rockwell Automation", "PanelView Plus 7 Performance",
               "13.0", None, "10.20.0.21", "high", (20,)),
     AssetDemo("RTM-HMI-02", "hmi", "Siemens", "SIMATIC HMI TP1200 Comfort", "17.0", None,
               "10.20.0.22", "high", (20,)),
     AssetDemo("RTM-EDGE-01", "gateway", "Siemens", "SCALANCE LPE9403", "2.0",
               "cpe:2.3:o:siemens:scalance_lpe9403_firmware:2.0:*:*:*:*:*:*:*", "10.30.0.40",
               "medium", (30,), ("CVE-2023-27407", "CVE-2023-27410")),
     AssetDemo("RTM-RTR-01", "router", "Moxa", "EDR-8010", "3.12",
               "cpe:2.3:o:moxa:edr-8010_firmware:3.12:*:*:*:*:*:*:*", "10.40.0.1", "high",
               (40,), ("CVE-2024-9137",)),
     AssetDemo("RTM-SW-RING", "switch", "Hirschmann", "RSP35", "07.0.05",
               "cpe:2.3:o:belden:hirschmann_hios:07.0.05:*:*:*:*:*:*:*", "10.40.0.2", "high",
               (40,), ("CVE-2020-37216",)),
     AssetDemo("RTM-EWS-01", "engineering_workstation", "Dell",
               "Precision 3660 / EcoStruxure Control Expert 15.0", "15.0",
               "cpe:2.3:a:schneider-electric:ecostruxure_control_expert:15.0:*:*:*:*:*:*:*",
               "10.30.0.50", "high", (30,), ("CVE-2021-22779",)),
     AssetDemo("RTM-HIST-01", "historian", "Dell", "PowerEdge R650 / historian on Log4j 2.14.1",
               "2.14.1", "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*", "10.30.0.60", "high",
               (30,), ("CVE-2021-44228",)),
     AssetDemo("RTM-EASIE-01", "server", "Siemens", "SIMATIC eaSie Core Package", "21.00",
               "cpe:2.3:a:siemens:simatic_easie_core_package:21.00:*:*:*:*:*:*:*",
               "10.30.0.61", "medium", (30,), ("CVE-2021-44221",))))

ANTWERP = SiteDemo(
    "Antwerp Packaging", "Haven 1025, Antwerpen",
    (("Control (L2)", ((120, "Packaging control", "10.120.0.0/24"),)),),
    (AssetDemo("ANR-PLC-01", "plc", "Siemens", "SIMATIC S7-1500 CPU 1515-2 PN", "2.9.4",
               "cpe:2.3:o:siemens:simatic_s7-1500_cpu_1515-2_pn_firmware:2.9.4:*:*:*:*:*:*:*",
               "10.120.0.10", "critical", (120,)),
     AssetDemo("ANR-PLC-02", "plc", "Schneider Electric", "Modicon M580 BMEP584040", "4.01",
               "cpe:2.3:o:schneider-electric:modicon_m580_firmware:4.01:*:*:*:*:*:*:*",
               "10.120.0.11", "critical", (120,)),
     AssetDemo("ANR-HMI-01", "hmi", "Siemens", "SIMATIC HMI TP700 Comfort", "17.0", None,
               "10.120.0.21", "high", (120,)),
     _ios("ANR-SW-01", "IE-3400-8P2S", "10.120.0.2", (120,))))

UTRECHT = SiteDemo(
    "Utrecht Head Office", "Croeselaan 28, Utrecht", (),
    (AssetDemo("UTR-FW-01", "firewall", "Palo Alto Networks", "PA-440", "11.1.0",
               "cpe:2.3:o:paloaltonetworks:pan-os:11.1.0:*:*:*:*:*:*:*", "192.168.1.1",
               "high", (), ("CVE-2024-3400",)),
     AssetDemo("UTR-SRV-01", "server", "HPE", "ProLiant DL360 Gen10", None, None,
               "192.168.1.10", "medium")))

ACME = TenantDemo(
    "acme-industries", "Acme Industries", "enterprise", ("security", "vpn", "backup"),
    "acme-industries.example", (ROTTERDAM, ANTWERP, UTRECHT),
    incidents=(
        IncidentDemo("Packaging line 2 stopped: RTM-PLC-01 in major fault", "critical", "high",
                     "high", ago(minutes=90), asset="RTM-PLC-01"),
        IncidentDemo("HMI-02 touch screen intermittently unresponsive", "medium", "low",
                     "medium", ago(minutes=30), asset="RTM-HMI-02"),
        IncidentDemo("Historian not receiving tags from the control VLAN", "high", "high",
                     "medium", ago(hours=5), (("in_progress", ago(hours=4, minutes=50)),),
                     "Tag subscriptions time out since the core switch reload.",
                     asset="RTM-HIST-01"),
        IncidentDemo("Suspicious GlobalProtect sessions on RTM-FW-01", "critical", "high",
                     "high", ago(hours=6), (("in_progress", ago(hours=5, minutes=55)),),
                     "Sessions from unknown ASNs; portal disabled, forensics running.",
                     asset="RTM-FW-01"),
        IncidentDemo("Replacement 1756-EN2T module on order", "high", "medium", "medium",
                     ago(days=2), (("in_progress", ago(days=2) + timedelta(minutes=12)),
                                   ("pending", ago(days=1, hours=20))),
                     asset="RTM-PLC-01-EN2T"),
        IncidentDemo("Antwerp HMI shows stale recipe values", "medium", "medium", "low",
                     ago(days=3), (("in_progress", ago(days=3) + timedelta(hours=1)),
                                   ("resolved", ago(days=2, hours=20))), asset="ANR-HMI-01"),
        IncidentDemo("Ring switch RTM-SW-RING lost redundancy", "high", "high", "high",
                     ago(days=10), (("in_progress", ago(days=10) + timedelta(minutes=10)),
                                    ("resolved", ago(days=10) + timedelta(hours=3)),
                                    ("closed", ago(days=9))), asset="RTM-SW-RING"),
        IncidentDemo("Duplicate: packaging line 2 alarm", "low", "low", "low", ago(days=1),
                     (("cancelled", ago(days=1) + timedelta(minutes=5)),)),
    ),
    vulnerability_moves=(("RTM-HIST-01", "CVE-2021-44228", "mitigated"),
                         ("RTM-EDGE-01", "CVE-2023-27410", "accepted_risk"),
                         ("UTR-FW-01", "CVE-2024-3400", "in_progress")),
    devices=(("edgezu-rtm-01", "Rotterdam Plant"), ("edgezu-anr-01", "Antwerp Packaging")),
    problems=True)

LEEDS = SiteDemo(
    "Leeds Store 114", "Briggate 114, Leeds",
    (("Store LAN", ((100, "Point of sale", "172.16.14.0/24"),)),),
    (AssetDemo("LDS-FW-01", "firewall", "Fortinet", "FortiGate 100F", "7.2.1",
               "cpe:2.3:o:fortinet:fortios:7.2.1:*:*:*:*:*:*:*", "172.16.14.1", "high",
               (100,), ("CVE-2022-40684",)),
     AssetDemo("LDS-POS-01", "server", "HPE", "ProLiant DL20 / POS back office on Log4j 2.14.1",
               "2.14.1", "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*", "172.16.14.20",
               "high", (100,), ("CVE-2021-44228",))))

MANCHESTER = SiteDemo(
    "Manchester Distribution Centre", "Trafford Park, Manchester",
    (("Warehouse LAN", ((200, "Warehouse", "172.16.20.0/24"),)),),
    (AssetDemo("MAN-FW-01", "firewall", "Palo Alto Networks", "PA-440", "11.1.0",
               "cpe:2.3:o:paloaltonetworks:pan-os:11.1.0:*:*:*:*:*:*:*", "172.16.20.1",
               "critical", (200,), ("CVE-2024-3400",)),
     AssetDemo("MAN-SW-01", "switch", "Cisco", "Catalyst 9300-48P", "17.9.3",
               "cpe:2.3:o:cisco:ios_xe:17.9.3:*:*:*:*:*:*:*", "172.16.20.2", "high", (200,),
               ("CVE-2023-20198",)),
     AssetDemo("MAN-WMS-01", "server", "Dell", "PowerEdge R750 / warehouse management",
               None, None, "172.16.20.30", "high", (200,))))

GLOBEX = TenantDemo(
    "globex-retail", "Globex Retail", "standard", ("security", "backup"),
    "globex-retail.example", (LEEDS, MANCHESTER),
    incidents=(
        IncidentDemo("Card payments failing at store 114", "critical", "high", "high",
                     ago(minutes=40), (("in_progress", ago(minutes=32)),), asset="LDS-POS-01"),
        IncidentDemo("FortiGate admin logins from an unknown address", "high", "high", "medium",
                     ago(hours=9), asset="LDS-FW-01"),
        IncidentDemo("Warehouse scanners drop Wi-Fi at dock 4", "medium", "medium", "medium",
                     ago(days=4), (("in_progress", ago(days=4) + timedelta(hours=2)),
                                   ("resolved", ago(days=3)), ("closed", ago(days=2))),
                     asset="MAN-WMS-01"),
    ),
    vulnerability_moves=(("LDS-POS-01", "CVE-2021-44228", "in_progress"),),
    devices=(("edgezu-lds-01", "Leeds Store 114"),))

NORTHWIND = TenantDemo(
    "northwind-msp", "Northwind Managed Services", "enterprise", ("security", "vpn", "backup"),
    "northwind-msp.example",
    (SiteDemo("Amsterdam SOC", "Zuidas 1, Amsterdam", (),
              (AssetDemo("NW-FW-01", "firewall", "Palo Alto Networks", "PA-850", "11.1.2-h3",
                         None, "10.0.0.1", "critical"),
               AssetDemo("NW-SIEM-01", "server", "Dell", "PowerEdge R760 / SIEM", None, None,
                         "10.0.0.20", "high"))),),
    incidents=(IncidentDemo("SIEM ingestion lag above 10 minutes", "medium", "high", "medium",
                            ago(hours=2), asset="NW-SIEM-01"),))

TENANTS = (NORTHWIND, ACME, GLOBEX)

# group -> permissions; users: (local part, display name, groups)
GROUPS = {
    "Administrators": ("users:invite", "users:manage", "assets:read", "assets:create",
                       "assets:update", "assets:delete", "sites:read", "sites:manage",
                       "incidents:read", "incidents:create", "incidents:update",
                       "incidents:delete", "vulnerabilities:read", "vulnerabilities:manage",
                       "security:read", "security:manage"),
    "SOC analysts": ("incidents:read", "incidents:create", "incidents:update",
                     "vulnerabilities:read", "vulnerabilities:manage", "security:read",
                     "security:manage", "assets:read"),
    "OT engineers": ("assets:read", "assets:create", "assets:update", "sites:read",
                     "incidents:read", "incidents:update", "changes:read", "changes:create"),
}
USERS = (("admin", "Tenant Administrator", ("Administrators",)),
         ("analyst", "SOC Analyst", ("SOC analysts",)),
         ("engineer", "OT Engineer", ("OT engineers", "SOC analysts")))
