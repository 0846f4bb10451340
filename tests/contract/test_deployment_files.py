"""The deployment files checked against their schemas, with neither Docker nor a cluster.

- deploy/k8s: every manifest against Kubernetes' own OpenAPI schemas in strict mode (no unknown
  fields), from the `kubernetes-validate` package.
- docker-compose.yml: against the Compose Specification's JSON schema, as shipped (with its
  licence) by the `check-jsonschema` package, so the tests need no network.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))
COMPOSE_FILE = ROOT / "docker-compose.yml"
# The oldest Kubernetes release the manifests are meant for (docs/deployment.md).
KUBERNETES_VERSION = "1.30"
# Kinds outside Kubernetes' schemas, skipped by name: any other unknown kind fails.
NOT_IN_KUBERNETES_SCHEMAS = {
    ("kustomize.config.k8s.io/v1beta1", "Kustomization"): "kustomize's own file, not a resource",
    ("keda.sh/v1alpha1", "ScaledObject"): "a KEDA custom resource (CRD)",
}

Document = dict[str, Any]


def documents(path: Path) -> list[Document]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def manifest_cases() -> list[Any]:
    return [
        pytest.param(document, id=f"{path.name}:{document['kind']}")
        for path in MANIFESTS
        for document in documents(path)
    ]


def compose_validator() -> jsonschema.protocols.Validator:
    text = files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json")
    schema = json.loads(text.read_text())
    return jsonschema.validators.validator_for(schema)(schema)


@pytest.mark.parametrize("manifest", manifest_cases())
def test_the_manifest_matches_the_kubernetes_schema(manifest: Document) -> None:
    kind = (manifest["apiVersion"], manifest["kind"])
    if kind in NOT_IN_KUBERNETES_SCHEMAS:
        pytest.skip(NOT_IN_KUBERNETES_SCHEMAS[kind])
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_every_manifest_file_holds_a_resource() -> None:
    assert MANIFESTS
    assert all(documents(path) for path in MANIFESTS)


def test_a_misspelt_field_in_a_manifest_is_refused() -> None:
    (deployment,) = documents(ROOT / "deploy" / "k8s" / "api-deployment.yaml")
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError, match="imagePullPolicyy"):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_an_unknown_kind_is_not_skipped_silently() -> None:
    custom = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate(custom, KUBERNETES_VERSION, strict=True)


def test_the_compose_file_matches_the_compose_specification() -> None:
    (compose,) = documents(COMPOSE_FILE)
    errors = compose_validator().iter_errors(compose)
    assert [f"{list(error.absolute_path)}: {error.message}" for error in errors] == []


def test_a_misspelt_key_in_the_compose_file_is_refused() -> None:
    (compose,) = documents(COMPOSE_FILE)
    service = next(iter(compose["services"].values()))
    service["restart_policy"] = "always"
    assert not compose_validator().is_valid(compose)
