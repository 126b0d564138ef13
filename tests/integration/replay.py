"""Player for the recorded client request sequences in ``tests/data/clients/*.yaml`` (a
copy of the team's shared client recordings, kept in the repo so CI has them):
sends a recording's steps with the client's own headers and bodies, filling the
placeholders (``{principal}``, ``{calendar}``, ``{token}`` …) from what the server
answered. Used by test_discovery.py and test_calendar_client_replays.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from lxml import etree

CLIENTS = Path(__file__).resolve().parents[1] / "data" / "clients"
NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav", "CS": "http://calendarserver.org/ns/",
      "A": "http://apple.com/ns/ical/"}


def load(name: str) -> dict[str, Any]:
    """The recording ``name`` (file stem)."""
    return yaml.safe_load((CLIENTS / f"{name}.yaml").read_text())


class Replay:
    """Sends recorded steps, filling placeholders from what the server answered."""

    def __init__(self, server: Any, recording: dict[str, Any]) -> None:
        self.server = server
        self.steps = {step["id"]: step for step in recording["steps"]}
        self.common = {k: str(v) for k, v in (recording.get("headers_on_every_request")
                                              or {}).items()}
        self.common.pop("Accept-Encoding", None)
        self.common.pop("Authorization", None)  # the recording's is a placeholder
        self.values = {"{base}": "/dav/", "{calendar_home}": "/dav/caldav/", "{token}": "",
                       "{principal_collection}": "/dav/principals/"}
        self.dav_header = ""
        self.response: Any = None

    def fill(self, text: str) -> str:
        for key, value in self.values.items():
            text = text.replace(key, value)
        return text

    def step(self, step_id: str) -> dict[str, Any]:
        """A copy of the recorded step, with a body borrowed via ``same as <id>`` resolved."""
        step = dict(self.steps[step_id])
        body = step.get("body") or ""
        if body.startswith("same as "):
            step["body"] = self.steps[body.removeprefix("same as ").strip()]["body"]
        return step

    async def send(self, step: dict[str, Any], *, authenticated: bool = True
                   ) -> tuple[int, bytes]:
        path = self.fill(step["path"])
        headers = {**self.common, **{k: self.fill(str(v))
                                     for k, v in (step.get("headers") or {}).items()}}
        body = step.get("body")
        if isinstance(body, str):
            body = self.fill(body).encode()
        for _ in range(3):  # clients re-send the same request to a redirect's Location
            response, data = await self.server.request(
                step["method"], path, auth=self.server.demo if authenticated else None,
                headers=headers, body=body or None)
            if response.code not in (301, 302, 307, 308):
                break
            path = response.headers.getRawHeaders("location")[0]
        if step["method"] == "OPTIONS":
            self.dav_header = response.headers.getRawHeaders("dav", [""])[0]
        self.response = response
        return response.code, data

    def learn(self, data: bytes | Any) -> None:
        """Pick up the principal and the first calendar from a multistatus (raw or
        already parsed)."""
        if isinstance(data, bytes):
            if not data.startswith(b"<"):
                return
            data = etree.fromstring(data)
        doc = data
        principal = doc.findtext(".//D:current-user-principal/D:href", namespaces=NS)
        if principal:
            self.values["{principal}"] = principal
        home = doc.findtext(".//C:calendar-home-set/D:href", namespaces=NS)
        if home:
            self.values["{calendar_home}"] = home
        calendars = doc.xpath("//D:response[D:propstat/D:prop/D:resourcetype/C:calendar]"
                              "/D:href/text()", namespaces=NS)
        if calendars and "{calendar}" not in self.values:
            self.values["{calendar}"] = calendars[0]
