"""The map's browser assets (Leaflet, jQuery, Bootstrap, awesome-markers, Font Awesome), served by
the app itself so the map draws with no internet and without jsdelivr (blocked in mainland China).

`python -m dashboard assets` downloads the exact files folium 0.20 references, from the npm
registry's tarballs (pinned versions, each tarball checked against its sha512 `dist.integrity`),
and extracts only what the map needs into dashboard/static/vendor/. It skips a package already in
place, so it is safe to run on every install. The app serves dashboard/static/ under ROUTE
(dashboard/server.py); JUWEI_ASSETS=cdn switches back to folium's CDN links. A mirror of the npm
registry (e.g. https://registry.npmmirror.com) can be named in JUWEI_NPM_REGISTRY: the integrity
check keeps it honest.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import sys
import tarfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
ROUTE = "/juwei-static"  # not a reserved Streamlit prefix (/_stcore/, /media/, /component/, /static/)
REGISTRY = "https://registry.npmjs.org"
MARKER = ".integrity"


@dataclass(frozen=True)
class Package:
    """One npm package: the version folium references, its tarball's integrity, the files we keep."""

    name: str
    version: str
    integrity: str
    keep: tuple[str, ...]  # paths inside the tarball's package/ folder; a trailing / keeps a folder

    @property
    def folder(self) -> str:
        return f"{self.name.rsplit('/', 1)[-1]}-{self.version}"

    def tarball_url(self, registry: str = REGISTRY) -> str:
        return f"{registry.rstrip('/')}/{self.name}/-/{self.name.rsplit('/', 1)[-1]}-{self.version}.tgz"

    def url(self, path: str) -> str:
        """The URL the browser loads `path` of this package from."""
        return f"{ROUTE}/vendor/{self.folder}/{path}"

    def wants(self, path: str) -> bool:
        return any(path == k or (k.endswith("/") and path.startswith(k)) for k in self.keep)


# Versions as folium 0.20's Map.default_js/default_css reference them. awesome-markers: folium links
# cdnjs' 2.0.2, which npm never had; 2.0.5 is the same plugin (same API and CSS) on npm.
LEAFLET = Package(
    "leaflet",
    "1.9.3",
    "sha512-iB2cR9vAkDOu5l3HAay2obcUHZ7xwUBBjph8+PGtmW/2lYhbLizWtG7nTeYht36WfOslixQF9D/uSIzhZgGMfQ==",
    ("dist/leaflet.js", "dist/leaflet.css", "dist/images/"),
)
JQUERY = Package(
    "jquery",
    "3.7.1",
    "sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
    ("dist/jquery.min.js",),
)
BOOTSTRAP = Package(
    "bootstrap",
    "5.2.2",
    "sha512-dEtzMTV71n6Fhmbg4fYJzQsw1N29hJKO1js5ackCgIpDcGid2ETMGC6zwSYw09v05Y+oRdQ9loC54zB1La3hHQ==",
    ("dist/js/bootstrap.bundle.min.js", "dist/css/bootstrap.min.css"),
)
AWESOME_MARKERS = Package(
    "leaflet.awesome-markers",
    "2.0.5",
    "sha512-Ne/xDjkGyaujwNVVkv2tyXQUV0ZW7gZ0Mo0FuQY4jp2qWrvXi0hwDBvmZyF/8YOvybyMabTMM/mFWCTd1jZIQA==",
    ("dist/leaflet.awesome-markers.js", "dist/leaflet.awesome-markers.css", "dist/images/"),
)
FONTAWESOME = Package(
    "@fortawesome/fontawesome-free",
    "6.2.0",
    "sha512-CNR7qRIfCwWHNN7FnKUniva94edPdyQzil/zCwk3v6k4R6rR2Fr8i4s3PM7n/lyfPA6Zfko9z5WDzFxG9SW1uQ==",
    ("css/all.min.css", "webfonts/"),
)
# The set-up page's drawing tools (folium.plugins.Draw links cdnjs' leaflet.draw 1.0.2).
LEAFLET_DRAW = Package(
    "leaflet-draw",
    "1.0.2",
    "sha512-iCcbXE9okhwznoTXjxVjoGFoKeiWGsgmWPKrPAeHUvtWZWK4t6YF6815D13wZoMxX2UM6tOmD7/VofCxx3S0+w==",
    ("dist/leaflet.draw.js", "dist/leaflet.draw.css", "dist/images/"),
)
PACKAGES = (LEAFLET, JQUERY, BOOTSTRAP, AWESOME_MARKERS, FONTAWESOME, LEAFLET_DRAW)

