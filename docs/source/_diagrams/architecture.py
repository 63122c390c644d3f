"""Draws the request path of heat-deltacloud as ``architecture.svg``:
the layers top to bottom, then the Deltacloud server's drivers side by
side, each over what it drives.

Plain Python, no Graphviz: the docs build needs nothing outside the
virtualenv.  Run it after changing :data:`LAYERS` and commit both files;
``tests/doctor/test_docs.py`` fails when the SVG is stale::

    python docs/source/_diagrams/architecture.py
"""

import html
import pathlib

#: Top to bottom: (title, detail, fill).  One box per stop on the path.
LAYERS = (
    ("Client", "heatclient, boto3, heat-deltacloud launch; "
     "X-Auth-User/X-Auth-Key or Basic", "#eeeeee"),
    ("heat-api / heat-api-cfn", "Heat 27, paste flavor 'deltacloud'",
     "#dbe9f6"),
    ("deltacloud_auth filter", "heat_deltacloud.heat.auth: checks the "
     "credentials, sets user = project", "#fde9c9"),
    ("Heat context filter", "credentials into the request context, "
     "then RPC to the engine", "#dbe9f6"),
    ("heat-engine", "Heat's own resources (AWS::EC2::Instance, "
     "OS::Nova::Server, ...)", "#dbe9f6"),
    ("cloud_backend: DeltacloudClients", "heat_deltacloud.heat.backend: "
     "per-request clients, stevedore backends", "#fde9c9"),
    ("client plugins", "heat_deltacloud.heat.plugins: nova, glance, "
     "neutron, cinder, keystone", "#fde9c9"),
    ("compat shims", "heat_deltacloud.compat: nova-, glance-, neutron-, "
     "cinderclient-shaped", "#fde9c9"),
    ("Deltacloud client", "heat_deltacloud.deltacloud: XML / JSON, "
     "timeouts, bounded retries", "#fde9c9"),
    ("Deltacloud server: heat-deltacloud-server", "routes, documents, "
     "errors, auth over a driver interface (or Apache's)", "#fde9c9"),
)
#: The server's drivers, side by side under it: (title, detail lines,
#: fill, what it drives (title, detail lines, fill)); None: the same
#: thing as the driver on the left drives.
DRIVERS = (
    ("mock driver", ("heat_deltacloud.mock:", "in-memory cloud"),
     "#fde9c9", ("in memory", ("seeded fixtures, guest mode;",
                               "tests and demos"), "#eeeeee")),
    ("emulated ec2", ("the mock as Deltacloud's", "ec2 driver showed it"),
     "#fde9c9", None),
    ("libcloud driver", ("server.drivers.libcloud", "libcloud:ec2 and others"),
     "#fde9c9", ("real clouds", ("EC2, OpenStack, GCE", "...; moto's EC2 in "
                                 "tests"), "#e3f1df")),
)
#: (from layer, to layer, label, how far right of the boxes) drawn as a
#: dashed arrow on the right.
SIDE_PATHS = ((2, 9, ("credentials checked:", "GET /api?force_auth=1",
                      "(cached briefly)"), 40),
              (11, 1, ("signals from instances:", "signed URLs to",
                       "heat-api-cfn, whose",
                       "deltacloud_auth filter", "checks them against",
                       "stack users' keys", "in Heat's database"), 210))

WIDTH, BOX_W, BOX_H, GAP, LEFT, TOP = 920, 540, 46, 18, 20, 20
#: Rows below the layers are taller: their boxes are narrow.
ROW_H, COLUMN_GAP = 58, 12
LEGEND = (("#dbe9f6", "Heat 27, unchanged"),
          ("#fde9c9", "heat-deltacloud"),
          ("#e3f1df", "the cloud"))


def _box(index, title, detail, fill):
    y = TOP + index * (BOX_H + GAP)
    return (f'<rect x="{LEFT}" y="{y}" width="{BOX_W}" height="{BOX_H}" '
            f'rx="6" fill="{fill}" stroke="#555"/>\n'
            f'<text x="{LEFT + 12}" y="{y + 19}" font-weight="bold">'
            f'{html.escape(title)}</text>\n'
            f'<text x="{LEFT + 12}" y="{y + 36}" font-size="11">'
            f'{html.escape(detail)}</text>\n')


