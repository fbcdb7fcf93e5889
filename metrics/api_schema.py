"""Document the answers every API operation can give besides 200."""

from metrics.filters import TEXT_PATTERN

ERROR = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {
        "description": "A filter parameter's name, with what is wrong with its value.",
        "type": "array",
        "items": {"type": "string"},
    },
}
ANSWERS = {
    "400": {
        "description": "A filter or page parameter is invalid.",
        "content": {"application/json": {"schema": ERROR}},
    },
    "404": {
        "description": "No published record, or no such page.",
        "content": {"application/json": {"schema": ERROR}},
    },
    "429": {
        "description": "Too many requests from this address; wait as long as Retry-After says.",
        "headers": {
            "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
        },
        "content": {"application/json": {"schema": ERROR}},
    },
}


def add_error_answers(result, generator, request, public):
    """
    drf-spectacular postprocessing hook: every operation documents 400, 404
    and 429, and text parameters say that NUL characters are refused.
    """
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, answer in ANSWERS.items():
                responses.setdefault(status, answer)
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if schema.get("type") == "string" and not {"enum", "pattern", "format"} & {*schema}:
                    schema["pattern"] = TEXT_PATTERN
    return result
