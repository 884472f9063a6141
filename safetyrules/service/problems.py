"""RFC 9457 problem details: the one shape of every error the service answers."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional

from safetyrules.errors import FactsError, SafetyRulesError

__all__ = ["Problem", "PROBLEM_TYPES", "error_entry"]

#: status -> (type URI, title).  The URIs name the kind of problem; they are
#: identifiers, not pages to fetch (RFC 9457 §3.1.1).
PROBLEM_TYPES: Dict[int, tuple] = {
    400: ("urn:safetyrules:problem:malformed-json", "Malformed JSON"),
    404: ("urn:safetyrules:problem:not-found", "Not found"),
    405: ("urn:safetyrules:problem:method-not-allowed", "Method not allowed"),
    408: ("urn:safetyrules:problem:request-timeout", "Request timeout"),
    413: ("urn:safetyrules:problem:body-too-large", "Request body too large"),
    415: ("urn:safetyrules:problem:unsupported-media-type", "Unsupported media type"),
    422: ("urn:safetyrules:problem:invalid-facts", "Invalid facts"),
    500: ("urn:safetyrules:problem:internal", "Internal error"),
}
#: (status, first error code) -> (type URI, title), where the status alone
#: would name another problem: a body that is not the gzip it says is not
#: malformed JSON
CODE_TYPES: Dict[tuple, tuple] = {
    (400, "E-ENCODING"): ("urn:safetyrules:problem:undecodable-body", "Body not decodable"),
}


def error_entry(err: BaseException, code: Optional[str] = None) -> Dict[str, Any]:
    """``{code, message, fact}`` for one error (``fact`` null when none)."""
    if isinstance(err, SafetyRulesError):
        message = err.message + (f" ({err.hint})" if err.hint else "")
        return {
            "code": code or err.code,
            "message": message,
            "fact": err.fact if isinstance(err, FactsError) else None,
        }
    return {"code": code or "E-INTERNAL", "message": str(err), "fact": None}


class Problem(Exception):
    """An error answer: HTTP status, one-sentence detail, the error entries."""

    def __init__(self, status: int, detail: str, errors: Iterable[Dict[str, Any]] = (),
                 headers: Optional[Dict[str, str]] = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors: List[Dict[str, Any]] = list(errors)
        #: response headers the answer needs besides its content type
        #: (``Accept-Encoding`` with a 415 for a content coding, RFC 9110 §15.5.16)
        self.headers: Dict[str, str] = dict(headers or {})

    @classmethod
    def single(cls, status: int, code: str, message: str, fact: Optional[str] = None,
               headers: Optional[Dict[str, str]] = None) -> "Problem":
        return cls(status, message, [{"code": code, "message": message, "fact": fact}], headers)

    def to_dict(self) -> Dict[str, Any]:
        code = self.errors[0].get("code") if self.errors else None
        uri, title = CODE_TYPES.get((self.status, code)) or PROBLEM_TYPES.get(self.status, ("about:blank", "Error"))
        return {
            "type": uri,
            "title": title,
            "status": self.status,
            "detail": self.detail,
            "errors": self.errors,
        }
