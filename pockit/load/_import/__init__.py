"""``pockit import``: a run directory from other load tools' raw per-request output.

One module per format, each registering its reader in :mod:`.registry` (which imports none of
them); :mod:`.builtin` is the list of the formats pockit ships, and :mod:`.run` (``import_runs``)
is the whole flow: choose the format (given, or sniffed by :mod:`.sniff`), read, write the run.

- ``locust-csv`` (:mod:`.locust`): ``locust.contrib.csv_request_logger``, Locust >= 2.43.
- ``jmeter`` (:mod:`.jmeter`): a JTL results file, CSV with its header line; ``--format jmeter``
  also reads the XML layout, ``jmeter-xml`` (:mod:`.jmeter_xml`).
- ``k6`` (:mod:`.k6`): ``k6 run --out json=FILE``.

Files are plain or gzip-compressed, told by magic bytes (:mod:`.text`). A value that cannot be read
(a latency of ``12ms``, a timestamp of ``1e30``, a status of 70000, bytes that are not UTF-8) is an
:class:`InputError` naming file, line and column; it never becomes null. With
``skip_bad_rows=True`` such rows are skipped, counted by reason in run.json
(``import_skipped_rows``) and named in its ``warnings`` (:mod:`.rows`). A *failed* request without
a response time is not unreadable: it is kept as a failure with a null latency.

Files pockit cannot import (Locust's aggregated ``--csv`` output, k6 ``--summary-export``, k6
``--out csv``, a JTL without its header line) are recognised and the error says what to use.
"""

from __future__ import annotations

from pockit.load._import.registry import IMPORTERS, Importer, register_importer
from pockit.load._import.rows import ImportOptions
from pockit.load._import.run import (
    IMPORT_COMPRESSION,
    IMPORT_FORMAT,
    IMPORT_SKIPPED_ROWS,
    IMPORT_TIMEZONE,
    IMPORT_TRANSACTIONS,
    IMPORTED_FROM,
    import_runs,
)
from pockit.load._import.sniff import sniff_format
from pockit.load._import.values import local_zone_name, resolve_zone

__all__ = [
    "IMPORTED_FROM",
    "IMPORTERS",
    "IMPORT_COMPRESSION",
    "IMPORT_FORMAT",
    "IMPORT_SKIPPED_ROWS",
    "IMPORT_TIMEZONE",
    "IMPORT_TRANSACTIONS",
    "ImportOptions",
    "Importer",
    "import_runs",
    "local_zone_name",
    "register_importer",
    "resolve_zone",
    "sniff_format",
]