def _arrow(index):
    x = LEFT + BOX_W // 2
    y1 = TOP + index * (BOX_H + GAP) + BOX_H
    return (f'<line x1="{x}" y1="{y1}" x2="{x}" y2="{y1 + GAP - 2}" '
            'stroke="#555" marker-end="url(#arrow)"/>\n')


def _middle(index):
    """The height of a layer's middle; past the layers, of a row's (the
    side path starts at the rightmost box of the row)."""
    if index < len(LAYERS):
        return TOP + index * (BOX_H + GAP) + BOX_H // 2
    return _row_y(index - len(LAYERS)) + ROW_H // 2


def _side_path(start, end, lines, offset):
    x = LEFT + BOX_W
    y1, y2 = _middle(start), _middle(end)
    bend = x + offset
    return (f'<polyline points="{x},{y1} {bend},{y1} {bend},{y2} '
            f'{x + 2},{y2}" fill="none" stroke="#b06000" '
            'stroke-dasharray="5,4" marker-end="url(#side)"/>\n' +
            "".join(f'<text x="{bend + 8}" y="{(y1 + y2) // 2 + 15 * i}" '
                    f'font-size="11" fill="#b06000">{html.escape(line)}'
                    '</text>\n' for i, line in enumerate(lines)))


def _row_y(row):
    """Top of the row'th row below the layers (0: drivers, 1: clouds)."""
    return TOP + len(LAYERS) * (BOX_H + GAP) + row * (ROW_H + GAP)


def _column_x(column, span=1):
    width = (BOX_W - COLUMN_GAP * (len(DRIVERS) - 1)) // len(DRIVERS)
    return (LEFT + column * (width + COLUMN_GAP),
            width * span + COLUMN_GAP * (span - 1))


def _small_box(x, y, width, title, lines, fill):
    return (f'<rect x="{x}" y="{y}" width="{width}" height="{ROW_H}" '
            f'rx="6" fill="{fill}" stroke="#555"/>\n'
            f'<text x="{x + 10}" y="{y + 18}" font-weight="bold">'
            f'{html.escape(title)}</text>\n' +
            "".join(f'<text x="{x + 10}" y="{y + 34 + 13 * i}" '
                    f'font-size="11">{html.escape(line)}</text>\n'
                    for i, line in enumerate(lines)))


def _down(x, y1, y2):
    return (f'<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2 - 2}" '
            'stroke="#555" marker-end="url(#arrow)"/>\n')


def _drivers():
    """The driver row under the server and the row of what they drive."""
    parts = []
    server_bottom = _row_y(0) - GAP
    for column, (title, lines, fill, drives) in enumerate(DRIVERS):
        x, width = _column_x(column)
        parts.append(_small_box(x, _row_y(0), width, title, lines, fill))
        parts.append(_down(x + width // 2, server_bottom, _row_y(0)))
        parts.append(_down(x + width // 2, _row_y(0) + ROW_H, _row_y(1)))
        if drives is not None:
            span = 1
            while column + span < len(DRIVERS) and \
                    DRIVERS[column + span][3] is None:
                span += 1
            x, width = _column_x(column, span)
            parts.append(_small_box(x, _row_y(1), width, *drives))
    return "".join(parts)


def _legend(y):
    parts = []
    for i, (fill, text) in enumerate(LEGEND):
        x = LEFT + i * 190
        parts.append(f'<rect x="{x}" y="{y}" width="14" height="14" '
                     f'fill="{fill}" stroke="#555"/>\n'
                     f'<text x="{x + 20}" y="{y + 12}" font-size="11">'
                     f'{html.escape(text)}</text>\n')
    return "".join(parts)


def render():
    """The SVG document, as text."""
    height = _row_y(2) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" '
        'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" '
        'font-size="13">\n',
        '<title>heat-deltacloud: the path of a request</title>\n',
        '<defs>\n'
        '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker>\n'
        '<marker id="side" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#b06000"/></marker>\n'
        '</defs>\n']
    for index, (title, detail, fill) in enumerate(LAYERS):
        parts.append(_box(index, title, detail, fill))
        if index + 1 < len(LAYERS):
            parts.append(_arrow(index))
    parts.append(_drivers())
    for start, end, lines, offset in SIDE_PATHS:
        parts.append(_side_path(start, end, lines, offset))
    parts.append(_legend(height - 24))
    parts.append("</svg>\n")
    return "".join(parts)


OUTPUT = pathlib.Path(__file__).with_name("architecture.svg")

if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
