"""JSON Lines input lines, good and bad, for the batch tests (a module with a
unique name).  Each bad line is one class of the issue-13 report; each good
line is decided by the robustness rule set (``corpus/good``)."""

DEEP_LIST = b'{"entity.name": ' + b"[" * 3000 + b"]" * 3000 + b"}"
DEEP_MAP = b'{"x": ' + b'{"a": ' * 3000 + b"1" + b"}" * 3001
HUGE_INT = b'{"entity.employees": ' + b"9" * 5000 + b"}"

#: (bytes of the line, the error code it must give)
BAD_LINES = [
    (b"\xff\xfe{}", "E-ENCODING"),
    (b'{"entity.name": "\xed\xa0\x80"}', "E-ENCODING"),  # an encoded surrogate is not UTF-8
    (b'{"entity.name": "caf\xe9"}', "E-ENCODING"),
    (b'{"entity.name": "\\ud800"}', "E-ENCODING"),  # a lone surrogate escape
    (b'{"entity.name": "\\udfff x \\ud83d"}', "E-ENCODING"),
    (b"null", "E-ENTITY"),
    (b"[]", "E-ENTITY"),
    (b"42", "E-ENTITY"),
    (b'"text"', "E-ENTITY"),
    (b"true", "E-ENTITY"),
    (b"{", "E-JSON"),
    (b'{"gas.alarm": true,}', "E-JSON"),
    (b'{"gas.alarm": NaN}', "E-JSON"),
    (b'{"entity.revenue": -Infinity}', "E-JSON"),
    (b'{"gas.alarm": true, "gas.alarm": false}', "E-JSON"),
    (b"\x00\x01\x02", "E-JSON"),
    (HUGE_INT, "E-NUMBER"),
    (b'{"entity.revenue": -' + b"1" * 4301 + b"}", "E-NUMBER"),
    (DEEP_LIST, "E-DEPTH"),
    (DEEP_MAP, "E-DEPTH"),
    (b'{"entity.revenue": 1e999}', "E-FACTS"),  # parses as infinity: refused by the check
    (b'{"entity.employees": -1}', "E-FACTS"),
    (b'{"entity.employees": 3.5}', "E-FACTS"),
    (b'{"gas.alarm": "yes"}', "E-FACTS"),
    (b'{"no.such.fact": 1}', "E-FACTS"),
    (b'{"entity.sector": "steel"}', "E-FACTS"),
    (b'{"findings.major": 1}', "E-FACTS"),
    (b'{"cranes": [null]}', "E-FACTS"),
    (b'{"cranes": {"age": 3}}', "E-FACTS"),
    (b'{"site.opened": "2024-02-30"}', "E-FACTS"),
    (b'{"entity": {"sector": "other"}, "entity.sector": "other"}', "E-FACTS"),
]

#: good lines (bytes), each decided; control characters and non-ASCII text
#: inside strings are fine, and so are big-but-bounded numbers
GOOD_LINES = [
    b'{"entity.sector": "metallurgy", "contractors.present": true, "contractors.coordinated": false}',
    b'{}',
    b'{"entity.id": "E-1", "entity.name": "\xe5\xb7\xa5\xe5\x8e\x82 \\u0007 bell \\u001b[31m"}',
    b'{"entity": {"sector": "machinery", "employees": 900}, "gas.alarm": null}',
    b'{"entity.revenue": 1e300, "entity.employees": 1000000}',
    b'{"cranes": [{"age": 12, "kind": "gantry"}, {"age": null}], "entity.sector": "other", "gas.alarm": false}',
    b'{"entity.name": "' + b"x" * 100_000 + b'"}',
    b'{"site.opened": "2024-02-29", "site.distance": 0.5}',
    b'{"entity.revenue": ' + b"9" * 300 + b"}",
]
