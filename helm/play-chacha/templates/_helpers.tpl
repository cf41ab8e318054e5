{{/* Names and labels. */}}
{{- define "pc.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "pc.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- with .Values.global.labels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: include "pc.selector" (list . "gateway") */}}
{{- define "pc.selector" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "pc.componentLabels" -}}
{{ include "pc.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* Image of one of the project's components: include "pc.image" (list . "gateway") */}}
{{- define "pc.image" -}}
{{- $root := index . 0 -}}
{{- $tag := default $root.Chart.AppVersion $root.Values.global.imageTag -}}
{{- if $root.Values.global.imageRegistry -}}
{{- printf "%s/play-chacha/%s:%s" $root.Values.global.imageRegistry (index . 1) $tag -}}
{{- else -}}
{{- printf "play-chacha/%s:%s" (index . 1) $tag -}}
{{- end -}}
{{- end -}}

{{/* Pod-level security context shared by every workload. */}}
{{- define "pc.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.global.runAsUser }}
runAsGroup: {{ .Values.global.runAsUser }}
fsGroup: {{ .Values.global.runAsUser }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security context shared by every container. */}}
{{- define "pc.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: {{ .Values.global.runAsUser }}
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Checkov suppressions shared by the project's workloads, each with its reason. */}}
{{- define "pc.checkovSkips" -}}
checkov.io/skip1: CKV_K8S_43=Images are referenced by tag; the ECR repositories (infra/modules/ecr) make tags immutable, so a tag cannot be repointed, and CI records each image's digest
checkov.io/skip2: CKV_K8S_35=The services read DATABASE_URL, REDIS_URL, JWT_SECRET and the Stripe keys from their environment only (see the drift test); the values come from a Secret synced by an ExternalSecret, never from the chart
{{- end -}}

{{/* A secret environment variable from the application Secret. */}}
{{- define "pc.secretEnv" -}}
- name: {{ index . 1 }}
  valueFrom:
    secretKeyRef:
      name: {{ (index . 0).Values.secrets.name }}
      key: {{ index . 2 }}
{{- end -}}

{{/* NODE_EXTRA_CA_CERTS and its volume when an RDS CA bundle is configured. */}}
{{- define "pc.caEnv" -}}
{{- if .Values.database.caBundleConfigMap }}
- name: NODE_EXTRA_CA_CERTS
  value: /etc/play-chacha/ca/ca.pem
{{- end }}
{{- end -}}
{{- define "pc.caVolumeMount" -}}
{{- if .Values.database.caBundleConfigMap }}
- name: ca-bundle
  mountPath: /etc/play-chacha/ca
  readOnly: true
{{- end }}
{{- end -}}
{{- define "pc.caVolume" -}}
{{- if .Values.database.caBundleConfigMap }}
- name: ca-bundle
  configMap:
    name: {{ .Values.database.caBundleConfigMap }}
{{- end }}
{{- end -}}

{{/*
The OTLP/HTTP endpoint the services export spans to: tracing.otlpEndpoint, else the in-cluster
Jaeger when it is enabled, else empty (tracing off).
*/}}
{{- define "pc.otlpEndpoint" -}}
{{- if .Values.tracing.otlpEndpoint -}}
{{ .Values.tracing.otlpEndpoint }}
{{- else if .Values.tracing.jaeger.enabled -}}
http://{{ include "pc.fullname" . }}-jaeger:4318
{{- end -}}
{{- end -}}

{{/*
The egress rule (a list item) that lets a traced service's spans out to where pc.otlpEndpoint
points: the collector's namespace and/or address blocks, or the in-cluster Jaeger; nothing while
tracing is off. An otlpEndpoint with neither a collector namespace nor address blocks is refused,
since every span would be dropped at the NetworkPolicy.
*/}}
{{- define "pc.tracingEgress" -}}
{{- if .Values.tracing.otlpEndpoint }}
{{- with .Values.tracing.collector }}
{{- if not (or .namespace .cidrs) }}
{{- fail "tracing.otlpEndpoint needs tracing.collector.namespace or tracing.collector.cidrs: the NetworkPolicies would drop every span" }}
{{- end }}
- to:
    {{- if .namespace }}
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ .namespace }}
    {{- end }}
    {{- range .cidrs }}
    - ipBlock: { cidr: {{ . }} }
    {{- end }}
  ports:
    - { protocol: TCP, port: {{ .port }} }
{{- end }}
{{- else if .Values.tracing.jaeger.enabled }}
- to:
    - podSelector:
        matchLabels:
          {{- include "pc.selector" (list . "jaeger") | nindent 10 }}
  ports:
    - { protocol: TCP, port: 4318 }
{{- end }}
{{- end -}}

{{/* OpenTelemetry variables of a service's ConfigMap (nothing while tracing is off). */}}
{{- define "pc.otelEnv" -}}
{{- $root := index . 0 }}
{{- with include "pc.otlpEndpoint" $root }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ . | quote }}
OTEL_SERVICE_NAME: {{ index $ 1 | quote }}
OTEL_TRACES_SAMPLER: parentbased_traceidratio
OTEL_TRACES_SAMPLER_ARG: {{ $root.Values.tracing.sampleRatio | quote }}
{{- end }}
{{- end -}}

{{/* HTTP probes on one port and path. */}}
{{- define "pc.httpProbe" -}}
httpGet:
  path: {{ index . 0 }}
  port: {{ index . 1 }}
periodSeconds: {{ index . 2 }}
timeoutSeconds: 2
failureThreshold: {{ index . 3 }}
{{- end -}}
