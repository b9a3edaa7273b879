"""``jmeter-xml``: a JTL saved as XML (``jmeter.save.saveservice.output_format=xml``).

The fields of the CSV layout as the attributes ``ts`` (always epoch ms), ``t``, ``lb``, ``rc``,
``s``, ``by``, ``tn``, an ``assertionResult/failureMessage`` child and, when saved, ``<method>``.
A ``<sample>`` holding child samples is a Transaction Controller sample, kept apart like the CSV's;
sub-results of an HTTP sample (redirects, embedded resources) are part of that request, as in
JMeter's own CSV. A DOCTYPE or entity declaration is refused (JMeter writes none).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from pockit._errors import InputError
from pockit.load._import.jmeter import JmeterClock, Workers, jmeter_code, transaction_split
from pockit.load._import.registry import register_importer
from pockit.load._import.rows import BadValue, ImportOptions, Parsed, Row, Skips
from pockit.load._import.text import open_binary
from pockit.load._import.values import byte_count, latency_ms, local_zone_name, true_false

_MAX_XML_DEPTH = 100  # JTL nests a transaction's samples a few levels deep, never hundreds
_SAMPLE_TAGS = ("httpSample", "sample")


@dataclass
class _XmlSample:
    tag: str
    attrs: dict[str, str]
    line: int
    column: int
    children: list[_XmlSample] = field(default_factory=list)
    failure: list[str] = field(default_factory=list)
    method: list[str] = field(default_factory=list)


def _claims(path: Path, first: str) -> bool:
    if not first.startswith("<"):
        return False
    if "<testResults" in first or first.startswith("<?xml"):
        return True
    raise InputError(f"{path}: XML whose first line is {first[:80]!r}; not a JMeter XML JTL")


@register_importer("jmeter-xml", expects="JMeter XML", claims=_claims, transactions=True)
def _read_jmeter_xml(path: Path, opts: ImportOptions, skips: Skips) -> Parsed:
    out = Parsed()
    clock = JmeterClock(opts.timezone or local_zone_name())
    workers = Workers()
    parser = expat.ParserCreate()
    stack: list[_XmlSample | None] = []  # None: an element that is not a sample
    text_into: list[list[str] | None] = [None]
    roots: list[str] = []

    def refuse_dtd(*_: object) -> None:  # JMeter never writes one; entities could expand
        raise InputError(
            f"{path}:{parser.CurrentLineNumber}: a DOCTYPE or entity declaration; JMeter's XML "
            "JTL has none, refused"
        )

    def start(tag: str, attrs: dict[str, str]) -> None:
        if not stack and not roots:
            roots.append(tag)
            if tag != "testResults":
                raise InputError(
                    f"{path}:{parser.CurrentLineNumber}: XML whose root is <{tag}>, not "
                    "JMeter's <testResults>; not a JTL"
                )
        if len(stack) > _MAX_XML_DEPTH:
            raise InputError(
                f"{path}:{parser.CurrentLineNumber}: elements nested deeper than "
                f"{_MAX_XML_DEPTH}; not a JMeter JTL"
            )
        owner = next((s for s in reversed(stack) if s is not None), None)
        if tag in _SAMPLE_TAGS:
            stack.append(
                _XmlSample(tag, attrs, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)
            )
            text_into.append(None)
            return
        stack.append(None)
        if owner is not None and tag == "failureMessage":
            text_into.append(owner.failure)
        elif owner is not None and tag == "method" and stack[-2] is owner:
            text_into.append(owner.method)
        else:
            text_into.append(None)

    def chars(data: str) -> None:
        target = text_into[-1]
        if target is not None:
            target.append(data)

    def end(tag: str) -> None:
        text_into.pop()
        done = stack.pop()
        if done is None:
            return
        parent = next((s for s in reversed(stack) if s is not None), None)
        if parent is not None:
            parent.children.append(done)
        else:
            resolve(done)

    def row(sample: _XmlSample) -> Row:
        a = sample.attrs.get
        ok = true_false("s", a("s", ""))
        code = a("rc", "")
        failure = "".join(sample.failure[:1]).strip() or None
        return Row(
            t_ns=clock("ts", a("ts", "")),
            latency_ms=latency_ms("t", a("t", ""), ok),
            name=a("lb", ""),
            ok=ok,
            status=jmeter_code("rc", code),
            method="".join(sample.method).strip() or None,
            bytes=byte_count("by", a("by", "")),
            error=failure or a("rm") or (f"HTTP {code}" if code else None),
            worker=workers(a("tn", "")),
        )

    def resolve(sample: _XmlSample) -> None:
        is_txn = transaction_split(sample.attrs.get("rm", "")) is not None or (
            sample.tag == "sample" and bool(sample.children)
        )
        try:
            (out.transactions if is_txn else out.requests).add(row(sample))
        except BadValue as bad:
            skips.bad(sample.line, f"column {sample.column} <{sample.tag}>", bad)
        if is_txn:  # its children are the requests; a request's own children are part of it
            for child in sample.children:
                resolve(child)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    fh, _ = open_binary(path)
    with fh:
        try:
            parser.ParseFile(fh)
        except expat.ExpatError as exc:
            problem = f"is not well-formed JTL XML ({expat.ErrorString(exc.code)})"
            if not skips.skip:
                raise InputError(
                    f"{path}:{exc.lineno}:{exc.offset + 1}: {problem}; a JMeter that was killed "
                    "leaves the file unfinished: pass --skip-bad-rows to keep the samples read so far"
                ) from None
            skips.bad(exc.lineno, f"column {exc.offset + 1}", BadValue("xml", "", problem))
        except (EOFError, OSError, zlib.error) as exc:
            if not skips.skip:
                raise InputError(f"{path}: compressed stream is broken ({exc})") from None
            skips.bad(
                parser.CurrentLineNumber,
                "end of file",
                BadValue("file", "", "compressed stream is broken"),
            )
    if clock.used_zone:
        out.timezone = clock.zone_name
    return out