# (folium's name for the link, package, file): the same names as folium.Map.default_js/css, so a
# plugin that updates a link by name still finds it. folium's glyphicons CSS (Bootstrap 3) and
# awesome-rotate CSS are left out: our markers use Font Awesome icons and never rotate.
JS = (
    ("leaflet", LEAFLET, "dist/leaflet.js"),
    ("jquery", JQUERY, "dist/jquery.min.js"),
    ("bootstrap", BOOTSTRAP, "dist/js/bootstrap.bundle.min.js"),
    ("awesome_markers", AWESOME_MARKERS, "dist/leaflet.awesome-markers.js"),
)
CSS = (
    ("leaflet_css", LEAFLET, "dist/leaflet.css"),
    ("bootstrap_css", BOOTSTRAP, "dist/css/bootstrap.min.css"),
    ("awesome_markers_font_css", FONTAWESOME, "css/all.min.css"),
    ("awesome_markers_css", AWESOME_MARKERS, "dist/leaflet.awesome-markers.css"),
)


def local_js() -> list[tuple[str, str]]:
    """folium-style (name, url) script links to the app's own copies."""
    return [(name, pkg.url(path)) for name, pkg, path in JS]


def local_css() -> list[tuple[str, str]]:
    """folium-style (name, url) stylesheet links to the app's own copies."""
    return [(name, pkg.url(path)) for name, pkg, path in CSS]


def draw_js() -> list[tuple[str, str]]:
    """folium.plugins.Draw's script link, to the app's own copy."""
    return [("leaflet_draw_js", LEAFLET_DRAW.url("dist/leaflet.draw.js"))]


def draw_css() -> list[tuple[str, str]]:
    """folium.plugins.Draw's stylesheet link, to the app's own copy."""
    return [("leaflet_draw_css", LEAFLET_DRAW.url("dist/leaflet.draw.css"))]


def installed(vendor_dir: Path = VENDOR_DIR) -> bool:
    """True when every file the map links to is in place."""
    return all((vendor_dir / pkg.folder / path).is_file() for _, pkg, path in JS + CSS) and all(
        _is_current(pkg, vendor_dir) for pkg in PACKAGES
    )


def _is_current(pkg: Package, vendor_dir: Path) -> bool:
    marker = vendor_dir / pkg.folder / MARKER
    return marker.is_file() and marker.read_text(encoding="utf-8").strip() == pkg.integrity


def integrity_of(data: bytes) -> str:
    """The npm/SRI integrity string of some bytes (sha512, base64)."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def download(url: str) -> bytes:
    """Fetch a URL (honours the usual *_proxy environment variables)."""
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - https URL we build
        return response.read()


def _extract(pkg: Package, data: bytes, vendor_dir: Path) -> int:
    """Unpack the kept files of a verified tarball into vendor_dir/<folder>; returns the file count."""
    target = vendor_dir / pkg.folder
    staging = vendor_dir / f".{pkg.folder}.part"
    shutil.rmtree(staging, ignore_errors=True)
    count = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile() or not member.name.startswith("package/"):
                continue
            rel = member.name[len("package/") :]
            parts = Path(rel).parts
            if not rel or ".." in parts or Path(rel).is_absolute() or not pkg.wants(rel):
                continue
            dest = staging.joinpath(*parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                continue
            dest.write_bytes(source.read())
            count += 1
    (staging / MARKER).write_text(pkg.integrity + "\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return count


class IntegrityError(RuntimeError):
    """A downloaded tarball is not the one pinned here."""


def ensure(
    *,
    force: bool = False,
    vendor_dir: Path = VENDOR_DIR,
    registry: str | None = None,
    fetch: Callable[[str], bytes] = download,
    log: Callable[[str], None] = lambda msg: None,
) -> list[str]:
    """Download, verify and unpack every package not yet in place; returns the folders installed."""
    registry = registry or os.environ.get("JUWEI_NPM_REGISTRY", "").strip() or REGISTRY
    vendor_dir.mkdir(parents=True, exist_ok=True)
    done: list[str] = []
    for pkg in PACKAGES:
        if not force and _is_current(pkg, vendor_dir):
            log(f"ok       {pkg.name}@{pkg.version}")
            continue
        url = pkg.tarball_url(registry)
        log(f"download {url}")
        data = fetch(url)
        found = integrity_of(data)
        if found != pkg.integrity:
            raise IntegrityError(
                f"{pkg.name}@{pkg.version}: integrity {found} is not the pinned {pkg.integrity}"
            )
        n = _extract(pkg, data, vendor_dir)
        log(f"unpacked {pkg.name}@{pkg.version}: {n} files → {vendor_dir / pkg.folder}")
        done.append(pkg.folder)
    return done


def main(force: bool = False) -> int:
    """`python -m dashboard assets`: install the map's assets; exit status 1 on failure."""
    try:
        ensure(force=force, log=lambda msg: print(msg, file=sys.stderr))
    except (OSError, IntegrityError, tarfile.TarError) as exc:
        print(f"assets: {exc}", file=sys.stderr)
        from dashboard.config import env
        from dashboard.i18n import t

        print(t("map.assets_failed", lang=env().language), file=sys.stderr)
        return 1
    print(f"map assets ready in {VENDOR_DIR}", file=sys.stderr)
    return 0


def static_route():  # noqa: ANN201 - a starlette Mount
    """The route serving dashboard/static/ (vendor files included) under ROUTE."""
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    return Mount(ROUTE, app=StaticFiles(directory=STATIC_DIR), name="juwei-static")
