"""Is this what Plaid would answer? Bodies checked against Plaid's own definitions, from what a user can
install: the official ``plaid-python`` package (a dev dependency, MIT).

Every body is deserialised into plaid-python's generated model with type checking on, as the SDK does with
Plaid's answers, so a missing required field or a value of the wrong type fails. plaid-python deliberately
lets unknown enum values through at run time (so that a value Plaid adds later does not break old
clients), so the check then walks the model it built and holds every enum-typed value to the
``allowed_values`` the same generated models declare.

Where Plaid's OpenAPI spec is at hand (``$PLAID_OPENAPI_DIR``, or ``../shared/plaid-openapi`` beside the
clone), each body is also validated against the spec itself. The spec is not part of the project (it has
no licence to copy): without it, that second check is left out and the tests that need the spec alone
are skipped.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterator
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
SPEC_FILE = "2020-09-14.yml"


def openapi_dir() -> Path | None:
    """The folder with Plaid's OpenAPI spec, when there is one: ``$PLAID_OPENAPI_DIR``, or else
    ``../shared/plaid-openapi`` beside the clone (optional: nothing outside the clone is required)."""
    configured = os.environ.get("PLAID_OPENAPI_DIR")
    path = Path(configured) if configured else REPO.parent / "shared" / "plaid-openapi"
    return path if (path / SPEC_FILE).is_file() else None


@cache
def load_spec() -> dict[str, Any] | None:
    """Plaid's full spec, parsed once per run (3 MB of YAML, a couple of seconds), or None without one."""
    folder = openapi_dir()
    if folder is None:
        return None
    import yaml

    with (folder / SPEC_FILE).open("rb") as fh:
        spec: dict[str, Any] = yaml.load(fh, Loader=yaml.CSafeLoader)
    return spec


@cache
def _model_modules() -> dict[str, str]:
    """Schema name → plaid-python module, read from ``plaid.models`` without importing its 2,300 models."""
    import plaid

    text = (Path(plaid.__file__).parent / "models" / "__init__.py").read_text()
    return {
        name: module for module, name in re.findall(r"^from (plaid\.model\.\w+) import (\w+)$", text, re.M)
    }


def model(name: str) -> Any:
    """plaid-python's generated model for the schema ``name`` (``PlaidError``, ``ItemErrorWebhook``...)."""
    return getattr(import_module(_model_modules()[name]), name)


@cache
def _endpoints() -> dict[str, tuple[Any, Any]]:
    """Endpoint path → the models plaid-python sends its request as and reads its 200 answer into (from
    the SDK's own table of endpoints)."""
    import plaid
    from plaid.api.plaid_api import PlaidApi

    api = PlaidApi(plaid.ApiClient(plaid.Configuration()))
    table: dict[str, tuple[Any, Any]] = {}
    for name in dir(api):
        if name.endswith("_endpoint"):
            endpoint = getattr(api, name)
            bodies = [endpoint.openapi_types[name][0] for name in endpoint.params_map["required"]]
            request = bodies[0] if len(bodies) == 1 else None  # a file upload has several parts
            response = (endpoint.settings["response_type"] or (None,))[0]
            table[endpoint.settings["endpoint_path"]] = (request, response)
    return table


def response_model(path: str, status: int) -> Any:
    return _endpoints()[path][1] if status == 200 else model("PlaidError")


def _enum_problems(value: Any, where: str) -> Iterator[str]:
    """Every enum-typed value in a deserialised model that its model's ``allowed_values`` does not allow."""
    from plaid.model_utils import ModelComposed, ModelNormal, ModelSimple

    if isinstance(value, ModelSimple):
        allowed = type(value).allowed_values.get(("value",))
        if allowed is not None and value.value not in allowed.values():
            yield f"{where}: {value.value!r} is not one of {sorted(allowed.values(), key=str)}"
    elif isinstance(value, ModelNormal | ModelComposed):
        parts = [value, *value._composed_instances] if isinstance(value, ModelComposed) else [value]
        for part in parts:
            for attribute, item in part._data_store.items():
                shown = f"{where}/{type(part).attribute_map.get(attribute, attribute)}"
                allowed = type(part).allowed_values.get((attribute,))
                values = item if isinstance(item, list) else [item]
                if allowed is not None:
                    for one in values:
                        if one is not None and one not in allowed.values():
                            yield f"{shown}: {one!r} is not one of {sorted(allowed.values(), key=str)}"
                yield from _enum_problems(item, shown)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _enum_problems(item, f"{where}/{index}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _enum_problems(item, f"{where}/{key}")


def model_problems(model_class: Any, body: Any) -> list[str]:
    """What plaid-python refuses in ``body`` read as ``model_class``: [] when it is a valid answer."""
    import plaid
    from plaid.model_utils import validate_and_convert_types

    body = copy.deepcopy(body)  # plaid-python turns the dicts it is given into models, in place
    try:
        built = validate_and_convert_types(
            body, (model_class,), ["body"], True, True, configuration=plaid.Configuration()
        )
    except (TypeError, ValueError, KeyError, AttributeError) as exc:  # plaid's Api*Errors are these
        return [f"{model_class.__name__}: {exc}"]
    return [f"{model_class.__name__}: {problem}" for problem in _enum_problems(built, "body")]


class AnswerChecker:
    """Checks answers and bodies against plaid-python's models, and against the spec when there is one."""

    def __init__(self, spec: dict[str, Any] | None, *, models: bool = True) -> None:
        self.spec = spec
        self.models = models  # False: the spec alone (to show that check can fail on its own)

    def _model_problems(self, model_class: Any, body: Any) -> list[str]:
        return model_problems(model_class, body) if self.models else []

    def _spec_problems(self, schema: dict[str, Any], body: Any) -> list[str]:
        if self.spec is None:
            return []
        from openapi_schema_validator import OAS30Validator, oas30_format_checker

        root = {"components": self.spec["components"], **schema}
        validator = OAS30Validator(root, format_checker=oas30_format_checker)
        return [
            f"spec: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)
        ]

    def errors(self, name: str, body: Any) -> list[str]:
        """What is wrong with ``body`` as Plaid's schema ``name`` (``PlaidError``, ``ItemErrorWebhook``...)."""
        return self._model_problems(model(name), body) + self._spec_problems(
            {"$ref": f"#/components/schemas/{name}"}, body
        )

    def answer_errors(self, path: str, status: int, body: Any) -> list[str]:
        """What is wrong with ``body`` as Plaid's answer to ``path`` with HTTP ``status``."""
        problems = self._model_problems(response_model(path, status), body)
        if self.spec is not None:
            responses = self.spec["paths"][path]["post"]["responses"]
            entry = responses["200"] if status == 200 else responses["default"]
            problems += self._spec_problems(entry["content"]["application/json"]["schema"], body)
        return problems

    def request_errors(self, path: str, body: Any) -> list[str]:
        """What is wrong with ``body`` as a request to ``path`` (the SDK's request model for it)."""
        problems = self._model_problems(_endpoints()[path][0], body)
        if self.spec is not None:
            schema = self.spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
            problems += self._spec_problems(schema, body)
        return problems

    def check_response(self, path: str, response: httpx.Response) -> None:
        body = response.json()
        problems = self.answer_errors(path, response.status_code, body)
        assert not problems, f"{path} {response.status_code} is not what Plaid answers: {problems}\n{body}"
